"""The llmkit error tree.

Every failure llmkit reports is an instance of :class:`LLMKitError`; no ``httpx``, ``json``,
``keyring`` or codec exception reaches the caller un-wrapped (the original is chained as
``__cause__``)::

    LLMKitError
    ├── ConfigurationError        NoSuchProviderError, UnsupportedFeatureError,
    │   │                         MissingCredentialError, InvalidProviderConfigError (ValueError)
    │   ├── InvalidArgumentError  (ValueError) a call option, message or tool has a wrong value
    │   └── UnknownSettingError   (TypeError) a keyword that is not a setting; .suggestion
    │                             (ProvidersFileNotFoundError)
    ├── AuthError                 KeychainError, OAuthFlowError, TokenRefreshError
    └── APIError                  .provider_id .model_id .request_id
        ├── APIConnectionError    the connection failed or broke
        │   └── APITimeoutError   .limit .seconds
        │       ├── ConnectTimeoutError      connecting took too long
        │       ├── FirstEventTimeoutError   no content event in time after sending
        │       ├── IdleTimeoutError         too long between two content events
        │       └── TotalTimeoutError        the call's overall deadline passed
        ├── APIStatusError        .status_code .body .retry_after .is_retryable
        │   ├── BadRequestError           400 (and 422)
        │   ├── AuthenticationError       401
        │   ├── PermissionDeniedError     403
        │   ├── NotFoundError             404
        │   ├── RateLimitError            429
        │   ├── OverloadedError           503, 529
        │   └── InternalServerError       other 5xx
        ├── StreamError           in-band error event, truncated stream
        │   └── InvalidResponseError      .raw: a body or chunk llmkit cannot use
        ├── EmbeddingBatchError   .not_embedded .failed_batch: embed_many lost a batch
        └── InBandStatusError     (APIStatusError, StreamError): an in-band error with a status
            └── InBandBadRequestError, InBandAuthenticationError, InBandPermissionDeniedError,
                InBandNotFoundError, InBandRateLimitError, InBandOverloadedError,
                InBandInternalServerError   (each also a subclass of its status's class)
    NoObjectGeneratedError    .text .errors: generate_object / stream_object got no valid object

An in-band error (an ``event: error`` or ``{"error": ...}`` chunk inside an HTTP 200 stream) whose
type maps to an HTTP status is an instance of *both* :class:`StreamError` and that status's class
(``except OverloadedError`` catches Anthropic's in-band ``overloaded_error`` as well as an HTTP
529); see :func:`in_band_status_error`. These are plain, statically declared classes
(:class:`InBandOverloadedError` is ``class InBandOverloadedError(OverloadedError,
InBandStatusError)``), so ``type(e) is InBandOverloadedError`` works and they pickle.

Every llmkit error pickles and unpickles with all its attributes (see
:meth:`LLMKitError.__reduce__`), so errors cross ``multiprocessing`` and task-queue boundaries.

Every :class:`APIError` raised after content was already delivered (so it was not retried)
carries :attr:`APIError.partial`, the :class:`~llmkit.types.partial.PartialResult` received
before the failure.

Messages never contain a credential and always say what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmkit.types.finish import FinishReason
    from llmkit.types.partial import PartialResult
    from llmkit.types.usage import Usage

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConnectTimeoutError",
    "EmbeddingBatchError",
    "FirstEventTimeoutError",
    "IdleTimeoutError",
    "InBandAuthenticationError",
    "InBandBadRequestError",
    "InBandInternalServerError",
    "InBandNotFoundError",
    "InBandOverloadedError",
    "InBandPermissionDeniedError",
    "InBandRateLimitError",
    "InBandStatusError",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidProviderConfigError",
    "InvalidResponseError",
    "KeychainError",
    "LLMKitError",
    "MissingCredentialError",
    "NoObjectGeneratedError",
    "NoSuchProviderError",
    "NotFoundError",
    "OAuthFlowError",
    "OverloadedError",
    "PermissionDeniedError",
    "ProvidersFileNotFoundError",
    "RateLimitError",
    "StreamError",
    "TokenRefreshError",
    "TotalTimeoutError",
    "UnknownSettingError",
    "UnsupportedFeatureError",
    "in_band_error_class",
    "in_band_status_error",
    "status_error_class",
]


def _restore(cls: type[LLMKitError], args: tuple[object, ...], state: dict[str, object]) -> object:
    """Rebuild a pickled llmkit error without calling its ``__init__`` (see
    :meth:`LLMKitError.__reduce__`)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class LLMKitError(Exception):
    """Base class of every error llmkit raises.

    Every llmkit error pickles (``multiprocessing``, Celery and other task queues) and copies
    with all its attributes: :meth:`__reduce__` restores ``args`` and the instance attributes
    without calling the subclass's ``__init__``, whose keyword-only fields the default
    ``Exception`` pickling would lose. ``__cause__``, ``__context__`` and the traceback are not
    pickled, as for any exception.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


# ---------------------------------------------------------------------------- configuration
class ConfigurationError(LLMKitError):
    """The call or the provider configuration is wrong; fix the code or config, not the network."""


class NoSuchProviderError(ConfigurationError, ValueError):
    """A model id named a provider the registry does not know.

    Attributes:
        provider_id: the unknown id.
        known: the ids the registry does know, sorted.
        suggestion: the model string probably meant (``"openai:gpt-4o"`` for ``"gpt-4o"``,
            ``"openai/gpt-4o"`` or ``"opneai:gpt-4o"``), or None.
    """

    def __init__(
        self, provider_id: str, known: Sequence[str], *, suggestion: str | None = None
    ) -> None:
        self.provider_id = provider_id
        self.known = sorted(known)
        self.suggestion = suggestion
        hint = f"did you mean {suggestion!r}? " if suggestion else ""
        super().__init__(
            f"unknown provider {provider_id!r}; {hint}A model is written 'provider:model' "
            f"(e.g. 'openai:gpt-4o'); known providers: {', '.join(self.known)}. "
            "Register a provider with llmkit.registry.register(ProviderConfig(...)), pass "
            "model=llmkit.provider(base_url)(model_id) for a one-off endpoint, or add a "
            f"[providers.{provider_id}] table to providers.toml in the llmkit user config "
            "directory (or the file named by $LLMKIT_PROVIDERS_FILE)."
        )


class InvalidProviderConfigError(ConfigurationError, ValueError):
    """A provider configuration (from code or a TOML file) failed validation.

    Also a :class:`ValueError`, which ``ProviderConfig(...)`` raised before it was an llmkit
    error. The message has one line per problem: the field, what is wrong, what to do.
    """


class InvalidArgumentError(ConfigurationError, ValueError):
    """A call option, a message or a tool definition has a wrong value (an empty prompt,
    ``messages="hello"``, an unknown role, ``max_output_tokens=-1``, ``temperature=5``...).

    Also a :class:`ValueError`, as Python code expects for a bad argument value.

    Attributes:
        problems: one readable line per problem: ``field: what is wrong; what to do``.
    """

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class UnknownSettingError(ConfigurationError, TypeError):
    """A call function got a keyword argument that is not one of its settings.

    Also a :class:`TypeError`, the error Python raises for an unexpected keyword argument.

    Attributes:
        setting: the keyword given (``max_tokens``).
        suggestion: what to use instead (``max_output_tokens``, ``stream_text()``...), or None.
    """

    def __init__(
        self, message: str, *, setting: str | None = None, suggestion: str | None = None
    ) -> None:
        super().__init__(message)
        self.setting = setting
        self.suggestion = suggestion


class ProvidersFileNotFoundError(InvalidProviderConfigError):
    """``$LLMKIT_PROVIDERS_FILE`` names a file that does not exist (set it to an existing file,
    to ``os.devnull`` for no providers file, or unset it for the default location)."""


class UnsupportedFeatureError(ConfigurationError):
    """The protocol cannot honour a setting, and dropping it would change the request's meaning."""


class MissingCredentialError(ConfigurationError):
    """No API key or token was found for a provider.

    Attributes:
        provider_id: the provider that needs a credential.
        env_var: the environment variable that was checked, if the provider has one.
    """

    def __init__(self, provider_id: str, env_var: str | None, *, oauth: bool = False) -> None:
        self.provider_id = provider_id
        self.env_var = env_var
        where = f"set the environment variable {env_var}, " if env_var else ""
        if oauth:
            super().__init__(
                f"not logged in to provider {provider_id!r}: run `llmkit auth login "
                f"{provider_id}` (or AuthManager.login() from code), {where}or pass api_key=..."
            )
            return
        super().__init__(
            f"no API key for provider {provider_id!r}: pass api_key=..., {where}"
            f"or store one in the OS keychain with `llmkit keys set {provider_id}`."
        )


# ---------------------------------------------------------------------------- auth
class AuthError(LLMKitError):
    """A credential store or OAuth flow failed."""


class KeychainError(AuthError):
    """The OS keychain is missing, locked or refused the operation."""


class OAuthFlowError(AuthError):
    """An OAuth login did not complete: the user denied access, the device code expired, the
    redirect's ``state`` did not match, or the server answered with an error.

    Attributes:
        error: the OAuth error code (``access_denied``, ``expired_token``...), if any.
    """

    def __init__(self, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error


class TokenRefreshError(AuthError):
    """An OAuth access token could not be refreshed.

    Attributes:
        provider_id: the provider whose token failed.
        error: the OAuth error code (``invalid_grant`` for an expired, revoked or reused refresh
            token), or None for a network failure.
        login_required: True when only a new login helps (the message names the command).
    """

    def __init__(
        self,
        message: str,
        *,
        provider_id: str | None = None,
        error: str | None = None,
        login_required: bool = True,
    ) -> None:
        super().__init__(message)
        self.provider_id = provider_id
        self.error = error
        self.login_required = login_required


# ---------------------------------------------------------------------------- API
class APIError(LLMKitError):
    """A request to a provider failed.

    Attributes:
        provider_id: the provider the request went to (``None`` if unknown).
        model_id: the model requested.
        request_id: the provider's request id (``x-request-id`` / ``request-id`` header or the
            error body), when it sent one.
        partial: set when the failure came after content was delivered (the call was then not
            retried): the :class:`~llmkit.types.partial.PartialResult` received before it.
        attempts: how many requests were sent for this call (retries and fallbacks included).
    """

    partial: PartialResult | None = None
    attempts: int = 1

    def __init__(
        self,
        message: str,
        *,
        provider_id: str | None = None,
        model_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider_id = provider_id
        self.model_id = model_id
        self.request_id = request_id

    def __str__(self) -> str:
        where = []
        if self.provider_id:
            where.append(f"provider={self.provider_id}")
        if self.model_id:
            where.append(f"model={self.model_id}")
        if self.request_id:
            where.append(f"request_id={self.request_id}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class APIConnectionError(APIError):
    """The connection failed or broke before a complete response arrived. Usually retryable."""


class APITimeoutError(APIConnectionError):
    """A timeout fired; the subclass names which limit.

    Attributes:
        limit: which limit fired: ``connect``, ``first_event``, ``idle``, ``total``, or an
            httpx-level ``read`` / ``write`` / ``pool`` timeout.
        seconds: the limit's value in seconds, when known.
    """

    limit: str = "read"

    def __init__(
        self,
        message: str,
        *,
        seconds: float | None = None,
        limit: str | None = None,
        provider_id: str | None = None,
        model_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, provider_id=provider_id, model_id=model_id, request_id=request_id)
        self.seconds = seconds
        if limit is not None:
            self.limit = limit


class ConnectTimeoutError(APITimeoutError):
    """The TCP/TLS connection was not established within the connect timeout (default 5 s)."""

    limit: str = "connect"


class FirstEventTimeoutError(APITimeoutError):
    """No content event arrived within the first-event timeout after the request was sent
    (default 600 s: reasoning models may think for minutes before their first token)."""

    limit: str = "first_event"


class IdleTimeoutError(APITimeoutError):
    """Too long passed between two content events (default 120 s). SSE comments and ``ping``
    events do not count: a relay that keeps the connection alive while its upstream is stuck
    still times out."""

    limit: str = "idle"


class TotalTimeoutError(APITimeoutError):
    """The call's overall deadline passed (retries, fallbacks and streaming included)."""

    limit: str = "total"


class APIStatusError(APIError):
    """The provider answered with a non-2xx HTTP status (or an in-band error of that class).

    Attributes:
        status_code: the HTTP status (for in-band errors, the status the error type maps to).
        body: the parsed JSON error body, or the raw text when it was not JSON.
        error_type: the provider's error type string (``invalid_request_error``...), if any.
        error_code: the provider's error code (``model_not_found``...), if any.
        retry_after: seconds the provider asked to wait (``retry-after-ms`` / ``Retry-After``).
        should_retry: the provider's ``x-should-retry`` header (True / False), None if absent;
            it overrides the status rule of :attr:`is_retryable`.
    """

    should_retry: bool | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object = None,
        error_type: str | None = None,
        error_code: str | None = None,
        retry_after: float | None = None,
        provider_id: str | None = None,
        model_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, provider_id=provider_id, model_id=model_id, request_id=request_id)
        self.status_code = status_code
        self.body = body
        self.error_type = error_type
        self.error_code = error_code
        self.retry_after = retry_after

    @property
    def is_retryable(self) -> bool:
        """``x-should-retry`` if the provider sent it; otherwise True for 408, 409, 429 and 5xx
        (529 included): the same request may succeed later."""
        if self.should_retry is not None:
            return self.should_retry
        return self.status_code in (408, 409, 429) or self.status_code >= 500

    def __str__(self) -> str:
        return f"HTTP {self.status_code}: {super().__str__()}"


class BadRequestError(APIStatusError):
    """400 (or 422): the request was malformed or used an unsupported parameter."""


class AuthenticationError(APIStatusError):
    """401: the API key or token was rejected. Check it with `llmkit keys list`."""


class PermissionDeniedError(APIStatusError):
    """403: the credential is valid but may not use this model or feature."""


class NotFoundError(APIStatusError):
    """404: unknown model or endpoint. Check the model id and the provider's base URL."""


class RateLimitError(APIStatusError):
    """429: rate limit or quota exceeded; wait ``retry_after`` seconds if set."""


class OverloadedError(APIStatusError):
    """503 / 529: the provider is overloaded; retry later."""


class InternalServerError(APIStatusError):
    """Any other 5xx: a provider-side failure; retry later."""


class StreamError(APIError):
    """A stream failed after it started: an in-band error event or a truncated stream.

    Attributes:
        error_type: the provider's error type for in-band errors, if any.
        body: the in-band error object, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        body: object = None,
        provider_id: str | None = None,
        model_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, provider_id=provider_id, model_id=model_id, request_id=request_id)
        self.error_type = error_type
        self.body = body


class InvalidResponseError(StreamError):
    """The provider sent something llmkit cannot use (malformed JSON, wrong content type...).

    Attributes:
        raw: the offending bytes or text, truncated to 2,000 characters.
    """

    def __init__(self, message: str, *, raw: str | bytes | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        if isinstance(raw, (bytes, bytearray)):
            raw = bytes(raw[:2000])
        elif isinstance(raw, str):
            raw = raw[:2000]
        self.raw = raw


class EmbeddingBatchError(APIError):
    """A batch of :func:`llmkit.embeddings.embed_many` failed, so the call failed.

    The batch's own error (an :class:`APIStatusError`, :class:`APIConnectionError`,
    :class:`InvalidResponseError`...) is chained as ``__cause__``; the batches not yet finished
    were cancelled.

    Attributes:
        not_embedded: every input index (0-based, into ``values``) with no vector: the failed
            batch's and those of batches cancelled or not started; sorted.
        failed_batch: the input indexes of the batch that failed.
        status_code: the failed batch's HTTP status, or None (not an HTTP error).
    """

    not_embedded: tuple[int, ...] = ()
    failed_batch: tuple[int, ...] = ()
    status_code: int | None = None


# ---------------------------------------------------------------------------- structured output
class NoObjectGeneratedError(LLMKitError):
    """``generate_object`` / ``stream_object`` got no object that matches the schema.

    The call itself succeeded (usage was spent); the model's output was missing, was not
    JSON, or failed validation.

    Attributes:
        text: the raw output: the response text (JSON response format) or the forced tool
            call's arguments text; ``""`` when the model produced none.
        errors: one mapping per problem, each with ``loc`` (a tuple path into the object),
            ``msg`` and ``type`` (pydantic error types, JSON Schema keywords, ``json_invalid``
            or ``no_output``).
        finish_reason: the call's unified finish reason (``length`` means the output was cut).
        usage: the call's token usage, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str,
        errors: Sequence[Mapping[str, object]] = (),
        finish_reason: FinishReason | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.text = text
        self.errors = tuple(errors)
        self.finish_reason = finish_reason
        self.usage = usage


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    422: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    503: OverloadedError,
    529: OverloadedError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The :class:`APIStatusError` subclass for an HTTP status code."""
    cls = _STATUS_CLASSES.get(status_code)
    if cls is not None:
        return cls
    if status_code >= 500:
        return InternalServerError
    return APIStatusError


# ---------------------------------------------------------------------------- in-band status errors
class InBandStatusError(APIStatusError, StreamError):
    """An in-band stream error whose type maps to an HTTP status (both an
    :class:`APIStatusError` and a :class:`StreamError`); the base of the ``InBand*`` classes.

    Raised as is for a status without its own class (Anthropic ``billing_error`` → 402,
    ``request_too_large`` → 413). ``except StreamError`` and ``except APIStatusError`` both
    catch every in-band status error; ``except InBandStatusError`` catches only them.
    """


class InBandBadRequestError(BadRequestError, InBandStatusError):
    """An in-band error of the class of :class:`BadRequestError` (``invalid_request_error``)."""


class InBandAuthenticationError(AuthenticationError, InBandStatusError):
    """An in-band error of the class of :class:`AuthenticationError`."""


class InBandPermissionDeniedError(PermissionDeniedError, InBandStatusError):
    """An in-band error of the class of :class:`PermissionDeniedError`."""


class InBandNotFoundError(NotFoundError, InBandStatusError):
    """An in-band error of the class of :class:`NotFoundError`."""


class InBandRateLimitError(RateLimitError, InBandStatusError):
    """An in-band error of the class of :class:`RateLimitError` (``rate_limit_error``)."""


class InBandOverloadedError(OverloadedError, InBandStatusError):
    """An in-band error of the class of :class:`OverloadedError` (Anthropic's mid-stream
    ``overloaded_error``); retry later."""


class InBandInternalServerError(InternalServerError, InBandStatusError):
    """An in-band error of the class of :class:`InternalServerError` (``api_error``,
    ``server_error``); retry later."""


_IN_BAND_CLASSES: dict[type[APIStatusError], type[InBandStatusError]] = {
    APIStatusError: InBandStatusError,
    BadRequestError: InBandBadRequestError,
    AuthenticationError: InBandAuthenticationError,
    PermissionDeniedError: InBandPermissionDeniedError,
    NotFoundError: InBandNotFoundError,
    RateLimitError: InBandRateLimitError,
    OverloadedError: InBandOverloadedError,
    InternalServerError: InBandInternalServerError,
}


def in_band_error_class(status_code: int) -> type[InBandStatusError]:
    """The ``InBand*`` class for an in-band error that maps to ``status_code``
    (:class:`InBandOverloadedError` for 529, :class:`InBandStatusError` for 402...)."""
    return _IN_BAND_CLASSES.get(status_error_class(status_code), InBandStatusError)


def in_band_status_error(
    message: str,
    *,
    status_code: int,
    error_type: str | None = None,
    error_code: str | None = None,
    body: object = None,
    provider_id: str | None = None,
    model_id: str | None = None,
    request_id: str | None = None,
) -> InBandStatusError:
    """The error for an in-band error whose type maps to an HTTP status.

    Args:
        message: the provider's message (plus what to do).
        status_code: the status the provider documents for this error type (Anthropic
            ``overloaded_error`` → 529, ``rate_limit_error`` → 429, ``api_error`` → 500...).
        error_type: the provider's error type.
        error_code: the provider's error code.
        body: the error object.
        provider_id: the provider.
        model_id: the model.
        request_id: the provider's request id.

    Returns:
        An instance of the static ``InBand*`` class of ``status_code``
        (:func:`in_band_error_class`), which is both a :class:`StreamError` and
        ``status_error_class(status_code)`` (e.g. :class:`InBandOverloadedError` is an
        :class:`OverloadedError`), so both ``except StreamError`` and
        ``except OverloadedError`` catch it; ``.status_code`` and ``.is_retryable`` work as for
        the HTTP form.
    """
    return in_band_error_class(status_code)(
        message,
        status_code=status_code,
        body=body,
        error_type=error_type,
        error_code=error_code,
        provider_id=provider_id,
        model_id=model_id,
        request_id=request_id,
    )
