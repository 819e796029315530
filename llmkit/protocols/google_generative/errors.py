"""Map Gemini error bodies (the ``google.rpc.Status`` shape) to llmkit exceptions.

Sources: Gemini API reference, "Troubleshooting" (error codes and what to do), and Google's API
design guide AIP-193 "Errors" / ``google.rpc.Status``, ``google.rpc.Code``,
``google.rpc.RetryInfo``. A failed request answers with an HTTP status and a body::

    {"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED",
               "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                            "retryDelay": "14s"}, ...]}}

(Vertex AI sends the same shape, with ``"details": []``; the Gemini API's OpenAI-compatible
endpoint wraps it in a list, ``[{"error": {...}}]``, which is read too.) The same object can
arrive in-band, as a ``data:`` event of a 200 stream.

================================  ======  ============================================  =========
``error.status``                  status  llmkit class                                  retryable
================================  ======  ============================================  =========
``INVALID_ARGUMENT``              400     :class:`~llmkit.errors.BadRequestError`       no
``FAILED_PRECONDITION``           400     :class:`~llmkit.errors.BadRequestError`       no
``OUT_OF_RANGE``                  400     :class:`~llmkit.errors.BadRequestError`       no
``UNAUTHENTICATED``               401     :class:`~llmkit.errors.AuthenticationError`   no
``PERMISSION_DENIED``             403     :class:`~llmkit.errors.PermissionDeniedError` no
``NOT_FOUND``                     404     :class:`~llmkit.errors.NotFoundError`         no
``ABORTED`` / ``ALREADY_EXISTS``  409     :class:`~llmkit.errors.APIStatusError`        yes (409)
``RESOURCE_EXHAUSTED``            429     :class:`~llmkit.errors.RateLimitError`        yes
``CANCELLED``                     499     :class:`~llmkit.errors.APIStatusError`        no
``INTERNAL`` / ``UNKNOWN``        500     :class:`~llmkit.errors.InternalServerError`   yes
``UNIMPLEMENTED``                 501     :class:`~llmkit.errors.InternalServerError`   yes
``UNAVAILABLE``                   503     :class:`~llmkit.errors.OverloadedError`       yes
``DEADLINE_EXCEEDED``             504     :class:`~llmkit.errors.InternalServerError`   yes
================================  ======  ============================================  =========

HTTP errors are classed by their actual status; the table's status is used for an error object
that arrives with a 200 (in a stream or a non-streamed body), where ``error.code`` (a number)
wins over ``error.status`` when it is an HTTP error status.

``retry_after`` (seconds) comes from a ``google.rpc.RetryInfo`` detail's ``retryDelay`` (a
protobuf ``Duration`` in JSON: ``"14s"``, ``"0.5s"``), else from the ``Retry-After`` header.
The message is Google's ``error.message`` verbatim; what to do next is in the class (and, for
the common cases, in the Gemini API "Troubleshooting" page: a 400 ``API_KEY_INVALID`` needs a
new key, a 404 a model id from ``llmkit models google``, a 429 waiting or a higher tier).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from llmkit._headers import parse_retry_after
from llmkit.errors import APIStatusError, StreamError, in_band_status_error, status_error_class

__all__ = ["RPC_STATUS", "error_from_body", "parse_error", "parse_retry_delay", "stream_error"]

RPC_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INTERNAL": 500,
    "DATA_LOSS": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
"""``google.rpc.Code`` name → its HTTP status (AIP-193, "HTTP/1.1+JSON representation")."""

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)s\s*$")
_EXCERPT = 200


def parse_retry_delay(value: object) -> float | None:
    """Seconds of a protobuf ``Duration`` in its JSON form (``"14s"``, ``"1.5s"``); None when
    it is not one."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    return float(match.group(1)) if match else None


def _excerpt(text: str) -> str:
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return text[:_EXCERPT] + ("…" if len(text) > _EXCERPT else "")


def _error_object(body: object) -> Mapping[str, object] | None:
    """The ``error`` object of a body (a one-element list is unwrapped)."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return error
    return None


def _fields(
    error: Mapping[str, object] | None,
) -> tuple[str | None, str | None, str | None, float | None]:
    """(message, status name, ErrorInfo reason, retry delay) of an ``error`` object."""
    if error is None:
        return None, None, None, None
    message, status = error.get("message"), error.get("status")
    reason: str | None = None
    delay: float | None = None
    details = error.get("details")
    if isinstance(details, list):
        for detail in details:
            if not isinstance(detail, Mapping):
                continue
            kind = detail.get("@type")
            if kind == _RETRY_INFO and delay is None:
                delay = parse_retry_delay(detail.get("retryDelay"))
            elif kind == _ERROR_INFO and reason is None:
                value = detail.get("reason")
                reason = value if isinstance(value, str) else None
    return (
        message if isinstance(message, str) else None,
        status if isinstance(status, str) else None,
        reason,
        delay,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    for key, val in headers.items():
        if key.lower() == name:
            return val
    return None


def parse_error(status_code: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    """Map a non-2xx Gemini response to the :class:`APIStatusError` subclass of its status.

    Args:
        status_code: the HTTP status.
        headers: the response headers (``x-request-id`` when a proxy adds one,
            ``Retry-After``).
        body: the raw response body.

    Returns:
        The exception: ``message`` = ``error.message`` verbatim, ``error_type`` =
        ``error.status`` (``RESOURCE_EXHAUSTED``...), ``error_code`` = the ``ErrorInfo``
        ``reason`` when there is one (``API_KEY_INVALID``), ``retry_after`` from ``RetryInfo``
        or the header, ``body`` = the parsed JSON (or the text of a body that is not JSON).
        Never raises.
    """
    cls = status_error_class(status_code)
    text = body.decode("utf-8", errors="replace")
    parsed: object
    try:
        parsed = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError):
        parsed = None
    message, status, reason, delay = _fields(_error_object(parsed))
    if message is None:
        if parsed is None and text.strip():
            message = (
                f"HTTP {status_code} with a body that is not JSON (a proxy or gateway page?); "
                f"check the provider's base_url. Body starts: {_excerpt(text)!r}"
            )
        elif parsed is None:
            message = f"HTTP {status_code} with an empty body"
        else:
            message = f"HTTP {status_code} with an error body llmkit does not recognise"
    lower = {key.lower(): value for key, value in headers.items()}
    return cls(
        message,
        status_code=status_code,
        body=parsed if parsed is not None else text,
        error_type=status,
        error_code=reason,
        retry_after=delay if delay is not None else parse_retry_after(lower),
        request_id=_header(headers, "x-request-id"),
    )


def _status_of(error: Mapping[str, object], status: str | None) -> int:
    code = error.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    return RPC_STATUS.get(status or "", 500)


def error_from_body(obj: Mapping[str, object]) -> APIStatusError:
    """The :class:`APIStatusError` for an ``{"error": {...}}`` body received with a 2xx status
    (a non-streamed response); the status is ``error.code``, else :data:`RPC_STATUS` of
    ``error.status``, else 500."""
    error = _error_object(obj) or {}
    message, status, reason, delay = _fields(error)
    code = _status_of(error, status)
    return status_error_class(code)(
        message or "the provider returned an error without a message",
        status_code=code,
        body=dict(obj),
        error_type=status,
        error_code=reason,
        retry_after=delay,
    )


def stream_error(
    obj: Mapping[str, object], *, provider_id: str | None = None, model_id: str | None = None
) -> StreamError:
    """The :class:`StreamError` for an error object that arrives in a 200 stream.

    It is also the status's class (an in-band ``RESOURCE_EXHAUSTED`` is both a
    :class:`StreamError` and a :class:`~llmkit.errors.RateLimitError`, ``status_code`` 429), see
    :func:`llmkit.errors.in_band_status_error`.
    """
    error = _error_object(obj) or {}
    message, status, reason, _ = _fields(error)
    text = message or "the provider sent an error event without a message"
    code = _status_of(error, status)
    if code == 429 or code >= 500:
        text += f" ({status or code}: the stream failed mid-way; retrying the request may succeed)"
    elif status:
        text += f" ({status})"
    return in_band_status_error(
        text,
        status_code=code,
        error_type=status,
        error_code=reason,
        body=dict(obj),
        provider_id=provider_id,
        model_id=model_id,
    )
