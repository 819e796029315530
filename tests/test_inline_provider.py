"""One-line endpoints (``llmkit.provider(...)(model_id)`` as ``model=``) and providers-file tables
that overlay a built-in."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Model, Provider, ProviderConfig, ProviderRegistry, Quirks, provider
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.testing import MockModel


class City(BaseModel):
    name: str


@pytest.fixture
def mock() -> Iterator[MockModel]:
    # an empty registry: the mock is reached only through the inline model
    with MockModel(["Hello!"], registry=ProviderRegistry()) as mock:
        yield mock


def _inline(mock: MockModel, **fields: object) -> Model:
    return provider(mock.server.url + "/v1", **fields)("qwen3")  # type: ignore[arg-type]


async def test_stream_text_to_an_inline_endpoint_with_its_key(mock: MockModel) -> None:
    model = _inline(mock, api_key="sk-inline")
    result = llmkit.stream_text(model=model, prompt="hi")
    assert await result.text == "Hello!"
    request = mock.requests[0]
    assert request.path == "/v1/chat/completions"
    sent = request.json()
    assert isinstance(sent, dict)
    assert sent["model"] == "qwen3"
    assert request.headers["authorization"] == "Bearer sk-inline"
    assert "127.0.0.1" not in llmkit.registry  # nothing registered


async def test_generate_text_without_a_key_for_a_local_server(mock: MockModel) -> None:
    result = await llmkit.generate_text(model=_inline(mock), prompt="hi")
    assert result.text == "Hello!"
    assert "authorization" not in mock.requests[0].headers


async def test_the_models_key_wins_over_the_calls(mock: MockModel) -> None:
    model = _inline(mock, api_key="sk-model")
    await llmkit.generate_text(model=model, prompt="hi", api_key="sk-call")
    assert mock.requests[0].headers["authorization"] == "Bearer sk-model"


async def test_the_calls_key_is_used_for_a_model_without_one(mock: MockModel) -> None:
    await llmkit.generate_text(model=_inline(mock), prompt="hi", api_key="sk-call")
    assert mock.requests[0].headers["authorization"] == "Bearer sk-call"


async def test_objects_through_an_inline_model() -> None:
    with MockModel(['{"name": "Paris"}'], registry=ProviderRegistry()) as mock:
        model = _inline(mock)
        generated = await llmkit.generate_object(model=model, schema=City, prompt="a city")
        assert generated.object == City(name="Paris")
        streamed = llmkit.stream_object(model=model, schema=City, prompt="a city")
        assert await streamed.object == City(name="Paris")


async def test_an_inline_fallback_model(mock: MockModel) -> None:
    down = provider("http://127.0.0.1:9/v1")("nothing")  # connection refused
    result = llmkit.stream_text(model=down, prompt="hi", fallback_models=[_inline(mock)], retry=0)
    events = [event async for event in result]
    assert events[0].type == "stream_start"
    assert events[0].model == f"127.0.0.1-{mock.server.url.rsplit(':', 1)[1]}:qwen3"
    assert await result.text == "Hello!"


async def test_list_models_of_an_inline_provider() -> None:
    from llmkit.testing import ReplayResponse, ReplayServer

    body = b'{"object": "list", "data": [{"id": "qwen3", "object": "model"}]}'
    with ReplayServer([ReplayResponse(body, content_type="application/json")]) as server:
        local = provider(server.url + "/v1", api_key="sk-local")
        models = await llmkit.list_models(local, cache=False)
        assert [m.id for m in models] == ["qwen3"]
        assert server.requests[0].headers["authorization"] == "Bearer sk-local"


async def test_a_built_in_overridden_inline_keeps_its_quirks(mock: MockModel) -> None:
    proxy = provider("openai", base_url=mock.server.url + "/v1", api_key="sk-proxy")
    assert proxy.config.id == "openai"
    assert proxy.config.quirks.max_tokens_field == "max_completion_tokens"  # type: ignore[union-attr]
    await llmkit.generate_text(model=proxy("gpt-4o"), prompt="hi", max_output_tokens=5)
    body = mock.requests[0].json()
    assert isinstance(body, dict)
    assert body["max_completion_tokens"] == 5
    assert "max_tokens" not in body
    assert llmkit.registry.get("openai").base_url == "https://api.openai.com/v1"  # untouched


def test_inline_quirks_merge_flag_by_flag() -> None:
    p = provider("openai", base_url="http://127.0.0.1:4000/v1", quirks={"top_k": True})
    quirks = p.config.quirks
    assert isinstance(quirks, Quirks)
    assert quirks.top_k is True
    assert quirks.max_tokens_field == "max_completion_tokens"
    q = provider("openai", base_url="http://127.0.0.1:4000/v1", quirks=Quirks(top_k=True))
    assert q.config.quirks == quirks


def test_url_provider_defaults() -> None:
    p = provider("http://127.0.0.1:8000/v1")
    assert p.config.id == "127.0.0.1-8000"
    assert p.config.protocol == "openai-chat"
    assert p.config.api_key_required is False
    assert provider("http://127.0.0.1:8000/v1", api_key_env="X").config.api_key_required
    a = provider("http://127.0.0.1:8000/v1", protocol="anthropic-messages", id="local")
    assert (a.config.id, a.config.auth) == ("local", "x-api-key")
    assert a("m").name == "local:m"


def test_keys_never_show() -> None:
    p = provider("http://127.0.0.1:8000/v1", api_key="sk-secret-123")
    model = p("qwen3")
    for text in (repr(p), repr(model), str(model), f"{model}"):
        assert "sk-secret-123" not in text
    assert "Secret('***')" in repr(model)
    with pytest.raises(TypeError):
        pickle.dumps(model)


def test_model_built_directly_and_from_a_config() -> None:
    config = ProviderConfig(id="local", protocol="openai-chat", base_url="http://127.0.0.1:1/v1")
    model = Model(config, "qwen3", "sk-x")  # type: ignore[arg-type]
    assert isinstance(model.api_key, llmkit.Secret)
    assert Provider(config)("qwen3") == model  # the key does not take part in equality
    assert provider(config, api_key="k")("m").provider is config


def test_a_default_model_or_an_error() -> None:
    assert provider("openai")().id == "gpt-4.1-mini"
    with pytest.raises(llmkit.ConfigurationError, match="no default model"):
        provider("http://127.0.0.1:8000/v1")()


def test_a_model_of_the_wrong_type() -> None:
    with pytest.raises(llmkit.ConfigurationError, match=r"llmkit\.provider"):
        llmkit.stream_text(model=42, prompt="hi")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- providers file
def _registry(tmp_path: Path, text: str) -> ProviderRegistry:
    path = tmp_path / "providers.toml"
    path.write_text(text)
    return ProviderRegistry(BUILTIN_PROVIDERS, config_file=path)


def test_a_file_table_for_a_built_in_overlays_it(tmp_path: Path) -> None:
    registry = _registry(
        tmp_path,
        '[providers.openai]\nbase_url = "http://127.0.0.1:4000/v1"\n'
        "[providers.openai.quirks]\ntop_k = true\n",
    )
    openai = registry.get("openai")
    assert openai.base_url == "http://127.0.0.1:4000/v1"
    assert openai.protocol == "openai-chat"
    assert openai.api_key_env == "OPENAI_API_KEY"
    assert openai.default_model == "gpt-4.1-mini"
    assert openai.quirks.max_tokens_field == "max_completion_tokens"  # type: ignore[union-attr]
    assert openai.quirks.reasoning_fields == ()  # type: ignore[union-attr]
    assert openai.quirks.top_k is True  # type: ignore[union-attr]


async def test_an_overlaid_built_in_still_sends_max_completion_tokens(tmp_path: Path) -> None:
    with MockModel(["Hi"], registry=ProviderRegistry()) as mock:
        registry = _registry(
            tmp_path,
            f'[providers.openai]\nprotocol = "openai-chat"\nbase_url = "{mock.server.url}/v1"\n',
        )
        await llmkit.generate_text(
            model="openai:gpt-4o",
            prompt="hi",
            max_output_tokens=7,
            registry=registry,
            api_key="sk-test",
        )
        body = mock.requests[0].json()
    assert isinstance(body, dict)
    assert body["max_completion_tokens"] == 7
    assert "max_tokens" not in body


def test_file_headers_merge_and_a_new_protocol_starts_afresh(tmp_path: Path) -> None:
    registry = _registry(
        tmp_path,
        '[providers.anthropic.headers]\nx-team = "a"\n'
        '[providers.openai]\nprotocol = "openai-responses"\n',
    )
    assert registry.get("anthropic").headers == {
        "anthropic-version": "2023-06-01",
        "x-team": "a",
    }
    openai = registry.get("openai")
    assert openai.protocol == "openai-responses"
    assert openai.auth == "bearer"
    assert not hasattr(openai.quirks, "max_tokens_field")
