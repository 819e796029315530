"""Newline-delimited JSON (NDJSON, JSON Lines) over an open httpx response.

For protocols whose ``framing`` is ``ndjson`` (Ollama's native ``/api/chat``, for example): each
non-empty line is handed to the protocol as a ``ServerSentEvent`` whose ``data`` is the line, so a
protocol parses NDJSON lines and server-sent events through the same ``parse_event``. The
guarantees of :mod:`llmkit.transport.sse` hold here too: invalid UTF-8 raises
:class:`~llmkit.errors.InvalidResponseError`, and one line cannot grow past ``max_event_bytes``.

Lines end at ``\\n`` (a ``\\r`` before it is dropped); a last line without a newline is handed on
as well (the protocol's JSON parsing or its end-of-stream check rejects a cut one). Source: the
NDJSON spec (github.com/ndjson/ndjson-spec) and JSON Lines (jsonlines.org).
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator
from typing import ClassVar

import httpx
from httpx_sse import ServerSentEvent

from llmkit.errors import InvalidResponseError
from llmkit.transport.sse import DEFAULT_MAX_EVENT_BYTES, bad_utf8, iter_frames, valid_prefix

__all__ = ["NDJSON_TYPES", "NDJSONDecoder", "iter_ndjson"]

NDJSON_TYPES = (
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/jsonlines",
    "application/json",  # some servers label every JSON body so
)
"""Content types accepted for an NDJSON stream (compared case-insensitively)."""


class NDJSONDecoder:
    """Sans-IO: the bytes of an NDJSON body in, each complete non-empty line out as
    ``ServerSentEvent(data=line)``; the interface of :class:`~llmkit.transport.sse.SSEDecoder`
    (:meth:`feed`, :meth:`end`, :attr:`failure`).

    Args:
        max_event_bytes: the size cap of one line (counted in characters of the decoded text,
            which is at most its size in bytes).
    """

    CONTENT_TYPES: ClassVar[tuple[str, ...]] = NDJSON_TYPES
    """The media types of a body this decoder reads."""
    WHAT: ClassVar[str] = "an NDJSON (application/x-ndjson)"
    """The body's kind, for the wrong-content-type error."""

    __slots__ = ("_offset", "_pending", "_pending_bytes", "_text_of", "failure", "max_event_bytes")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._text_of = codecs.getincrementaldecoder("utf-8")("strict").decode
        self._pending: list[str] = []  # pieces of the line in progress, joined once
        self._pending_bytes = 0
        self._offset = 0
        self.failure: InvalidResponseError | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The lines completed by ``chunk`` (a ``\\r`` before the ``\\n`` dropped), in order."""
        bad: UnicodeDecodeError | None = None
        try:
            text = self._text_of(chunk)
        except UnicodeDecodeError as exc:
            bad, text = exc, valid_prefix(exc)  # the lines before the bad byte count
            head, newline, _ = text.rpartition("\n")
            text = head + newline  # complete lines only
        *complete, rest = text.split("\n")
        lines: list[ServerSentEvent] = []
        pending = self._pending
        for piece in complete:
            if self._pending_bytes + len(piece) > self.max_event_bytes:
                self.failure = _too_long(self.max_event_bytes, chunk)
                return lines
            pending.append(piece)
            line = "".join(pending).rstrip("\r")
            pending.clear()
            self._pending_bytes = 0
            if line.strip():
                lines.append(ServerSentEvent(data=line))
        if bad is not None:
            self.failure = bad_utf8(bad, chunk, self._offset)
            return lines
        self._offset += len(chunk)
        if rest:
            pending.append(rest)
            self._pending_bytes += len(rest)
            if self._pending_bytes > self.max_event_bytes:
                self.failure = _too_long(self.max_event_bytes, chunk)
        return lines

    def end(self) -> list[ServerSentEvent]:
        """After the last chunk: the last line if it had no newline (the protocol's JSON
        parsing or its end-of-stream check rejects a cut one).

        Raises:
            InvalidResponseError: the body ended inside a UTF-8 character.
        """
        try:
            self._text_of(b"", final=True)
        except UnicodeDecodeError as exc:
            raise bad_utf8(exc, b"", self._offset) from exc
        line = "".join(self._pending).rstrip("\r")
        self._pending.clear()
        return [ServerSentEvent(data=line)] if line.strip() else []


def iter_ndjson(
    response: httpx.Response, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> AsyncGenerator[ServerSentEvent, None]:
    """Yield each non-empty line of a 2xx NDJSON response as ``ServerSentEvent(data=line)``.

    Args:
        response: an open response (from :func:`llmkit.transport.http.open_response`).
        max_event_bytes: the size cap of one line (counted in characters of the decoded text,
            which is at most its size in bytes).

    Raises:
        InvalidResponseError: the response is not NDJSON (e.g. an HTML page with status 200), is
            not valid UTF-8, or a line exceeds ``max_event_bytes``.
        APIConnectionError, APITimeoutError: the connection broke or stalled mid-stream.
    """
    return iter_frames(response, NDJSONDecoder(max_event_bytes))


def _too_long(limit: int, chunk: bytes) -> InvalidResponseError:
    return InvalidResponseError(
        f"an NDJSON line exceeded {limit} bytes; the stream is not what the server normally "
        "sends (raise max_event_bytes if it is)",
        raw=chunk[:200],
    )
