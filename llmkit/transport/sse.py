"""Server-sent events over an open httpx response, via ``httpx-sse``.

Maps httpx-sse's and httpx's exceptions to llmkit errors; SSE comments (``: keep-alive``,
OpenRouter's ``: OPENROUTER PROCESSING``) are dropped by the decoder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from llmkit.errors import InvalidResponseError
from llmkit.transport.http import map_httpx_error

__all__ = ["iter_sse"]


async def _excerpt(response: httpx.Response, limit: int = 500) -> bytes:
    data = b""
    try:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= limit:
                break
    except httpx.HTTPError:
        pass
    return data[:limit]


async def iter_sse(response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
    """Yield the server-sent events of a 2xx streaming response.

    Raises:
        InvalidResponseError: the response is not ``text/event-stream`` (e.g. an HTML page with
            status 200); ``.raw`` holds the start of the body.
        APIConnectionError, APITimeoutError: the connection broke or stalled mid-stream.
    """
    events = EventSource(response).aiter_sse()
    try:
        async for sse in events:
            yield sse
    except SSEError as exc:
        content_type = response.headers.get("content-type", "(none)")
        raw = await _excerpt(response)
        raise InvalidResponseError(
            f"expected a text/event-stream response but got content-type {content_type!r}; "
            "the server may not support streaming at this URL, or a proxy answered instead "
            f"(body starts: {raw[:120]!r})",
            raw=raw,
        ) from exc
    except httpx.HTTPError as exc:
        raise map_httpx_error(exc) from exc
    finally:
        await events.aclose()
