"""Map Anthropic error bodies and in-band ``error`` events to llmkit exceptions.

Anthropic API reference, "Errors": a failed request answers with an HTTP status and a JSON body
``{"type": "error", "error": {"type": "<error type>", "message": "..."}, "request_id": "req_..."}``.
The same ``error`` object can arrive in-band in a stream (``event: error``) after the HTTP 200,
typically ``overloaded_error``. Error types and their statuses:

==========================  ======  =============================================
``error.type``              status  llmkit class (for HTTP errors)
==========================  ======  =============================================
``invalid_request_error``   400     :class:`~llmkit.errors.BadRequestError`
``authentication_error``    401     :class:`~llmkit.errors.AuthenticationError`
``permission_error``        403     :class:`~llmkit.errors.PermissionDeniedError`
``not_found_error``         404     :class:`~llmkit.errors.NotFoundError`
``request_too_large``       413     :class:`~llmkit.errors.APIStatusError`
``rate_limit_error``        429     :class:`~llmkit.errors.RateLimitError`
``api_error``               500     :class:`~llmkit.errors.InternalServerError`
``timeout_error``           504     :class:`~llmkit.errors.InternalServerError`
``overloaded_error``        529     :class:`~llmkit.errors.OverloadedError`
==========================  ======  =============================================

HTTP errors are classed by their actual status (:func:`llmkit.errors.status_error_class`); the
table's status is used only for an error body that arrives with a 200 (non-streamed) response.
In-band stream errors raise :class:`~llmkit.errors.StreamError` with ``error_type`` set; when the
type is in the table the error is *also* an instance of the status's class (an in-band
``overloaded_error`` is both a ``StreamError`` and an :class:`~llmkit.errors.OverloadedError`,
``status_code`` 529), see :func:`llmkit.errors.in_band_status_error`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from llmkit._headers import parse_retry_after
from llmkit.errors import APIStatusError, StreamError, in_band_status_error, status_error_class
from llmkit.protocols._common import body_excerpt

__all__ = ["ERROR_TYPE_STATUS", "error_from_body", "parse_error", "stream_error"]

ERROR_TYPE_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
"""Anthropic ``error.type`` → the HTTP status Anthropic documents for it."""

_RETRYABLE_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})
_EXCERPT = 200


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts and ``httpx.Headers``."""
    value = headers.get(name)
    if value is not None:
        return value
    for key, val in headers.items():
        if key.lower() == name:
            return val
    return None


def _error_fields(obj: object) -> tuple[str | None, str | None]:
    """(message, error type) from an Anthropic error body, tolerating near-miss shapes."""
    if not isinstance(obj, dict):
        return None, None
    error = obj.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        error_type = error.get("type")
        return (
            message if isinstance(message, str) else None,
            error_type if isinstance(error_type, str) else None,
        )
    if isinstance(error, str):
        return error, None
    message = obj.get("message")
    return (message if isinstance(message, str) else None), None


def parse_error(status_code: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    """Map a non-2xx Anthropic response to the :class:`APIStatusError` subclass of its status.

    Args:
        status_code: the HTTP status.
        headers: the response headers (``request-id``, ``retry-after-ms``, ``retry-after``).
        body: the raw response body.

    Returns:
        The exception, with ``message`` = ``error.message`` verbatim, ``error_type`` =
        ``error.type``, ``request_id`` from the ``request-id`` header or the body's
        ``request_id``, ``retry_after`` in seconds, and ``body`` = the parsed JSON (or the text
        when the body was not JSON, e.g. an HTML page from a proxy). Never raises.
    """
    cls = status_error_class(status_code)
    text = body.decode("utf-8", errors="replace")
    parsed: object
    try:
        parsed = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse
        parsed = None
    message, error_type = _error_fields(parsed)
    body_request_id = parsed.get("request_id") if isinstance(parsed, dict) else None
    request_id = _header(headers, "request-id") or (
        body_request_id if isinstance(body_request_id, str) else None
    )
    if message is None:
        if parsed is None and text.strip():
            message = (
                f"HTTP {status_code} with a body that is not JSON (a proxy or gateway page?); "
                f"check the provider's base_url. Body starts: {body_excerpt(text)!r}"
            )
        elif parsed is None:
            message = f"HTTP {status_code} with an empty body"
        else:
            message = f"HTTP {status_code} with an error body llmkit does not recognise"
    return cls(
        message,
        status_code=status_code,
        body=parsed if parsed is not None else text,
        error_type=error_type,
        retry_after=parse_retry_after(headers),
        request_id=request_id,
    )


def error_from_body(obj: Mapping[str, object]) -> APIStatusError:
    """The :class:`APIStatusError` for an ``{"type": "error"}`` body received with a 2xx status
    (non-streamed responses); the status comes from :data:`ERROR_TYPE_STATUS` (500 if unknown)."""
    message, error_type = _error_fields(obj)
    status = ERROR_TYPE_STATUS.get(error_type or "", 500)
    request_id = obj.get("request_id")
    return status_error_class(status)(
        message or "the provider returned an error without a message",
        status_code=status,
        body=dict(obj),
        error_type=error_type,
        request_id=request_id if isinstance(request_id, str) else None,
    )


def stream_error(
    obj: Mapping[str, object], *, provider_id: str | None = None, model_id: str | None = None
) -> StreamError:
    """The :class:`StreamError` for an in-band ``error`` event.

    Args:
        obj: the event's JSON, ``{"type": "error", "error": {"type": ..., "message": ...}}``.
        provider_id: the provider, for the message.
        model_id: the model as served, if ``message_start`` said.

    Returns:
        A :class:`StreamError` whose ``error_type`` is ``error.type`` (``overloaded_error``...),
        ``body`` the event object, and whose message is the provider's message plus what to do.
        For a type in :data:`ERROR_TYPE_STATUS` it is also that status's class
        (``overloaded_error`` → :class:`~llmkit.errors.OverloadedError`, ``status_code`` 529).
    """
    message, error_type = _error_fields(obj)
    text = message or "the provider sent an error event without a message"
    if error_type in _RETRYABLE_TYPES:
        text += f" ({error_type}: the stream failed mid-way; retrying the request may succeed)"
    elif error_type:
        text += f" ({error_type})"
    request_id = obj.get("request_id")
    status = ERROR_TYPE_STATUS.get(error_type or "")
    if status is not None:
        return in_band_status_error(
            text,
            status_code=status,
            error_type=error_type,
            body=dict(obj),
            provider_id=provider_id,
            model_id=model_id,
            request_id=request_id if isinstance(request_id, str) else None,
        )
    return StreamError(
        text,
        error_type=error_type,
        body=dict(obj),
        provider_id=provider_id,
        model_id=model_id,
        request_id=request_id if isinstance(request_id, str) else None,
    )
