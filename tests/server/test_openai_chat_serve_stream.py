"""The openai-chat serving codec's output, read back: every recorded stream and body of every
protocol is parsed with its own reader, encoded as OpenAI chat completion chunks / bodies, and
read again by llmkit's openai-chat reader and by the official ``openai`` SDK; both must give
the original text, reasoning, tool calls, finish reason and usage (modulo the drop rules of
``llmkit.protocols.openai_chat.serve``)."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import openai
import pytest
from hypothesis import given, settings

from llmkit.errors import InBandRateLimitError, LLMKitError, RateLimitError, StreamError
from llmkit.protocols.base import run_sse
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.protocols.openai_chat.serve import Codec
from llmkit.protocols.serving import get_codec
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
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
from llmkit.types.usage import Usage
from server._serving_helpers import (
    CALLS,
    PIECES,
    PROTOCOLS,
    REFUSAL,
    SURROGATE_TEXT,
    UNSTREAMED_CALL,
    USAGE_FIELDS,
    async_openai,
    client_calls,
    encode_with,
    read_recorded,
    read_recorded_body,
    recorded,
    split_events,
)

CODEC = Codec()
READER = OpenAIChatProtocol()
GATEWAY = ProviderConfig(id="gateway", protocol="openai-chat", base_url="http://127.0.0.1/v1")
STREAMS = recorded("sse")
BODIES = recorded("json")
_UNIFIED = ("stop", "length", "tool_calls", "content_filter")


def test_every_protocol_has_fixtures() -> None:
    for name in PROTOCOLS:
        assert any(e["protocol"] == name for e in STREAMS), name
    assert len(STREAMS) >= 120
    assert get_codec("openai-chat").__class__ is Codec


# ------------------------------------------------------------------ reading the originals
def read_original(entry: dict[str, Any]) -> tuple[list[StreamEvent], StreamError | None]:
    """The fixture through its own protocol's reader (events before an error are kept)."""
    return read_recorded(entry, StreamError)


def expected_openai_finish(events: list[StreamEvent]) -> str:
    """The drop rule for finish reasons, written out independently of the codec."""
    finishes = [e for e in events if isinstance(e, FinishEvent)]
    unified = finishes[-1].finish_reason if finishes else "stop"
    has_calls = bool(client_calls(events))
    if unified not in _UNIFIED or unified == "stop":
        return "tool_calls" if has_calls else "stop"
    if unified == "tool_calls" and not has_calls:
        return "stop"
    return unified


def expected_usage(events: list[StreamEvent]) -> dict[str, int | None]:
    finishes = [e for e in events if isinstance(e, FinishEvent)]
    u = finishes[-1].usage if finishes else Usage()
    total = u.total_tokens
    if total is None and u.input_tokens is not None and u.output_tokens is not None:
        total = u.input_tokens + u.output_tokens
    if u.input_tokens is None and u.output_tokens is None and total is None:
        return dict.fromkeys(USAGE_FIELDS)
    return {
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_read_tokens": u.cache_read_tokens,
        "cache_write_tokens": u.cache_write_tokens,
        "reasoning_tokens": u.reasoning_tokens,
        "total_tokens": total,
    }


def expected(events: list[StreamEvent]) -> dict[str, Any]:
    finish = expected_openai_finish(events)
    return {
        "text": "".join(e.delta for e in events if isinstance(e, TextDeltaEvent)),
        "reasoning": "".join(e.delta for e in events if isinstance(e, ReasoningDeltaEvent)),
        "calls": [(c.tool_call_id, c.tool_name, dict(c.args)) for c in client_calls(events)],
        "finish": finish,
        # llmkit's reader: "stop" with tool calls is "tool_calls"; otherwise the same word
        "unified_finish": finish,
        "usage": expected_usage(events),
    }


def summary(events: list[StreamEvent]) -> dict[str, Any]:
    """The same from what llmkit's openai-chat reader read back."""
    finish = [e for e in events if isinstance(e, FinishEvent)][-1]
    u = finish.usage
    return {
        "text": "".join(e.delta for e in events if isinstance(e, TextDeltaEvent)),
        "reasoning": "".join(e.delta for e in events if isinstance(e, ReasoningDeltaEvent)),
        "calls": [(c.tool_call_id, c.tool_name, dict(c.args)) for c in client_calls(events)],
        "finish": finish.raw_finish_reason,
        "unified_finish": finish.finish_reason,
        "usage": {name: getattr(u, name) for name in USAGE_FIELDS},
    }


def encode_stream(events: list[StreamEvent], error: StreamError | None = None) -> bytes:
    return encode_with(CODEC.stream_encoder("gw-model"), events, error)


def reread(data: bytes) -> list[StreamEvent]:
    return run_sse(READER, GATEWAY, fixture_util.decode_sse(data))


# ------------------------------------------------------------------ the official SDK
async def sdk_stream(data: bytes) -> dict[str, Any]:
    """Accumulate a stream the way an application using the OpenAI SDK does."""
    text: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    finish: str | None = None
    usage: Any = None
    async with async_openai(data, "text/event-stream") as client:
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for chunk in stream:
            assert chunk.object == "chat.completion.chunk"
            assert chunk.model == "gw-model"
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                delta = choice.delta
                text.append(delta.content or "")
                reasoning.append(getattr(delta, "reasoning_content", None) or "")
                for call in delta.tool_calls or []:
                    slot = calls.setdefault(call.index, {"id": "", "name": "", "args": ""})
                    if call.id:
                        slot["id"] = call.id
                    if call.function and call.function.name:
                        slot["name"] = call.function.name
                    if call.function and call.function.arguments:
                        slot["args"] += call.function.arguments
                if choice.finish_reason is not None:
                    finish = choice.finish_reason
    return {
        "text": "".join(text),
        "reasoning": "".join(reasoning),
        "calls": [(c["id"], c["name"], json.loads(c["args"])) for _, c in sorted(calls.items())],
        "finish": finish,
        "usage": _sdk_usage(usage),
    }


def _sdk_usage(usage: Any) -> dict[str, int | None]:
    if usage is None:
        return dict.fromkeys(USAGE_FIELDS)
    prompt_details = usage.prompt_tokens_details
    completion_details = usage.completion_tokens_details
    return {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "cache_read_tokens": prompt_details.cached_tokens if prompt_details else None,
        "cache_write_tokens": getattr(usage, "cache_creation_input_tokens", None),
        "reasoning_tokens": completion_details.reasoning_tokens if completion_details else None,
        "total_tokens": usage.total_tokens,
    }


def _without_unified(want: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in want.items() if k != "unified_finish"}


# ------------------------------------------------------------------ streams
@pytest.mark.parametrize("entry", STREAMS, ids=fixture_util.fixture_id)
def test_stream_round_trip_llmkit_reader(entry: dict[str, Any]) -> None:
    events, error = read_original(entry)
    data = encode_stream(events, error)
    if error is not None:
        with pytest.raises(StreamError) as info:
            reread(data)
        assert error.message in str(info.value)
        return
    back = reread(data)
    assert summary(back) == expected(events)


@pytest.mark.version_independent  # sampled on the other Pythons (tests/conftest.py)
@pytest.mark.parametrize("entry", STREAMS, ids=fixture_util.fixture_id)
async def test_stream_round_trip_openai_sdk(entry: dict[str, Any]) -> None:
    events, error = read_original(entry)
    data = encode_stream(events, error)
    if error is not None:
        with pytest.raises(openai.APIError) as info:
            await sdk_stream(data)
        assert error.message in str(info.value)
        return
    assert await sdk_stream(data) == _without_unified(expected(events))


def test_stream_shape() -> None:
    """Field by field what OpenAI sends: role chunk first, finish chunk, usage chunk, [DONE]."""
    encoder = CODEC.stream_encoder("gpt-x")
    events: list[StreamEvent] = [
        StreamStartEvent(),
        TextStartEvent("t"),
        TextDeltaEvent("t", "Hi"),
        TextEndEvent("t"),
        FinishEvent("stop", "end_turn", Usage(3, 4)),
    ]
    data = b"".join(encoder.encode(e) for e in events) + encoder.end()
    assert encoder.content_type == "text/event-stream"
    assert encoder.headers() == {}
    sses = fixture_util.decode_sse(data)
    assert sses[-1].data == "[DONE]"
    chunks = [json.loads(s.data) for s in sses[:-1]]
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["id"].startswith("chatcmpl-")
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "gpt-x" for c in chunks)
    assert [c["choices"] for c in chunks] == [
        [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
          "finish_reason": None}],
        [{"index": 0, "delta": {"content": "Hi"}, "logprobs": None, "finish_reason": None}],
        [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
        [],
    ]  # fmt: skip
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


def test_usage_chunk_can_be_left_out() -> None:
    encoder = CODEC.stream_encoder("m", include_usage=False)
    data = encoder.encode(FinishEvent("stop", None, Usage(1, 2))) + encoder.end()
    assert b'"usage"' not in data
    assert b"[DONE]" in data


def test_empty_answer_still_has_role_chunk_and_done() -> None:
    encoder = CODEC.stream_encoder("m")
    data = encoder.encode(StreamStartEvent()) + encoder.end()
    sses = fixture_util.decode_sse(data)
    assert json.loads(sses[0].data)["choices"][0]["delta"]["role"] == "assistant"
    assert sses[-1].data == "[DONE]"


def test_dropped_events_and_provider_executed_calls() -> None:
    events: list[StreamEvent] = [
        ReasoningStartEvent("r", redacted_data="opaque"),
        ReasoningEndEvent("r", signature="sig", redacted_data="opaque"),
        ToolInputStartEvent("srv_1", "web_search", provider_executed=True),
        ToolInputDeltaEvent("srv_1", '{"q":"x"}'),
        ToolInputEndEvent("srv_1"),
        ToolCallEvent("srv_1", "web_search", {"q": "x"}, '{"q":"x"}', provider_executed=True),
        ToolResultEvent("srv_1", "web_search", {"hits": 1}, provider_executed=True),
        TextStartEvent("t"),
        TextDeltaEvent("t", "done"),
        TextEndEvent("t"),
        FinishEvent("tool_calls", "tool_use", Usage()),
    ]
    data = encode_stream(events)
    assert b"web_search" not in data and b"opaque" not in data and b"sig" not in data
    back = reread(data)
    assert summary(back)["text"] == "done"
    assert summary(back)["finish"] == "stop"  # no client tool call left
    assert b'"usage"' not in data  # nothing reported: no zeros invented


def test_tool_call_without_streamed_input_gets_its_arguments() -> None:
    data = encode_stream(UNSTREAMED_CALL)
    back = summary(reread(data))
    assert back["calls"] == [("call_a", "f", {"x": 1}), ("call_b", "g", {})]
    assert '"arguments":"{}"' in data.decode()


def test_refusal_round_trips() -> None:
    finish = reread(encode_stream(REFUSAL))[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.provider_metadata == {"openai": {"refusal": "No."}}
    assert finish.finish_reason == "content_filter"


def test_lone_surrogate_is_escaped_not_fatal() -> None:
    data = encode_stream(SURROGATE_TEXT)
    data.decode("utf-8")  # valid UTF-8
    assert summary(reread(data))["text"] == "a\ud83db"


def test_in_band_error_keeps_its_class() -> None:
    encoder = CODEC.stream_encoder("m")
    head = encoder.encode(TextDeltaEvent("t", "partial"))
    error = RateLimitError("slow down", status_code=429, error_code="rate_limit_exceeded")
    data = head + encoder.error(error)
    with pytest.raises(InBandRateLimitError) as info:
        reread(data)
    assert "slow down" in str(info.value)
    payload = json.loads(fixture_util.decode_sse(data)[-1].data)
    assert payload == {
        "error": {
            "message": "slow down",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }


# ------------------------------------------------------------------ any chunking
@settings(max_examples=60, deadline=None)
@given(text=PIECES, reasoning=PIECES, calls=CALLS)
def test_any_split_round_trips(
    text: list[str], reasoning: list[str], calls: list[tuple[dict[str, Any], int]]
) -> None:
    events = split_events(text, reasoning, calls)
    data = encode_stream(events)
    assert summary(reread(data)) == expected(events)
    assert json.loads(encode_body_and_read(events)) is not None


def encode_body_and_read(events: list[StreamEvent]) -> bytes:
    body = CODEC.encode_response(events, "gw-model")
    got = READER.parse_response(body, GATEWAY)
    assert summary(got) == expected(events)
    return body


# ------------------------------------------------------------------ non-streamed bodies
async def sdk_body(body: bytes) -> dict[str, Any]:
    async with async_openai(body, "application/json") as client:
        completion = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.object == "chat.completion"
    message = completion.choices[0].message
    return {
        "text": message.content or "",
        "reasoning": getattr(message, "reasoning_content", None) or "",
        "calls": [
            (c.id, c.function.name, json.loads(c.function.arguments))
            for c in message.tool_calls or []
            if c.type == "function"
        ],
        "finish": completion.choices[0].finish_reason,
        "usage": _sdk_usage(completion.usage),
    }


@pytest.mark.parametrize("entry", BODIES + STREAMS, ids=fixture_util.fixture_id)
async def test_body_round_trip(entry: dict[str, Any]) -> None:
    """Recorded bodies, and recorded streams folded into one body."""
    if entry["kind"] == "json":
        events = read_recorded_body(entry)
    else:
        events, error = read_original(entry)
        if error is not None:  # a failed stream has no complete body: it must fail typed
            assert isinstance(error, LLMKitError)
            return
    body = CODEC.encode_response(events, "gw-model")
    assert summary(READER.parse_response(body, GATEWAY)) == expected(events)
    assert await sdk_body(body) == _without_unified(expected(events))
