"""Non-streamed Anthropic Messages responses through parse_response."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import pytest

from llmkit.errors import AuthenticationError, InvalidResponseError, OverloadedError
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.types.events import (
    FinishEvent,
    ReasoningEndEvent,
    ResponseMetadataEvent,
    SourceEvent,
    TextEndEvent,
    ToolResultEvent,
)
from protocols._anthropic_checks import (
    UNIFIED_FINISH,
    accumulate,
    check_conformance,
    expected_usage,
)

PROTOCOL = AnthropicMessagesProtocol()
JSON_OK = fixture_util.entries("anthropic-messages", "json")
PROVIDER = fixture_util.provider_for({"provider": "anthropic", "protocol": "anthropic-messages"})


@pytest.mark.parametrize("entry", JSON_OK, ids=[fixture_util.fixture_id(e) for e in JSON_OK])
def test_fixture_response(entry: dict[str, Any]) -> None:
    expected = entry["expected"]
    events = PROTOCOL.parse_response(fixture_util.body(entry), fixture_util.provider_for(entry))
    check_conformance(events)
    got = accumulate(events)
    assert got["text"] == (expected["text"] or "")
    assert got["reasoning"] == expected["reasoning"]
    assert got["tool_calls"] == expected["tool_calls"]
    assert got["server_tool_calls"] == expected.get("server_tool_calls", [])

    first = events[0]
    assert isinstance(first, ResponseMetadataEvent)
    assert first.model_id == entry["model"]
    assert first.response_id is not None
    assert first.response_id.startswith("msg_")

    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.raw_finish_reason == expected["finish_reason"]
    assert finish.finish_reason == UNIFIED_FINISH[expected["finish_reason"]]
    want = expected_usage(expected["usage"])
    assert {key: getattr(finish.usage, key) for key in want} == want


def test_json_fixtures_found() -> None:
    assert len(JSON_OK) == 7


def _entry(suffix: str) -> dict[str, Any]:
    entry: dict[str, Any]
    (entry,) = [e for e in JSON_OK if fixture_util.fixture_id(e).endswith(suffix)]
    return entry


def test_thinking_response_keeps_signature() -> None:
    entry = _entry("sonnet37-thinking")
    raw = json.loads(fixture_util.body(entry))
    events = PROTOCOL.parse_response(fixture_util.body(entry), PROVIDER)
    (end,) = [e for e in events if isinstance(e, ReasoningEndEvent)]
    assert end.signature == raw["content"][0]["signature"]


def test_stop_sequence_response_metadata() -> None:
    events = PROTOCOL.parse_response(fixture_util.body(_entry("sonnet4-stop-sequence")), PROVIDER)
    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.finish_reason == "stop"
    assert finish.provider_metadata == {"anthropic": {"stop_sequence": "4242"}}


def test_web_search_response_results_sources_and_citations() -> None:
    entry = _entry("sonnet4-web-search-cache-read")
    raw = json.loads(fixture_util.body(entry))
    events = PROTOCOL.parse_response(fixture_util.body(entry), PROVIDER)
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    result_blocks = [b for b in raw["content"] if b["type"] == "web_search_tool_result"]
    assert [r.tool_call_id for r in results] == [b["tool_use_id"] for b in result_blocks]
    assert all(r.tool_name == "web_search" and r.provider_executed for r in results)
    assert results[0].result == result_blocks[0]["content"]

    sources = [e for e in events if isinstance(e, SourceEvent)]
    search_urls = [i["url"] for b in result_blocks for i in b["content"]]
    citations = [c for b in raw["content"] if b["type"] == "text" for c in b.get("citations") or []]
    assert len(sources) == len(search_urls) + len(citations)
    assert [s.url for s in sources if not s.cited_text] == search_urls
    assert [s.cited_text for s in sources if s.cited_text] == [c["cited_text"] for c in citations]

    kept = [
        c
        for e in events
        if isinstance(e, TextEndEvent) and e.provider_metadata
        for c in e.provider_metadata["anthropic"]["citations"]  # type: ignore[attr-defined]
    ]
    assert kept == citations

    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.provider_metadata == {
        "anthropic": {"server_tool_use": {"web_search_requests": 3}}
    }


def test_error_body_raises_mapped_error() -> None:
    (entry,) = [
        e
        for e in fixture_util.entries("anthropic-messages", "json", status=401)
        if e["expected"].get("error")
    ]
    with pytest.raises(AuthenticationError) as info:
        PROTOCOL.parse_response(fixture_util.body(entry), PROVIDER)
    assert info.value.message == entry["expected"]["error"]["message"]
    assert info.value.error_type == "authentication_error"
    body = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
    with pytest.raises(OverloadedError):
        PROTOCOL.parse_response(body.encode(), PROVIDER)


@pytest.mark.parametrize(
    "body",
    [b"<html>nope</html>", b"", b"[1]", b'{"id": "msg_1", "content": "text"}', b'{"content": [7]}'],
)
def test_bad_bodies_raise_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponseError) as info:
        PROTOCOL.parse_response(body, PROVIDER)
    assert info.value.raw == body


def test_tool_use_without_name_is_invalid() -> None:
    body = json.dumps({"content": [{"type": "tool_use", "id": "t", "input": {}}]}).encode()
    with pytest.raises(InvalidResponseError):
        PROTOCOL.parse_response(body, PROVIDER)
