"""Provider configuration: where a provider lives, how it authenticates, and its quirks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from llmkit.errors import InvalidProviderConfigError
from llmkit.reliability.deadline import Timeouts
from llmkit.reliability.ratelimit import RateLimit
from llmkit.reliability.retry import RetryPolicy
from llmkit.reliability.urls import url_problem

if TYPE_CHECKING:  # the old import path of Quirks, typed (see __getattr__ below)
    from llmkit.protocols.openai_chat.quirks import OpenAIChatQuirks as Quirks

__all__ = [
    "AuthScheme",
    "OAuthConfig",
    "ProtocolName",
    "ProviderConfig",
    "Quirks",
    "TokenExchange",
]

ProtocolName: TypeAlias = str
"""A registered protocol name: ``openai-chat``, ``anthropic-messages``, or one added with
:func:`llmkit.register_protocol` (see :func:`llmkit.protocols.registry.protocol_names`)."""

AuthScheme: TypeAlias = Literal["bearer", "x-api-key", "api-key", "x-goog-api-key", "none"]
"""How the credential is sent: ``Authorization: Bearer <key>`` (OpenAI and most compatibles),
``x-api-key: <key>`` (Anthropic), ``api-key: <key>`` (Azure OpenAI), ``x-goog-api-key: <key>``
(Gemini API), or not at all."""


class TokenExchange(BaseModel):
    """A second step after an OAuth login: the login token is traded for a short-lived API
    token (GitHub Copilot: the GitHub token is exchanged at ``copilot_internal/v2/token``).

    Attributes:
        kind: the exchange protocol; only ``github-copilot`` exists.
        url: the exchange endpoint.
        allowed_api_hosts: hosts the exchange may name as the API base (``*.`` matches any
            subdomain). Any other host is refused, so a tampered response cannot send prompts
            and tokens elsewhere. ``http://`` is only accepted for loopback hosts.
        headers: headers sent with the exchange and with every API request.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: Literal["github-copilot"] = "github-copilot"
    url: str
    allowed_api_hosts: tuple[str, ...]
    headers: dict[str, str] = Field(default_factory=dict)


class OAuthConfig(BaseModel):
    """How to log in to a provider with OAuth 2.0, as data: add one at runtime, no code.

    Attributes:
        client_id: the registered (public) client id.
        client_secret: for servers that require one even from native apps; not a secret in a
            distributed app (RFC 8252 §8.5). Never shown in ``repr``.
        flow: ``device_code`` (RFC 8628) or ``pkce`` (authorisation code with PKCE S256,
            RFC 7636, on a loopback redirect, RFC 8252).
        device_authorization_url: the RFC 8628 device authorisation endpoint.
        authorization_url: the authorisation endpoint (``pkce``).
        token_url: the token endpoint.
        scopes: the scopes requested.
        redirect_path: the path of the loopback redirect URI (``pkce``).
        exchange: a second token step (:class:`TokenExchange`), e.g. GitHub Copilot's.
        registration: ``static`` (``client_id`` is used as is) or ``dynamic-agent``: the first
            login registers a client for this user and that issued client id is used from then
            on (OpenAI "Sign in with ChatGPT" for open-source clients, developers.openai.com/siwc;
            see :mod:`llmkit.auth.chatgpt`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    client_id: str
    client_secret: str | None = Field(default=None, repr=False)
    flow: Literal["device_code", "pkce"] = "device_code"
    device_authorization_url: str | None = None
    authorization_url: str | None = None
    token_url: str
    scopes: tuple[str, ...] = ()
    redirect_path: str = "/callback"
    exchange: TokenExchange | None = None
    registration: Literal["static", "dynamic-agent"] = "static"

    @model_validator(mode="after")
    def _check_flow(self) -> OAuthConfig:
        if self.flow == "device_code" and not self.device_authorization_url:
            raise ValueError("flow 'device_code' needs device_authorization_url")
        if self.flow == "pkce" and not self.authorization_url:
            raise ValueError("flow 'pkce' needs authorization_url")
        return self


class ProviderConfig(BaseModel):
    """One provider: a base URL speaking one protocol, with its auth and quirks.

    Attributes:
        id: the registry id, the part before ``:`` in ``"provider:model"`` (``[a-z0-9._-]+``).
        name: a display name.
        protocol: a registered protocol name (``openai-chat``, ``anthropic-messages``, or one
            added with :func:`llmkit.register_protocol`); checked when the provider is
            resolved, with an error listing the known names.
        base_url: the API root the protocol's endpoint path is appended to, e.g.
            ``https://api.openai.com/v1`` (→ ``/chat/completions``).
        api_key_env: the environment variable holding the API key (``OPENAI_API_KEY``).
        api_key_env_fallbacks: further variables read, in order, when ``api_key_env`` is unset
            or empty (``google``: ``GEMINI_API_KEY``, then ``GOOGLE_API_KEY``).
        api_key_required: False for local servers (Ollama, LM Studio, vLLM) that accept any key.
        auth: how the key is sent (:data:`AuthScheme`); when not given, the protocol's own
            scheme (its ``default_auth``: ``bearer`` for ``openai-chat``, ``x-api-key`` for
            ``anthropic-messages``); register a protocol of your own before its providers.
        headers: headers sent on every request (e.g. ``anthropic-version``).
        default_model: the model used when the model string names only the provider.
        models: well-known model ids (informational; any id is accepted).
        quirks: documented deviations from the protocol, as the protocol's quirks model
            (e.g. :class:`~llmkit.protocols.openai_chat.quirks.OpenAIChatQuirks`) or a dict of
            its flags; validated against the protocol when the provider is resolved.
        retry: how calls to this provider are retried (:class:`~llmkit.RetryPolicy`; default
            two retries, 0.5 s doubling to 8 s); a call's ``retry=`` wins.
        timeouts: time limits (:class:`~llmkit.Timeouts`: connect 5 s, first event 600 s, idle
            120 s); a call's ``timeouts=`` / ``timeout=`` wins.
        rate_limit: client-side requests/tokens per minute and concurrency
            (:class:`~llmkit.RateLimit`), shared by every call to the provider on an event loop.
        follow_redirects: follow HTTP redirects (off: a redirect is an error); credentials are
            never sent to another origin.
        allow_insecure_http: allow ``http://`` to a host other than loopback (a trusted private
            network); link-local and cloud metadata addresses are refused regardless.
        supports_oauth: the provider can be logged into with OAuth instead of a key.
        oauth: how to log in with OAuth (:class:`OAuthConfig`), or None.
        kind_protocols: the protocol of each endpoint kind beside chat, by kind
            (``"embedding"``, ``"image"``, ``"speech"``, ``"transcription"``): e.g.
            ``{"embedding": "ollama-embeddings"}``. A kind not listed uses the default its
            registry names for the chat ``protocol`` (``openai-chat`` → the OpenAI-compatible
            endpoints).
        default_models: the model used for a kind when the model string names only the
            provider, by kind (``{"embedding": "text-embedding-3-small"}``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = ""
    protocol: ProtocolName = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    base_url: str
    api_key_env: str | None = None
    api_key_env_fallbacks: tuple[str, ...] = ()
    api_key_required: bool = True
    auth: AuthScheme = "bearer"
    headers: dict[str, str] = Field(default_factory=dict)
    default_model: str | None = None
    models: tuple[str, ...] = ()
    quirks: dict[str, object] | BaseModel = Field(default_factory=dict, union_mode="left_to_right")
    retry: RetryPolicy | None = None
    timeouts: Timeouts | None = None
    rate_limit: RateLimit | None = None
    follow_redirects: bool = False
    allow_insecure_http: bool = False
    supports_oauth: bool = False
    oauth: OAuthConfig | None = None
    kind_protocols: dict[str, str] = Field(default_factory=dict)
    default_models: dict[str, str] = Field(default_factory=dict)

    _quirks: BaseModel | None = PrivateAttr(default=None)
    """The quirks validated against the protocol's model (set by ``Protocol.quirks_of``)."""

    if not TYPE_CHECKING:  # the pydantic mypy plugin keeps checking each keyword's type

        def __init__(self, /, **data: object) -> None:
            """Raises:
            InvalidProviderConfigError: (a ``ValueError``) a field is missing or wrong; one
                line per problem names the field and what to do.
            """
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise InvalidProviderConfigError(provider_config_problems(exc, data)) from None

    @model_validator(mode="before")
    @classmethod
    def _protocol_auth(cls, data: object) -> object:
        if isinstance(data, Mapping) and "auth" not in data:
            from llmkit.protocols.registry import default_auth

            protocol = data.get("protocol")
            scheme = default_auth(protocol) if isinstance(protocol, str) else None
            if scheme is not None:
                return {**data, "auth": scheme}
        return data

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _protocol_quirks(self) -> ProviderConfig:
        # quirks given as a dict (a providers file, code; none: {}) become the protocol's model
        # now when the protocol is known, so a typo fails here; else when it is resolved
        if isinstance(self.quirks, dict):
            from llmkit.protocols.registry import BUILTIN, get_protocol, registered

            if self.protocol in BUILTIN or registered(self.protocol):
                model = get_protocol(self.protocol).quirks_model
                try:
                    quirks = model.model_validate(self.quirks)
                except ValidationError as exc:
                    from llmkit._validation import problem_lines

                    problems = "; ".join(problem_lines(exc, model=model, prefix="quirks"))
                    raise ValueError(
                        f"{problems} (the quirks of protocol {self.protocol!r} are the fields "
                        f"of {model.__module__}.{model.__name__})"
                    ) from None
                object.__setattr__(self, "quirks", quirks)
        return self

    @model_validator(mode="after")
    def _check_base_url_safety(self) -> ProviderConfig:
        problem = url_problem(self.base_url, allow_http=self.allow_insecure_http)
        if problem is not None:
            raise ValueError(f"unsafe base_url {self.base_url!r}: {problem}")
        return self

    def __repr__(self) -> str:
        return (
            f"ProviderConfig(id={self.id!r}, protocol={self.protocol!r}, "
            f"base_url={self.base_url!r})"
        )


def provider_config_problems(exc: ValidationError, data: Mapping[str, object]) -> str:
    """The message of an :class:`~llmkit.errors.InvalidProviderConfigError` for ``exc``: which
    provider, then one line per problem (``field: what is wrong; what to do``)."""
    from llmkit._validation import explain, problem_lines

    lines = problem_lines(exc, model=ProviderConfig, fixes=_PROVIDER_FIXES)
    provider_id = data.get("id")
    which = f"provider {provider_id!r}" if isinstance(provider_id, str) else "provider"
    return explain(f"invalid {which} config", lines)


_PROVIDER_FIXES = {
    "id": "use lower-case letters, digits, '.', '_' and '-' (e.g. 'my-server')",
    "protocol": "use a protocol name such as 'openai-chat' or 'anthropic-messages'",
}


def __getattr__(name: str) -> object:
    # ``Quirks`` moved to the protocol that owns the flags; the old import path keeps working
    if name == "Quirks":
        from llmkit.protocols.openai_chat.quirks import OpenAIChatQuirks

        return OpenAIChatQuirks
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
