"""The openai-responses protocol, sans-IO: every recorded Responses stream through the state
machine (and its final response object through parse_response), plus hand-written edge cases
from the OpenAI API reference (Responses, "Streaming events", "The response object")."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import pytest
from expected import actual_summary, check_conformance, expected_summary
from httpx_sse import ServerSentEvent

from llmkit.errors import (
    InternalServerError,
    InvalidResponseError,
    RateLimitError,
    StreamError,
)
from llmkit.protocols import get_protocol
from llmkit.protocols.base import run_sse
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import FinishEvent, ResponseMetadataEvent, StreamEvent

PROTOCOL = get_protocol("openai-responses")
PROVIDER = ProviderConfig(id="test", protocol="openai-responses", base_url="https://x.example/v1")
OK = [e for e in fixture_util.entries("openai-responses", "sse") if "errors" not in e["expected"]]


def events_of(entry: dict[str, Any]) -> list[StreamEvent]:
    return run_sse(PROTOCOL, PROVIDER, fixture_util.decode_sse(fixture_util.body(entry)))


def recorded(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The fixture's events as plain dicts (read independently of the protocol)."""
    return [
        json.loads(sse.data)
        for sse in fixture_util.decode_sse(fixture_util.body(entry))
        if sse.data and sse.data != "[DONE]"
    ]


@pytest.mark.parametrize("entry", OK, ids=fixture_util.fixture_id)
def test_recorded_stream_matches_the_manifest(entry: dict[str, Any]) -> None:
    events = events_of(entry)
    check_conformance(events)
    assert actual_summary(events) == expected_summary(entry)


@pytest.mark.parametrize("entry", OK, ids=fixture_util.fixture_id)
def test_reasoning_items_keep_id_and_encrypted_content(entry: dict[str, Any]) -> None:
    done = {
        e["item"]["id"]: e["item"]
        for e in recorded(entry)
        if e["type"] == "response.output_item.done" and e["item"]["type"] == "reasoning"
    }
    ends = [e for e in events_of(entry) if e.type == "reasoning_end"]
    assert len(ends) == len(done)
    for end in ends:
        assert end.provider_metadata is not None
        data = end.provider_metadata["openai"]
        item = done[data["item_id"]]
        assert data.get("encrypted_content") == item.get("encrypted_content")  # byte for byte


@pytest.mark.parametrize("entry", OK, ids=fixture_util.fixture_id)
def test_function_calls_keep_their_item_ids(entry: dict[str, Any]) -> None:
    items = {
        e["item"]["call_id"]: e["item"]["id"]
        for e in recorded(entry)
        if e["type"] == "response.output_item.done" and e["item"]["type"] == "function_call"
    }
    calls = [e for e in events_of(entry) if e.type == "tool_call" and not e.provider_executed]
    assert {c.tool_call_id: c.provider_metadata["openai"]["item_id"] for c in calls} == items  # type: ignore[index]


@pytest.mark.parametrize("entry", OK, ids=fixture_util.fixture_id)
def test_the_final_response_object_gives_the_same_answer(entry: dict[str, Any]) -> None:
    """parse_response on the response object of response.completed (what a non-streamed
    request returns) gives what the stream gave."""
    final = next(
        e["response"]
        for e in recorded(entry)
        if e["type"] in ("response.completed", "response.incomplete")
    )
    streamed = events_of(entry)
    body_events = PROTOCOL.parse_response(json.dumps(final).encode(), PROVIDER)
    check_conformance(body_events)
    assert actual_summary(body_events) == actual_summary(streamed)
    assert [e.type for e in body_events if e.type in ("source", "tool_result")] == [
        e.type for e in streamed if e.type in ("source", "tool_result")
    ]


@pytest.mark.parametrize("entry", OK, ids=fixture_util.fixture_id)
def test_a_whole_streamed_body_parses_as_the_stream(entry: dict[str, Any]) -> None:
    """quirks.stream_only: a non-streamed call gets the event stream as its body."""
    body_events = PROTOCOL.parse_response(fixture_util.body(entry), PROVIDER)
    assert body_events == events_of(entry)


def test_web_search_is_a_provider_executed_tool_with_sources() -> None:
    entry = next(e for e in OK if "gpt41-web-search" in e["file"])
    events = events_of(entry)
    (call,) = [e for e in events if e.type == "tool_call"]
    assert call.provider_executed and call.tool_name == "web_search"
    assert call.args["query"] == "ggplot2 CRAN archive release dates"
    (result,) = [e for e in events if e.type == "tool_result"]
    assert result.provider_executed and result.tool_call_id == call.tool_call_id
    sources = [e for e in events if e.type == "source"]
    assert [(s.source_type, s.title) for s in sources] == [
        ("url", "Index of /CRAN/src/contrib/Archive/ggplot2"),
        ("url", "ggplot2 package - RDocumentation"),
    ]
    assert (
        sources[0].url == "https://stat.ethz.ch/CRAN/src/contrib/Archive/ggplot2/?utm_source=openai"
    )


def test_code_interpreter_and_mcp_calls_are_provider_executed() -> None:
    code = events_of(next(e for e in OK if "code-interpreter" in e["file"]))
    calls = [e for e in code if e.type == "tool_call"]
    assert {c.tool_name for c in calls} == {"code_interpreter"}
    assert all(c.provider_executed and "code" in c.args for c in calls)
    mcp = events_of(next(e for e in OK if "mcp-call" in e["file"]))
    (call,) = [e for e in mcp if e.type == "tool_call"]
    assert (call.tool_name, call.provider_executed) == ("ask_question", True)
    assert call.args == {
        "repoName": "pydantic/pydantic-ai",
        "question": "What is the pydantic/pydantic-ai repository about?",
    }
    (result,) = [e for e in mcp if e.type == "tool_result"]
    assert isinstance(result.result, str) and result.result.startswith("The `pydantic/pydantic-ai`")
    assert not result.is_error


def test_refusal_goes_to_finish_metadata_not_text() -> None:
    entry = next(e for e in OK if "refusal" in e["file"])
    finish = events_of(entry)[-1]
    assert finish.type == "finish"
    assert finish.provider_metadata == {"openai": {"refusal": entry["expected"]["refusal"]}}


def test_message_phase_is_kept_for_the_replay() -> None:
    entry = next(e for e in OK if "phase" in e["file"])
    (end,) = [e for e in events_of(entry) if e.type == "text_end"]
    assert end.provider_metadata is not None
    assert end.provider_metadata["openai"]["phase"] == "commentary"
    assert str(end.provider_metadata["openai"]["item_id"]).startswith("msg_")


def test_error_event_raises_a_typed_error_after_the_metadata() -> None:
    entry = next(
        e for e in fixture_util.entries("openai-responses", "sse") if "errors" in e["expected"]
    )
    state = PROTOCOL.new_state(PROVIDER)
    seen: list[StreamEvent] = []
    with pytest.raises(RateLimitError) as info:
        for sse in fixture_util.decode_sse(fixture_util.body(entry)):
            seen.extend(PROTOCOL.parse_event(state, sse))
    assert "You exceeded your current quota" in str(info.value)
    assert info.value.error_code == "insufficient_quota"
    assert info.value.is_retryable is False  # waiting does not buy credit
    assert [e.type for e in seen] == ["response_metadata"]


def sse(data: dict[str, Any] | str, event: str | None = None) -> ServerSentEvent:
    return ServerSentEvent(
        event=event or "", data=data if isinstance(data, str) else json.dumps(data)
    )


RESPONSE = {"id": "resp_1", "model": "gpt-x", "created_at": 1700000000, "status": "in_progress"}


def test_response_failed_without_an_error_event_raises_by_its_code() -> None:
    failed = {
        "type": "response.failed",
        "response": {
            **RESPONSE,
            "status": "failed",
            "error": {"code": "server_error", "message": "boom"},
        },
    }
    with pytest.raises(InternalServerError, match="boom"):
        run_sse(
            PROTOCOL,
            PROVIDER,
            [sse({"type": "response.created", "response": RESPONSE}), sse(failed)],
        )


def test_a_stream_without_its_terminal_event_is_truncated() -> None:
    events = [
        sse({"type": "response.created", "response": RESPONSE}),
        sse(
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {"id": "m", "type": "message"},
            }
        ),
        sse(
            {
                "type": "response.output_text.delta",
                "item_id": "m",
                "content_index": 0,
                "delta": "Hi",
            }
        ),
        sse("[DONE]"),  # OpenRouter's marker is not the end of a Responses stream
    ]
    with pytest.raises(StreamError, match="truncated"):
        run_sse(PROTOCOL, PROVIDER, events)


def test_a_delta_after_its_item_is_done_is_invalid() -> None:
    item = {"id": "m", "type": "message", "content": []}
    events = [
        sse({"type": "response.output_item.added", "output_index": 0, "item": item}),
        sse({"type": "response.output_item.done", "output_index": 0, "item": item}),
        sse(
            {
                "type": "response.output_text.delta",
                "item_id": "m",
                "content_index": 0,
                "delta": "late",
            }
        ),
    ]
    with pytest.raises(InvalidResponseError, match="after the item was done"):
        run_sse(PROTOCOL, PROVIDER, events)


@pytest.mark.parametrize("bad", [1, None, ["x"], {"a": 1}])
def test_a_non_string_delta_is_invalid(bad: object) -> None:
    events = [
        sse(
            {"type": "response.output_text.delta", "item_id": "m", "content_index": 0, "delta": bad}
        )
    ]
    with pytest.raises(InvalidResponseError):
        run_sse(PROTOCOL, PROVIDER, events)


def test_items_announced_only_by_their_done_event_still_stream() -> None:
    """A provider may send complete items without deltas: their text, reasoning and
    arguments come from output_item.done."""
    items = [
        {
            "id": "rs_1",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "Think."}],
            "encrypted_content": "ENC",
        },
        {
            "id": "msg_1",
            "type": "message",
            "content": [{"type": "output_text", "text": "Hello", "annotations": []}],
        },
        {
            "id": "fc_1",
            "type": "function_call",
            "call_id": "call_1",
            "name": "f",
            "arguments": '{"a": 1}',
        },
    ]
    events = [
        sse({"type": "response.output_item.done", "output_index": i, "item": item})
        for i, item in enumerate(items)
    ]
    done = {
        **RESPONSE,
        "status": "completed",
        "usage": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
    }
    out = run_sse(
        PROTOCOL, PROVIDER, [*events, sse({"type": "response.completed", "response": done})]
    )
    check_conformance(out)
    summary = actual_summary(out)
    assert (summary["text"], summary["reasoning"], summary["tool_calls"]) == (
        "Hello",
        "Think.",
        [("f", {"a": 1})],
    )
    assert (summary["finish_reason"], summary["raw_finish_reason"]) == ("tool_calls", "completed")
    assert summary["usage"]["total_tokens"] == 7 and summary["usage"]["cache_read_tokens"] is None


def test_keepalive_queued_and_unknown_events_are_ignored() -> None:
    done = {**RESPONSE, "status": "completed"}
    out = run_sse(
        PROTOCOL,
        PROVIDER,
        [
            sse({"type": "response.queued", "response": {**RESPONSE, "status": "queued"}}),
            sse({"type": "keepalive", "sequence_number": 2}),
            sse({"type": "response.something_new", "x": 1}),
            sse({"type": "response.completed", "response": done}),
        ],
    )
    assert [e.type for e in out] == ["response_metadata", "finish"]
    metadata, finish = out
    assert isinstance(metadata, ResponseMetadataEvent) and isinstance(finish, FinishEvent)
    assert metadata.response_id == "resp_1" and metadata.model_id == "gpt-x"
    assert finish.usage.input_tokens is None  # not reported: None, never 0


@pytest.mark.parametrize(
    ("details", "raw", "unified"),
    [
        ({"reason": "max_output_tokens"}, "incomplete:max_output_tokens", "length"),
        ({"reason": "content_filter"}, "incomplete:content_filter", "content_filter"),
        (None, "incomplete", "other"),
    ],
)
def test_incomplete_reasons(details: object, raw: str, unified: str) -> None:
    done = {**RESPONSE, "status": "incomplete", "incomplete_details": details}
    metadata, finish = run_sse(
        PROTOCOL, PROVIDER, [sse({"type": "response.incomplete", "response": done})]
    )
    assert metadata.type == "response_metadata"
    assert (finish.finish_reason, finish.raw_finish_reason) == (unified, raw)  # type: ignore[union-attr]


def test_a_failed_body_and_an_error_body_raise() -> None:
    failed = {
        **RESPONSE,
        "status": "failed",
        "output": [],
        "error": {"code": "rate_limit_exceeded", "message": "slow down"},
    }
    with pytest.raises(RateLimitError, match="slow down"):
        PROTOCOL.parse_response(json.dumps(failed).encode(), PROVIDER)
    with pytest.raises(StreamError, match="nope"):
        PROTOCOL.parse_response(b'{"error": {"message": "nope"}}', PROVIDER)
    with pytest.raises(InvalidResponseError):
        PROTOCOL.parse_response(b'{"id": "r", "output": "not a list"}', PROVIDER)
