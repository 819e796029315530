"""Provider configuration: where a provider lives, how it authenticates, and its quirks."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llmkit.reliability.deadline import Timeouts
from llmkit.reliability.ratelimit import RateLimit
from llmkit.reliability.retry import RetryPolicy
from llmkit.reliability.urls import url_problem

__all__ = [
    "PROTOCOL_AUTH",
    "AuthScheme",
    "OAuthConfig",
    "ProtocolName",
    "ProviderConfig",
    "Quirks",
    "TokenExchange",
]

ProtocolName: TypeAlias = Literal["openai-chat", "anthropic-messages"]

AuthScheme: TypeAlias = Literal["bearer", "x-api-key", "api-key", "none"]
"""How the credential is sent: ``Authorization: Bearer <key>`` (OpenAI and most compatibles),
``x-api-key: <key>`` (Anthropic), ``api-key: <key>`` (Azure OpenAI), or not at all."""

PROTOCOL_AUTH: Mapping[ProtocolName, AuthScheme] = MappingProxyType(
    {
        # OpenAI API reference, "Authentication": Authorization: Bearer OPENAI_API_KEY
        "openai-chat": "bearer",
        # Anthropic API reference, "Versions" / "Authentication": x-api-key, with the
        # anthropic-version header the protocol adds when the config sets none
        "anthropic-messages": "x-api-key",
    }
)
"""Each protocol's own auth scheme: the :attr:`ProviderConfig.auth` of a provider that does not
set one."""


class Quirks(BaseModel):
    """Documented deviations of a provider from its protocol's reference behaviour.

    Protocol code reads these flags; it never tests a provider id.

    Attributes:
        system_role: role of the system prompt message in OpenAI chat: ``system``, or
            ``developer`` for OpenAI reasoning models (OpenAI API reference, Chat, "developer
            message").
        max_tokens_field: ``max_tokens`` or ``max_completion_tokens``. OpenAI deprecated
            ``max_tokens`` and its o-series/gpt-5 models reject it (OpenAI API reference, Chat,
            create, ``max_completion_tokens``); most compatibles only know ``max_tokens``.
        stream_usage: send ``stream_options: {"include_usage": true}`` so the stream ends with a
            usage chunk (OpenAI API reference, ``stream_options``). Off for servers that reject
            unknown fields or always send usage (Mistral).
        reasoning_fields: delta fields that carry reasoning text, checked in order: DeepSeek
            sends ``reasoning_content`` (DeepSeek API docs, "Reasoning Model"), OpenRouter and
            Groq send ``reasoning`` (OpenRouter docs, "Reasoning Tokens"; Groq docs,
            "Reasoning").
        reasoning_effort: the provider accepts ``reasoning_effort`` (OpenAI, Groq, xAI...);
            otherwise a reasoning effort setting is dropped with a warning.
        usage_in_x_groq: older Groq streams report usage only in ``x_groq.usage`` of the last
            chunk (Groq API reference, chat streaming).
        top_k: the provider accepts ``top_k`` in OpenAI chat (vLLM, Together, OpenRouter do;
            OpenAI does not), otherwise dropped with a warning.
        json_output: how a JSON Schema response format is sent in OpenAI chat: ``json_schema``
            (OpenAI "Structured Outputs": ``response_format: {"type": "json_schema", ...}``) or
            ``json_object`` for providers that only have JSON mode (DeepSeek API docs, "JSON
            Output"; Moonshot Kimi API docs, "JSON Mode"; Zhipu GLM): ``{"type":
            "json_object"}`` with the schema added to the system prompt.
        replay_reasoning_field: the assistant-message field that carries earlier reasoning
            back to the provider, or None (reasoning parts are then dropped with a warning).
            DeepSeek's thinking mode needs ``reasoning_content`` sent back on assistant turns
            that made tool calls, or answers 400 (DeepSeek API docs, "Thinking Mode", tool
            calls); it ignores it on other turns, so llmkit sends it only with tool calls.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    system_role: Literal["system", "developer"] = "system"
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    stream_usage: bool = True
    reasoning_fields: tuple[str, ...] = ("reasoning_content", "reasoning")
    reasoning_effort: bool = True
    usage_in_x_groq: bool = False
    top_k: bool = False
    json_output: Literal["json_schema", "json_object"] = "json_schema"
    replay_reasoning_field: str | None = None


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

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str
    client_secret: str | None = Field(default=None, repr=False)
    flow: Literal["device_code", "pkce"] = "device_code"
    device_authorization_url: str | None = None
    authorization_url: str | None = None
    token_url: str
    scopes: tuple[str, ...] = ()
    redirect_path: str = "/callback"
    exchange: TokenExchange | None = None

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
        protocol: ``openai-chat`` or ``anthropic-messages``.
        base_url: the API root the protocol's endpoint path is appended to, e.g.
            ``https://api.openai.com/v1`` (→ ``/chat/completions``).
        api_key_env: the environment variable holding the API key (``OPENAI_API_KEY``).
        api_key_required: False for local servers (Ollama, LM Studio, vLLM) that accept any key.
        auth: how the key is sent (:data:`AuthScheme`); when not given, the protocol's own
            scheme from :data:`PROTOCOL_AUTH` (``bearer`` for ``openai-chat``, ``x-api-key``
            for ``anthropic-messages``).
        headers: headers sent on every request (e.g. ``anthropic-version``).
        default_model: the model used when the model string names only the provider.
        models: well-known model ids (informational; any id is accepted).
        quirks: documented protocol deviations (:class:`Quirks`).
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
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = ""
    protocol: ProtocolName
    base_url: str
    api_key_env: str | None = None
    api_key_required: bool = True
    auth: AuthScheme = "bearer"
    headers: dict[str, str] = Field(default_factory=dict)
    default_model: str | None = None
    models: tuple[str, ...] = ()
    quirks: Quirks = Field(default_factory=Quirks)
    retry: RetryPolicy | None = None
    timeouts: Timeouts | None = None
    rate_limit: RateLimit | None = None
    follow_redirects: bool = False
    allow_insecure_http: bool = False
    supports_oauth: bool = False
    oauth: OAuthConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _protocol_auth(cls, data: object) -> object:
        if isinstance(data, Mapping) and "auth" not in data:
            protocol = data.get("protocol")
            for name, scheme in PROTOCOL_AUTH.items():
                if name == protocol:
                    return {**data, "auth": scheme}
        return data

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

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
