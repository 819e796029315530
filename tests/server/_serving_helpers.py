"""What the serving-codec tests share: the recorded fixtures of every protocol, reading one with
its own protocol's reader, encoding events with a codec's stream encoder, official SDK clients
that talk to a canned response (httpx ``MockTransport``), request constants, and the event
sequences and hypothesis strategies of the round-trip tests.

Nothing here asserts: each test file keeps its own expectations.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any

import anthropic
import fixture_util
import httpx2
import openai
from hypothesis import strategies as st

from llmkit.errors import LLMKitError
from llmkit.protocols.registry import get_protocol
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    StreamEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolCallEvent,
    ToolInputDeltaEvent,
    ToolInputEndEvent,
    ToolInputStartEvent,
)
from llmkit.types.usage import Usage

# ------------------------------------------------------------------ recorded fixtures
PROTOCOLS = ("openai-chat", "anthropic-messages", "google-generative", "openai-responses")
"""Every protocol with recorded fixtures (each is read and served again by every codec)."""

USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
)
"""The unified usage counts, in the order the summaries list them."""


def recorded(kind: str, protocols: Iterable[str] = PROTOCOLS) -> list[dict[str, Any]]:
    """Every recorded fixture entry of ``kind`` (``"sse"`` streams, ``"json"`` bodies)."""
    return [e for name in protocols for e in fixture_util.entries(name, kind)]


def read_recorded(
    entry: dict[str, Any], catch: type[LLMKitError] = LLMKitError
) -> tuple[list[StreamEvent], Any]:
    """A recorded stream through its own protocol's reader: its events (those before an error
    are kept) and the error of type ``catch`` it ends with, or None."""
    protocol = get_protocol(entry["protocol"])
    provider = fixture_util.provider_for(entry)
    state = protocol.new_state(provider)
    out: list[StreamEvent] = []
    try:
        for sse in fixture_util.decode_sse(fixture_util.body(entry)):
            out.extend(protocol.parse_event(state, sse))
        out.extend(protocol.finish(state))
    except catch as exc:
        return out, exc
    return out, None


def read_recorded_body(entry: dict[str, Any]) -> list[StreamEvent]:
    """A recorded non-streamed body through its own protocol's reader."""
    protocol = get_protocol(entry["protocol"])
    return protocol.parse_response(fixture_util.body(entry), fixture_util.provider_for(entry))


def client_calls(events: Iterable[StreamEvent]) -> list[ToolCallEvent]:
    """The tool calls a client runs (provider-executed ones left out)."""
    return [e for e in events if isinstance(e, ToolCallEvent) and not e.provider_executed]


def encode_with(encoder: Any, events: Iterable[StreamEvent], error: Any = None) -> bytes:
    """Every event through a codec's stream encoder, then its ``error(error)`` or ``end()``."""
    out = [encoder.encode(e) for e in events]
    out.append(encoder.error(error) if error is not None else encoder.end())
    return b"".join(out)


# ------------------------------------------------------------------ official SDK clients
def replying(
    body: bytes, content_type: str | None = None, status: int = 200
) -> Callable[[httpx2.Request], httpx2.Response]:
    """An httpx2 ``MockTransport`` handler answering every request with ``status`` and ``body``
    (with that ``content-type`` when given)."""
    headers = {"content-type": content_type} if content_type else {}

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers=headers, content=body)

    return handler


def openai_client(handler: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
    """An OpenAI client whose requests go to ``handler``."""
    return openai.OpenAI(
        base_url="http://127.0.0.1/v1",
        api_key="x",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def async_openai(body: bytes, content_type: str) -> openai.AsyncOpenAI:
    """An async OpenAI client whose every request gets ``body`` back."""
    return openai.AsyncOpenAI(
        base_url="http://127.0.0.1/v1",
        api_key="x",
        max_retries=0,
        http_client=httpx2.AsyncClient(
            transport=httpx2.MockTransport(replying(body, content_type))
        ),
    )


def openai_request(
    create: Callable[[openai.OpenAI], Any], *, stream: bool, stream_body: bytes, body: bytes
) -> bytes:
    """The body the official OpenAI SDK sends for ``create(client)``; the answer is
    ``stream_body`` (an event stream, read to its end) when ``stream``, else ``body``."""
    captured: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        captured.append(request.content)
        if stream:
            return httpx2.Response(
                200, headers={"content-type": "text/event-stream"}, content=stream_body
            )
        return httpx2.Response(200, content=body)

    with openai_client(handler) as client:
        result = create(client)
        if stream:
            list(result)
    return captured[0]


def anthropic_client(handler: Callable[[httpx2.Request], httpx2.Response]) -> anthropic.Anthropic:
    """An Anthropic client whose requests go to ``handler``."""
    return anthropic.Anthropic(
        base_url="http://127.0.0.1:9",
        api_key="x",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def anthropic_replying(body: bytes, content_type: str, status: int = 200) -> anthropic.Anthropic:
    """An Anthropic client whose every request gets ``status`` and ``body`` back."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers={"content-type": content_type}, content=body)

    return anthropic_client(handler)


# ------------------------------------------------------------------ request constants
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
    "additionalProperties": False,
}

# ------------------------------------------------------------------ event sequences
SURROGATE_TEXT: list[StreamEvent] = [
    TextStartEvent("t"),
    TextDeltaEvent("t", "a\ud83db"),
    TextEndEvent("t"),
    FinishEvent("stop", "stop", Usage()),
]
"""A text with a lone surrogate (which upstream JSON may carry): must stay valid UTF-8."""

UNSTREAMED_CALL: list[StreamEvent] = [
    ToolCallEvent("call_a", "f", {"x": 1}, '{"x":1}'),
    ToolInputStartEvent("call_b", "g"),
    ToolInputEndEvent("call_b"),
    ToolCallEvent("call_b", "g", {}, ""),
    FinishEvent("tool_calls", "tool_calls", Usage(1, 1)),
]
"""A call whose input never streamed, and one with empty arguments."""

REFUSAL: list[StreamEvent] = [
    FinishEvent("content_filter", "content_filter", Usage(1, 1), {"openai": {"refusal": "No."}})
]
"""An OpenAI refusal, as llmkit's OpenAI readers report it."""

PIECES = st.lists(st.text(min_size=1, max_size=8), max_size=6)
"""Any split of a text into deltas."""

CALLS = st.lists(
    st.tuples(
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
        st.integers(min_value=1, max_value=7),
    ),
    max_size=3,
)
"""Tool calls: (arguments, the size of their streamed pieces)."""


def split_events(
    text: list[str], reasoning: list[str], calls: list[tuple[dict[str, Any], int]]
) -> list[StreamEvent]:
    """A reasoning block, a text block and tool calls streamed in the given pieces (arguments
    JSON alternately ASCII-escaped or not), then a finish with usage."""
    events: list[StreamEvent] = []
    if reasoning:
        events += [ReasoningStartEvent("r")]
        events += [ReasoningDeltaEvent("r", p) for p in reasoning]
        events += [ReasoningEndEvent("r")]
    if text:
        events += [TextStartEvent("t"), *(TextDeltaEvent("t", p) for p in text), TextEndEvent("t")]
    for n, (args, size) in enumerate(calls):
        args_json = json.dumps(args, ensure_ascii=n % 2 == 0)
        call_id = f"call_{n}"
        events.append(ToolInputStartEvent(call_id, f"tool_{n}"))
        events += [
            ToolInputDeltaEvent(call_id, args_json[i : i + size])
            for i in range(0, len(args_json), size)
        ]
        events += [ToolInputEndEvent(call_id), ToolCallEvent(call_id, f"tool_{n}", args, args_json)]
    events.append(FinishEvent("tool_calls" if calls else "stop", None, Usage(5, 6, 0, None, 2)))
    return events
