"""HTTP transport: one shared ``httpx.AsyncClient`` per event loop, and the one place where
``httpx`` exceptions are mapped to the llmkit error tree.

The transport never parses provider JSON: error bodies are handed to the protocol's
``parse_error`` (passed in as ``on_error``).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import NoReturn

import httpx

from llmkit.errors import APIConnectionError, APIError, APIStatusError, APITimeoutError
from llmkit.protocols.base import BuiltRequest

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "ErrorParser",
    "get_client",
    "map_httpx_error",
    "open_response",
    "post_json",
]

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=600.0, write=60.0, pool=60.0)
"""Seconds: 5 to connect, 600 between bytes (reasoning models can think for minutes before the
first token), 60 to write the request, 60 to wait for a pooled connection."""

DEFAULT_LIMITS = httpx.Limits(
    max_connections=1000, max_keepalive_connections=200, keepalive_expiry=30.0
)
"""Sized for hundreds of concurrent streams on one event loop (httpx's own default of 100
connections queues the 101st stream behind the others)."""

ErrorParser = Callable[[int, Mapping[str, str], bytes], APIStatusError]

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)

_MAX_ERROR_BODY = 1 << 20  # bytes of a non-2xx body read for the error message


def get_client() -> httpx.AsyncClient:
    """The shared client of the running event loop (created on first use, reused after).

    Raises:
        RuntimeError: called outside a running event loop.
    """
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS, follow_redirects=False
        )
        _clients[loop] = client
    return client


def map_httpx_error(exc: httpx.HTTPError) -> APIError:
    """The llmkit error for an httpx exception (the caller chains it with ``from exc``)."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        which = {
            "ConnectTimeout": "connecting",
            "ReadTimeout": "waiting for data",
            "WriteTimeout": "sending the request",
            "PoolTimeout": "waiting for a free connection",
        }.get(kind, "waiting")
        return APITimeoutError(
            f"timed out {which} ({kind}); retry, or raise the timeout with timeout=..."
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return APIConnectionError(
            f"the server closed the connection mid-response ({kind}: {exc}); retry the request"
        )
    if isinstance(exc, httpx.TransportError):
        return APIConnectionError(
            f"connection failed ({kind}: {exc}); check the base URL and network, then retry"
        )
    return APIConnectionError(f"HTTP failure ({kind}: {exc})")


def _raise_mapped(exc: httpx.HTTPError) -> NoReturn:
    raise map_httpx_error(exc) from exc


def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(connect=min(5.0, seconds), read=seconds, write=seconds, pool=seconds)


def _content(request: BuiltRequest) -> bytes:
    return json.dumps(request.body, ensure_ascii=False, separators=(",", ":")).encode()


@asynccontextmanager
async def open_response(
    request: BuiltRequest,
    auth: Mapping[str, str],
    on_error: ErrorParser,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float | None = None,
) -> AsyncIterator[httpx.Response]:
    """Send a request and yield the open 2xx response; the response is closed on exit.

    Args:
        request: the protocol's request.
        auth: credential headers (from :func:`llmkit.auth.auth_headers`).
        on_error: the protocol's ``parse_error``, given status, headers and body of a non-2xx
            response.
        client: an ``httpx.AsyncClient`` to use instead of the shared one.
        timeout: seconds for connect (at most 5), write, pool and the gap between bytes.

    Raises:
        APIStatusError: a non-2xx status (subclass by status).
        APIConnectionError, APITimeoutError: the request could not be sent or answered.
    """
    http = client or get_client()
    headers = {**request.headers, **auth}
    if request.stream:
        headers.setdefault("accept", "text/event-stream")
        headers.setdefault("cache-control", "no-store")
    try:
        http_request = http.build_request(
            request.method,
            request.url,
            headers=headers,
            content=_content(request),
            timeout=http.timeout if timeout is None else _timeout(timeout),
        )
        response = await http.send(http_request, stream=True)
    except httpx.HTTPError as exc:
        _raise_mapped(exc)
    try:
        if response.status_code >= 300:
            body = await _read_capped(response)
            raise on_error(response.status_code, response.headers, body)
        yield response
    finally:
        await response.aclose()


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _MAX_ERROR_BODY:
                break
    except httpx.HTTPError:
        pass  # the status is the error; a broken error body must not hide it
    return b"".join(chunks)


async def post_json(
    request: BuiltRequest,
    auth: Mapping[str, str],
    on_error: ErrorParser,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float | None = None,
) -> bytes:
    """Send a non-streamed request and return the 2xx body bytes.

    Raises:
        APIStatusError, APIConnectionError, APITimeoutError: as :func:`open_response`.
    """
    async with open_response(request, auth, on_error, client=client, timeout=timeout) as response:
        try:
            return await response.aread()
        except httpx.HTTPError as exc:
            _raise_mapped(exc)
