"""A provider that does not set ``auth`` uses its protocol's own scheme: ``x-api-key`` (with
``anthropic-version``) for ``anthropic-messages``, ``Authorization: Bearer`` for
``openai-chat``; an explicit ``auth=`` wins, and the built-ins are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmkit
from llmkit.protocols import get_protocol
from llmkit.protocols.registry import BUILTIN, default_auth
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.config import ProtocolName, ProviderConfig
from llmkit.providers.registry import ProviderRegistry, load_providers_file
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer
from llmkit.testing.mock import anthropic_messages_sse

KEY = "sk-ant-proxy-canary-41"


def test_every_protocol_has_a_default_scheme() -> None:
    assert default_auth("anthropic-messages") == "x-api-key"
    assert default_auth("openai-chat") == "bearer"
    for name, builtin in BUILTIN.items():  # the table (read without importing) agrees
        assert get_protocol(name).default_auth == builtin.auth


@pytest.mark.parametrize(
    ("protocol", "scheme"),
    [
        ("anthropic-messages", "x-api-key"),
        ("openai-chat", "bearer"),
        ("google-generative", "x-goog-api-key"),
    ],
)
def test_the_default_follows_the_protocol(protocol: ProtocolName, scheme: str) -> None:
    config = ProviderConfig(id="custom", protocol=protocol, base_url="https://llm.example/v1")
    assert config.auth == scheme
    from_dict = ProviderConfig.model_validate(
        {"id": "custom", "protocol": protocol, "base_url": "https://llm.example/v1"}
    )
    assert from_dict.auth == scheme


@pytest.mark.parametrize("scheme", ["bearer", "api-key", "none", "x-api-key", "x-goog-api-key"])
def test_an_explicit_scheme_is_honoured(scheme: str) -> None:
    for protocol in BUILTIN:
        config = ProviderConfig.model_validate(
            {"id": "p", "protocol": protocol, "base_url": "https://llm.example/v1", "auth": scheme}
        )
        assert config.auth == scheme


def test_a_providers_file_without_auth(tmp_path: Path) -> None:
    path = tmp_path / "providers.toml"
    path.write_text(
        '[providers.claude-proxy]\nprotocol = "anthropic-messages"\n'
        'base_url = "https://proxy.example/v1"\n'
        '[providers.bearer-proxy]\nprotocol = "anthropic-messages"\n'
        'base_url = "https://proxy.example/v1"\nauth = "bearer"\n'
    )
    loaded = {p.id: p.auth for p in load_providers_file(path)}
    assert loaded == {"claude-proxy": "x-api-key", "bearer-proxy": "bearer"}


def test_builtins_are_unchanged() -> None:
    auth = {p.id: p.auth for p in BUILTIN_PROVIDERS}
    assert auth.pop("anthropic") == "x-api-key"
    assert auth.pop("google") == "x-goog-api-key"  # Gemini's own API
    assert set(auth.values()) == {"bearer"}  # every other built-in speaks openai-chat
    native = {"anthropic", "google", "openai-responses", "chatgpt"}  # Responses: OpenAI, plan
    assert all(p.protocol == "openai-chat" for p in BUILTIN_PROVIDERS if p.id not in native)


async def test_a_custom_anthropic_provider_sends_x_api_key_and_version() -> None:
    with ReplayServer([ReplayResponse(anthropic_messages_sse(MockTurn(text="hi")))]) as server:
        provider = server.provider("claude-proxy", "anthropic-messages", api_key_env="PROXY_KEY")
        assert provider.auth == "x-api-key"
        result = llmkit.stream_text(
            model="claude-proxy:claude-haiku-4-5",
            prompt="hi",
            api_key=KEY,
            registry=ProviderRegistry([provider]),
        )
        assert await result.text == "hi"
        (request,) = server.requests
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"]
    assert "authorization" not in {k.lower() for k in request.headers}
