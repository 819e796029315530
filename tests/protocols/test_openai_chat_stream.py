"""Streaming: every recorded openai-chat SSE fixture, plus hand-written edge cases."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import fixture_util
import httpx
import pytest
from httpx_sse import EventSource, ServerSentEvent

from llmkit.errors import StreamError
from llmkit.protocols.base import run_sse
from llmkit.protocols.openai_chat import OpenAIChatProtocol, OpenAIChatState
from llmkit.protocols.openai_chat.quirks import Quirks
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import (
    FinishEvent,
    ReasoningEndEvent,
    ResponseMetadataEvent,
    StreamEvent,
    TextDeltaEvent,
    TextEndEvent,
    ToolInputEndEvent,
)
from protocols._openai_chat_checks import check_conformance, check_expected, joined, tool_calls

PROTOCOL = OpenAIChatProtocol()
SSE_ENTRIES = fixture_util.entries("openai-chat", "sse")


def collect(
    provider: ProviderConfig, events: list[ServerSentEvent]
) -> tuple[list[StreamEvent], Exception | None]:
    """Run events through the protocol the way the driver does: every event produced before an
    exception is kept, then the exception is returned."""
    state = PROTOCOL.new_state(provider)
    out: list[StreamEvent] = []
    try:
        for sse in events:
            out.extend(PROTOCOL.parse_event(state, sse))
        out.extend(PROTOCOL.finish(state))
    except StreamError as exc:
        return out, exc
    return out, None


def test_manifest_has_openai_chat_streams() -> None:
    assert len(SSE_ENTRIES) >= 40


@pytest.mark.parametrize("entry", SSE_ENTRIES, ids=fixture_util.fixture_id)
def test_fixture_stream(entry: dict[str, Any]) -> None:
    expected = entry["expected"]
    events, error = collect(
        fixture_util.provider_for(entry), fixture_util.decode_sse(fixture_util.body(entry))
    )
    if expected.get("errors"):
        # Groq: `event: error` mid-stream; everything before it is still delivered.
        assert isinstance(error, StreamError)
        want = expected["errors"][0]
        assert want["message"] in str(error)
        assert error.error_type == want["type"]
        assert isinstance(error.body, dict)
        assert error.body["code"] == want["code"]
        check_conformance(events + _close_all(events), finished=False)
        assert joined(events, "text_delta") == (expected["text"] or "")
        assert joined(events, "reasoning_delta") == (expected["reasoning"] or "")
        return
    assert error is None
    check_conformance(events)
    check_expected(events, expected)


def _close_all(events: list[StreamEvent]) -> list[StreamEvent]:
    """Synthetic ends for blocks left open by an aborted stream (to reuse the conformance check
    for the part that was delivered)."""
    open_ids: dict[str, str] = {}
    for e in events:
        if e.type in ("text_start", "reasoning_start", "tool_input_start"):
            open_ids[e.id] = e.type
        elif e.type in ("text_end", "reasoning_end", "tool_input_end"):
            open_ids.pop(e.id, None)
    ends: list[StreamEvent] = []
    for block_id, kind in open_ids.items():
        if kind == "text_start":
            ends.append(TextEndEvent(block_id))
        elif kind == "reasoning_start":
            ends.append(ReasoningEndEvent(block_id))
        else:
            ends.append(ToolInputEndEvent(block_id))
    return ends


@pytest.mark.parametrize("entry", SSE_ENTRIES[::5], ids=fixture_util.fixture_id)
def test_fixture_rechunked_bytes_give_same_events(entry: dict[str, Any]) -> None:
    """Splitting the recorded bytes at arbitrary points (here: every 7 bytes) changes nothing."""
    data = fixture_util.body(entry)
    provider = fixture_util.provider_for(entry)
    whole, whole_error = collect(provider, fixture_util.decode_sse(data))
    response = httpx.Response(
        200,
        headers={"content-type": "text/event-stream"},
        content=iter([data[i : i + 7] for i in range(0, len(data), 7)]),
    )
    pieces, pieces_error = collect(provider, list(EventSource(response).iter_sse()))
    assert pieces == whole
    assert type(pieces_error) is type(whole_error)


def test_response_metadata_from_first_chunk() -> None:
    entry = next(e for e in SSE_ENTRIES if e["file"].endswith("gpt4o-text-include-usage.sse"))
    events = run_sse(
        PROTOCOL,
        fixture_util.provider_for(entry),
        fixture_util.decode_sse(fixture_util.body(entry)),
    )
    first = events[0]
    assert isinstance(first, ResponseMetadataEvent)
    raw = json.loads(fixture_util.decode_sse(fixture_util.body(entry))[0].data)
    assert first.response_id == raw["id"]
    assert first.model_id == entry["model"]
    assert first.created == datetime.fromtimestamp(raw["created"], tz=timezone.utc)
    assert first.created is not None
    assert first.created.tzinfo is not None


def test_azure_empty_first_chunk_is_not_metadata() -> None:
    entry = next(e for e in SSE_ENTRIES if "gpt35-prompt-filter-results" in e["file"])
    events = run_sse(
        PROTOCOL,
        fixture_util.provider_for(entry),
        fixture_util.decode_sse(fixture_util.body(entry)),
    )
    metadata = [e for e in events if isinstance(e, ResponseMetadataEvent)]
    assert len(metadata) == 1
    assert metadata[0].response_id == "chatcmpl-9HpbaAXyt0cAnlWvI8kUAFpZt5jyQ"
    assert metadata[0].model_id == "gpt-35-turbo"


# ---------------------------------------------------------------------------- hand-written chunks
GENERIC = ProviderConfig(id="generic", protocol="openai-chat", base_url="https://x.invalid/v1")
DEEPSEEK_LIKE = ProviderConfig(
    id="ds",
    protocol="openai-chat",
    base_url="https://x.invalid/v1",
    quirks=Quirks(reasoning_fields=("reasoning_content",)),
)


def sse(payload: object, event: str | None = None) -> ServerSentEvent:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return ServerSentEvent(event=event or "message", data=data)


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> Any:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return sse({"id": "c1", "model": "m", "created": 1, "choices": [choice], **extra})


DONE = sse("[DONE]")


def kinds(events: list[StreamEvent]) -> list[str]:
    return [e.type for e in events]


def test_single_chunk_tool_call_gets_full_lifecycle() -> None:
    call = {"index": 0, "id": "call_a", "function": {"name": "f", "arguments": '{"x": 1}'}}
    events = run_sse(PROTOCOL, GENERIC, [chunk({"tool_calls": [call]}, "tool_calls"), DONE])
    assert kinds(events) == [
        "response_metadata",
        "tool_input_start",
        "tool_input_delta",
        "tool_input_end",
        "tool_call",
        "finish",
    ]
    (tool,) = tool_calls(events)
    assert (tool.tool_call_id, tool.tool_name, dict(tool.args)) == ("call_a", "f", {"x": 1})
    assert tool.args_json == '{"x": 1}'


def test_reasoning_closes_before_text_and_text_before_tool_call() -> None:
    events = run_sse(
        PROTOCOL,
        DEEPSEEK_LIKE,
        [
            chunk({"reasoning_content": "think", "content": None}),
            chunk({"content": "say", "reasoning_content": None}),
            chunk({"tool_calls": [{"index": 0, "id": "t", "function": {"name": "f"}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
            chunk({}, "tool_calls"),
            DONE,
        ],
    )
    assert kinds(events) == [
        "response_metadata",
        "reasoning_start",
        "reasoning_delta",
        "reasoning_end",
        "text_start",
        "text_delta",
        "text_end",
        "tool_input_start",
        "tool_input_delta",
        "tool_input_end",
        "tool_call",
        "finish",
    ]
    check_conformance(events)


def test_text_resuming_after_reasoning_opens_a_new_block() -> None:
    events = run_sse(
        PROTOCOL,
        DEEPSEEK_LIKE,
        [
            chunk({"content": "a"}),
            chunk({"reasoning_content": "r"}),
            chunk({"content": "b"}),
            chunk({}, "stop"),
            DONE,
        ],
    )
    check_conformance(events)
    text_ids = [e.id for e in events if isinstance(e, TextDeltaEvent)]
    assert text_ids == ["text-0", "text-1"]


def test_tool_calls_without_index_or_id_get_positional_ids() -> None:
    """Gemini style: no index, id "" — each named entry is a new call."""
    first = {"id": "", "type": "function", "function": {"name": "a", "arguments": '{"n": 1}'}}
    second = {"id": "", "type": "function", "function": {"name": "b", "arguments": '{"n": 2}'}}
    events = run_sse(
        PROTOCOL,
        GENERIC,
        [chunk({"tool_calls": [first]}), chunk({"tool_calls": [second]}, "stop"), DONE],
    )
    calls = tool_calls(events)
    assert [(c.tool_call_id, c.tool_name, dict(c.args)) for c in calls] == [
        ("call_0", "a", {"n": 1}),
        ("call_1", "b", {"n": 2}),
    ]
    assert events[-1].finish_reason == "tool_calls"  # type: ignore[union-attr]
    assert events[-1].raw_finish_reason == "stop"  # type: ignore[union-attr]


def test_tool_call_continuation_without_index_or_id() -> None:
    events = run_sse(
        PROTOCOL,
        GENERIC,
        [
            chunk({"tool_calls": [{"id": "k1", "function": {"name": "f", "arguments": '{"a"'}}]}),
            chunk({"tool_calls": [{"function": {"arguments": ": 5}"}}]}),
            chunk({}, "tool_calls"),
            DONE,
        ],
    )
    (call,) = tool_calls(events)
    assert (call.tool_call_id, dict(call.args)) == ("k1", {"a": 5})


def test_tool_name_arriving_after_arguments_is_buffered() -> None:
    events = run_sse(
        PROTOCOL,
        GENERIC,
        [
            chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"arguments": '{"q"'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"name": "g", "arguments": ":1}"}}]}),
            chunk({}, "tool_calls"),
            DONE,
        ],
    )
    check_conformance(events)
    (call,) = tool_calls(events)
    assert (call.tool_name, dict(call.args)) == ("g", {"q": 1})


def test_other_choices_are_ignored() -> None:
    other = sse({"id": "c1", "choices": [{"index": 1, "delta": {"content": "nope"}}]})
    events = run_sse(PROTOCOL, GENERIC, [chunk({"content": "yes"}), other, chunk({}, "stop"), DONE])
    assert joined(events, "text_delta") == "yes"


def test_usage_keeps_last_non_null_and_x_groq() -> None:
    groq_like = ProviderConfig(
        id="g",
        protocol="openai-chat",
        base_url="https://x.invalid/v1",
        quirks=Quirks(usage_in_x_groq=True),
    )
    events = run_sse(
        PROTOCOL,
        groq_like,
        [
            chunk({"content": "a"}, usage={"prompt_tokens": 1, "completion_tokens": None}),
            chunk({}, "stop", usage=None, x_groq={"usage": {"prompt_tokens": 3}}),
            DONE,
        ],
    )
    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.usage.input_tokens == 3
    assert finish.usage.output_tokens is None


def test_no_usage_anywhere_gives_all_none() -> None:
    finish = run_sse(PROTOCOL, GENERIC, [chunk({"content": "a"}, "stop"), DONE])[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.usage.input_tokens is None
    assert finish.usage.total_tokens is None
    assert finish.usage.raw is None


def test_done_without_finish_reason_is_other() -> None:
    finish = run_sse(PROTOCOL, GENERIC, [chunk({"content": "a"}), DONE])[-1]
    assert isinstance(finish, FinishEvent)
    assert (finish.finish_reason, finish.raw_finish_reason) == ("other", None)


def test_events_after_done_are_ignored() -> None:
    events = run_sse(
        PROTOCOL, GENERIC, [chunk({"content": "a"}, "stop"), DONE, chunk({"content": "b"})]
    )
    assert joined(events, "text_delta") == "a"


def test_state_is_a_slotted_stream_state() -> None:
    state = PROTOCOL.new_state(GENERIC)
    assert isinstance(state, OpenAIChatState)
    assert not hasattr(state, "__dict__")
    assert PROTOCOL.name == "openai-chat"
    assert PROTOCOL.metadata_key == "openai"


def test_mistral_thinking_content_parts() -> None:
    """Magistral streams ``delta.content`` as a list of ``thinking`` and ``text`` parts."""
    thinking = {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]}
    events = run_sse(
        PROTOCOL,
        GENERIC,
        [
            chunk({"content": [thinking]}),
            chunk({"content": [{"type": "text", "text": "42"}]}),
            chunk({"content": "!"}, "stop"),
            DONE,
        ],
    )
    check_conformance(events)
    assert joined(events, "reasoning_delta") == "hmm"
    assert joined(events, "text_delta") == "42!"
    assert kinds(events)[1:4] == ["reasoning_start", "reasoning_delta", "reasoning_end"]


def test_duplicate_tool_call_ids_stay_distinct_blocks() -> None:
    entries = [
        {"index": 0, "id": "same", "function": {"name": "a", "arguments": "{}"}},
        {"index": 1, "id": "same", "function": {"name": "b", "arguments": "{}"}},
    ]
    events = run_sse(PROTOCOL, GENERIC, [chunk({"tool_calls": entries}, "tool_calls"), DONE])
    check_conformance(events)
    assert [(c.tool_call_id, c.tool_name) for c in tool_calls(events)] == [
        ("same", "a"),
        ("call_1", "b"),
    ]
