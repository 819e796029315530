"""The shared client's transport: httpx's API over aiohttp's C HTTP/1.1 parser.

``httpx-aiohttp``'s ``AiohttpTransport`` sends each request with an ``aiohttp.ClientSession``.
This module fixes what llmkit needs on top of it:

- **errors by phase**: ``httpx-aiohttp`` maps every ``aiohttp.ClientConnectionError`` to
  ``httpx.ConnectTimeout``, including a server that disconnects mid-stream, and lets others
  (a malformed status line: ``aiohttp.ClientResponseError``) escape unmapped. Here each aiohttp
  error becomes the httpx error its h11 counterpart raised, so
  :func:`llmkit.transport.http.map_httpx_error` gives the same llmkit error on either transport:
  a truncated body or an early disconnect is ``httpx.RemoteProtocolError``, a reset while
  reading ``httpx.ReadError``, a refused connection ``httpx.ConnectError``, a connect timeout
  ``httpx.ConnectTimeout``, a read timeout ``httpx.ReadTimeout``;
- **no cookie jar** (a shared client must not carry one provider's cookies to the next
  request; httpx keeps its own per-client jar as before);
- **bytes as they arrive** (``iter_any``: one chunk per network read, not httpx-aiohttp's
  fixed 16 KiB reads), with a 16 KiB read buffer per connection (:data:`_READ_BUFFER`);
- **no credential in a traceback**: aiohttp's frames, whose locals hold the request headers
  unmasked, are stripped from the errors it raises (:func:`_without_frames`);
- **a quiet end**: the session is closed at loop shutdown; one collected unclosed (a loop that
  never shut down) closes its sockets without aiohttp's "Unclosed client session" report.

Cancellation closes the socket: leaving the response unread releases its connection with
``should_close`` set, so aiohttp closes it rather than pooling a half-read stream.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

__all__ = ["LlmkitAiohttpTransport"]

_READ_BUFFER = 1 << 14
"""Bytes aiohttp buffers per connection before it pauses reading the socket (twice this is its
high-water mark; its default is 64 KiB). An LLM stream never comes near it; a fast server and a
busy client do: at 100 concurrent 2,000-delta streams the default held about 55 MiB more, and
the smaller buffer costs no CPU (``bench/bench_stream.py``)."""


def _to_httpx(exc: BaseException, request: httpx.Request, *, reading: bool) -> httpx.HTTPError:
    """The httpx error h11/httpcore would have raised for aiohttp's ``exc``.

    ``reading`` is True once the response head arrived (the body is being read)."""
    message = str(exc) or type(exc).__name__
    error: Callable[..., httpx.HTTPError]
    if reading and _reset_by_peer(exc):
        error = httpx.ReadError  # h11 read a reset as ReadError, not as a short body
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout
    elif isinstance(exc, (aiohttp.SocketTimeoutError, asyncio.TimeoutError)):
        error = httpx.ReadTimeout
    elif isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
        error = httpx.RemoteProtocolError  # h11: "peer closed connection without ..."
    elif isinstance(exc, aiohttp.ClientResponseError):
        error = httpx.RemoteProtocolError  # a malformed status line or header
    elif isinstance(exc, aiohttp.ClientConnectorError):
        error = httpx.ConnectError  # refused, unreachable, DNS, TLS handshake
    elif isinstance(exc, (aiohttp.ClientOSError, OSError)):
        error = httpx.ReadError if reading else httpx.ConnectError
    elif isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        error = httpx.UnsupportedProtocol
    else:
        error = httpx.ReadError if reading else httpx.ConnectError
    return error(f"{type(exc).__name__}: {message}", request=request)


def _without_frames(exc: BaseException) -> BaseException:
    """``exc`` and the exceptions chained to it, stripped of their tracebacks. aiohttp's frames
    hold the request headers (``Authorization``, ``x-api-key``) in locals, unmasked: a
    traceback rendered with its locals (``capture_locals``, error trackers) would show the
    credential. The llmkit error keeps the type and message of each."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        seen.__traceback__ = None
        seen = seen.__cause__ or seen.__context__
    return exc


def _reset_by_peer(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was caused by, a connection reset. aiohttp reports a reset
    mid-body as ``ClientPayloadError`` whose only trace of the reset is its message (it chains
    the parser's ``TransferEncodingError`` instead): if that wording changes, a reset reads as
    a cut body, which is still an :class:`~llmkit.errors.APIConnectionError`."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionResetError):
            return True
        if isinstance(seen, aiohttp.ClientPayloadError) and "ConnectionResetError" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _ResponseStream(httpx.AsyncByteStream):
    """The body of one aiohttp response, chunk by chunk as the network delivers it."""

    __slots__ = ("_request", "_response")

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _to_httpx(exc, self._request, reading=True) from _without_frames(exc)

    async def aclose(self) -> None:
        self._response.release()  # an unfinished body closes the connection, never pools it
        # asyncio closes a transport's socket in a callback on the next loop turn: let it run
        # now, so the socket is closed when the response is (a bare yield, no future awaited)
        await asyncio.sleep(0)


class _Connector(aiohttp.TCPConnector):
    """A connector closed quietly when collected unclosed."""

    def __del__(self, _warnings: Any = None) -> None:
        if not self._closed and self._conns:
            # no module globals here (contextlib): at interpreter exit they may be gone already
            try:  # noqa: SIM105
                self._close()
            except Exception:  # its loop may be closed already
                pass


with warnings.catch_warnings():
    # aiohttp discourages subclassing ClientSession (its internals may change); this one only
    # replaces ``__del__``, which is documented behaviour to override
    warnings.simplefilter("ignore", DeprecationWarning)

    class _Session(aiohttp.ClientSession):
        """The shared client's session, which llmkit owns: ``asyncio.run`` closes it at loop
        shutdown (:func:`llmkit._closing.at_shutdown`). A loop that ends without shutting down
        its async generators (a daemon thread's loop at interpreter exit, a loop left to the
        garbage collector) drops it unclosed: its connector then closes the pooled sockets,
        quietly, as httpx's own pool does, instead of aiohttp's "Unclosed client session"
        error log."""

        def __del__(self, _warnings: Any = None) -> None:
            pass


class LlmkitAiohttpTransport(AiohttpTransport):
    """``AiohttpTransport`` with llmkit's error mapping, no cookie jar and per-read chunks.

    Args:
        limits: ``max_connections`` sizes aiohttp's connector (its ``limit``);
            ``keepalive_expiry`` (seconds) is how long an idle connection stays pooled.
    """

    def __init__(self, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, client=self._new_session)

    def _new_session(self) -> aiohttp.ClientSession:
        connector = _Connector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return _Session(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # httpx decodes Content-Encoding, as with its own transport
            read_bufsize=_READ_BUFFER,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; return the response with its body unread.

        Raises:
            httpx.HTTPError: the subclass httpx's own transport raises for the same failure
                (see the module docstring).
        """
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self._new_session()
        timeout = request.extensions.get("timeout", {})
        content = request.content  # llmkit always sends bytes (never a streamed body)
        try:
            response = await self.client.request(
                method=request.method,
                url=str(request.url),
                headers=request.headers,
                data=content or None,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
                server_hostname=request.extensions.get("sni_hostname"),
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _to_httpx(exc, request, reading=False) from _without_frames(exc)
        extensions: dict[str, object] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request),
            request=request,
            extensions=extensions,
        )
