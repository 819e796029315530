"""Every recorded stream and body, end to end: stream_text / generate_text → registry → protocol →
transport → a loopback HTTP server playing the recorded bytes in random network chunks."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import pytest
from expected import actual_summary, check_conformance, expected_summary

from e2e.conftest import replay_provider
from llmkit import generate_text, stream_text
from llmkit.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
    StreamError,
)
from llmkit.protocols.registry import BUILTIN
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.replay import ReplayServer
from llmkit.types.events import StreamEvent

SSE = [entry for name in BUILTIN for entry in fixture_util.entries(name, "sse")]
"""Every recorded stream of every built-in protocol: a protocol added to the registry's table is
in these tests with its fixtures, no list to edit."""
OK_SSE = [e for e in SSE if "errors" not in e["expected"] and "error" not in e["expected"]]
ERROR_SSE = [e for e in SSE if "errors" in e["expected"]]
JSON_OK = [entry for name in BUILTIN for entry in fixture_util.entries(name, "json")]
JSON_ERRORS = [
    e
    for e in fixture_util.manifest()
    if e["kind"] == "json" and e["http_status"] != 200 and e["protocol"] in BUILTIN
]


def test_fixture_counts() -> None:
    # the inventory: 77 chat/messages streams, 22 Responses streams and 22 Gemini native
    # streams; 7 chat/messages error bodies, 3 Responses ones and 4 Gemini ones (google.rpc);
    # 10 Gemini generateContent bodies; none may silently drop out of the parametrisation.
    assert len(SSE) == 77 + 22 + 22
    assert len(JSON_ERRORS) == 7 + 3 + 4
    assert len(fixture_util.entries("google-generative", "json")) == 10
    assert len(ERROR_SSE) == 1 + 1


def _registry(server: ReplayServer, entry: dict[str, Any]) -> ProviderRegistry:
    return ProviderRegistry([replay_provider(server, entry)])


@pytest.mark.version_independent
@pytest.mark.parametrize("entry", OK_SSE, ids=fixture_util.fixture_id)
async def test_stream_text_matches_manifest(
    fixture_server: ReplayServer, entry: dict[str, Any]
) -> None:
    result = stream_text(
        model="replay:recorded", prompt="hi", registry=_registry(fixture_server, entry)
    )
    events: list[StreamEvent] = [event async for event in result]
    assert events[0].type == "stream_start"
    check_conformance(events)
    expected = expected_summary(entry)
    assert actual_summary(events) == expected
    # the awaitable fields agree with the events
    assert await result.text == expected["text"]
    assert await result.reasoning_text == expected["reasoning"]
    assert [(c.tool_name, dict(c.args)) for c in await result.tool_calls] == expected["tool_calls"]
    assert await result.finish_reason == expected["finish_reason"]
    assert await result.raw_finish_reason == expected["raw_finish_reason"]


@pytest.mark.parametrize("entry", ERROR_SSE, ids=fixture_util.fixture_id)
async def test_in_band_error_raised_after_content(
    fixture_server: ReplayServer, entry: dict[str, Any]
) -> None:
    result = stream_text(
        model="replay:recorded", prompt="hi", registry=_registry(fixture_server, entry)
    )
    events: list[StreamEvent] = []
    with pytest.raises(StreamError) as info:
        async for event in result:
            events.append(event)
    error = entry["expected"]["errors"][0]
    error = error.get("error", error)  # Responses nests the fields in the error event
    assert error["message"] in str(info.value)
    assert info.value.provider_id == "replay"
    summary = actual_summary(events)
    assert summary["text"] == (entry["expected"]["text"] or "")
    assert summary["reasoning"] == entry["expected"]["reasoning"]
    # the awaitable fields raise the same error again
    with pytest.raises(StreamError):
        await result.text


@pytest.mark.version_independent
@pytest.mark.parametrize("entry", JSON_OK, ids=fixture_util.fixture_id)
async def test_generate_text_matches_manifest(
    fixture_server: ReplayServer, entry: dict[str, Any]
) -> None:
    result = await generate_text(
        model="replay:recorded", prompt="hi", registry=_registry(fixture_server, entry)
    )
    check_conformance(list(result.events))
    expected = expected_summary(entry)
    assert actual_summary(list(result.events)) == expected
    assert result.text == expected["text"]
    assert result.finish_reason == expected["finish_reason"]
    assert [(c.tool_name, dict(c.args)) for c in result.tool_calls] == expected["tool_calls"]


_STATUS_CLASS = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


@pytest.mark.version_independent
@pytest.mark.parametrize("entry", JSON_ERRORS, ids=fixture_util.fixture_id)
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "generate"])
async def test_error_bodies_raise_typed_errors(
    fixture_server: ReplayServer, entry: dict[str, Any], streaming: bool
) -> None:
    registry = _registry(fixture_server, entry)
    with pytest.raises(APIStatusError) as info:
        if streaming:
            async for _ in stream_text(model="replay:m", prompt="hi", registry=registry):
                pass
        else:
            await generate_text(model="replay:m", prompt="hi", registry=registry)
    error = info.value
    assert type(error) is _STATUS_CLASS[entry["http_status"]]
    assert error.status_code == entry["http_status"]
    assert error.message == entry["expected"]["error"]["message"]
    assert error.provider_id == "replay"
    assert error.model_id == "m"
    body = json.loads(fixture_util.body(entry))
    assert error.request_id == body.get("request_id", "req_fixture")
