"""The openai-responses serving codec's output, read back: every recorded stream (and body) of
every protocol is parsed with its own reader, encoded as a Responses event stream / response
object, and read again by llmkit's openai-responses reader and by the official ``openai`` SDK
(``client.responses.create(stream=True)`` iteration, ``client.responses.stream(...)``'s final
response, and ``client.responses.create()`` non-streamed); all must give the original text,
reasoning, tool calls, status and usage, modulo the drop rules of
``llmkit.protocols.openai_responses.serve``."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import openai
import pytest
from hypothesis import given, settings

from llmkit.errors import (
    APIError,
    InBandRateLimitError,
    LLMKitError,
    RateLimitError,
    StreamError,
)
from llmkit.protocols.base import run_sse
from llmkit.protocols.openai_responses import OpenAIResponsesProtocol
from llmkit.protocols.openai_responses.serve import Codec
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
READER = OpenAIResponsesProtocol()
GATEWAY = ProviderConfig(id="gateway", protocol="openai-responses", base_url="http://127.0.0.1/v1")
STREAMS = recorded("sse")
BODIES = recorded("json")


def test_every_protocol_has_fixtures() -> None:
    for name in PROTOCOLS:
        assert any(e["protocol"] == name for e in STREAMS), name
    assert len(STREAMS) >= 120
    assert get_codec("openai-responses").__class__ is Codec


# ------------------------------------------------------------------ reading the originals
def read_original(entry: dict[str, Any]) -> tuple[list[StreamEvent], LLMKitError | None]:
    """The fixture through its own protocol's reader (events before an error are kept)."""
    return read_recorded(entry)


def _finish(events: list[StreamEvent]) -> FinishEvent | None:
    finishes = [e for e in events if isinstance(e, FinishEvent)]
    return finishes[-1] if finishes else None


def expected_status(events: list[StreamEvent]) -> tuple[str, str | None]:
    """The drop rule for finish reasons, written out independently of the codec."""
    finish = _finish(events)
    reason = finish.finish_reason if finish else "stop"
    if reason == "length":
        return "incomplete", "max_output_tokens"
    if reason == "content_filter":
        return "incomplete", "content_filter"
    return "completed", None


def expected_unified_finish(events: list[StreamEvent]) -> str:
    status, reason = expected_status(events)
    if status == "incomplete":
        return "length" if reason == "max_output_tokens" else "content_filter"
    return "tool_calls" if client_calls(events) else "stop"


def expected_usage(events: list[StreamEvent]) -> dict[str, int | None]:
    """The usage drop rule: nothing reported → no usage; else required counts 0 when unknown."""
    finish = _finish(events)
    u = finish.usage if finish else Usage()
    if u.input_tokens is None and u.output_tokens is None and u.total_tokens is None:
        return dict.fromkeys(USAGE_FIELDS)
    inp, out = u.input_tokens or 0, u.output_tokens or 0
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_read_tokens": u.cache_read_tokens or 0,
        "cache_write_tokens": u.cache_write_tokens,
        "reasoning_tokens": u.reasoning_tokens or 0,
        "total_tokens": u.total_tokens if u.total_tokens is not None else inp + out,
    }


def expected(events: list[StreamEvent]) -> dict[str, Any]:
    return {
        "text": "".join(e.delta for e in events if isinstance(e, TextDeltaEvent)),
        "reasoning": "".join(e.delta for e in events if isinstance(e, ReasoningDeltaEvent)),
        "calls": [(c.tool_call_id, c.tool_name, dict(c.args)) for c in client_calls(events)],
        "finish": expected_unified_finish(events),
        "usage": expected_usage(events),
    }


def summary(events: list[StreamEvent]) -> dict[str, Any]:
    """The same from what llmkit's openai-responses reader read back."""
    finish = _finish(events)
    assert finish is not None
    u = finish.usage
    return {
        "text": "".join(e.delta for e in events if isinstance(e, TextDeltaEvent)),
        "reasoning": "".join(e.delta for e in events if isinstance(e, ReasoningDeltaEvent)),
        "calls": [(c.tool_call_id, c.tool_name, dict(c.args)) for c in client_calls(events)],
        "finish": finish.finish_reason,
        "usage": {name: getattr(u, name) for name in USAGE_FIELDS},
    }


def encode_stream(events: list[StreamEvent], error: LLMKitError | None = None) -> bytes:
    return encode_with(CODEC.stream_encoder("gw-model"), [StreamStartEvent(), *events], error)


def reread(data: bytes) -> list[StreamEvent]:
    return run_sse(READER, GATEWAY, fixture_util.decode_sse(data))


# ------------------------------------------------------------------ the official SDK
def _sdk_usage(usage: Any) -> dict[str, int | None]:
    if usage is None:
        return dict.fromkeys(USAGE_FIELDS)
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.input_tokens_details.cached_tokens,
        "cache_write_tokens": getattr(usage.input_tokens_details, "cache_write_tokens", None),
        "reasoning_tokens": usage.output_tokens_details.reasoning_tokens,
        "total_tokens": usage.total_tokens,
    }


def _sdk_finish(response: Any) -> str:
    """The unified finish a reader derives from a response object (as llmkit's does)."""
    if response.status == "incomplete":
        reason = response.incomplete_details.reason
        return "length" if reason == "max_output_tokens" else "content_filter"
    assert response.status == "completed"
    calls = [item for item in response.output if item.type == "function_call"]
    return "tool_calls" if calls else "stop"


def sdk_response_summary(response: Any) -> dict[str, Any]:
    """What an application reads from a complete ``Response`` object."""
    assert response.object == "response"
    assert response.model == "gw-model"
    texts: list[str] = []
    reasoning: list[str] = []
    calls = []
    for item in response.output:
        if item.type == "message":
            texts += [part.text for part in item.content if part.type == "output_text"]
        elif item.type == "reasoning":
            reasoning += [part.text for part in item.summary]
        elif item.type == "function_call":
            calls.append((item.call_id, item.name, json.loads(item.arguments)))
    return {
        "text": "".join(texts),
        "reasoning": "".join(reasoning),
        "calls": calls,
        "finish": _sdk_finish(response),
        "usage": _sdk_usage(response.usage),
    }


async def sdk_stream(data: bytes) -> dict[str, Any]:
    """``client.responses.create(stream=True)``: accumulate the events as an application does
    (deltas for text and reasoning, done items for calls, the terminal event's response)."""
    text: list[str] = []
    reasoning: list[str] = []
    calls = []
    final: Any = None
    sequence: list[int] = []
    async with async_openai(data, "text/event-stream") as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async for event in stream:
            sequence.append(event.sequence_number)
            if event.type == "response.output_text.delta":
                text.append(event.delta)
            elif event.type == "response.reasoning_summary_text.delta":
                reasoning.append(event.delta)
            elif event.type == "response.output_item.done" and event.item.type == "function_call":
                item = event.item
                calls.append((item.call_id, item.name, json.loads(item.arguments)))
            elif event.type in ("response.completed", "response.incomplete"):
                final = event.response
    assert sequence == list(range(len(sequence)))  # one more per event, from 0
    assert final is not None
    return {
        "text": "".join(text),
        "reasoning": "".join(reasoning),
        "calls": calls,
        "finish": _sdk_finish(final),
        "usage": _sdk_usage(final.usage),
    }


async def sdk_stream_helper(data: bytes) -> dict[str, Any]:
    """``client.responses.stream(...)``: the SDK's own accumulator checks the event order
    (items announced before their deltas, ids kept); its final response for a completed
    answer, the ``response.incomplete`` event's response otherwise."""
    incomplete: Any = None
    async with (
        async_openai(data, "text/event-stream") as client,
        client.responses.stream(model="m", input="hi") as stream,
    ):
        async for event in stream:
            if event.type == "response.incomplete":
                incomplete = event.response
        if incomplete is not None:
            return sdk_response_summary(incomplete)
        return sdk_response_summary(await stream.get_final_response())


# ------------------------------------------------------------------ streams
@pytest.mark.parametrize("entry", STREAMS, ids=fixture_util.fixture_id)
def test_stream_round_trip_llmkit_reader(entry: dict[str, Any]) -> None:
    events, error = read_original(entry)
    data = encode_stream(events, error)
    if error is not None:
        with pytest.raises(StreamError) as info:
            reread(data)
        assert isinstance(error, APIError)
        assert error.message in str(info.value)
        return
    assert summary(reread(data)) == expected(events)


@pytest.mark.version_independent  # sampled on the other Pythons (tests/conftest.py)
@pytest.mark.parametrize("entry", STREAMS, ids=fixture_util.fixture_id)
async def test_stream_round_trip_openai_sdk(entry: dict[str, Any]) -> None:
    events, error = read_original(entry)
    data = encode_stream(events, error)
    if error is not None:
        with pytest.raises(openai.APIError) as info:
            await sdk_stream(data)
        assert isinstance(error, APIError)
        assert error.message in str(info.value)
        return
    assert await sdk_stream(data) == expected(events)
    assert await sdk_stream_helper(data) == expected(events)


def _sses(data: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    return [(s.event, json.loads(s.data)) for s in fixture_util.decode_sse(data)]


def test_stream_shape() -> None:
    """Event by event what OpenAI sends for a short text answer."""
    encoder = CODEC.stream_encoder("gpt-x")
    events: list[StreamEvent] = [
        StreamStartEvent(),
        TextStartEvent("t"),
        TextDeltaEvent("t", "Hi"),
        TextDeltaEvent("t", " there"),
        TextEndEvent("t"),
        FinishEvent("stop", "end_turn", Usage(3, 4)),
    ]
    data = b"".join(encoder.encode(e) for e in events) + encoder.end()
    assert encoder.content_type == "text/event-stream"
    assert encoder.headers() == {}
    sses = _sses(data)
    assert all(name == payload["type"] for name, payload in sses)
    assert [p["sequence_number"] for _, p in sses] == list(range(len(sses)))
    assert [name for name, _ in sses] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    created = sses[0][1]["response"]
    assert created["id"].startswith("resp_")
    assert created["status"] == "in_progress" and created["output"] == []
    item_id = sses[2][1]["item"]["id"]
    assert item_id.startswith("msg_")
    delta = sses[4][1]
    assert delta["item_id"] == item_id
    assert delta["output_index"] == 0 and delta["content_index"] == 0
    assert delta["delta"] == "Hi"
    assert sses[6][1]["text"] == "Hi there"
    final = sses[-1][1]["response"]
    assert final["id"] == created["id"]
    assert final["status"] == "completed"
    assert final["output"] == [
        {
            "id": item_id,
            "type": "message",
            "status": "completed",
            "content": [
                {"type": "output_text", "annotations": [], "logprobs": [], "text": "Hi there"}
            ],
            "role": "assistant",
        }
    ]
    assert final["usage"] == {
        "input_tokens": 3,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 4,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 7,
    }


def test_reasoning_and_function_call_shape() -> None:
    events: list[StreamEvent] = [
        ReasoningStartEvent("rs_up"),
        ReasoningDeltaEvent("rs_up", "think"),
        ReasoningEndEvent("rs_up", provider_metadata={"openai": {"encrypted_content": "enc"}}),
        ToolInputStartEvent("call_1", "f"),
        ToolInputDeltaEvent("call_1", '{"a":'),
        ToolInputDeltaEvent("call_1", "1}"),
        ToolInputEndEvent("call_1"),
        ToolCallEvent("call_1", "f", {"a": 1}, '{"a":1}'),
        FinishEvent("tool_calls", "tool_use", Usage(1, 2, reasoning_tokens=1)),
    ]
    sses = _sses(encode_stream(events))
    names = [name for name, _ in sses]
    assert names[2:] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    reasoning = sses[7][1]["item"]
    assert reasoning == {
        "id": "rs_up",  # an OpenAI Responses upstream's item id is kept
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "think"}],
        "encrypted_content": "enc",
    }
    call = sses[12][1]["item"]
    assert call["id"].startswith("fc_") and call["call_id"] == "call_1"
    assert call["arguments"] == '{"a":1}' and call["status"] == "completed"
    assert sses[8][1]["item"]["arguments"] == ""
    back = reread(encode_stream(events))
    end = next(e for e in back if isinstance(e, ReasoningEndEvent))
    assert end.provider_metadata == {
        "openai": {"item_id": "rs_up", "encrypted_content": "enc", "summary": ["think"]}
    }


def test_empty_answer_still_completes() -> None:
    encoder = CODEC.stream_encoder("m")
    data = encoder.encode(StreamStartEvent()) + encoder.end()
    names = [name for name, _ in _sses(data)]
    assert names == ["response.created", "response.in_progress", "response.completed"]
    assert _sses(data)[-1][1]["response"]["usage"] is None  # nothing reported: no zeros


def test_incomplete_for_length() -> None:
    events: list[StreamEvent] = [
        TextDeltaEvent("t", "cut"),
        FinishEvent("length", "max_tokens", Usage(2, 5)),
    ]
    sses = _sses(encode_stream(events))
    assert sses[-1][0] == "response.incomplete"
    final = sses[-1][1]["response"]
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert summary(reread(encode_stream(events)))["finish"] == "length"


def test_dropped_events_and_provider_executed_calls() -> None:
    events: list[StreamEvent] = [
        ReasoningStartEvent("r", redacted_data="opaque"),
        ReasoningEndEvent("r", signature="sig", redacted_data="opaque"),
        ReasoningStartEvent("th"),
        ReasoningDeltaEvent("th", "claude thinks"),
        ReasoningEndEvent("th", signature="anthropic-signature"),
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
    for dropped in (b"web_search", b"opaque", b"anthropic-signature", b"encrypted_content"):
        assert dropped not in data
    back = summary(reread(data))
    assert back["text"] == "done" and back["reasoning"] == "claude thinks"
    assert back["finish"] == "stop"  # no client tool call left
    assert _sses(data)[-1][1]["response"]["usage"] is None


def test_tool_call_without_streamed_input_gets_its_arguments() -> None:
    data = encode_stream(UNSTREAMED_CALL)
    assert summary(reread(data))["calls"] == [("call_a", "f", {"x": 1}), ("call_b", "g", {})]
    final = _sses(data)[-1][1]["response"]
    assert [item["arguments"] for item in final["output"]] == ['{"x":1}', "{}"]


def test_refusal_round_trips() -> None:
    events = REFUSAL
    data = encode_stream(events)
    finish = reread(data)[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.provider_metadata == {"openai": {"refusal": "No."}}
    assert finish.finish_reason == "content_filter"
    final = _sses(data)[-1][1]["response"]
    assert final["output"][0]["content"] == [{"type": "refusal", "refusal": "No."}]
    unserved = READER.parse_response(CODEC.encode_response(events, "m"), GATEWAY)[-1]
    assert isinstance(unserved, FinishEvent)
    assert unserved.provider_metadata == {"openai": {"refusal": "No."}}


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
    sses = _sses(data)
    assert [name for name, _ in sses[-2:]] == ["error", "response.failed"]
    assert sses[-2][1]["error"] == {
        "type": "rate_limit_error",
        "code": "rate_limit_exceeded",
        "message": "slow down",
        "param": None,
    }
    failed = sses[-1][1]["response"]
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "rate_limit_exceeded", "message": "slow down"}
    assert failed["output"][0]["content"] == []  # the output so far
    assert [p["sequence_number"] for _, p in sses] == list(range(len(sses)))


# ------------------------------------------------------------------ any chunking
@settings(max_examples=60, deadline=None)
@given(text=PIECES, reasoning=PIECES, calls=CALLS)
def test_any_split_round_trips(
    text: list[str], reasoning: list[str], calls: list[tuple[dict[str, Any], int]]
) -> None:
    events = split_events(text, reasoning, calls)
    assert summary(reread(encode_stream(events))) == expected(events)
    body = CODEC.encode_response(events, "gw-model")
    assert summary(READER.parse_response(body, GATEWAY)) == expected(events)


# ------------------------------------------------------------------ non-streamed bodies
async def sdk_body(body: bytes) -> dict[str, Any]:
    async with async_openai(body, "application/json") as client:
        response = await client.responses.create(model="m", input="hi")
    return sdk_response_summary(response)


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
    assert await sdk_body(body) == expected(events)
