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

import httpx
from httpx_sse import ServerSentEvent

from llmkit.errors import InvalidResponseError
from llmkit.transport.http import map_httpx_error
from llmkit.transport.sse import (
    DEFAULT_MAX_EVENT_BYTES,
    bad_utf8,
    check_content_type,
    valid_prefix,
)

__all__ = ["NDJSON_TYPES", "iter_ndjson"]

NDJSON_TYPES = (
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/jsonlines",
    "application/json",  # some servers label every JSON body so
)
"""Content types accepted for an NDJSON stream (compared case-insensitively)."""


async def iter_ndjson(
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
    await check_content_type(response, NDJSON_TYPES, "an NDJSON (application/x-ndjson)")
    text_of = codecs.getincrementaldecoder("utf-8")("strict").decode
    pending: list[str] = []  # pieces of the line in progress, joined once
    pending_bytes = 0
    offset = 0
    try:
        async for chunk in response.aiter_bytes():
            bad: UnicodeDecodeError | None = None
            try:
                text = text_of(chunk)
            except UnicodeDecodeError as exc:
                bad, text = exc, valid_prefix(exc)  # the lines before the bad byte count
                rest_of_chunk = text.rpartition("\n")
                text = rest_of_chunk[0] + rest_of_chunk[1]  # complete lines only
            *complete, rest = text.split("\n")
            for piece in complete:
                if pending_bytes + len(piece) > max_event_bytes:
                    raise _too_long(max_event_bytes, chunk)
                pending.append(piece)
                line = "".join(pending).rstrip("\r")
                pending.clear()
                pending_bytes = 0
                if line.strip():
                    yield ServerSentEvent(data=line)
            if bad is not None:
                raise bad_utf8(bad, chunk, offset) from bad
            offset += len(chunk)
            if rest:
                pending.append(rest)
                pending_bytes += len(rest)
                if pending_bytes > max_event_bytes:
                    raise _too_long(max_event_bytes, chunk)
        try:
            text_of(b"", final=True)
        except UnicodeDecodeError as exc:
            raise bad_utf8(exc, b"", offset) from exc
        line = "".join(pending).rstrip("\r")
        if line.strip():
            yield ServerSentEvent(data=line)
    except httpx.HTTPError as exc:
        raise map_httpx_error(exc) from exc


def _too_long(limit: int, chunk: bytes) -> InvalidResponseError:
    return InvalidResponseError(
        f"an NDJSON line exceeded {limit} bytes; the stream is not what the server normally "
        "sends (raise max_event_bytes if it is)",
        raw=chunk[:200],
    )
