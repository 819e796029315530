"""llmkit errors → OpenAI error bodies (serving half).

Source: OpenAI API reference, "Error codes" and the error object
``{"error": {"message", "type", "param", "code"}}``.

Status and ``type``, by error:

==================================  ======  ============================================
error                               status  ``type`` (``code``, ``param``)
==================================  ======  ============================================
RequestFieldError                   400     ``invalid_request_error`` (``param`` = the
                                            field's JSON path, ``null`` for the body)
APIStatusError (upstream)           its     by status, below (``code`` = the upstream's
                                    status  error code, else its error type)
NoSuchProviderError                 404     ``invalid_request_error``
                                            (``code: model_not_found``, ``param: model``)
InvalidArgumentError,               400     ``invalid_request_error``
UnsupportedFeatureError,
UnknownSettingError
APITimeoutError                     504     ``server_error`` (``code: timeout``)
APIConnectionError, StreamError     502     ``server_error`` (``code: bad_gateway``;
(the upstream failed)                       ``upstream_error`` for a stream error)
any other error (configuration,     500     ``server_error``
credentials, ...)
==================================  ======  ============================================

Type by status: 400 ``invalid_request_error``, 401 ``authentication_error``, 403
``permission_error``, 404 ``not_found_error``, 429 ``rate_limit_error``, 503
``service_unavailable``, 529 ``overloaded``, other 5xx ``server_error``, other 4xx
``invalid_request_error``. These are the names llmkit's own reader maps back to the same
status when they arrive in-band (:data:`~.errors.IN_BAND_STATUS`), so an error passed through
two gateways keeps its class.
"""

from __future__ import annotations

from llmkit.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    InvalidArgumentError,
    LLMKitError,
    NoSuchProviderError,
    StreamError,
    UnknownSettingError,
    UnsupportedFeatureError,
)
from llmkit.protocols.openai_chat.serve_shapes import dumps, utf8
from llmkit.protocols.serving import RequestFieldError

__all__ = ["encode_error", "error_object", "error_type"]

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "service_unavailable",
    529: "overloaded",
}


def error_type(status: int) -> str:
    """OpenAI's error ``type`` for an HTTP status (table in the module docstring)."""
    known = _TYPES.get(status)
    if known is not None:
        return known
    return "server_error" if status >= 500 else "invalid_request_error"


def _message(error: BaseException) -> str:
    if isinstance(error, (APIError, RequestFieldError)):
        return error.message
    return str(error)


def error_object(error: LLMKitError | RequestFieldError) -> tuple[int, dict[str, object]]:
    """The HTTP status and the OpenAI error object (the value of ``error``) for an error.

    Returns:
        ``(status, {"message", "type", "param", "code"})``; ``param`` and ``code`` may be
        ``None`` (JSON ``null``), as in OpenAI's own errors.
    """
    param: str | None = None
    code: str | None = None
    if isinstance(error, RequestFieldError):
        status, param = 400, error.field or None
    elif isinstance(error, APIStatusError):
        status = error.status_code
        code = error.error_code or error.error_type
    elif isinstance(error, NoSuchProviderError):
        status, param, code = 404, "model", "model_not_found"
        return status, {
            "message": _message(error),
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }
    elif isinstance(error, (InvalidArgumentError, UnsupportedFeatureError, UnknownSettingError)):
        status = 400
    elif isinstance(error, APITimeoutError):
        status, code = 504, "timeout"
    elif isinstance(error, APIConnectionError):
        status, code = 502, "bad_gateway"
    elif isinstance(error, StreamError):
        status, code = 502, error.error_type or "upstream_error"
    else:
        status = 500
    kind = error_type(status)
    if status in (502, 504):
        kind = "server_error"
    return status, {"message": _message(error), "type": kind, "param": param, "code": code}


def encode_error(error: LLMKitError | RequestFieldError) -> tuple[int, bytes]:
    """The HTTP status and the JSON body ``{"error": {"message", "type", "param", "code"}}``
    for an error before the first byte (table in the module docstring)."""
    status, body = error_object(error)
    return status, utf8(dumps({"error": body}))
