"""A protocol written outside the package (examples/custom_protocol.py: Ollama's native NDJSON
chat API), registered with ``register_protocol``, works through ``stream_text``,
``generate_text``, the tool loop, ``generate_object`` and ``MockModel`` with no change inside
llmkit; the recorded Ollama streams give the manifest's values over loopback in random
chunkings."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import (
    InvalidResponseError,
    ProviderConfig,
    ProviderRegistry,
    StreamError,
    generate_object,
    generate_text,
    get_protocol,
    stream_text,
    tool,
)
from llmkit.testing import MockModel, MockTurn, ReplayResponse, ReplayServer, random_chunks

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "ndjson" / "ollama"
ENTRIES = [
    e
    for e in json.loads((FIXTURES / "MANIFEST.json").read_text())["files"]
    if e["protocol"] == "ollama-chat"
]


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "custom_protocol_example", ROOT / "examples" / "custom_protocol.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


EXAMPLE = _load_example()  # registers "ollama-chat"


def _registry(server: ReplayServer) -> ProviderRegistry:
    config = ProviderConfig(id="ollama-native", protocol="ollama-chat", base_url=server.url)
    return ProviderRegistry([config])


def test_the_recordings_are_unchanged() -> None:
    for entry in ENTRIES:
        data = (FIXTURES / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]


def test_registration_makes_the_name_usable() -> None:
    protocol = get_protocol("ollama-chat")
    assert isinstance(protocol, EXAMPLE.OllamaChatProtocol)
    assert protocol.framing == "ndjson"
    config = ProviderConfig(id="o", protocol="ollama-chat", base_url="http://127.0.0.1:1")
    assert config.auth == "none"  # the protocol's own default


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
async def test_recorded_streams_over_loopback(entry: dict[str, Any], seed: int) -> None:
    body = (FIXTURES / entry["file"]).read_bytes()
    response = ReplayResponse(
        body, content_type="application/x-ndjson", chunking=random_chunks(seed, 40)
    )
    with ReplayServer([response]) as server:
        result = stream_text(model="ollama-native:m", prompt="hi", registry=_registry(server))
        events = [event async for event in result]
        (request,) = server.requests
    expected = entry["expected"]
    assert await result.text == expected["text"]
    assert await result.reasoning_text == expected["reasoning"]
    assert await result.finish_reason == expected["finish_reason"]
    usage = await result.usage
    assert usage.input_tokens == expected["usage"]["prompt_eval_count"]
    assert usage.output_tokens == expected["usage"]["eval_count"]
    assert [e.type for e in events].count("finish") == 1 and events[-1].type == "finish"
    starts = [e.type for e in events if e.type.endswith("_start") and e.type != "stream_start"]
    ends = [e.type for e in events if e.type.endswith("_end")]
    assert len(starts) == len(ends)
    assert request.path == "/api/chat"
    assert json.loads(request.body)["stream"] is True


async def test_a_cut_stream_is_a_stream_error() -> None:
    body = (FIXTURES / ENTRIES[0]["file"]).read_bytes()
    cut = body[: body.rindex(b"\n", 0, len(body) - 2) + 1]  # the done line never came
    response = ReplayResponse(cut, content_type="application/x-ndjson")
    with ReplayServer([response]) as server, pytest.raises(StreamError, match="truncated") as info:
        await stream_text(model="ollama-native:m", prompt="hi", registry=_registry(server)).text
    assert info.value.partial is not None and info.value.partial.text


async def test_a_json_error_page_for_a_stream_is_typed() -> None:
    response = ReplayResponse(b"<html>proxy login</html>", content_type="text/html")
    with ReplayServer([response]) as server, pytest.raises(InvalidResponseError, match="NDJSON"):
        await stream_text(model="ollama-native:m", prompt="hi", registry=_registry(server)).text


async def test_mock_model_the_tool_loop_and_generate_text() -> None:
    calls: list[str] = []

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        calls.append(city)
        return "sunny"

    turns: list[MockTurn | str] = [
        MockTurn(reasoning="check the weather", tool_calls=[("get_weather", {"city": "Oslo"})]),
        "It is sunny in Oslo.",
    ]
    registry = ProviderRegistry()
    with MockModel(turns, protocol="ollama-chat", registry=registry) as mock:
        result = stream_text(
            model=mock.model, prompt="Weather?", tools=[get_weather], max_steps=3, registry=registry
        )
        assert await result.text == "It is sunny in Oslo."
        steps = await result.steps
        assert calls == ["Oslo"]
        assert [s.finish_reason for s in steps] == ["tool_calls", "stop"]
        second = json.loads(mock.requests[1].body)
        assert second["messages"][-1] == {
            "role": "tool",
            "tool_name": "get_weather",
            "content": '"sunny"',
        }
        assert second["messages"][-2]["tool_calls"] == [
            {"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
        ]
        answer = await generate_text(model=mock.model, prompt="again", registry=registry)
        assert answer.text == "It is sunny in Oslo."
        assert json.loads(mock.requests[-1].body)["stream"] is False


class City(BaseModel):
    name: str
    population: int


async def test_generate_object_uses_the_format_field() -> None:
    registry = ProviderRegistry()
    with MockModel(
        ['{"name": "Oslo", "population": 709000}'], protocol="ollama-chat", registry=registry
    ) as mock:
        city = (
            await generate_object(model=mock.model, schema=City, prompt="Oslo", registry=registry)
        ).object
        assert city == City(name="Oslo", population=709000)
        sent = json.loads(mock.requests[0].body)
        assert sent["format"]["properties"]["population"]["type"] == "integer"
