"""HTTP transport: one shared ``httpx.AsyncClient`` per event loop, and the one place where
``httpx`` exceptions are mapped to the llmkit error tree.

The shared client keeps the ``httpx`` API but sends over aiohttp (``httpx-aiohttp``'s
``AiohttpTransport``): aiohttp parses HTTP/1.1 in C, which halves the client CPU per streamed
event against httpx's default transport (httpcore + h11 + anyio; measured in
``docs/benchmarks.md``). A caller's own ``httpx.AsyncClient`` (``http_client=``) keeps
whatever transport it was built with. Two things differ under aiohttp: a proxy from the
environment (``HTTPS_PROXY``) is still honoured, through httpx's own transport for that URL;
and ``respx``'s default mock (which patches httpcore) does not see the shared client's
requests: mock with ``respx.mock(using="httpx")`` or pass ``http_client=``.

The transport never parses provider JSON: error bodies are handed to the protocol's
``parse_error`` (passed in as ``on_error``). It enforces what every request needs whatever the
provider: URL safety (:func:`check_url`), no redirects unless asked (and then no credential
crosses an origin), ``Accept-Encoding: identity`` on streams, and a per-loop concurrency gate
that queues requests instead of failing them (:func:`concurrency_gate`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urljoin

import httpx
from httpx import HTTPError

from llmkit._closing import at_shutdown
from llmkit._headers import parse_retry_after, parse_should_retry
from llmkit.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    ConnectTimeoutError,
    InvalidResponseError,
)
from llmkit.protocols.base import BuiltRequest
from llmkit.reliability.urls import url_problem
from llmkit.transport.pacing import start_pacer

if TYPE_CHECKING:
    from llmkit.reliability.deadline import Timeouts

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "MAX_CONCURRENCY",
    "ErrorParser",
    "HTTPError",
    "HeadersHook",
    "check_url",
    "close_client",
    "concurrency_gate",
    "connections_open",
    "get_client",
    "map_httpx_error",
    "open_response",
    "post_json",
    "set_max_concurrency",
]

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=None, write=60.0, pool=None)
"""Seconds: 5 to connect, 60 to write the request. No httpx read or pool timeout: httpx restarts
its read timer on any byte (keep-alive comments included), so llmkit enforces first-event, idle
and total limits itself (:mod:`llmkit.reliability.deadline`), and requests queue on
:func:`concurrency_gate` before they reach the pool."""

MAX_CONCURRENCY = 1000
"""Requests in flight at once per event loop by default; more wait in line (first come, first
served). Change it with :func:`set_max_concurrency`."""

DEFAULT_LIMITS = httpx.Limits(
    max_connections=MAX_CONCURRENCY, max_keepalive_connections=200, keepalive_expiry=30.0
)
"""Sized so that 1,000 concurrent streams on one event loop each get a connection (httpx's own
default of 100 connections times out the 101st stream after its 5 s pool timeout)."""

_max_concurrency = MAX_CONCURRENCY

ErrorParser = Callable[[int, Mapping[str, str], bytes], APIStatusError]
HeadersHook = Callable[[int, httpx.Headers], None]
"""Called with the status and headers of every response (rate-limit bookkeeping)."""

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)

_MAX_ERROR_BODY = 1 << 20  # bytes of a non-2xx body read for the error message
_MAX_REDIRECTS = 5
_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"}
)


def get_client() -> httpx.AsyncClient:
    """The shared client of the running event loop (created on first use, reused after).

    Raises:
        RuntimeError: called outside a running event loop.
    """
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        from llmkit.transport._aiohttp import LlmkitAiohttpTransport

        limits = httpx.Limits(
            max_connections=_max_concurrency,
            max_keepalive_connections=DEFAULT_LIMITS.max_keepalive_connections,
            keepalive_expiry=DEFAULT_LIMITS.keepalive_expiry,
        )
        client = httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT,
            limits=limits,
            follow_redirects=False,
            transport=LlmkitAiohttpTransport(limits=limits),
        )
        _clients[loop] = client
        at_shutdown(loop, client.aclose)  # aiohttp warns about a session left open
    return client


def set_max_concurrency(limit: int) -> None:
    """Set how many requests may be in flight at once per event loop (default
    :data:`MAX_CONCURRENCY`, 1,000); more wait in line. It also sizes the shared client's
    connection pool. Call it before the first request: loops that already sent one keep their
    gate and pool.

    Each stream holds one socket, so the process's open-file limit (``ulimit -n``) must exceed
    ``limit``; 10,000 concurrent streams on one loop are measured in ``bench/bench_scale.py``.

    Raises:
        ConfigurationError: ``limit`` is not a positive integer.
    """
    global _max_concurrency
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigurationError(
            f"max concurrency must be a positive integer of requests, got {limit!r}"
        )
    _max_concurrency = limit


def connections_open() -> int:
    """Connections the running loop's shared client holds open now (in use or kept alive);
    0 before the first request or after :func:`close_client`."""
    client = _clients.get(asyncio.get_running_loop())
    if client is None:
        return 0
    session = getattr(getattr(client, "_transport", None), "client", None)
    connector = getattr(session, "connector", None)
    if connector is None:
        return 0
    idle = sum(len(v) for v in getattr(connector, "_conns", {}).values())
    return idle + len(getattr(connector, "_acquired", ()))


async def close_client() -> None:
    """Close the running loop's shared client and every pooled connection (a new one is made on
    next use). Call it before the loop ends to release keep-alive connections at once."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def concurrency_gate() -> asyncio.Semaphore:
    """The running loop's gate of :data:`MAX_CONCURRENCY` requests in flight."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(_max_concurrency)
    return gate


# ---------------------------------------------------------------------------- URL safety
def check_url(url: str, *, allow_http: bool = False) -> None:
    """Refuse URLs llmkit must never send a request (and a credential) to.

    Args:
        url: the absolute request URL.
        allow_http: accept plain ``http://`` to a non-loopback host.

    Raises:
        ConfigurationError: see :mod:`llmkit.reliability.urls`: not http(s); ``http://`` to a
            non-loopback host unless ``allow_http``; a link-local (cloud metadata) address or
            a known cloud metadata host name.
    """
    problem = url_problem(url, allow_http=allow_http)
    if problem is not None:
        raise ConfigurationError(f"refusing to send a request to {url!r}: {problem}")


@functools.lru_cache(maxsize=512)
def _parsed_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, parsed once per URL: httpx's pure-Python parser costs about 0.1 ms
    a call (a tenth of a request's client CPU), and a process sends to a handful of URLs.
    ``httpx.URL`` is immutable, so the parsed value is shared safely."""
    return httpx.URL(url)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


# ---------------------------------------------------------------------------- errors
def map_httpx_error(exc: httpx.HTTPError) -> APIError:
    """The llmkit error for an httpx exception (the caller chains it with ``from exc``)."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return ConnectTimeoutError(
            f"could not connect in time ({kind}); check the base URL and network, or raise "
            "timeouts.connect"
        )
    if isinstance(exc, httpx.TimeoutException):
        which, limit = {
            "ReadTimeout": ("waiting for data", "read"),
            "WriteTimeout": ("sending the request", "write"),
            "PoolTimeout": ("waiting for a free connection", "pool"),
        }.get(kind, ("waiting", "read"))
        return APITimeoutError(
            f"timed out {which} ({kind}); retry, or raise the timeout", limit=limit
        )
    if isinstance(exc, httpx.DecodingError):
        return InvalidResponseError(
            f"the response body could not be decoded ({kind}: {exc}); a proxy may have mangled it"
        )
    detail = str(exc) or type(exc.__cause__ or exc.__context__ or exc).__name__
    if isinstance(exc, httpx.ReadError):
        return APIConnectionError(
            f"the connection broke while reading the response ({kind}: {detail}); retry the request"
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return APIConnectionError(
            f"the server closed the connection mid-response ({kind}: {exc}); retry the request"
        )
    if isinstance(exc, httpx.TransportError):
        return APIConnectionError(
            f"connection failed ({kind}: {detail}); check the base URL and network, then retry"
        )
    return APIConnectionError(f"HTTP failure ({kind}: {exc})")


def _raise_mapped(exc: httpx.HTTPError) -> NoReturn:
    raise map_httpx_error(exc) from exc


def _httpx_timeout(timeout: float | Timeouts | None, default: httpx.Timeout) -> httpx.Timeout:
    if timeout is None:
        return default
    if isinstance(timeout, (int, float)):
        return httpx.Timeout(connect=min(5.0, timeout), read=None, write=timeout, pool=None)
    return httpx.Timeout(connect=timeout.connect, read=None, write=timeout.write, pool=None)


def _content(request: BuiltRequest) -> bytes:
    if request.content is not None:
        return request.content  # a raw body (multipart upload): its content-type is in headers
    if request.method in ("GET", "HEAD") and not request.body:
        return b""  # no body and no content-length
    return json.dumps(request.body, ensure_ascii=False, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------- requests
@asynccontextmanager
async def open_response(
    request: BuiltRequest,
    auth: Mapping[str, str],
    on_error: ErrorParser,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float | Timeouts | None = None,
    on_headers: HeadersHook | None = None,
    follow_redirects: bool = False,
    allow_http: bool = False,
) -> AsyncIterator[httpx.Response]:
    """Send a request and yield the open 2xx response; the response is closed on exit.

    Args:
        request: the protocol's request.
        auth: credential headers (from :func:`llmkit.auth.auth_headers`).
        on_error: the protocol's ``parse_error``, given status, headers and body of a non-2xx
            response; the body reaches it with the request's credential values and well-known
            key shapes replaced by ``***`` (:func:`llmkit.auth.redact.redact_error_body`).
        client: an ``httpx.AsyncClient`` to use instead of the shared one.
        timeout: a :class:`~llmkit.reliability.deadline.Timeouts` (its ``connect`` and
            ``write`` apply here), or seconds (connect at most 5 s, write).
        on_headers: called with the status and headers of every response, errors included.
        follow_redirects: follow up to 5 redirects (default: a redirect is an error). On a
            change of origin every credential header (``authorization``, ``x-api-key``,
            ``api-key``, ``cookie``, the ``auth`` headers) is dropped.
        allow_http: accept plain http to non-loopback hosts (see :func:`check_url`).

    Raises:
        ConfigurationError: an unsafe URL (see :func:`check_url`).
        APIStatusError: a non-2xx status (subclass by status), with ``retry_after`` and
            ``should_retry`` read from the headers.
        APIConnectionError, APITimeoutError: the request could not be sent or answered.
    """
    check_url(request.url, allow_http=allow_http)
    http = client or get_client()
    headers = {**request.headers, **auth}
    if request.stream:
        headers.setdefault("accept", "text/event-stream")
        headers.setdefault("cache-control", "no-store")
        headers.setdefault("accept-encoding", "identity")
    credential_names = _CREDENTIAL_HEADERS | {k.lower() for k in auth}
    method, url, content = request.method, request.url, _content(request)
    http_timeout = _httpx_timeout(timeout, http.timeout)
    await start_pacer().wait()  # a burst of starts must not starve the connect timers
    try:
        for hop in range(_MAX_REDIRECTS + 1):
            http_request = http.build_request(
                method, _parsed_url(url), headers=headers, content=content, timeout=http_timeout
            )
            response = await http.send(http_request, stream=True, follow_redirects=False)
            location = response.headers.get("location")
            if not (response.is_redirect and location and follow_redirects):
                break
            await response.aclose()
            if hop == _MAX_REDIRECTS:
                raise APIConnectionError(f"more than {_MAX_REDIRECTS} redirects from {url!r}")
            target = urljoin(url, location)
            check_url(target, allow_http=allow_http)
            if _origin(httpx.URL(target)) != _origin(httpx.URL(url)):
                headers = {k: v for k, v in headers.items() if k.lower() not in credential_names}
            if response.status_code in (301, 302, 303):
                method, content = "GET", b""
            url = target
    except httpx.HTTPError as exc:
        _raise_mapped(exc)
    try:
        if on_headers is not None:
            on_headers(response.status_code, response.headers)
        if response.status_code >= 300:
            body = await _read_capped(response)
            # the one place an error body becomes an exception: a body that echoes the request's
            # credential (or any well-known key shape) must not reach its message, body or repr
            from llmkit.auth.redact import credential_values, redact_error_body

            sent = {**request.headers, **auth}  # as sent before any redirect dropped them
            body = redact_error_body(body, credential_values(sent, credential_names))
            error = on_error(response.status_code, response.headers, body)
            if response.is_redirect:
                error.message = (
                    f"the server redirected to {response.headers.get('location')!r}; llmkit "
                    "does not follow redirects unless asked: fix the provider's base_url"
                )
            error.should_retry = parse_should_retry(response.headers)
            retry_after = parse_retry_after(response.headers)
            if retry_after is not None:  # else keep what the protocol read (a body's retry delay)
                error.retry_after = retry_after
            raise error
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
    timeout: float | Timeouts | None = None,
    on_headers: HeadersHook | None = None,
    follow_redirects: bool = False,
    allow_http: bool = False,
) -> bytes:
    """Send a non-streamed request and return the 2xx body bytes.

    Takes the arguments of :func:`open_response`.

    Raises:
        APIStatusError, APIConnectionError, APITimeoutError, ConfigurationError: as
            :func:`open_response`.
    """
    async with open_response(
        request,
        auth,
        on_error,
        client=client,
        timeout=timeout,
        on_headers=on_headers,
        follow_redirects=follow_redirects,
        allow_http=allow_http,
    ) as response:
        try:
            return await response.aread()
        except httpx.HTTPError as exc:
            _raise_mapped(exc)
