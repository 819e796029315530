"""The anthropic-messages serving codec's responses: every recorded stream of every protocol,
read with its own protocol, encoded as an Anthropic stream (and as a ``Message`` body), then read
back by llmkit's anthropic-messages reader and by the official ``anthropic`` SDK, whose
``get_final_message()`` accumulator checks the event order. What must survive, and the drop
rules, are those of ``llmkit/protocols/anthropic_messages/serve.py``."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import fixture_util
import pytest

from llmkit.errors import LLMKitError, StreamError
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.anthropic_messages.serve import Codec
from llmkit.protocols.base import run_sse
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import StreamEvent, StreamStartEvent
from server._serving_helpers import (
    PROTOCOLS,
    USAGE_FIELDS,
    anthropic_replying,
    encode_with,
    read_recorded,
    recorded,
)

CODEC = Codec()
READER = AnthropicMessagesProtocol()
ANTHROPIC = ProviderConfig(
    id="anthropic-gw", protocol="anthropic-messages", base_url="https://gw.invalid/v1"
)
ENTRIES = recorded("sse")

# unified finish reason → Anthropic stop_reason (Anthropic API reference, "Handling stop reasons")
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
STOP["content_filter"] = "refusal"
ANTHROPIC_RAW = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
}


def read_source(entry: dict[str, Any]) -> tuple[list[StreamEvent], LLMKitError | None]:
    """The fixture's events with its own protocol, and the error it ends with (if any)."""
    return read_recorded(entry)


def encode_stream(events: list[StreamEvent], error: LLMKitError | None = None) -> bytes:
    return encode_with(CODEC.stream_encoder("claude-gw"), [StreamStartEvent(), *events], error)


def summary(events: list[StreamEvent]) -> dict[str, Any]:
    """What must survive the trip (client tool calls only; reasoning per block)."""
    finish = next(e for e in events if e.type == "finish")
    reasoning: list[tuple[str, str | None, str | None]] = []
    pieces: dict[str, list[str]] = {}
    for e in events:
        if e.type == "reasoning_start":
            pieces[e.id] = []
        elif e.type == "reasoning_delta":
            pieces[e.id].append(e.delta)
        elif e.type == "reasoning_end":
            text = "" if e.redacted_data is not None else "".join(pieces[e.id])
            reasoning.append((text, e.signature or None, e.redacted_data))
    return {
        "text": "".join(e.delta for e in events if e.type == "text_delta"),
        "reasoning": reasoning,
        "tool_calls": [
            (e.tool_call_id, e.tool_name, dict(e.args))
            for e in events
            if e.type == "tool_call" and not e.provider_executed
        ],
        "finish_reason": finish.finish_reason,
        "usage": finish.usage,
    }


def expected_after_trip(original: dict[str, Any], raw: str | None) -> dict[str, Any]:
    """The original summary with the documented drop rules applied."""
    usage = original["usage"]
    inp = usage.input_tokens if usage.input_tokens is not None else 0  # required: 0
    out = usage.output_tokens if usage.output_tokens is not None else 0
    finish = original["finish_reason"]
    if finish in ("error", "other") and not (raw in ANTHROPIC_RAW and ANTHROPIC_RAW[raw] == finish):
        finish = "stop"  # no Anthropic stop_reason for these: end_turn
    return {
        **original,
        "finish_reason": finish,
        "usage": {
            "input_tokens": inp,
            "output_tokens": out,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "reasoning_tokens": None,  # Anthropic usage has no unified place llmkit reads
            "total_tokens": inp + out,
        },
    }


def usage_dict(summary_: dict[str, Any]) -> dict[str, Any]:
    u = summary_["usage"]
    return {
        **summary_,
        "usage": {k: getattr(u, k) for k in USAGE_FIELDS},
    }


def sdk_client(body: bytes, content_type: str) -> anthropic.Anthropic:
    return anthropic_replying(body, content_type)


def sdk_summary(message: Any) -> dict[str, Any]:
    reasoning = []
    for b in message.content:
        if b.type == "thinking":
            reasoning.append((b.thinking, b.signature or None, None))
        elif b.type == "redacted_thinking":
            reasoning.append(("", None, b.data))
    return {
        "text": "".join(b.text for b in message.content if b.type == "text"),
        "reasoning": reasoning,
        "tool_calls": [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"],
    }


def sdk_usage(message: Any) -> dict[str, Any]:
    u = message.usage
    return {
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_read_input_tokens": u.cache_read_input_tokens,
        "cache_creation_input_tokens": u.cache_creation_input_tokens,
    }


def expected_sdk_usage(original: dict[str, Any]) -> dict[str, Any]:
    u = original["usage"]
    read, write = u.cache_read_tokens, u.cache_write_tokens
    inp = (u.input_tokens - (read or 0) - (write or 0)) if u.input_tokens is not None else 0
    return {
        "input_tokens": inp,
        "output_tokens": u.output_tokens if u.output_tokens is not None else 0,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
    }


def expected_stop_reason(events: list[StreamEvent]) -> str:
    finish = next(e for e in events if e.type == "finish")
    raw = finish.raw_finish_reason
    if raw in ANTHROPIC_RAW and ANTHROPIC_RAW[raw] == finish.finish_reason:
        return raw
    return STOP.get(finish.finish_reason, "end_turn")


def keep(entry: dict[str, Any]) -> bool:
    return read_source(entry)[1] is None


OK_ENTRIES = [e for e in ENTRIES if keep(e)]
ERROR_ENTRIES = [e for e in ENTRIES if not keep(e)]


def test_every_protocol_has_fixtures() -> None:
    assert {e["protocol"] for e in OK_ENTRIES} == set(PROTOCOLS)
    assert len(OK_ENTRIES) > 100


@pytest.mark.parametrize("entry", OK_ENTRIES, ids=fixture_util.fixture_id)
def test_stream_round_trip_llmkit_reader(entry: dict[str, Any]) -> None:
    events, _ = read_source(entry)
    data = encode_stream(events)
    back = run_sse(READER, ANTHROPIC, fixture_util.decode_sse(data))
    finish = next(e for e in events if e.type == "finish")
    expected = expected_after_trip(summary(events), finish.raw_finish_reason)
    assert usage_dict(summary(back)) == expected
    if entry["protocol"] == "anthropic-messages":
        back_finish = next(e for e in back if e.type == "finish")
        assert back_finish.raw_finish_reason == finish.raw_finish_reason
        assert back_finish.provider_metadata == finish.provider_metadata


@pytest.mark.version_independent  # sampled on the other Pythons (tests/conftest.py)
@pytest.mark.parametrize("entry", OK_ENTRIES, ids=fixture_util.fixture_id)
def test_stream_round_trip_official_sdk(entry: dict[str, Any]) -> None:
    events, _ = read_source(entry)
    original = summary(events)
    with (
        sdk_client(encode_stream(events), "text/event-stream") as client,
        client.messages.stream(
            model="m", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        message = stream.get_final_message()
    assert sdk_summary(message) == {k: original[k] for k in ("text", "reasoning", "tool_calls")}
    assert message.stop_reason == expected_stop_reason(events)
    assert sdk_usage(message) == expected_sdk_usage(original)
    assert message.model == "claude-gw"


@pytest.mark.parametrize("entry", OK_ENTRIES, ids=fixture_util.fixture_id)
def test_message_body_round_trip(entry: dict[str, Any]) -> None:
    events, _ = read_source(entry)
    original = summary(events)
    body = CODEC.encode_response(events, "claude-gw")
    with sdk_client(body, "application/json") as client:
        message = client.messages.create(
            model="m", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        )
    assert sdk_summary(message) == {k: original[k] for k in ("text", "reasoning", "tool_calls")}
    assert message.stop_reason == expected_stop_reason(events)
    assert sdk_usage(message) == expected_sdk_usage(original)
    back = READER.parse_response(body, ANTHROPIC)
    finish = next(e for e in events if e.type == "finish")
    expected = expected_after_trip(original, finish.raw_finish_reason)
    assert usage_dict(summary(back)) == expected


def test_stream_is_compact_and_ordered() -> None:
    entry = next(e for e in OK_ENTRIES if "block:thinking" in e["features"])
    events, _ = read_source(entry)
    data = encode_stream(events).decode()
    frames = [f for f in data.split("\n\n") if f]
    names = [f.split("\n")[0].removeprefix("event: ") for f in frames]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    for frame in frames:
        event_line, data_line = frame.split("\n")
        payload = json.loads(data_line.removeprefix("data: "))
        assert payload["type"] == event_line.removeprefix("event: ")
        compact = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        assert data_line == f"data: {compact}"
    assert "signature_delta" in data


@pytest.mark.parametrize("entry", ERROR_ENTRIES, ids=fixture_util.fixture_id)
def test_in_band_error_round_trip(entry: dict[str, Any]) -> None:
    events, error = read_source(entry)
    assert error is not None
    data = encode_stream(events, error)
    assert b"event: error\n" in data
    state = READER.new_state(ANTHROPIC)
    back: list[StreamEvent] = []
    with pytest.raises(StreamError) as caught:
        for sse in fixture_util.decode_sse(data):
            back.extend(READER.parse_event(state, sse))
    text = "".join(e.delta for e in events if e.type == "text_delta")
    assert "".join(e.delta for e in back if e.type == "text_delta") == text
    assert caught.value.error_type is not None
    with (
        sdk_client(data, "text/event-stream") as client,
        pytest.raises(anthropic.APIStatusError),
        client.messages.stream(
            model="m", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        stream.get_final_message()
