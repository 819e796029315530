"""ProviderRegistry: built-ins, runtime registration, resolution, the TOML providers file."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit import NoSuchProviderError, ProviderConfig, ProviderRegistry
from llmkit.errors import ConfigurationError, InvalidProviderConfigError
from llmkit.protocols.openai_chat.quirks import OpenAIChatQuirks
from llmkit.providers import default_registry
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import load_providers_file

REQUIRED = {
    "openai",
    "anthropic",
    "deepseek",
    "openrouter",
    "groq",
    "mistral",
    "xai",
    "together",
    "fireworks",
    "google",
    "zhipu",
    "moonshot",
    "ollama",
    "lmstudio",
    "vllm",
}


def test_builtins_cover_the_required_providers() -> None:
    ids = {p.id for p in BUILTIN_PROVIDERS}
    assert ids >= REQUIRED
    for provider in BUILTIN_PROVIDERS:
        assert provider.base_url.startswith(("https://", "http://127.0.0.1"))
        assert provider.api_key_env
    anthropic = next(p for p in BUILTIN_PROVIDERS if p.id == "anthropic")
    assert anthropic.protocol == "anthropic-messages"
    assert anthropic.auth == "x-api-key"
    assert anthropic.headers["anthropic-version"] == "2023-06-01"


def test_resolve_splits_at_the_first_colon() -> None:
    registry = ProviderRegistry(BUILTIN_PROVIDERS)
    provider, model_id = registry.resolve("ollama:llama3.1:8b")
    assert (provider.id, model_id) == ("ollama", "llama3.1:8b")
    provider, model_id = registry.resolve("anthropic")
    assert model_id == provider.default_model


def test_unknown_provider_lists_the_known_ids() -> None:
    registry = ProviderRegistry(BUILTIN_PROVIDERS)
    with pytest.raises(NoSuchProviderError) as info:
        registry.resolve("nope:model")
    message = str(info.value)
    assert "'nope'" in message
    for provider_id in ("anthropic", "openai", "vllm"):
        assert provider_id in message
    assert info.value.known == sorted(p.id for p in BUILTIN_PROVIDERS)


def test_register_unregister_get_list() -> None:
    registry = ProviderRegistry(BUILTIN_PROVIDERS)
    local = ProviderConfig(id="local", protocol="openai-chat", base_url="http://127.0.0.1:8000/v1/")
    registry.register(local)
    assert registry.get("local").base_url == "http://127.0.0.1:8000/v1"  # trailing / dropped
    assert "local" in [p.id for p in registry.list()]
    with pytest.raises(ConfigurationError, match="already registered"):
        registry.register(local, replace=False)
    registry.unregister("local")
    with pytest.raises(NoSuchProviderError):
        registry.get("local")
    with pytest.raises(NoSuchProviderError):
        registry.unregister("local")


def test_no_model_and_no_default_is_a_clear_error() -> None:
    registry = ProviderRegistry(
        [ProviderConfig(id="x", protocol="openai-chat", base_url="https://x.example/v1")]
    )
    with pytest.raises(ConfigurationError, match="'x:<model id>'"):
        registry.resolve("x")


def test_provider_config_validation() -> None:
    with pytest.raises(ValueError, match="base_url"):
        ProviderConfig(id="x", protocol="openai-chat", base_url="ftp://x")
    with pytest.raises(ValueError, match="protocol"):
        ProviderConfig(id="x", protocol="Not A Name", base_url="https://x")
    with pytest.raises(ValueError, match="id"):
        ProviderConfig(id="Bad Id", protocol="openai-chat", base_url="https://x")


TOML = """
[providers.local]
protocol = "openai-chat"
base_url = "http://127.0.0.1:8000/v1"
api_key_env = "LOCAL_KEY"
default_model = "qwen3"

[providers.local.quirks]
reasoning_fields = ["reasoning_content"]
stream_usage = false

[providers.claude-proxy]
protocol = "anthropic-messages"
base_url = "https://proxy.example/v1"
auth = "x-api-key"
"""


def test_load_providers_file(tmp_path: Path) -> None:
    path = tmp_path / "providers.toml"
    path.write_text(TOML)
    local, proxy = load_providers_file(path)
    assert local.id == "local"
    assert isinstance(local.quirks, OpenAIChatQuirks)
    assert local.quirks.reasoning_fields == ("reasoning_content",)
    assert local.quirks.stream_usage is False
    assert proxy.protocol == "anthropic-messages"


def test_providers_file_is_read_on_first_use_not_at_construction(tmp_path: Path) -> None:
    path = tmp_path / "providers.toml"
    registry = ProviderRegistry(BUILTIN_PROVIDERS, config_file=path)
    path.write_text(TOML)  # written after construction: still picked up on first use
    assert registry.resolve("local")[1] == "qwen3"


def test_default_registry_reads_the_file_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llmkit.providers

    path = tmp_path / "providers.toml"
    path.write_text(TOML)
    monkeypatch.setenv("LLMKIT_PROVIDERS_FILE", str(path))
    monkeypatch.setattr(llmkit.providers, "_default", None)
    assert default_registry().get("claude-proxy").auth == "x-api-key"
    import llmkit

    assert llmkit.registry is default_registry()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[providers.x\nprotocol=", "not valid TOML"),
        ('[providers.x]\nprotocol = "Not valid"\nbase_url = "https://x"', "invalid provider 'x'"),
        ('[providers.x]\nprotocol = "openai-chat"', "base_url"),
        ('[providers.x]\nprotocol = "openai-chat"\nbase_url = "https://x"\nwat = 1', "wat"),
        ('providers = "nope"', "table"),
    ],
)
def test_bad_providers_file(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "providers.toml"
    path.write_text(text)
    with pytest.raises(InvalidProviderConfigError, match=needle) as info:
        load_providers_file(path)
    assert str(path) in str(info.value)


def test_an_unknown_protocol_is_refused_when_the_provider_is_resolved() -> None:
    from llmkit import ConfigurationError, stream_text

    registry = ProviderRegistry([ProviderConfig(id="x", protocol="grpc", base_url="https://x")])
    with pytest.raises(ConfigurationError, match=r"unknown protocol 'grpc'.*openai-chat"):
        stream_text(model="x:m", prompt="hi", registry=registry)


def test_quirks_that_do_not_fit_the_protocol_are_refused_with_their_names() -> None:
    with pytest.raises(ValueError, match="max_tokens_feld"):
        ProviderConfig(
            id="x", protocol="openai-chat", base_url="https://x", quirks={"max_tokens_feld": 1}
        )
