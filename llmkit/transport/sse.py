"""Server-sent events over an open httpx response: a sans-IO decoder (:class:`SSEDecoder`,
bytes in, events out, which the driver calls inline per network chunk) and
:func:`iter_sse`, an async iterator over a response built on it.

The bytes are decoded here, not by ``httpx.Response.aiter_text``, so that:

- invalid UTF-8 raises :class:`~llmkit.errors.InvalidResponseError` instead of being silently
  replaced by U+FFFD (a mangled byte inside tool-call arguments would otherwise go unnoticed);
- one event cannot grow without bound: past ``max_event_bytes`` (default 64 MiB) the stream fails
  with ``InvalidResponseError``;
- a huge single event decodes in linear time (lines are kept as lists of pieces and joined once).

Line splitting (``\\r\\n``, ``\\r``, ``\\n``) and field parsing are ``httpx-sse``'s
(``SSELineDecoder``, ``SSEDecoder``), per the WHATWG HTML "Server-sent events" parsing rules.
SSE comments (``: keep-alive``, OpenRouter's ``: OPENROUTER PROCESSING``) are dropped.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator, Iterable, Iterator
from typing import ClassVar, Protocol

import httpx
from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder as _EventDecoder
from httpx_sse._decoders import SSELineDecoder as _LineDecoder

from llmkit.errors import InvalidResponseError
from llmkit.transport.http import map_httpx_error

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "FrameDecoder",
    "SSEDecoder",
    "bad_utf8",
    "check_content_type",
    "iter_frames",
    "iter_sse",
    "valid_prefix",
]

DEFAULT_MAX_EVENT_BYTES = 64 << 20
"""The largest single server-sent event accepted, in bytes (64 MiB)."""


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


async def check_content_type(
    response: httpx.Response, accepted: tuple[str, ...], what: str
) -> None:
    """Raise unless the response's media type (compared case-insensitively, parameters
    ignored) is one of ``accepted``.

    Raises:
        InvalidResponseError: another content type (``.raw`` holds the start of the body).
    """
    content_type = response.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() not in accepted:
        raw = await _excerpt(response)
        raise InvalidResponseError(
            f"expected {what} response but got content-type {content_type or '(none)'!r}; the "
            "server may not support streaming at this URL, or a proxy answered instead (body "
            f"starts: {raw[:120]!r})",
            raw=raw,
        )


class SSEDecoder:
    """Sans-IO: the bytes of a ``text/event-stream`` body in, complete server-sent events out.

    Feed each network chunk to :meth:`feed`; call :meth:`end` after the last one. After a
    chunk that breaks the stream (invalid UTF-8, an event past ``max_event_bytes``),
    :meth:`feed` still returns the complete events before the fault and sets :attr:`failure`:
    the caller delivers those events, then raises it.

    Args:
        max_event_bytes: the size cap of one event (bytes since the previous event, checked
            per chunk).

    Attributes:
        failure: the :class:`~llmkit.errors.InvalidResponseError` to raise once the events
            :meth:`feed` returned are delivered, or None.
    """

    CONTENT_TYPES: ClassVar[tuple[str, ...]] = ("text/event-stream",)
    """The media types of a body this decoder reads."""
    WHAT: ClassVar[str] = "a text/event-stream"
    """The body's kind, for the wrong-content-type error."""

    __slots__ = (
        "_event_of",
        "_lines_of",
        "_offset",
        "_since_event",
        "_text_of",
        "failure",
        "max_event_bytes",
    )

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._text_of = codecs.getincrementaldecoder("utf-8")("strict").decode
        self._lines_of = _LineDecoder().decode
        self._event_of = _EventDecoder().decode
        self._offset = 0
        self._since_event = 0
        self.failure: InvalidResponseError | None = None

    def feed(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """The events completed by ``chunk`` (a blank line ends each), in order, decoded one
        at a time as they are taken: a chunk of a hundred events (a fast server, a busy
        client) is never held decoded all at once. Take all of them (and check
        :attr:`failure`) before feeding the next chunk."""
        bad: UnicodeDecodeError | None = None
        try:
            text = self._text_of(chunk)
        except UnicodeDecodeError as exc:
            bad, text = exc, valid_prefix(exc)  # the events before the bad byte count
        self._since_event += len(chunk)
        event_of = self._event_of
        for line in self._lines_of(text):
            sse = event_of(line)
            if sse is not None:
                self._since_event = 0
                yield sse
        if bad is not None:
            self.failure = bad_utf8(bad, chunk, self._offset)
        elif self._since_event > self.max_event_bytes:
            self.failure = InvalidResponseError(
                f"a server-sent event exceeded {self.max_event_bytes} bytes; the stream is not "
                "what the provider normally sends (raise max_event_bytes if it is)",
                raw=chunk[:200],
            )
        self._offset += len(chunk)

    def end(self) -> list[ServerSentEvent]:
        """After the last chunk: nothing more (a last event not followed by a blank line is
        incomplete, and dropped, as the spec says).

        Raises:
            InvalidResponseError: the body ended inside a UTF-8 character.
        """
        try:
            self._text_of(b"", final=True)
        except UnicodeDecodeError as exc:
            raise bad_utf8(exc, b"", self._offset) from exc
        return []


class FrameDecoder(Protocol):
    """What a framing's sans-IO decoder offers (:class:`SSEDecoder`,
    :class:`~llmkit.transport.ndjson.NDJSONDecoder`): bytes in, events out."""

    CONTENT_TYPES: ClassVar[tuple[str, ...]]
    """The media types of a body the decoder reads."""
    WHAT: ClassVar[str]
    """The body's kind, for the wrong-content-type error."""
    failure: InvalidResponseError | None
    """Set by :meth:`feed` when a chunk broke the stream (raise it after its events)."""

    def feed(self, chunk: bytes) -> Iterable[ServerSentEvent]:
        """The events (or lines) completed by ``chunk``; all taken before the next feed."""
        ...

    def end(self) -> list[ServerSentEvent]:
        """What the end of the body completes; raises for a cut UTF-8 character."""
        ...


async def iter_frames(
    response: httpx.Response, decoder: FrameDecoder
) -> AsyncGenerator[ServerSentEvent, None]:
    """Yield what ``decoder`` reads from a 2xx streaming response, one event (or line) at a
    time, after checking the response's content type.

    Raises:
        InvalidResponseError: the content type is not one the decoder reads (e.g. an HTML page
            with status 200; ``.raw`` holds the start of the body), or the decoder's failure.
        APIConnectionError, APITimeoutError: the connection broke or stalled mid-stream.
    """
    await check_content_type(response, decoder.CONTENT_TYPES, decoder.WHAT)
    feed = decoder.feed
    try:
        async for chunk in response.aiter_bytes():
            for sse in feed(chunk):
                yield sse
            if decoder.failure is not None:
                raise decoder.failure
        for sse in decoder.end():
            yield sse
    except httpx.HTTPError as exc:
        raise map_httpx_error(exc) from exc


def iter_sse(
    response: httpx.Response, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> AsyncGenerator[ServerSentEvent, None]:
    """Yield the server-sent events of a 2xx streaming response (see :class:`SSEDecoder`).

    Args:
        response: an open response (from :func:`llmkit.transport.http.open_response`).
        max_event_bytes: the size cap of one event (bytes since the previous event, checked per
            network read).

    Raises:
        InvalidResponseError: the response is not ``text/event-stream`` (e.g. an HTML page with
            status 200; ``.raw`` holds the start of the body), is not valid UTF-8, or an event
            exceeds ``max_event_bytes``.
        APIConnectionError, APITimeoutError: the connection broke or stalled mid-stream.
    """
    return iter_frames(response, SSEDecoder(max_event_bytes))


def valid_prefix(exc: UnicodeDecodeError) -> str:
    """The text before the first invalid byte of an incremental decode (``exc.object`` is the
    decoder's held-back bytes plus the chunk, so the prefix is whole characters)."""
    return bytes(exc.object[: exc.start]).decode("utf-8")


def bad_utf8(exc: UnicodeDecodeError, chunk: bytes, offset: int) -> InvalidResponseError:
    """The error for bytes that are not UTF-8 at body offset ``offset``."""
    where = offset + exc.start
    return InvalidResponseError(
        f"the stream is not valid UTF-8 (byte {where} of the body: {exc.reason}); a proxy may "
        "have mangled it",
        raw=chunk[max(exc.start - 40, 0) : exc.end + 40],
    )
