"""What a gateway client is told when something fails: a fresh error with the status to answer
and a credential-free message, which the endpoint's codec encodes in its protocol's shape.

Status rules (an upstream status error otherwise keeps its status: 400, 404, 429, 5xx...):

===========================================  =====================================
failure                                      status
===========================================  =====================================
no gateway key / an unknown one              401
the key may not use the model                403
body over ``max_body_bytes``                 413
key over its rate limit                      429 (``retry-after``)
unknown model, alias or provider             404
invalid call options, unsupported feature    400
upstream 401 / 403 (the gateway's own        502: the client's key is fine, the
credential was refused)                      gateway's upstream credential is not
no upstream credential configured            502
upstream connection failure                  502
upstream timeout                             504
===========================================  =====================================

Messages go through :func:`llmkit.auth.redact.redact`; an upstream error body is never copied.
"""

from __future__ import annotations

from llmkit.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthError,
    ConfigurationError,
    InvalidArgumentError,
    LLMKitError,
    MissingCredentialError,
    NoSuchProviderError,
    UnsupportedFeatureError,
    status_error_class,
)

__all__ = ["client_error", "gateway_error"]


def gateway_error(
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    retry_after: float | None = None,
) -> APIStatusError:
    """An error the gateway itself answers with (``status`` picks the class: 401 →
    :class:`~llmkit.errors.AuthenticationError`...)."""
    cls = status_error_class(status)
    return cls(message, status_code=status, error_type=error_type, retry_after=retry_after)


def _status_of(exc: LLMKitError) -> int:
    if isinstance(exc, APIStatusError):
        return 502 if exc.status_code in (401, 403, 407) else exc.status_code
    if isinstance(exc, APITimeoutError):
        return 504
    if isinstance(exc, APIConnectionError):
        return 502
    if isinstance(exc, NoSuchProviderError):
        return 404
    if isinstance(exc, (InvalidArgumentError, UnsupportedFeatureError)):
        return 400
    if isinstance(exc, (MissingCredentialError, AuthError)):
        return 502
    if isinstance(exc, ConfigurationError):
        return 500
    return 502


def client_error(exc: LLMKitError) -> APIStatusError:
    """The error to show a client for a failure of the upstream call (see the module table).

    The result carries the status, the provider's error type and ``retry_after`` when it had
    them, and a redacted message; never the upstream body or headers.
    """
    from llmkit.auth.redact import redact

    status = _status_of(exc)
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, APIStatusError) and status != exc.status_code:
        message = f"the upstream provider refused the gateway's credential ({exc.status_code})"
    elif isinstance(exc, (MissingCredentialError, AuthError)):
        message = "the gateway has no usable credential for the upstream provider"
    where = []
    provider = getattr(exc, "provider_id", None)
    model = getattr(exc, "model_id", None)
    if provider:
        where.append(f"provider={provider}")
    if model:
        where.append(f"model={model}")
    if where:
        message = f"{message} ({', '.join(where)})"
    error_type = getattr(exc, "error_type", None) if status == _raw_status(exc) else None
    retry_after = exc.retry_after if isinstance(exc, APIStatusError) else None
    return gateway_error(
        status, redact(str(message)), error_type=error_type, retry_after=retry_after
    )


def _raw_status(exc: LLMKitError) -> int | None:
    return exc.status_code if isinstance(exc, APIStatusError) else None
