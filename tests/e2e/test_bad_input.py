"""Bad input over real sockets: each case raises a typed llmkit error whose message says what
happened; no httpx, json or codec exception reaches the caller (they are only chained)."""

from __future__ import annotations

import socket

import fixture_util
import pytest

from llmkit import generate_text, stream_text
from llmkit.errors import (
    APIConnectionError,
    InternalServerError,
    InvalidResponseError,
    LLMKitError,
    RateLimitError,
    StreamError,
)
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.replay import ReplayResponse, ReplayServer

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
        registry = ProviderRegistry([server.provider("local", protocol)])  # type: ignore[arg-type]
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
    data = fixture_util.body(entry)  # type: ignore[arg-type]
    seen, error = await _run(
        ReplayResponse(data, chunking=50, close_after=len(data) // 2), str(entry["protocol"])
    )
    assert isinstance(error, APIConnectionError)
    assert "closed the connection" in str(error)
    # stream_start comes with the first content event; a cut before it shows nothing
    assert seen == [] or seen[0] == "stream_start"


@pytest.mark.parametrize("entry", [OPENAI_TEXT, ANTHROPIC_TEXT], ids=["openai", "anthropic"])
async def test_stream_ending_cleanly_mid_event_is_truncated(entry: dict[str, object]) -> None:
    data = fixture_util.body(entry)  # type: ignore[arg-type]
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
