"""Built-in providers, as data.

Each entry names its protocol, base URL, key environment variable, auth scheme, default model and
the quirk flags its API needs (see
:class:`~llmkit.protocols.openai_chat.quirks.OpenAIChatQuirks` for each flag's source). Base
URLs follow each provider's API reference ("OpenAI compatibility" pages for the OpenAI-chat
compatibles).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from llmkit.providers.config import ProviderConfig

__all__ = ["BUILTIN_IDS", "BUILTIN_PROVIDERS", "builtin_provider"]

_LOCAL = {"api_key_required": False}


def _spec(**fields: Any) -> dict[str, Any]:
    """One built-in provider's :class:`~llmkit.providers.config.ProviderConfig` fields, validated
    when the provider is first used (:func:`builtin_provider`): quirks and OAuth settings are
    given as plain tables and become the protocol's quirks model and ``OAuthConfig`` then."""
    return fields


def _chatgpt_plan_quirks() -> BaseModel:
    from llmkit.protocols.openai_responses.quirks import CHATGPT_PLAN_QUIRKS

    return CHATGPT_PLAN_QUIRKS


_SPECS: tuple[dict[str, Any], ...] = (
    _spec(
        id="openai",
        name="OpenAI",
        protocol="openai-chat",
        base_url="https://api.openai.com/v1",
        api_key_env="OPENAI_API_KEY",
        default_model="gpt-4.1-mini",
        models=("gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "o3", "o4-mini"),
        quirks=dict(max_tokens_field="max_completion_tokens", reasoning_fields=()),
    ),
    # OpenAI's Responses API (OpenAI API reference, "Responses"), the same key and models as
    # "openai" (which stays on Chat Completions: docs/protocols-openai-responses.md says why).
    # Stateless: store false, reasoning kept as encrypted reasoning items.
    _spec(
        id="openai-responses",
        name="OpenAI (Responses API)",
        protocol="openai-responses",
        base_url="https://api.openai.com/v1",
        api_key_env="OPENAI_API_KEY",
        default_model="gpt-5-mini",
        models=("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "o3", "o4-mini"),
        quirks=dict(system_role="developer"),
    ),
    # Sign in with ChatGPT (https://developers.openai.com/siwc): a ChatGPT plan pays for
    # Responses requests of open-source clients; PKCE login with per-user client registration
    # (llmkit/auth/chatgpt.py) and the plan's request limits as quirks (CHATGPT_PLAN_QUIRKS).
    _spec(
        id="chatgpt",
        name="ChatGPT plan (Sign in with ChatGPT)",
        protocol="openai-responses",
        base_url="https://api.openai.com/v1",
        api_key_env="CHATGPT_ACCESS_TOKEN",  # an access token used as is; normally log in
        quirks=_chatgpt_plan_quirks,
        supports_oauth=True,
        oauth=dict(
            client_id="dynamic_agent_client",
            registration="dynamic-agent",
            flow="pkce",
            authorization_url="https://auth.openai.com/api/accounts/authorize",
            token_url="https://auth.openai.com/api/accounts/oauth/token",
            scopes=(
                "openid",
                "profile",
                "email",
                "offline_access",
                "resource.invoke",
                "chatgpt.tokens.use.direct",
            ),
            redirect_path="/auth/callback",
        ),
    ),
    _spec(
        id="anthropic",
        name="Anthropic",
        protocol="anthropic-messages",
        base_url="https://api.anthropic.com/v1",
        api_key_env="ANTHROPIC_API_KEY",
        auth="x-api-key",
        headers={"anthropic-version": "2023-06-01"},
        default_model="claude-sonnet-4-5",
        models=("claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5"),
    ),
    _spec(
        id="deepseek",
        name="DeepSeek",
        protocol="openai-chat",
        base_url="https://api.deepseek.com/v1",
        api_key_env="DEEPSEEK_API_KEY",
        default_model="deepseek-chat",
        models=("deepseek-chat", "deepseek-reasoner"),
        quirks=dict(
            reasoning_fields=("reasoning_content",),
            reasoning_effort=False,
            json_output="json_object",
            replay_reasoning_field="reasoning_content",
        ),
    ),
    _spec(
        id="openrouter",
        name="OpenRouter",
        protocol="openai-chat",
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        default_model="openai/gpt-4o-mini",
        models=("openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5", "deepseek/deepseek-r1"),
        quirks=dict(reasoning_fields=("reasoning",), top_k=True),
    ),
    _spec(
        id="groq",
        name="Groq",
        protocol="openai-chat",
        base_url="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
        default_model="llama-3.3-70b-versatile",
        models=("llama-3.3-70b-versatile", "openai/gpt-oss-120b", "qwen/qwen3-32b"),
        quirks=dict(reasoning_fields=("reasoning",), usage_in_x_groq=True),
    ),
    _spec(
        id="mistral",
        name="Mistral",
        protocol="openai-chat",
        base_url="https://api.mistral.ai/v1",
        api_key_env="MISTRAL_API_KEY",
        default_model="mistral-small-latest",
        models=("mistral-large-latest", "mistral-small-latest", "magistral-medium-latest"),
        quirks=dict(stream_usage=False, reasoning_effort=False),
    ),
    _spec(
        id="xai",
        name="xAI",
        protocol="openai-chat",
        base_url="https://api.x.ai/v1",
        api_key_env="XAI_API_KEY",
        default_model="grok-4",
        models=("grok-4", "grok-3", "grok-3-mini"),
        quirks=dict(reasoning_fields=("reasoning_content",)),
    ),
    _spec(
        id="together",
        name="Together AI",
        protocol="openai-chat",
        base_url="https://api.together.xyz/v1",
        api_key_env="TOGETHER_API_KEY",
        default_model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
        models=("meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek-ai/DeepSeek-R1"),
        quirks=dict(top_k=True),
    ),
    _spec(
        id="fireworks",
        name="Fireworks AI",
        protocol="openai-chat",
        base_url="https://api.fireworks.ai/inference/v1",
        api_key_env="FIREWORKS_API_KEY",
        default_model="accounts/fireworks/models/llama-v3p3-70b-instruct",
        quirks=dict(top_k=True),
    ),
    _spec(
        # Gemini API reference, "API keys": GEMINI_API_KEY, or GOOGLE_API_KEY
        id="google",
        name="Google Gemini",
        protocol="google-generative",
        base_url="https://generativelanguage.googleapis.com/v1beta",
        api_key_env="GEMINI_API_KEY",
        api_key_env_fallbacks=("GOOGLE_API_KEY",),
        auth="x-goog-api-key",
        default_model="gemini-2.5-flash",
        models=(
            "gemini-2.5-pro",
            "gemini-2.5-flash",
            "gemini-2.5-flash-lite",
            "gemini-3-pro-preview",
        ),
    ),
    _spec(
        # Gemini's OpenAI compatibility endpoint (Gemini API docs, "OpenAI compatibility"); the
        # built-in "google" provider before it spoke Gemini's own API
        id="gemini-openai",
        name="Google Gemini (OpenAI-compatible endpoint)",
        protocol="openai-chat",
        base_url="https://generativelanguage.googleapis.com/v1beta/openai",
        api_key_env="GEMINI_API_KEY",
        api_key_env_fallbacks=("GOOGLE_API_KEY",),
        default_model="gemini-2.5-flash",
        models=("gemini-2.5-pro", "gemini-2.5-flash"),
        quirks=dict(reasoning_fields=()),
    ),
    _spec(
        id="zhipu",
        name="Zhipu AI (GLM)",
        protocol="openai-chat",
        base_url="https://open.bigmodel.cn/api/paas/v4",
        api_key_env="ZHIPU_API_KEY",
        default_model="glm-4.6",
        quirks=dict(
            reasoning_fields=("reasoning_content",),
            reasoning_effort=False,
            json_output="json_object",
        ),
    ),
    _spec(
        id="moonshot",
        name="Moonshot AI (Kimi)",
        protocol="openai-chat",
        base_url="https://api.moonshot.ai/v1",
        api_key_env="MOONSHOT_API_KEY",
        default_model="kimi-k2-0905-preview",
        quirks=dict(
            reasoning_fields=("reasoning_content",),
            reasoning_effort=False,
            json_output="json_object",
        ),
    ),
    _spec(
        id="ollama",
        name="Ollama (local)",
        protocol="openai-chat",
        base_url="http://127.0.0.1:11434/v1",
        api_key_env="OLLAMA_API_KEY",
        default_model="llama3.2",
        quirks=dict(reasoning_fields=("reasoning",)),
        **_LOCAL,
    ),
    _spec(
        id="lmstudio",
        name="LM Studio (local)",
        protocol="openai-chat",
        base_url="http://127.0.0.1:1234/v1",
        api_key_env="LMSTUDIO_API_KEY",
        **_LOCAL,
    ),
    _spec(
        id="vllm",
        name="vLLM (local)",
        protocol="openai-chat",
        base_url="http://127.0.0.1:8000/v1",
        api_key_env="VLLM_API_KEY",
        quirks=dict(top_k=True),
        **_LOCAL,
    ),
    # GitHub Copilot: device-code login with GitHub (RFC 8628; GitHub docs, "Authorizing OAuth
    # apps", device flow), then the GitHub token is exchanged for a short-lived Copilot token
    # (llmkit/auth/copilot.py). The client id is the public one of GitHub's Copilot editor
    # plugins; the API base comes from the exchange and must be a githubcopilot.com host.
    _spec(
        id="github-copilot",
        name="GitHub Copilot",
        protocol="openai-chat",
        base_url="https://api.githubcopilot.com",
        api_key_env="GITHUB_COPILOT_API_KEY",  # a Copilot API token used as is; normally log in
        default_model="gpt-4.1",
        models=("gpt-4.1", "gpt-4o", "claude-sonnet-4", "gemini-2.5-pro"),
        headers={"openai-intent": "conversation-panel"},
        quirks=dict(stream_usage=False),
        supports_oauth=True,
        oauth=dict(
            client_id="Iv1.b507a08c87ecfe98",
            flow="device_code",
            device_authorization_url="https://github.com/login/device/code",
            token_url="https://github.com/login/oauth/access_token",
            scopes=("read:user",),
            exchange=dict(
                url="https://api.github.com/copilot_internal/v2/token",
                allowed_api_hosts=("api.githubcopilot.com", "*.githubcopilot.com"),
                headers={
                    "editor-version": "vscode/1.99.0",
                    "editor-plugin-version": "copilot-chat/0.26.0",
                    "copilot-integration-id": "vscode-chat",
                    "user-agent": "GitHubCopilotChat/0.26.0",
                },
            ),
        ),
    ),
)
"""The built-in providers' fields, in the order ``llmkit providers`` lists them."""

BUILTIN_IDS: tuple[str, ...] = tuple(spec["id"] for spec in _SPECS)
"""The ids of the built-in providers."""

_BY_ID: Mapping[str, dict[str, Any]] = {spec["id"]: spec for spec in _SPECS}
_built: dict[str, ProviderConfig] = {}
_lock = threading.Lock()


def builtin_provider(provider_id: str) -> ProviderConfig:
    """The built-in provider ``provider_id``, validated on first use (then shared): resolving
    ``"openai:..."`` builds only ``openai`` and imports only its protocol.

    Raises:
        KeyError: no built-in provider has that id.
    """
    built = _built.get(provider_id)
    if built is not None:
        return built
    fields = {k: v() if callable(v) else v for k, v in _BY_ID[provider_id].items()}
    from llmkit.providers.config import ProviderConfig

    config = ProviderConfig(**fields)
    with _lock:
        return _built.setdefault(provider_id, config)


def builtin_factories() -> dict[str, Callable[[], ProviderConfig]]:
    """Each built-in provider's id and the function that builds it (:func:`builtin_provider`),
    for a registry that builds a provider only when it is used."""
    return {pid: _factory(pid) for pid in BUILTIN_IDS}


def _factory(provider_id: str) -> Callable[[], ProviderConfig]:
    return lambda: builtin_provider(provider_id)


def __getattr__(name: str) -> Any:
    if name == "BUILTIN_PROVIDERS":  # every built-in provider, built now
        providers = tuple(builtin_provider(pid) for pid in BUILTIN_IDS)
        globals()["BUILTIN_PROVIDERS"] = providers
        return providers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    BUILTIN_PROVIDERS: tuple[ProviderConfig, ...]
    """Every built-in provider (each validated on first access of this name)."""
