"""Server-sent events over an open httpx response.

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
from collections.abc import AsyncGenerator

import httpx
from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from llmkit.errors import InvalidResponseError
from llmkit.transport.http import map_httpx_error

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "bad_utf8",
    "check_content_type",
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


async def iter_sse(
    response: httpx.Response, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> AsyncGenerator[ServerSentEvent, None]:
    """Yield the server-sent events of a 2xx streaming response.

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
    await check_content_type(response, ("text/event-stream",), "a text/event-stream")
    text_of = codecs.getincrementaldecoder("utf-8")("strict").decode
    lines_of = SSELineDecoder().decode
    event_of = SSEDecoder().decode
    offset = 0
    since_event = 0
    try:
        async for chunk in response.aiter_bytes():
            bad: UnicodeDecodeError | None = None
            try:
                text = text_of(chunk)
            except UnicodeDecodeError as exc:
                bad, text = exc, valid_prefix(exc)  # the events before the bad byte count
            since_event += len(chunk)
            for line in lines_of(text):
                sse = event_of(line)
                if sse is not None:
                    since_event = 0
                    yield sse
            if bad is not None:
                raise bad_utf8(bad, chunk, offset) from bad
            offset += len(chunk)
            if since_event > max_event_bytes:
                raise InvalidResponseError(
                    f"a server-sent event exceeded {max_event_bytes} bytes; the stream is not "
                    "what the provider normally sends (raise max_event_bytes if it is)",
                    raw=chunk[:200],
                )
        try:
            text_of(b"", final=True)
        except UnicodeDecodeError as exc:
            raise bad_utf8(exc, b"", offset) from exc
        # a last event not followed by a blank line is incomplete: dropped, as the spec says
    except httpx.HTTPError as exc:
        raise map_httpx_error(exc) from exc


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
