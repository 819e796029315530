"""``list_models`` and ``llmkit models``: GET /models over loopback, both protocols."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

import llmkit
from llmkit import AuthenticationError, ModelInfo, ProviderRegistry, list_models
from llmkit.cli.main import main
from llmkit.errors import InvalidResponseError, UnsupportedFeatureError
from llmkit.protocols import get_protocol
from llmkit.protocols.base import Protocol
from llmkit.providers import default_registry
from llmkit.reliability.cache import ModelListCache
from llmkit.testing import ReplayResponse, ReplayServer

# OpenAI API reference, "Models: list"
OPENAI_MODELS = {
    "object": "list",
    "data": [
        {"id": "gpt-4.1-mini", "object": "model", "created": 1744316542, "owned_by": "system"},
        {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
    ],
}


def _claude(model_id: str, name: str, created: str) -> dict[str, object]:
    return {"type": "model", "id": model_id, "display_name": name, "created_at": created}


# Anthropic API reference, "Models: list" (two pages)
ANTHROPIC_PAGE_1 = {
    "data": [
        _claude("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
        _claude("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
    ],
    "has_more": True,
    "first_id": "claude-sonnet-4-5-20250929",
    "last_id": "claude-opus-4-1-20250805",
}
ANTHROPIC_PAGE_2 = {
    "data": [_claude("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z")],
    "has_more": False,
    "first_id": "claude-3-5-haiku-20241022",
    "last_id": "claude-3-5-haiku-20241022",
}


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def _registry(server: ReplayServer, protocol: str, **fields: object) -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.register(server.provider("local", protocol, **fields))
    return registry


async def test_openai_models_get_with_bearer_key(server: ReplayServer) -> None:
    server.add(ReplayResponse.json(OPENAI_MODELS))
    models = await list_models(
        "local", api_key="sk-test", registry=_registry(server, "openai-chat"), cache=False
    )
    assert [m.id for m in models] == ["gpt-4.1-mini", "gpt-4o"]
    first = models[0]
    assert first.created == datetime(2025, 4, 10, 20, 22, 22, tzinfo=timezone.utc)
    assert first.owned_by == "system"
    assert first.display_name is None
    assert first.raw["object"] == "model"
    (request,) = server.requests
    assert (request.method, request.path, request.body) == ("GET", "/v1/models", b"")
    assert request.headers["authorization"] == "Bearer sk-test"
    assert "content-length" not in request.headers


async def test_anthropic_models_follow_has_more(server: ReplayServer) -> None:
    server.add(ReplayResponse.json(ANTHROPIC_PAGE_1))
    server.add(ReplayResponse.json(ANTHROPIC_PAGE_2))
    registry = _registry(server, "anthropic-messages", auth="x-api-key")
    models = await list_models("local", api_key="sk-ant-test", registry=registry, cache=False)
    assert [m.id for m in models] == [
        "claude-sonnet-4-5-20250929",
        "claude-opus-4-1-20250805",
        "claude-3-5-haiku-20241022",
    ]
    assert models[0].display_name == "Claude Sonnet 4.5"
    assert models[0].created == datetime(2025, 9, 29, tzinfo=timezone.utc)
    assert models[0].owned_by is None
    first, second = server.requests
    assert (first.method, first.path) == ("GET", "/v1/models")
    assert (second.method, second.path) == ("GET", "/v1/models?after_id=claude-opus-4-1-20250805")
    for request in (first, second):
        assert request.headers["x-api-key"] == "sk-ant-test"
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert request.body == b""


async def test_cache_hit_makes_no_request(server: ReplayServer) -> None:
    server.add(ReplayResponse.json(OPENAI_MODELS))
    registry, cache = _registry(server, "openai-chat"), ModelListCache(ttl=60)
    first = await list_models("local", registry=registry, cache=cache)
    second = await list_models("local:any-model", registry=registry, cache=cache)
    assert first == second and len(first) == 2
    assert len(server.requests) == 1
    cache.invalidate()
    await list_models("local", registry=registry, cache=cache)
    assert len(server.requests) == 2


async def test_default_cache_is_keyed_by_base_url(server: ReplayServer) -> None:
    server.add(ReplayResponse.json(OPENAI_MODELS))
    registry = _registry(server, "openai-chat")
    await list_models("local", registry=registry)
    await list_models("local", registry=registry)
    assert len(server.requests) == 1
    with ReplayServer([ReplayResponse.json({"object": "list", "data": []})]) as other:
        assert await list_models("local", registry=_registry(other, "openai-chat")) == []
        assert len(other.requests) == 1


@pytest.mark.parametrize(
    ("protocol", "body"),
    [
        (
            "openai-chat",
            {
                "error": {
                    "message": "Incorrect API key provided: sk-bad.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
        ),
        (
            "anthropic-messages",
            {
                "type": "error",
                "error": {"type": "authentication_error", "message": "invalid x-api-key"},
                "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
            },
        ),
    ],
)
async def test_401_is_an_authentication_error(
    server: ReplayServer, protocol: str, body: dict[str, object]
) -> None:
    server.add(ReplayResponse.json(body, status=401))
    registry, cache = _registry(server, protocol), ModelListCache()
    with pytest.raises(AuthenticationError) as info:
        await list_models("local", api_key="sk-bad", registry=registry, cache=cache)
    assert info.value.status_code == 401
    assert info.value.provider_id == "local"
    assert len(cache) == 0  # a failure is not cached


async def test_repeating_cursor_is_an_invalid_response(server: ReplayServer) -> None:
    server.add(ReplayResponse.json(ANTHROPIC_PAGE_1))  # repeats: same last_id every page
    registry = _registry(server, "anthropic-messages")
    with pytest.raises(InvalidResponseError, match="repeats the cursor"):
        await list_models("local", registry=registry, cache=False)
    assert len(server.requests) == 2


def test_sans_io_parsing() -> None:
    openai, anthropic = get_protocol("openai-chat"), get_protocol("anthropic-messages")
    models, cursor = openai.parse_models(
        b'{"object":"list","data":[{"id":"llama3.1:8b","object":"model"},{"object":"model"}]}'
    )
    assert models == [ModelInfo("llama3.1:8b")] and cursor is None
    assert anthropic.parse_models(b'{"data":[],"has_more":false}') == ([], None)
    for protocol in (openai, anthropic):
        with pytest.raises(InvalidResponseError):
            protocol.parse_models(b"<html>")
        with pytest.raises(InvalidResponseError):
            protocol.parse_models(b'{"object":"list"}')


def test_base_protocol_cannot_list_models() -> None:
    bare = SimpleNamespace(name="bare")  # the defaults read only ``name``
    provider = default_registry().get("openai")
    with pytest.raises(UnsupportedFeatureError, match="'bare' cannot list models"):
        Protocol.build_models_request(bare, provider)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedFeatureError):
        Protocol.parse_models(bare, b"{}")  # type: ignore[arg-type]


def test_cli_models(server: ReplayServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.add(ReplayResponse.json(ANTHROPIC_PAGE_2))
    registry = default_registry()
    registry.register(server.provider("replay-models", "anthropic-messages"))
    try:
        assert main(["models", "replay-models"]) == 0
    finally:
        registry.unregister("replay-models")
    assert capsys.readouterr().out == "claude-3-5-haiku-20241022  (Claude Haiku 3.5)\n"


def test_cli_models_error(server: ReplayServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.add(
        ReplayResponse.json(
            {"error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}},
            status=401,
        )
    )
    registry = default_registry()
    registry.register(server.provider("replay-models", "openai-chat"))
    try:
        assert main(["models", "replay-models"]) == 1
        assert main(["models", "no-such-provider"]) == 1
    finally:
        registry.unregister("replay-models")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("llmkit: AuthenticationError: ")
    assert lines[1].startswith("llmkit: NoSuchProviderError: ")


def test_exported() -> None:
    assert llmkit.list_models is list_models
    assert llmkit.ModelInfo is ModelInfo


@pytest.mark.parametrize("body", [b"[" * 5000, b"[1, 2]", b"not json", b"\xff\xfe"])
def test_a_model_list_that_is_not_an_object_is_typed(body: bytes) -> None:
    from llmkit.errors import InvalidResponseError
    from llmkit.protocols import get_protocol

    for name in ("openai-chat", "anthropic-messages"):
        with pytest.raises(InvalidResponseError, match="model list"):
            get_protocol(name).parse_models(body)
