"""OpenAI chat error bodies → llmkit errors.

Sources: OpenAI API reference, "Error codes" and the error object
``{"error": {"message", "type", "param", "code"}}``; response headers ``x-request-id``,
``retry-after-ms`` and ``retry-after`` (OpenAI "Rate limits" guide; RFC 9110 §10.2.3).

Compatible servers vary the shape; every variant below is read:

- ``{"error": {"message": ..., "type": ..., "code": ...}}`` (OpenAI, Together, Groq, vLLM...);
- ``{"error": "text"}`` (Ollama's native API);
- ``{"message": ..., "type": ..., "code": ...}`` without the wrapper (Mistral, some proxies);
- ``{"detail": ...}`` (FastAPI-based servers);
- ``[{"error": {...}}]`` (Gemini's OpenAI-compatible endpoint wraps the error in a list);
- a body that is not JSON at all (an HTML page from a proxy or gateway).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from llmkit._headers import parse_retry_after
from llmkit.errors import APIStatusError, StreamError, in_band_status_error, status_error_class
from llmkit.protocols._common import body_excerpt

__all__ = ["in_band_error", "parse_error_body"]

_EXCERPT = 200

IN_BAND_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "server_error": 500,
    "api_error": 500,
    "internal_error": 500,
    "service_unavailable": 503,
    "overloaded": 529,
    "overloaded_error": 529,
}
"""In-band error ``type`` / ``code`` → the HTTP status of the same error (OpenAI "Error codes";
Groq and Together reuse OpenAI's types; Anthropic-style ``overloaded_error`` from proxies). A
numeric ``code`` between 400 and 599 (OpenRouter's mid-stream errors, OpenRouter docs "Errors")
is used as the status directly."""

_NEVER_RETRY = frozenset({"insufficient_quota"})
"""429s that waiting does not fix (the account is out of credit)."""


def _in_band_status(error: Mapping[str, object]) -> int | None:
    code = error.get("code")
    if isinstance(code, int) and 400 <= code <= 599:
        return code
    if isinstance(code, str) and code.isdigit() and 400 <= int(code) <= 599:
        return int(code)
    for key in ("type", "code"):
        value = error.get(key)
        if isinstance(value, str) and value in IN_BAND_STATUS:
            return IN_BAND_STATUS[value]
    return None


def _str(value: object) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _error_object(body: object) -> Mapping[str, object] | None:
    """The mapping that holds ``message``/``type``/``code``, unwrapping ``error`` and lists."""
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, Mapping):
        return None
    inner = body.get("error")
    if isinstance(inner, Mapping):
        return inner
    if isinstance(inner, str):
        return {"message": inner}
    if "message" in body:
        return body
    detail = body.get("detail")
    if detail is not None:
        return {"message": detail if isinstance(detail, str) else _dumps(detail)}
    return None


def _dumps(value: object) -> str:
    """``json.dumps(value)``, or a placeholder for a value nested too deeply to serialise."""
    try:
        return json.dumps(value)
    except (ValueError, TypeError, RecursionError):
        return f"<a {type(value).__name__} nested too deeply to show>"


def _hint(status_code: int) -> str:
    if status_code == 401:
        return "check the API key (`llmkit keys list`)"
    if status_code == 404:
        return "check the model id and the provider's base URL"
    if status_code == 429:
        return "wait and retry, or lower the request rate"
    if status_code >= 500:
        return "the provider failed; retry later"
    return "check the request"


def parse_error_body(status_code: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    """Build the :class:`~llmkit.errors.APIStatusError` subclass for a non-2xx response.

    Args:
        status_code: the HTTP status.
        headers: the response headers (any case).
        body: the raw response body.

    Returns:
        An error whose ``message`` is the provider's ``error.message`` (or, for a body that is
        not JSON, a description with a short excerpt), with ``error_type``, ``error_code``,
        ``request_id`` (``x-request-id``) and ``retry_after`` in seconds (``retry-after-ms`` or
        ``retry-after``, a number of seconds or an HTTP date). Never raises.
    """
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    cls = status_error_class(status_code)
    parsed: object
    try:
        parsed = json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse
        parsed = None
        message = (
            f"HTTP {status_code} with a response body that is not JSON ({body_excerpt(body)!r}); "
            f"{_hint(status_code)}"
        )
        error = None
        body_out: object = body.decode("utf-8", "replace")
    else:
        body_out = parsed
        error = _error_object(parsed)
        text = _str(error.get("message")) if error is not None else None
        if text is not None:
            message = text
        elif parsed is None:
            message = f"HTTP {status_code} with an empty response body; {_hint(status_code)}"
        else:
            message = (
                f"HTTP {status_code} with an error body llmkit does not recognise "
                f"({body_excerpt(body)!r}); {_hint(status_code)}"
            )
    return cls(
        message,
        status_code=status_code,
        body=body_out,
        error_type=_str(error.get("type")) if error is not None else None,
        error_code=_str(error.get("code")) if error is not None else None,
        retry_after=parse_retry_after(lower),
        request_id=lower.get("x-request-id"),
    )


def in_band_error(
    payload: object, *, provider_id: str | None = None, model_id: str | None = None
) -> StreamError:
    """Build the :class:`~llmkit.errors.StreamError` for an error reported inside a response.

    Used for a stream chunk with a top-level ``error`` key, Groq's ``event: error`` server-sent
    event (Groq API reference, chat streaming), and a 200 JSON body that carries ``error``.

    Args:
        payload: the decoded chunk or body (``{"error": {...}}`` or the error object itself).
        provider_id: the provider, for the error's context.
        model_id: the model as served, if known.

    Returns:
        A ``StreamError`` whose message gives the provider's message, with ``error_type`` set to
        the provider's ``type`` (or ``code``) and ``body`` the error object. When the type, code
        or numeric code maps to a status (:data:`IN_BAND_STATUS`) it is also that status's class
        (``server_error`` → :class:`~llmkit.errors.InternalServerError`...).
    """
    error = _error_object(payload)
    if error is None:
        text = _dumps(payload)[:_EXCERPT] if payload is not None else "no details"
        return StreamError(
            f"the provider reported an error mid-response: {text}",
            body=payload,
            provider_id=provider_id,
            model_id=model_id,
        )
    message = _str(error.get("message")) or "no message"
    error_type = _str(error.get("type"))
    code = _str(error.get("code"))
    tags = ", ".join(f"{k}={v}" for k, v in (("type", error_type), ("code", code)) if v)
    suffix = f" [{tags}]" if tags else ""
    status = _in_band_status(error)
    if status is not None:
        typed = in_band_status_error(
            f"the provider reported an error mid-response: {message}{suffix}",
            status_code=status,
            error_type=error_type or code,
            error_code=code,
            body=error,
            provider_id=provider_id,
            model_id=model_id,
        )
        if error_type in _NEVER_RETRY or code in _NEVER_RETRY:
            typed.should_retry = False
        return typed
    return StreamError(
        f"the provider reported an error mid-response: {message}{suffix}",
        error_type=error_type or code,
        body=error,
        provider_id=provider_id,
        model_id=model_id,
    )
