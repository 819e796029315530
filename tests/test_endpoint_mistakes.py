"""Mistakes with model strings and the providers file: each a typed error that says the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import llmkit
from llmkit import (
    ConfigurationError,
    InvalidProviderConfigError,
    NoSuchProviderError,
    ProviderRegistry,
    ProvidersFileNotFoundError,
)
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import load_providers_file


@pytest.mark.parametrize(
    ("model", "meant"),
    [
        ("gpt-4o", "openai:gpt-4o"),  # in openai's model list
        ("gpt-4.5-preview", "openai:gpt-4.5-preview"),  # by its prefix
        ("claude-sonnet-4-5", "anthropic:claude-sonnet-4-5"),
        ("gemini-2.5-flash", "google:gemini-2.5-flash"),
        ("openai/gpt-4o", "openai:gpt-4o"),  # a slash for the colon
        ("anthropic/claude-haiku-4-5", "anthropic:claude-haiku-4-5"),
        ("opneai:gpt-4o", "openai:gpt-4o"),  # a typo'd provider
        ("antropic:claude-sonnet-4-5", "anthropic:claude-sonnet-4-5"),
    ],
)
def test_a_model_string_without_a_known_provider_says_what_was_meant(
    model: str, meant: str
) -> None:
    with pytest.raises(NoSuchProviderError) as info:
        llmkit.stream_text(model=model, prompt="hi")
    error = info.value
    assert isinstance(error, ConfigurationError)
    assert isinstance(error, ValueError)
    assert error.suggestion == meant
    assert f"did you mean {meant!r}" in str(error)
    assert "'provider:model'" in str(error)


def test_an_unknown_provider_with_nothing_close_lists_the_known_ones() -> None:
    with pytest.raises(NoSuchProviderError) as info:
        llmkit.registry.resolve("zzqx:model")
    assert info.value.suggestion is None
    assert "did you mean" not in str(info.value)
    assert "openai" in str(info.value)


def test_a_typo_in_list_models_gets_did_you_mean() -> None:
    with pytest.raises(NoSuchProviderError, match="did you mean 'anthropic'"):
        llmkit.registry.get("antrhopic")


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "providers.toml"
    path.write_text(text)
    return path


def test_a_singular_provider_table_is_an_error(tmp_path: Path) -> None:
    path = _file(
        tmp_path, '[provider.local]\nprotocol = "openai-chat"\nbase_url = "http://127.0.0.1:1"\n'
    )
    with pytest.raises(InvalidProviderConfigError, match=r"did you mean \[providers\.local\]"):
        load_providers_file(path)


@pytest.mark.parametrize("text", ['[models.x]\nid = "y"\n', "timeout = 5\n"])
def test_an_unknown_top_level_table_or_key_is_an_error(tmp_path: Path, text: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(InvalidProviderConfigError, match="unknown top-level") as info:
        load_providers_file(path)
    assert str(path) in str(info.value)
    assert "[providers.local]" in str(info.value)


def test_the_registry_reports_a_bad_table_on_use(tmp_path: Path) -> None:
    path = _file(tmp_path, '[provider.x]\nprotocol = "openai-chat"\n')
    registry = ProviderRegistry(BUILTIN_PROVIDERS, config_file=path)
    for _ in range(2):  # every use, not only the first, until the file is fixed
        with pytest.raises(InvalidProviderConfigError):
            registry.get("openai")


def test_a_missing_file_named_by_the_environment_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llmkit.providers

    missing = tmp_path / "nope" / "providers.toml"
    monkeypatch.setenv("LLMKIT_PROVIDERS_FILE", str(missing))
    monkeypatch.setattr(llmkit.providers, "_default", None)
    with pytest.raises(ProvidersFileNotFoundError) as info:
        llmkit.stream_text(model="openai:gpt-4o", prompt="hi")
    message = str(info.value)
    assert str(missing) in message
    assert "LLMKIT_PROVIDERS_FILE" in message
    assert os.devnull in message
    assert isinstance(info.value, InvalidProviderConfigError)


def test_devnull_means_no_providers_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import llmkit.providers

    monkeypatch.setenv("LLMKIT_PROVIDERS_FILE", os.devnull)
    monkeypatch.setattr(llmkit.providers, "_default", None)
    assert llmkit.registry.get("openai").base_url == "https://api.openai.com/v1"


def test_a_missing_default_location_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLMKIT_PROVIDERS_FILE")
    registry = ProviderRegistry(BUILTIN_PROVIDERS, config_file=tmp_path / "providers.toml")
    assert "openai" in registry


def test_inline_provider_mistakes() -> None:
    with pytest.raises(NoSuchProviderError, match="did you mean 'openai'"):
        llmkit.provider("opnai")
    with pytest.raises(InvalidProviderConfigError, match="base_url") as info:
        llmkit.provider("openai", base_url="ftp://x")
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidProviderConfigError, match="twice"):
        llmkit.provider("http://127.0.0.1:1/v1", base_url="http://127.0.0.1:2/v1")
    with pytest.raises(InvalidProviderConfigError, match="wat"):
        llmkit.provider("http://127.0.0.1:1/v1", wat=1)
