"""Anthropic Messages streams: every recorded fixture, conformance, and bad input."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import httpx
import pytest
from httpx_sse import EventSource, ServerSentEvent

from llmkit.errors import (
    InternalServerError,
    InvalidResponseError,
    OverloadedError,
    StreamError,
)
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.base import run_sse
from llmkit.types.events import (
    FinishEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    ResponseMetadataEvent,
    SourceEvent,
    StreamEvent,
    TextEndEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from protocols._anthropic_checks import (
    UNIFIED_FINISH,
    accumulate,
    check_conformance,
    expected_usage,
)

PROTOCOL = AnthropicMessagesProtocol()
SSE_ENTRIES = fixture_util.entries("anthropic-messages", "sse")
IDS = [fixture_util.fixture_id(e) for e in SSE_ENTRIES]


def run(entry: dict[str, Any]) -> list[StreamEvent]:
    provider = fixture_util.provider_for(entry)
    return run_sse(PROTOCOL, provider, fixture_util.decode_sse(fixture_util.body(entry)))


@pytest.mark.parametrize("entry", SSE_ENTRIES, ids=IDS)
def test_fixture_stream(entry: dict[str, Any]) -> None:
    expected = entry["expected"]
    events = run(entry)
    check_conformance(events)
    got = accumulate(events)

    assert got["text"] == (expected["text"] or "")
    assert got["reasoning"] == expected["reasoning"]
    assert got["tool_calls"] == expected["tool_calls"]
    assert got["server_tool_calls"] == expected.get("server_tool_calls", [])

    assert isinstance(events[0], ResponseMetadataEvent)
    assert events[0].response_id is not None
    assert events[0].response_id.startswith("msg_")
    assert events[0].model_id == entry["model"]

    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.raw_finish_reason == expected["finish_reason"]
    assert finish.finish_reason == UNIFIED_FINISH[expected["finish_reason"]]

    usage = finish.usage
    want = expected_usage(expected["usage"])
    got_usage = {key: getattr(usage, key) for key in want}
    assert got_usage == want
    assert usage.raw is not None
    for key, value in expected["usage"].items():
        assert usage.raw[key] == value


def test_every_fixture_was_found() -> None:
    assert len(SSE_ENTRIES) >= 28


@pytest.mark.parametrize(
    "entry",
    [e for e in SSE_ENTRIES if "signature-delta" in e["features"]],
    ids=lambda e: fixture_util.fixture_id(e),
)
def test_thinking_signature_on_reasoning_end(entry: dict[str, Any]) -> None:
    ends = [e for e in run(entry) if isinstance(e, ReasoningEndEvent)]
    assert len(ends) == entry["stream_stats"]["signature_deltas"]
    for end in ends:
        assert end.signature
        assert end.redacted_data is None


def test_redacted_thinking_carries_data() -> None:
    (entry,) = [e for e in SSE_ENTRIES if "redacted-thinking" in e["features"]]
    events = run(entry)
    starts = [e for e in events if isinstance(e, ReasoningStartEvent)]
    ends = [e for e in events if isinstance(e, ReasoningEndEvent)]
    assert len(ends) == entry["stream_stats"]["redacted_thinking_blocks"] == 2
    # The data is the block's `data` field, read straight from the recorded bytes.
    blocks = [
        json.loads(sse.data)["content_block"]
        for sse in fixture_util.decode_sse(fixture_util.body(entry))
        if sse.event == "content_block_start"
    ]
    datas = [b["data"] for b in blocks if b["type"] == "redacted_thinking"]
    assert [e.redacted_data for e in ends] == datas
    assert [e.redacted_data for e in starts] == datas
    assert all(e.signature is None for e in ends)


def _server_tool_entries() -> list[dict[str, Any]]:
    return [e for e in SSE_ENTRIES if "server-tool-use" in e["features"]]


@pytest.mark.parametrize("entry", _server_tool_entries(), ids=lambda e: fixture_util.fixture_id(e))
def test_server_tool_results_and_sources(entry: dict[str, Any]) -> None:
    events = run(entry)
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    server_ids = [c["id"] for c in entry["expected"]["server_tool_calls"]]
    assert [r.tool_call_id for r in results] == server_ids
    names = [c["name"] for c in entry["expected"]["server_tool_calls"]]
    assert [r.tool_name for r in results] == names
    assert all(r.provider_executed and not r.is_error for r in results)
    sources = [e for e in events if isinstance(e, SourceEvent)]
    assert sources
    assert len({s.id for s in sources}) == len(sources)
    assert all(s.source_type == "url" and s.url and s.url.startswith("http") for s in sources)
    # one source per citation plus one per search result / fetched page
    cited = [s for s in sources if s.cited_text]
    assert len(cited) == entry["stream_stats"].get("citations_deltas", 0)
    # citations are kept on the text block they belong to
    text_citations = [
        c
        for e in events
        if isinstance(e, TextEndEvent) and e.provider_metadata
        for c in e.provider_metadata["anthropic"]["citations"]  # type: ignore[attr-defined]
    ]
    assert len(text_citations) == len(cited)
    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.provider_metadata is not None
    assert "server_tool_use" in finish.provider_metadata["anthropic"]


def test_web_search_citation_source_fields() -> None:
    (entry,) = [
        e
        for e in SSE_ENTRIES
        if fixture_util.fixture_id(e).endswith("haiku45-web-search-citations")
    ]
    cited = [e for e in run(entry) if isinstance(e, SourceEvent) and e.cited_text]
    assert len(cited) == 1
    assert cited[0].url == "https://rpkg.net/package/ggplot2"
    assert cited[0].title is not None
    assert cited[0].title.startswith("ggplot2 R Package Stats")
    assert cited[0].cited_text is not None
    assert "1.0.0 (2014-05-21 15:36)" in cited[0].cited_text


def test_stop_sequence_in_provider_metadata() -> None:
    (entry,) = [e for e in SSE_ENTRIES if "finish:stop_sequence" in e["features"]]
    finish = run(entry)[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.provider_metadata is not None
    assert isinstance(finish.provider_metadata["anthropic"]["stop_sequence"], str)


def test_no_arg_tool_has_empty_args_and_no_delta() -> None:
    (entry,) = [e for e in SSE_ENTRIES if "tool-call-no-arguments" in e["features"]]
    events = run(entry)
    assert not [e for e in events if e.type == "tool_input_delta"]
    (call,) = [e for e in events if isinstance(e, ToolCallEvent)]
    assert call.args == {}
    assert call.args_json == ""


# ---------------------------------------------------------------------------- re-chunking
def _decode_chunked(data: bytes, size: int) -> list[ServerSentEvent]:
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=iter(chunks)
    )
    return list(EventSource(response).iter_sse())


@pytest.mark.parametrize("size", [1, 7, 613])
def test_any_chunking_gives_same_events(size: int) -> None:
    for entry in SSE_ENTRIES[:6] + _server_tool_entries():
        provider = fixture_util.provider_for(entry)
        data = fixture_util.body(entry)
        whole = run_sse(PROTOCOL, provider, fixture_util.decode_sse(data))
        assert run_sse(PROTOCOL, provider, _decode_chunked(data, size)) == whole


# ---------------------------------------------------------------------------- synthetic
def sse(data: object, event: str | None = None) -> ServerSentEvent:
    text = data if isinstance(data, str) else json.dumps(data)
    name = event or (data.get("type") if isinstance(data, dict) else "") or "message"
    return ServerSentEvent(event=name, data=text)


MESSAGE_START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "model": "claude-x",
        "usage": {"input_tokens": 5, "output_tokens": 1},
    },
}
TEXT_START = {
    "type": "content_block_start",
    "index": 0,
    "content_block": {"type": "text", "text": ""},
}
TEXT_DELTA = {
    "type": "content_block_delta",
    "index": 0,
    "delta": {"type": "text_delta", "text": "Hi"},
}


def feed(events: list[ServerSentEvent]) -> tuple[list[StreamEvent], BaseException | None]:
    """Drive the protocol like the result object does: keep events until an error."""
    provider = fixture_util.provider_for(
        {"provider": "anthropic", "protocol": "anthropic-messages"}
    )
    state = PROTOCOL.new_state(provider)
    out: list[StreamEvent] = []
    try:
        for item in events:
            out.extend(PROTOCOL.parse_event(state, item))
        out.extend(PROTOCOL.finish(state))
    except StreamError as exc:
        return out, exc
    return out, None


def test_malformed_json_event_raises_invalid_response_with_raw() -> None:
    bad = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"H'
    out, error = feed([sse(MESSAGE_START), sse(TEXT_START), sse(bad, "content_block_delta")])
    assert isinstance(error, InvalidResponseError)
    assert error.raw == bad
    assert [e.type for e in out] == ["response_metadata", "text_start"]


def test_wrong_shape_event_raises_invalid_response() -> None:
    bad = {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}}
    _, error = feed([sse(MESSAGE_START), sse(TEXT_START), sse(bad)])
    assert isinstance(error, InvalidResponseError)
    assert error.raw == json.dumps(bad)
    _, error = feed([sse("[1, 2]", "message_start")])
    assert isinstance(error, InvalidResponseError)


def test_truncated_stream_raises_stream_error() -> None:
    out, error = feed([sse(MESSAGE_START), sse(TEXT_START), sse(TEXT_DELTA)])
    assert type(error) is StreamError
    assert "message_stop" in str(error)
    assert "retry" in str(error)
    assert [e.type for e in out] == ["response_metadata", "text_start", "text_delta"]


def test_truncated_after_message_delta_still_raises() -> None:
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"output_tokens": 3},
    }
    _, error = feed([sse(MESSAGE_START), sse(TEXT_START), sse(TEXT_DELTA), sse(delta)])
    assert type(error) is StreamError


def test_overloaded_error_event_raised_after_earlier_events() -> None:
    error_event = {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    out, error = feed(
        [sse(MESSAGE_START), sse(TEXT_START), sse(TEXT_DELTA), sse(error_event, "error")]
    )
    # typed like its HTTP form (529), and still a StreamError
    assert isinstance(error, StreamError)
    assert isinstance(error, OverloadedError)
    assert error.status_code == 529
    assert error.error_type == "overloaded_error"
    assert "Overloaded" in error.message
    assert error.body == error_event
    assert error.model_id == "claude-x"
    assert [e.type for e in out] == ["response_metadata", "text_start", "text_delta"]
    assert out[-1].delta == "Hi"  # type: ignore[union-attr]


def test_error_dispatch_falls_back_to_sse_event_name() -> None:
    # no "type" in the JSON: the SSE event name decides
    _, error = feed([sse({"error": {"type": "api_error", "message": "boom"}}, "error")])
    assert isinstance(error, StreamError)
    assert isinstance(error, InternalServerError)  # api_error is documented as HTTP 500
    assert error.error_type == "api_error"


def test_pings_unknown_events_and_empty_data_are_ignored() -> None:
    out, error = feed(
        [
            sse(MESSAGE_START),
            sse('{"type": "ping"}', "ping"),
            sse("", "ping"),
            sse({"type": "future_event", "x": 1}),
            sse({"type": "content_block_start", "index": 0, "content_block": {"type": "future"}}),
            sse({"type": "content_block_delta", "index": 0, "delta": {"type": "future_delta"}}),
            sse({"type": "content_block_stop", "index": 0}),
            sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": 2},
                }
            ),
            sse({"type": "message_stop"}),
        ]
    )
    assert error is None
    assert [e.type for e in out] == ["response_metadata", "finish"]
    finish = out[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.usage.input_tokens == 5
    assert finish.usage.output_tokens == 2
    assert finish.usage.cache_read_tokens is None
    assert finish.usage.total_tokens == 7


def test_tool_initial_input_is_used_when_no_delta_follows() -> None:
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
    }
    out, error = feed(
        [
            sse(MESSAGE_START),
            sse(start),
            sse({"type": "content_block_stop", "index": 0}),
            sse({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {}}),
            sse({"type": "message_stop"}),
        ]
    )
    assert error is None
    (call,) = [e for e in out if isinstance(e, ToolCallEvent)]
    assert call.args == {"a": 1}
    assert json.loads(call.args_json) == {"a": 1}
    finish = out[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.finish_reason == "tool_calls"


def test_usage_fields_override_later_and_nulls_do_not_erase() -> None:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "model": "m",
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 100, "output_tokens": 1},
        },
    }
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "refusal", "stop_sequence": None},
        "usage": {"input_tokens": None, "cache_creation_input_tokens": 20, "output_tokens": 9},
    }
    out, error = feed([sse(start), sse(delta), sse({"type": "message_stop"})])
    assert error is None
    finish = out[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.finish_reason == "content_filter"
    assert finish.provider_metadata is None
    assert finish.usage.input_tokens == 130
    assert finish.usage.output_tokens == 9
    assert finish.usage.cache_read_tokens == 100
    assert finish.usage.cache_write_tokens == 20
    assert finish.usage.total_tokens == 139


def test_no_usage_at_all_gives_none_not_zero() -> None:
    start = {"type": "message_start", "message": {"id": "msg_1", "model": "m"}}
    out, error = feed([sse(start), sse({"type": "message_stop"})])
    assert error is None
    finish = out[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.usage.input_tokens is None
    assert finish.usage.output_tokens is None
    assert finish.usage.total_tokens is None
    assert finish.finish_reason == "other"
    assert finish.raw_finish_reason is None


def test_document_citation_gives_document_source() -> None:
    citation = {
        "type": "char_location",
        "cited_text": "The sky is blue.",
        "document_index": 0,
        "document_title": "Facts",
        "start_char_index": 0,
        "end_char_index": 16,
    }
    out, error = feed(
        [
            sse(MESSAGE_START),
            sse(TEXT_START),
            sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "citations_delta", "citation": citation},
                }
            ),
            sse(TEXT_DELTA),
            sse({"type": "content_block_stop", "index": 0}),
            sse({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}}),
            sse({"type": "message_stop"}),
        ]
    )
    assert error is None
    (source,) = [e for e in out if isinstance(e, SourceEvent)]
    assert source.source_type == "document"
    assert source.url is None
    assert source.title == "Facts"
    assert source.cited_text == "The sky is blue."
    (end,) = [e for e in out if isinstance(e, TextEndEvent)]
    assert end.provider_metadata == {"anthropic": {"citations": [citation]}}
