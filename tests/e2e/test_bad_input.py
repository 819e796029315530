"""Bad input over real sockets: each case raises a typed llmkit error whose message says what
happened; no httpx, json or codec exception reaches the caller (they are only chained)."""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import fixture_util
import pytest

from llmkit import generate_text, stream_text
from llmkit.errors import (
    APIConnectionError,
    APIError,
    InternalServerError,
    InvalidResponseError,
    LLMKitError,
    RateLimitError,
    StreamError,
)
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.replay import ReplayResponse, ReplayServer
from llmkit.tools import Tool
from llmkit.types.events import (
    ResponseMetadataEvent,
    StreamEvent,
    TextDeltaEvent,
    ToolCallEvent,
    ToolResultEvent,
)

OPENAI_TEXT = next(
    e
    for e in fixture_util.entries("openai-chat", "sse")
    if e["file"].endswith("gpt4o-text-include-usage.sse")
)
ANTHROPIC_TEXT = next(
    e
    for e in fixture_util.entries("anthropic-messages", "sse")
    if e["file"].endswith("haiku3-short-text.sse")
)


async def _run(
    response: ReplayResponse, protocol: str = "openai-chat"
) -> tuple[list[str], LLMKitError]:
    with ReplayServer([response]) as server:
        registry = ProviderRegistry([server.provider("local", protocol)])
        seen: list[str] = []
        with pytest.raises(LLMKitError) as info:
            # retry=0: these tests are about error mapping; tests/reliability covers retries
            async for event in stream_text(
                model="local:m", prompt="hi", registry=registry, retry=0
            ):
                seen.append(event.type)
    return seen, info.value


async def test_malformed_json_chunk() -> None:
    good = b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
    body = good + b'data: {"id": broken\n\n'
    seen, error = await _run(ReplayResponse(body))
    assert isinstance(error, InvalidResponseError)
    assert "JSON" in str(error) or "json" in str(error)
    assert error.raw is not None and "broken" in str(error.raw)
    assert "text_delta" in seen  # what arrived before the bad chunk was delivered


async def test_non_sse_content_type_on_a_stream() -> None:
    _, error = await _run(ReplayResponse(b'{"ok": true}', content_type="application/json"))
    assert isinstance(error, InvalidResponseError)
    assert "text/event-stream" in str(error) and "application/json" in str(error)
    assert error.raw == b'{"ok": true}'


async def test_html_page_with_status_200() -> None:
    html = b"<!DOCTYPE html><html><body>Gateway login</body></html>"
    _, error = await _run(ReplayResponse(html, content_type="text/html"))
    assert isinstance(error, InvalidResponseError)
    assert "text/html" in str(error)
    assert isinstance(error.raw, bytes) and error.raw.startswith(b"<!DOCTYPE html>")


async def test_html_page_with_status_200_to_generate_text() -> None:
    html = b"<html><body>Gateway login</body></html>"
    with ReplayServer([ReplayResponse(html, content_type="text/html")]) as server:
        registry = ProviderRegistry([server.provider("local", "openai-chat")])
        with pytest.raises(InvalidResponseError, match="not JSON"):
            await generate_text(model="local:m", prompt="hi", registry=registry)


async def test_html_error_page_with_status_502() -> None:
    html = b"<html><body>502 Bad Gateway</body></html>"
    _, error = await _run(ReplayResponse(html, status=502, content_type="text/html"))
    assert isinstance(error, InternalServerError)
    assert error.status_code == 502 and error.is_retryable
    assert "502 Bad Gateway" in str(error)


async def test_429_carries_retry_after() -> None:
    body = b'{"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}'
    _, error = await _run(
        ReplayResponse(
            body, status=429, content_type="application/json", headers={"retry-after": "7"}
        )
    )
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0
    assert "Rate limit reached" in str(error)


@pytest.mark.parametrize("entry", [OPENAI_TEXT, ANTHROPIC_TEXT], ids=["openai", "anthropic"])
async def test_connection_dropped_mid_event(entry: dict[str, object]) -> None:
    data = fixture_util.body(entry)
    seen, error = await _run(
        ReplayResponse(data, chunking=50, close_after=len(data) // 2), str(entry["protocol"])
    )
    assert isinstance(error, APIConnectionError)
    assert "closed the connection" in str(error)
    # stream_start comes with the first content event; a cut before it shows nothing
    assert seen == [] or seen[0] == "stream_start"


@pytest.mark.parametrize("entry", [OPENAI_TEXT, ANTHROPIC_TEXT], ids=["openai", "anthropic"])
async def test_stream_ending_cleanly_mid_event_is_truncated(entry: dict[str, object]) -> None:
    data = fixture_util.body(entry)
    cut = data[: len(data) // 2]  # the HTTP body ends properly, the SSE stream does not
    seen, error = await _run(ReplayResponse(cut, chunking=50), str(entry["protocol"]))
    assert type(error) is StreamError
    assert "truncated" in str(error) or "ended before" in str(error)
    assert "finish" not in seen


async def test_connection_refused() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = ProviderConfig(
        id="local", protocol="openai-chat", base_url=f"http://127.0.0.1:{port}/v1", auth="none"
    )
    registry = ProviderRegistry([provider])
    with pytest.raises(APIConnectionError, match="connection failed") as info:
        async for _ in stream_text(model="local:m", prompt="hi", registry=registry, retry=0):
            pass
    assert info.value.provider_id == "local"


# ---------------------------------------------------------------------------- wrong values
# One regression test per cause the seeded mutation run (test_mutations.py) found; sans-IO
# forms in tests/protocols/test_bad_values.py.
async def _complete(
    response: ReplayResponse, protocol: str = "openai-chat", **settings: Any
) -> list[StreamEvent]:
    with ReplayServer([response]) as server:
        registry = ProviderRegistry([server.provider("local", protocol)])
        result = stream_text(model="local:m", prompt="hi", registry=registry, retry=0, **settings)
        return [event async for event in result]


class _Echo(Tool):
    """An executable tool accepting any arguments."""

    @property
    def executable(self) -> bool:
        return True

    async def execute(self, args: Mapping[str, object]) -> object:
        return "ran"


DEEP = b"[" * 100_000  # deep enough for a RecursionError on every Python (3.13: past 1,000)


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
async def test_deeply_nested_json_event_is_invalid(protocol: str) -> None:
    _, error = await _run(ReplayResponse(b"data: " + DEEP + b"\n\n"), protocol)
    assert isinstance(error, InvalidResponseError)
    assert "nested too deeply" in str(error)
    assert isinstance(error.__cause__, RecursionError)


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
async def test_deeply_nested_json_body_is_invalid(protocol: str) -> None:
    with ReplayServer([ReplayResponse(DEEP, content_type="application/json")]) as server:
        registry = ProviderRegistry([server.provider("local", protocol)])
        with pytest.raises(InvalidResponseError, match="nested too deeply"):
            await generate_text(model="local:m", prompt="hi", registry=registry, retry=0)


async def test_created_in_milliseconds_is_not_a_crash() -> None:
    body = b'data: {"id":"x","created":1747148049000,"choices":[]}\n\ndata: [DONE]\n\n'
    events = await _complete(ReplayResponse(body))
    (meta,) = [e for e in events if isinstance(e, ResponseMetadataEvent)]
    assert meta.created == datetime(2025, 5, 13, 14, 54, 9, tzinfo=timezone.utc)
    body = b'data: {"id":"x","created":1e308,"choices":[]}\n\ndata: [DONE]\n\n'
    events = await _complete(ReplayResponse(body))
    assert [e.created for e in events if isinstance(e, ResponseMetadataEvent)] == [None]


async def test_anthropic_non_string_text_delta_is_invalid() -> None:
    body = (
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":1}}'
        b'\n\ndata: {"type":"message_stop"}\n\n'
    )
    _, error = await _run(ReplayResponse(body), "anthropic-messages")
    assert isinstance(error, InvalidResponseError)
    assert "text_delta.text is int" in str(error)


async def test_anthropic_bad_signature_on_a_block_open_at_the_end() -> None:
    body = (
        b'data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking"}}\n\n'
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta",'
        b'"thinking":"hm"}}\n\n'
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta",'
        b'"signature":1}}\n\n'
    )
    seen, error = await _run(ReplayResponse(body), "anthropic-messages")
    assert isinstance(error, InvalidResponseError)
    assert "signature" in str(error)
    assert isinstance(error, APIError) and error.partial is not None
    assert error.partial.reasoning_text == "hm"
    assert "reasoning_end" not in seen


async def test_anthropic_truncated_with_an_open_block_is_a_stream_error() -> None:
    body = (
        b'data: {"type":"content_block_start","index":0,"content_block":{"type":"text"}}\n\n'
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta",'
        b'"text":"Hi"}}\n\n'
    )
    seen, error = await _run(ReplayResponse(body), "anthropic-messages")
    assert type(error) is StreamError and "before message_stop" in str(error)
    assert "text_end" not in seen  # the truncated block is not reported as complete
    assert error.partial is not None and error.partial.text == "Hi"


@pytest.mark.parametrize("value", [b"[1]", b'{"a":1}'])
async def test_openai_non_string_finish_reason_is_invalid(value: bytes) -> None:
    _, error = await _run(
        ReplayResponse(b'data: {"choices":[{"finish_reason":' + value + b"}]}\n\n")
    )
    assert isinstance(error, InvalidResponseError)
    assert "finish_reason is" in str(error)


@pytest.mark.parametrize("name", [b"5", b"true", b'{"a":1}', b'["f"]'])
async def test_openai_non_string_tool_name_is_invalid(name: bytes) -> None:
    chunk = (
        b'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":'
        + name
        + b',"arguments":"{}"}}]},"finish_reason":"tool_calls"}]}\n\n'
    )
    with ReplayServer([ReplayResponse(chunk)]) as server:
        registry = ProviderRegistry([server.provider("local", "openai-chat")])
        with pytest.raises(InvalidResponseError, match=r"function\.name is"):
            async for _ in stream_text(
                model="local:m", prompt="hi", registry=registry, retry=0, tools=[_Echo(name="f")]
            ):
                pass


async def test_tool_args_nested_too_deeply_go_back_to_the_model_as_an_error() -> None:
    args = '{"a":' * 255 + "{}" + "}" * 255
    chunk = {
        "choices": [
            {
                "delta": {
                    "tool_calls": [
                        {"index": 0, "id": "c1", "function": {"name": "f", "arguments": args}}
                    ]
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    body = b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"
    events = await _complete(ReplayResponse(body), tools=[_Echo(name="f")])
    (call,) = [e for e in events if isinstance(e, ToolCallEvent)]
    assert call.args == {} and call.args_json == args
    (result,) = [e for e in events if isinstance(e, ToolResultEvent)]
    assert result.is_error and "nest deeper than" in str(result.result)
    assert events[-1].type == "finish"


async def test_media_type_is_case_insensitive() -> None:
    body = b'data: {"choices":[{"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\n'
    for content_type in ("TEXT/EVENT-STREAM", "Text/Event-Stream; charset=UTF-8"):
        events = await _complete(ReplayResponse(body, content_type=content_type))
        assert [e.delta for e in events if isinstance(e, TextDeltaEvent)] == ["Hi"]
