"""The AI SDK UI message stream codec (llmkit.server.ui_message_stream).

Streams: recorded provider streams are read into unified events with their own protocol's
reader, encoded with the codec, and read back with the Vercel AI SDK's own client code (the
``ai`` package pinned in tests/server/node, run by Node: DefaultChatTransport's parser and
``readUIMessageStream``, what ``useChat`` runs). The SDK must accept every chunk and end with
the same text, reasoning and tool calls. Requests: ``useChat`` bodies with every part kind and
tool state, and malformed bodies.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fixture_util
import pytest
from expected import expected_summary
from filelock import FileLock

from llmkit.errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    LLMKitError,
    RateLimitError,
    StreamError,
    UnsupportedFeatureError,
)
from llmkit.protocols import get_protocol
from llmkit.protocols.base import run_sse
from llmkit.protocols.serving import RequestFieldError
from llmkit.server.ui_message_stream import FINISH_REASONS, HEADERS, Codec
from llmkit.types.events import (
    AbortEvent,
    FinishEvent,
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    SourceEvent,
    StepFinishEvent,
    StreamEvent,
    StreamStartEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolCallEvent,
    ToolInputDeltaEvent,
    ToolInputEndEvent,
    ToolInputStartEvent,
    ToolResultEvent,
)
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    ReasoningPart,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    UserMessage,
)
from llmkit.types.usage import Usage
from server._serving_helpers import encode_with, recorded

NODE_DIR = Path(__file__).parent / "node"
READER = NODE_DIR / "read-ui-message-stream.mjs"
CODEC = Codec()

PROTOCOLS = ("anthropic-messages", "openai-chat", "openai-responses", "google-generative")
RECORDED = [e for e in recorded("sse", PROTOCOLS) if "errors" not in e["expected"]]
REQUIRED = (
    "anthropic-anthropic-messages-haiku45-thinking-tool-use",  # Anthropic thinking + tool_use
    "openai-openai-chat-gpt4o-parallel-tool-calls",  # OpenAI chat tool calls
    "deepseek-openai-chat-reasoning-content-tool-call",
    "anthropic-anthropic-messages-sonnet45-redacted-thinking",
)


def events_of(entry: dict[str, Any]) -> list[StreamEvent]:
    """A recorded stream through its own protocol's reader (``stream_start`` first, as the
    driver sends it)."""
    protocol = get_protocol(entry["protocol"])
    sses = fixture_util.decode_sse(fixture_util.body(entry))
    return [StreamStartEvent(), *run_sse(protocol, fixture_util.provider_for(entry), sses)]


def encode(events: Sequence[StreamEvent], *, error: Exception | None = None) -> bytes:
    return encode_with(CODEC.stream_encoder("test:model"), events, error)


def _usage() -> Usage:
    return Usage(input_tokens=3, output_tokens=5)


# A multi-step tool loop as llmkit's own loop emits it: step 1 reasons and calls two tools
# (one fails, one whose arguments do not parse), their results, step_finish; step 2 cites a
# source and answers.
TOOL_LOOP: list[StreamEvent] = [
    StreamStartEvent(),
    ReasoningStartEvent(id="r0"),
    ReasoningDeltaEvent("r0", "Need the weather."),
    ReasoningEndEvent(id="r0", signature="sig-1"),
    ReasoningStartEvent(id="r1", redacted_data="opaque=="),
    ReasoningEndEvent(id="r1", redacted_data="opaque=="),
    ToolInputStartEvent(id="call_1", tool_name="weather"),
    ToolInputDeltaEvent("call_1", '{"city":'),
    ToolInputDeltaEvent("call_1", '"Paris"}'),
    ToolInputEndEvent(id="call_1"),
    ToolCallEvent(
        tool_call_id="call_1",
        tool_name="weather",
        args={"city": "Paris"},
        args_json='{"city":"Paris"}',
        provider_metadata={"openai": {"item_id": "fc_1"}},
    ),
    ToolCallEvent(
        tool_call_id="call_2",
        tool_name="get-time",
        args={},
        args_json='{"tz": ',
        args_error="Expecting value",
    ),
    ToolResultEvent(tool_call_id="call_1", tool_name="weather", result={"temp_c": 21}),
    ToolResultEvent(
        tool_call_id="call_2", tool_name="get-time", result="bad arguments", is_error=True
    ),
    StepFinishEvent("tool_calls", "tool_use", _usage()),
    SourceEvent(id="s1", source_type="url", url="https://example.com/w", title="Weather"),
    SourceEvent(id="s2", source_type="document", title="Doc"),
    TextStartEvent(id="t0"),
    TextDeltaEvent("t0", "It is 21 °C in Paris."),
    TextEndEvent(id="t0", provider_metadata={"openai": {"item_id": "msg_1"}}),
    StepFinishEvent("stop", "end_turn", _usage()),
    FinishEvent("stop", "end_turn", _usage()),
]

SYNTHETIC: dict[str, bytes] = {
    "tool-loop": encode(TOOL_LOOP),
    "error-mid-stream": encode(
        [StreamStartEvent(), TextStartEvent(id="t"), TextDeltaEvent("t", "Hel")],
        error=RateLimitError("slow down", status_code=429),
    ),
    "abort": encode([StreamStartEvent(), AbortEvent("closed", "", None, _usage())]),
}


# ---------------------------------------------------------------------------- the AI SDK reader
@pytest.fixture(scope="session")
def ai_sdk() -> Path:
    """tests/server/node with its node_modules (``npm ci`` from the committed lock file)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "Node.js and npm are needed to run the Vercel AI SDK's reader "
            "(tests/server/node): install Node 20+ and npm"
        )
    # one install at a time: suites on other Pythons (.ci/run) may reach this at the same moment,
    # and npm ci first removes node_modules
    with FileLock(Path(tempfile.gettempdir()) / f"llmkit-npm-ci-{_path_key(NODE_DIR)}.lock"):
        if not (NODE_DIR / "node_modules" / "ai" / "package.json").exists():
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                pytest.fail(f"npm ci in {NODE_DIR} failed:\n{done.stdout}\n{done.stderr}")
    return NODE_DIR


def _path_key(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


def read_with_ai_sdk(node_dir: Path, bodies: Sequence[bytes], tmp: Path) -> list[dict[str, Any]]:
    """Each body through ``read-ui-message-stream.mjs`` (one Node process for all)."""
    paths = []
    for number, body in enumerate(bodies):
        path = tmp / f"{number}.sse"
        path.write_bytes(body)
        paths.append(str(path))
    done = subprocess.run(
        ["node", str(READER), *paths],
        cwd=node_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    return out if isinstance(out, list) else [out]


@pytest.fixture(scope="session")
def readings(ai_sdk: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the AI SDK read from every encoded stream, by fixture id (recorded) or name
    (synthetic)."""
    names = [fixture_util.fixture_id(e) for e in RECORDED] + list(SYNTHETIC)
    bodies = [encode(events_of(e)) for e in RECORDED] + list(SYNTHETIC.values())
    results = read_with_ai_sdk(ai_sdk, bodies, tmp_path_factory.mktemp("ui-streams"))
    return dict(zip(names, results, strict=True))


def summary(message: dict[str, Any]) -> dict[str, Any]:
    """Text, reasoning and client tool calls of a UIMessage (as llmkit's summary has them)."""
    parts = message["parts"]
    reasoning = "".join(p["text"] for p in parts if p["type"] == "reasoning")
    return {
        "text": "".join(p["text"] for p in parts if p["type"] == "text"),
        "reasoning": reasoning or None,
        "tool_calls": [
            (p["type"][len("tool-") :], p["input"])
            for p in parts
            if p["type"].startswith("tool-") and not p.get("providerExecuted")
        ],
    }


def test_the_required_streams_are_covered() -> None:
    ids = {fixture_util.fixture_id(e) for e in RECORDED}
    assert set(REQUIRED) <= ids


@pytest.mark.parametrize("entry", RECORDED, ids=fixture_util.fixture_id)
def test_the_ai_sdk_reads_a_recorded_stream(
    entry: dict[str, Any], readings: dict[str, Any]
) -> None:
    reading = readings[fixture_util.fixture_id(entry)]
    assert reading["errors"] == []
    # the SDK publishes a message once it has a part to show (a step boundary is not one)
    message = reading["message"] or {"role": "assistant", "parts": []}
    assert message["role"] == "assistant"
    want = expected_summary(entry)
    got = summary(message)
    assert got["text"] == want["text"]
    assert got["reasoning"] == want["reasoning"]
    assert got["tool_calls"] == want["tool_calls"]
    # every text and reasoning part finished, every client tool call has its input
    assert all(p.get("state") == "done" for p in message["parts"] if "text" in p)
    events = events_of(entry)
    calls = [e for e in events if e.type == "tool_call"]
    tool_parts = [p for p in message["parts"] if p["type"].startswith("tool-")]
    assert [(p["toolCallId"], p["type"]) for p in tool_parts] == [
        (c.tool_call_id, f"tool-{c.tool_name}") for c in calls
    ]
    for part, call in zip(tool_parts, calls, strict=True):
        if call.args_error is None:
            assert part["input"] == dict(call.args)
            if not call.provider_executed:
                assert part["state"] == "input-available"
    finish = [c for c in reading["chunks"] if c["type"] == "finish"]
    assert finish == [{"type": "finish", "finishReason": FINISH_REASONS[want["finish_reason"]]}]
    # steps: start, start-step first; finish-step, finish last
    kinds = [c["type"] for c in reading["chunks"]]
    assert kinds[:2] == ["start", "start-step"]
    assert kinds[-2:] == ["finish-step", "finish"]


@pytest.mark.parametrize("entry", RECORDED, ids=fixture_util.fixture_id)
def test_encode_response_is_the_message_the_ai_sdk_builds(
    entry: dict[str, Any], readings: dict[str, Any]
) -> None:
    message = json.loads(CODEC.encode_response(events_of(entry), "test:model"))
    assert message["role"] == "assistant"
    assert message["id"]
    read = readings[fixture_util.fixture_id(entry)]["message"]
    if read is None:  # nothing to show (e.g. a refusal): the SDK published no message
        assert {p["type"] for p in message["parts"]} == {"step-start"}
    else:
        assert message["parts"] == read["parts"]


def test_anthropic_thinking_keeps_its_signature(readings: dict[str, Any]) -> None:
    entry = next(e for e in RECORDED if fixture_util.fixture_id(e) == REQUIRED[0])
    ends = [e for e in events_of(entry) if e.type == "reasoning_end"]
    parts = [p for p in readings[REQUIRED[0]]["message"]["parts"] if p["type"] == "reasoning"]
    assert [p["providerMetadata"]["anthropic"]["signature"] for p in parts] == [
        e.signature for e in ends
    ]


def test_redacted_thinking_keeps_its_data(readings: dict[str, Any]) -> None:
    entry = next(e for e in RECORDED if fixture_util.fixture_id(e) == REQUIRED[3])
    redacted = [e.redacted_data for e in events_of(entry) if e.type == "reasoning_end"]
    parts = [p for p in readings[REQUIRED[3]]["message"]["parts"] if p["type"] == "reasoning"]
    got = [p.get("providerMetadata", {}).get("anthropic", {}).get("redactedData") for p in parts]
    assert got == redacted
    assert any(r is not None for r in redacted)


def test_the_ai_sdk_reads_a_tool_loop(readings: dict[str, Any]) -> None:
    reading = readings["tool-loop"]
    assert reading["errors"] == []
    assert reading["message"]["parts"] == [
        {"type": "step-start"},
        {
            "type": "reasoning",
            "id": "r0",
            "text": "Need the weather.",
            "state": "done",
            "providerMetadata": {"anthropic": {"signature": "sig-1"}},
        },
        {
            "type": "reasoning",
            "id": "r1",
            "text": "",
            "state": "done",
            "providerMetadata": {"anthropic": {"redactedData": "opaque=="}},
        },
        {
            "type": "tool-weather",
            "toolCallId": "call_1",
            "state": "output-available",
            "input": {"city": "Paris"},
            "output": {"temp_c": 21},
            "callProviderMetadata": {"openai": {"item_id": "fc_1"}},
        },
        {
            "type": "tool-get-time",
            "toolCallId": "call_2",
            "state": "output-error",
            "input": '{"tz": ',
            "errorText": "bad arguments",
        },
        {"type": "step-start"},
        {
            "type": "source-url",
            "sourceId": "s1",
            "url": "https://example.com/w",
            "title": "Weather",
        },
        {
            "type": "text",
            "text": "It is 21 °C in Paris.",
            "state": "done",
            "providerMetadata": {"openai": {"item_id": "msg_1"}},
        },
    ]
    kinds = [c["type"] for c in reading["chunks"]]
    assert kinds.count("start-step") == kinds.count("finish-step") == 2
    assert kinds[-2:] == ["finish-step", "finish"]
    assert "tool-input-error" in kinds
    message = json.loads(CODEC.encode_response(TOOL_LOOP, "m"))
    assert message["parts"] == reading["message"]["parts"]


def test_an_error_mid_stream_reaches_the_client(readings: dict[str, Any]) -> None:
    reading = readings["error-mid-stream"]
    assert reading["errors"] == ["HTTP 429: slow down"]
    assert reading["chunks"][-1] == {"type": "error", "errorText": "HTTP 429: slow down"}
    assert SYNTHETIC["error-mid-stream"].endswith(b"data: [DONE]\n\n")


def test_abort(readings: dict[str, Any]) -> None:
    assert readings["abort"]["errors"] == []
    assert readings["abort"]["chunks"][-1] == {"type": "abort", "reason": "closed"}


def test_error_text_can_be_masked() -> None:
    encoder = Codec(error_text=lambda _: "An error occurred.").stream_encoder("m")
    assert encoder.error(StreamError("upstream details")) == (
        b'data: {"type":"error","errorText":"An error occurred."}\n\ndata: [DONE]\n\n'
    )


def test_framing_and_headers() -> None:
    encoder = CODEC.stream_encoder("m")
    assert encoder.content_type == "text/event-stream"
    assert encoder.headers() == {
        "x-vercel-ai-ui-message-stream": "v1",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
    }
    assert encoder.headers() == HEADERS
    out = encoder.encode(StreamStartEvent()) + encoder.encode(TextStartEvent(id="a"))
    out += encoder.encode(TextDeltaEvent("a", 'say "hi"\n'))
    assert out == (
        b'data: {"type":"start"}\n\ndata: {"type":"start-step"}\n\n'
        b'data: {"type":"text-start","id":"a"}\n\n'
        b'data: {"type":"text-delta","id":"a","delta":"say \\"hi\\"\\n"}\n\n'
    )
    assert encoder.end() == b"data: [DONE]\n\n"


def test_a_stream_without_stream_start_still_starts() -> None:
    encoder = CODEC.stream_encoder("m")
    assert encoder.encode(TextDeltaEvent("a", "x")).startswith(
        b'data: {"type":"start"}\n\ndata: {"type":"start-step"}\n\n'
    )


# ------------------------------------------------------------------------------------ requests
def body(*messages: dict[str, Any], **extra: Any) -> bytes:
    """A useChat (DefaultChatTransport) request body."""
    return json.dumps(
        {"id": "chat-1", "messages": list(messages), "trigger": "submit-message", **extra}
    ).encode()


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"id": "u1", "role": "user", "parts": list(parts)}


def assistant(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"id": "a1", "role": "assistant", "parts": list(parts)}


PNG = "data:image/png;base64,iVBORw0KGgo="


def test_text_files_and_model() -> None:
    served = CODEC.parse_request(
        body(
            {"id": "s", "role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
            user(
                {"type": "text", "text": "What is this?"},
                {"type": "file", "mediaType": "image/png", "url": PNG, "filename": "a.png"},
                {
                    "type": "file",
                    "mediaType": "application/pdf",
                    "url": "https://example.com/a.pdf",
                    "filename": "a.pdf",
                },
            ),
            model="anthropic:claude-sonnet-4-5",
        )
    )
    assert served.model == "anthropic:claude-sonnet-4-5"
    assert served.stream is True
    assert served.call.tools is None
    assert served.warnings == ()
    assert served.call.messages == [
        SystemMessage(content="Be brief."),
        UserMessage(
            content=[
                TextPart(text="What is this?"),
                ImagePart(image=PNG, media_type="image/png"),
                FilePart(
                    data="https://example.com/a.pdf",
                    media_type="application/pdf",
                    filename="a.pdf",
                ),
            ]
        ),
    ]


def test_no_model_means_the_default() -> None:
    served = CODEC.parse_request(body(user({"type": "text", "text": "Hi"})))
    assert served.model == ""


RICH_BODY = body(
    user({"type": "text", "text": "Weather in Paris and the time?"}),
    assistant(
        {"type": "step-start"},
        {
            "type": "reasoning",
            "text": "Two tools.",
            "state": "done",
            "providerMetadata": {
                "anthropic": {"signature": "sig"},
                "openai": {"item_id": "rs_1"},
            },
        },
        {
            "type": "reasoning",
            "text": "",
            "providerMetadata": {"anthropic": {"redactedData": "opaque"}},
        },
        {
            "type": "tool-weather",
            "toolCallId": "c1",
            "state": "output-available",
            "input": {"city": "Paris"},
            "output": {"temp_c": 21},
            "callProviderMetadata": {"openai": {"item_id": "fc_1"}},
        },
        {
            "type": "dynamic-tool",
            "toolName": "clock",
            "toolCallId": "c2",
            "state": "output-error",
            "input": '{"tz": ',
            "errorText": "bad arguments",
        },
        {
            "type": "tool-delete",
            "toolCallId": "c3",
            "state": "output-denied",
            "input": {},
            "approval": {"id": "ap1", "approved": False, "reason": "no"},
        },
        {"type": "step-start"},
        {"type": "source-url", "sourceId": "s", "url": "https://example.com"},
        {"type": "text", "text": "", "state": "done"},
        {"type": "text", "text": "21 °C.", "state": "done"},
    ),
)
"""A useChat body with a finished two-step assistant turn: reasoning (signed, redacted),
tool parts in each finished state, a source, an empty text part."""


def test_assistant_steps_become_calls_then_results() -> None:
    served = CODEC.parse_request(RICH_BODY)
    assert served.warnings == ()
    assert served.call.messages[1:] == [
        AssistantMessage(
            content=[
                ReasoningPart(
                    text="Two tools.",
                    signature="sig",
                    provider_options={"openai": {"item_id": "rs_1"}},
                ),
                ReasoningPart(text="", redacted_data="opaque"),
                ToolCallPart(
                    tool_call_id="c1",
                    tool_name="weather",
                    args={"city": "Paris"},
                    provider_options={"openai": {"item_id": "fc_1"}},
                ),
                ToolCallPart(tool_call_id="c2", tool_name="clock", args={}),
                ToolCallPart(tool_call_id="c3", tool_name="delete", args={}),
            ]
        ),
        ToolMessage(
            content=[
                ToolResultPart(tool_call_id="c1", tool_name="weather", result={"temp_c": 21}),
                ToolResultPart(
                    tool_call_id="c2", tool_name="clock", result="bad arguments", is_error=True
                ),
                ToolResultPart(tool_call_id="c3", tool_name="delete", result="no", is_error=True),
            ]
        ),
        AssistantMessage(content=[TextPart(text="21 °C.")]),
    ]


def test_the_ai_sdk_reads_the_same_body_in_the_same_order(ai_sdk: Path, tmp_path: Path) -> None:
    """The AI SDK accepts the body (validateUIMessages) and its convertToModelMessages gives
    the same message sequence, tool calls and tool results as parse_request."""
    path = tmp_path / "body.json"
    path.write_bytes(RICH_BODY)
    done = subprocess.run(
        ["node", str(NODE_DIR / "convert-ui-messages.mjs"), str(path)],
        cwd=ai_sdk,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["error"] is None
    sdk = result["modelMessages"]
    ours = CODEC.parse_request(RICH_BODY).call.messages
    assert [m["role"] for m in sdk] == [m.role for m in ours]
    for theirs, mine in zip(sdk, ours, strict=True):
        if mine.role in ("assistant", "tool"):
            assert isinstance(mine.content, list)
            assert [
                (p["toolCallId"], p["toolName"])
                for p in theirs["content"]
                if p["type"] in ("tool-call", "tool-result")
            ] == [
                (p.tool_call_id, p.tool_name)
                for p in mine.content
                if isinstance(p, (ToolCallPart, ToolResultPart))
            ]


@pytest.mark.parametrize(
    ("state", "extra"),
    [
        ("input-streaming", {"input": {"ci": None}}),
        ("input-available", {"input": {"city": "Paris"}}),
        ("approval-requested", {"input": {}, "approval": {"id": "a"}}),
        ("approval-responded", {"input": {}, "approval": {"id": "a", "approved": True}}),
    ],
)
def test_tool_parts_without_output_are_dropped_with_a_warning(
    state: str, extra: dict[str, Any]
) -> None:
    served = CODEC.parse_request(
        body(
            user({"type": "text", "text": "Hi"}),
            assistant(
                {"type": "text", "text": "Let me look."},
                {"type": "tool-weather", "toolCallId": "c1", "state": state, **extra},
            ),
        )
    )
    assert served.call.messages[1:] == [AssistantMessage(content=[TextPart(text="Let me look.")])]
    assert len(served.warnings) == 1
    assert "c1" in served.warnings[0].message
    assert served.warnings[0].message.startswith("messages[1].parts[1]")


def test_provider_executed_tools_and_unknown_parts_are_dropped_with_warnings() -> None:
    served = CODEC.parse_request(
        body(
            user(
                {"type": "text", "text": "Search"},
                {"type": "data-weather", "data": {"x": 1}},
                {
                    "type": "file",
                    "mediaType": "text/plain",
                    "url": "",
                    "providerReference": {"a": "b"},
                },
            ),
            assistant(
                {
                    "type": "tool-web_search",
                    "toolCallId": "srv",
                    "state": "output-available",
                    "input": {"query": "x"},
                    "output": [],
                    "providerExecuted": True,
                },
                {"type": "text", "text": "Found."},
            ),
        )
    )
    assert served.call.messages == [
        UserMessage(content=[TextPart(text="Search")]),
        AssistantMessage(content=[TextPart(text="Found.")]),
    ]
    assert [w.message.split(":")[0] for w in served.warnings] == [
        "messages[0].parts[1]",
        "messages[0].parts[2]",
        "messages[1].parts[0]",
    ]


def test_a_steering_message_sits_between_steps() -> None:
    served = CODEC.parse_request(
        body(
            user({"type": "text", "text": "Go"}),
            assistant(
                {"type": "text", "text": "Step one."},
                {
                    "type": "steering-message",
                    "id": "s",
                    "parts": [{"type": "text", "text": "Faster"}],
                },
                {"type": "text", "text": "Step two."},
            ),
        )
    )
    assert served.call.messages[1:] == [
        AssistantMessage(content=[TextPart(text="Step one.")]),
        UserMessage(content=[TextPart(text="Faster")]),
        AssistantMessage(content=[TextPart(text="Step two.")]),
    ]


def test_a_streamed_answer_round_trips(readings: dict[str, Any]) -> None:
    """The AI SDK's message for a recorded Anthropic thinking + tool_use turn, with the tool's
    output added (``addToolOutput``), sent back as useChat does: the unified messages carry
    the reasoning's signature and the call's id, name and arguments."""
    entry = next(e for e in RECORDED if fixture_util.fixture_id(e) == REQUIRED[0])
    events = events_of(entry)
    message = readings[REQUIRED[0]]["message"]
    for part in message["parts"]:
        if part["type"].startswith("tool-"):
            part.update(state="output-available", output={"ok": True})
    served = CODEC.parse_request(body(user({"type": "text", "text": "Go"}), message))
    assert served.warnings == ()
    [reply, results] = served.call.messages[1:]
    assert isinstance(reply, AssistantMessage) and isinstance(results, ToolMessage)
    assert isinstance(reply.content, list)
    signatures = [p.signature for p in reply.content if isinstance(p, ReasoningPart)]
    assert signatures == [e.signature for e in events if e.type == "reasoning_end"]
    calls = [
        (p.tool_call_id, p.tool_name, p.args) for p in reply.content if isinstance(p, ToolCallPart)
    ]
    want = [(e.tool_call_id, e.tool_name, dict(e.args)) for e in events if e.type == "tool_call"]
    assert calls == want
    assert [r.tool_call_id for r in results.content] == [c[0] for c in want]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", ""),
        (b"[1, 2]", ""),
        (b"\xff\xfe", ""),
        (body(), "messages"),
        (json.dumps({"id": "x"}).encode(), "messages"),
        (body(user({"type": "text", "text": "Hi"}), model=3), "model"),
        (body("hello"), "messages[0]"),  # type: ignore[arg-type]
        (body({"role": "tool", "parts": []}), "messages[0].role"),
        (body({"role": "user", "content": "Hi"}), "messages[0].parts"),
        (body(user({"text": "Hi"})), "messages[0].parts[0]"),
        (body(user({"type": "text", "text": 5})), "messages[0].parts[0].text"),
        (body(user({"type": "text"})), "messages[0].parts[0].text"),
        (body(user({"type": "file", "url": PNG})), "messages[0].parts[0].mediaType"),
        (
            body(user({"type": "file", "mediaType": "image/png", "url": "blob:x"})),
            "messages[0].parts[0].url",
        ),
        (
            body(user({"type": "text", "text": "x", "providerMetadata": {"a": 1}})),
            "messages[0].parts[0].providerMetadata",
        ),
        (
            body(assistant({"type": "tool-x", "state": "output-available", "input": {}})),
            "messages[0].parts[0].toolCallId",
        ),
        (
            body(assistant({"type": "tool-x", "toolCallId": "c", "state": "done"})),
            "messages[0].parts[0].state",
        ),
        (
            body(
                assistant(
                    {"type": "tool-x", "toolCallId": "c", "state": "output-available", "input": [1]}
                )
            ),
            "messages[0].parts[0].input",
        ),
        (
            body(assistant({"type": "tool-x", "toolCallId": "c", "state": "output-error"})),
            "messages[0].parts[0].errorText",
        ),
        (
            body(assistant({"type": "dynamic-tool", "toolCallId": "c", "state": "output-error"})),
            "messages[0].parts[0].toolName",
        ),
        (body(user({"type": "data-x", "data": 1})), "messages"),
    ],
)
def test_malformed_bodies(raw: bytes, field: str) -> None:
    with pytest.raises(RequestFieldError) as caught:
        CODEC.parse_request(raw)
    assert caught.value.field == field
    assert caught.value.message


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RequestFieldError("messages", "must be an array"), 400),
        (RateLimitError("slow down", status_code=429), 429),
        (APITimeoutError("too slow"), 504),
        (APIConnectionError("refused"), 502),
        (StreamError("cut"), 502),
        (UnsupportedFeatureError("no audio"), 400),
        (ConfigurationError("bad config"), 500),
    ],
)
def test_encode_error(error: LLMKitError | RequestFieldError, status: int) -> None:
    got_status, raw = CODEC.encode_error(error)
    assert got_status == status
    assert json.loads(raw) == {"error": str(error)}
