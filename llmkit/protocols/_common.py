"""Helpers shared by the protocols: the one JSON boundary, and the typed error for bad data.

Every place a protocol decodes provider JSON maps *every* decode failure to
:class:`~llmkit.errors.InvalidResponseError` here: ``ValueError`` (malformed JSON, invalid
UTF-8 in a bytes body, an integer too long to convert) and ``RecursionError`` (JSON nested
about a thousand levels deep: ``json.loads`` is recursive). No ``json`` exception reaches the
caller; the original is chained.

Bytes must be valid UTF-8 (RFC 8259). The per-event hot paths (``parse_chunk``,
``parse_event``) call :func:`decode_event_json` inline inside a ``try`` that catches
:data:`JSON_ERRORS` and raise :func:`invalid_json` (a ``try`` costs nothing when nothing is
raised); the other paths call :func:`loads`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jiter

from llmkit.errors import InvalidResponseError

__all__ = [
    "JSON_ERRORS",
    "SHAPE_ERRORS",
    "body_excerpt",
    "decode_event_json",
    "excerpt",
    "invalid_json",
    "loads",
    "loads_object",
]

JSON_ERRORS: tuple[type[Exception], ...] = (ValueError, RecursionError)
"""What ``json.loads`` (and ``json.dumps``) can raise for data that is not usable JSON."""

SHAPE_ERRORS: tuple[type[Exception], ...] = (
    AttributeError,
    TypeError,
    KeyError,
    IndexError,
    ValueError,
    RecursionError,
)
"""What reading a decoded JSON value of an unexpected shape can raise (a list where an object
was expected, a missing key, a number where a string was expected, re-encoding a value nested
too deeply): the protocols' shape guards catch these and raise ``InvalidResponseError``."""

_EXCERPT = 120

_from_json = jiter.from_json


def decode_event_json(data: str) -> Any:
    """Decode one stream event's JSON text, as ``json.loads(data)`` would.

    jiter (Rust) decodes it, about 3x faster than ``json.loads`` for a typical 200-byte chunk
    (``bench/bench_layers.py``). Whatever jiter refuses goes to ``json.loads``, which either
    accepts it (a lone surrogate escape ``"\\ud800"``, nesting deeper than jiter's limit of
    200) or raises its own error: the result and the errors are exactly ``json.loads``'s.

    Raises:
        ValueError, RecursionError: ``data`` is not JSON (see :data:`JSON_ERRORS`).
    """
    try:
        return _from_json(data.encode())
    except ValueError:  # UnicodeEncodeError (lone surrogates) included
        return json.loads(data)


def excerpt(raw: str | bytes, limit: int = _EXCERPT) -> str:
    """The start of ``raw`` as a printable excerpt for an error message (with its length when it
    is longer than ``limit``)."""
    head = repr(raw[:limit])
    return head if len(raw) <= limit else f"{head}... ({len(raw)} in all)"


def body_excerpt(body: str | bytes, limit: int = _EXCERPT) -> str:
    """A short one-line excerpt of an error body that is not JSON (an HTML page from a proxy):
    tags stripped, whitespace collapsed, cut at ``limit`` characters with an ellipsis."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(_TAG.sub(" ", text).split())
    return text if len(text) <= limit else text[:limit] + "..."


_TAG = re.compile(r"<[^>]*>")


def invalid_json(
    exc: BaseException,
    raw: str | bytes,
    message: str,
    hint: str,
    *,
    provider_id: str | None = None,
    model_id: str | None = None,
) -> InvalidResponseError:
    """The error for data that failed to decode as JSON.

    Args:
        exc: the decode error (its reason goes in the message).
        raw: the data (kept, truncated, in ``.raw``; an excerpt goes in the message).
        message: what is wrong, e.g. ``"a stream chunk is not valid JSON"``.
        hint: what to do or check next.
        provider_id, model_id: context for the error.
    """
    reason = "it is nested too deeply to decode" if isinstance(exc, RecursionError) else str(exc)
    return InvalidResponseError(
        f"{message} ({reason}); {hint}; it starts {excerpt(raw)}",
        raw=raw,
        provider_id=provider_id,
        model_id=model_id,
    )


def loads(
    raw: str | bytes,
    message: str,
    hint: str,
    *,
    provider_id: str | None = None,
    model_id: str | None = None,
) -> Any:
    """Decode JSON text or bytes, or raise :func:`invalid_json`'s error (chained).

    Bytes are decoded as strict UTF-8 (a leading BOM is dropped), as the stream decoder does:
    ``json.loads`` alone would let UTF-8-encoded surrogates through as lone surrogates.

    Raises:
        InvalidResponseError: ``raw`` is not JSON, is not valid UTF-8, or nests too deeply.
    """
    try:
        return json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except JSON_ERRORS as exc:
        raise invalid_json(
            exc, raw, message, hint, provider_id=provider_id, model_id=model_id
        ) from exc


def loads_object(
    raw: str | bytes,
    what: str,
    hint: str,
    *,
    provider_id: str | None = None,
    model_id: str | None = None,
) -> dict[str, Any]:
    """Decode ``raw`` as a JSON object (the JSON-object-or-raise every body parser needs).

    Args:
        raw: the body.
        what: what the body is, for the messages ("model list", "response body").
        hint: what to check next, appended to the messages.

    Raises:
        InvalidResponseError: ``raw`` is not JSON (see :func:`loads`) or not a JSON object.
    """
    obj = loads(raw, f"{what} is not valid JSON", hint, provider_id=provider_id, model_id=model_id)
    if not isinstance(obj, dict):
        raise InvalidResponseError(
            f"{what} is not a JSON object but {type(obj).__name__} ({excerpt(raw)}); {hint}",
            raw=raw,
            provider_id=provider_id,
            model_id=model_id,
        )
    return obj
