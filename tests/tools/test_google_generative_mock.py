"""The testing kit speaks google-generative: ``MockModel(protocol="google-generative")`` answers
``:streamGenerateContent?alt=sse`` with a stream and ``:generateContent`` with a body (streaming
is chosen by the URL, not the body), through stream_text, generate_text, the tool loop and
generate_object / stream_object; and the built-in ``google`` provider sends ``x-goog-api-key``
from ``GEMINI_API_KEY`` or, failing that, ``GOOGLE_API_KEY``, and lists models page by page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import (
    StepResult,
    generate_object,
    generate_text,
    list_models,
    stream_object,
    stream_text,
    tool,
)
from llmkit.auth.keys import env_api_key
from llmkit.errors import MissingCredentialError
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn, ReplayResponse, ReplayServer

GOOGLE = next(p for p in BUILTIN_PROVIDERS if p.id == "google")


class Person(BaseModel):
    name: str
    age: int


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def bodies(mock: MockModel) -> list[dict[str, Any]]:
    return [r.json() for r in mock.requests]  # type: ignore[misc]


async def test_stream_and_generate_text() -> None:
    registry = ProviderRegistry()
    turn = MockTurn(reasoning="Thinking it over.", text="Hello there!", input_tokens=7)
    with MockModel([turn], protocol="google-generative", registry=registry, chunking=5) as mock:
        result = stream_text(model=mock.model, prompt="Hi", registry=registry)
        assert await result.text == "Hello there!"
        assert await result.reasoning_text == "Thinking it over."
        assert await result.finish_reason == "stop"
        usage = await result.usage
        assert (usage.input_tokens, usage.output_tokens) == (7, 20)
        generated = await generate_text(model=mock.model, prompt="Hi", registry=registry)
        assert generated.text == "Hello there!"
        assert generated.reasoning_text == "Thinking it over."
        streamed, plain = mock.requests
    assert streamed.path == "/v1/models/mock-model:streamGenerateContent?alt=sse"
    assert plain.path == "/v1/models/mock-model:generateContent"
    assert streamed.json() == plain.json()  # the body does not say whether to stream


@pytest.mark.parametrize("stream", [True, False])
async def test_the_tool_loop(stream: bool) -> None:
    registry = ProviderRegistry()
    script = [
        MockTurn(reasoning="Add them.", tool_calls=[("add", {"a": 2, "b": 3})]),
        MockTurn(text="It is 5."),
    ]
    steps: Sequence[StepResult]
    with MockModel(script, protocol="google-generative", registry=registry) as mock:
        if stream:
            result = stream_text(
                model=mock.model, prompt="2+3?", tools=[add], max_steps=2, registry=registry
            )
            assert await result.text == "It is 5."
            steps = await result.steps
        else:
            generated = await generate_text(
                model=mock.model, prompt="2+3?", tools=[add], max_steps=2, registry=registry
            )
            assert generated.text == "It is 5."
            steps = generated.steps
        assert [s.finish_reason for s in steps] == ["tool_calls", "stop"]
        second = bodies(mock)[1]
    call_id = steps[0].tool_calls[0].tool_call_id
    assert call_id == "call_0_0"
    assert second["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {"id": call_id, "name": "add", "args": {"a": 2, "b": 3}},
                    "thoughtSignature": MockTurn().signature,
                }
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"id": call_id, "name": "add", "response": {"output": 5}}}
            ],
        },
    ]


async def test_generate_and_stream_object_use_the_response_schema() -> None:
    registry = ProviderRegistry()
    answer = json.dumps({"name": "Ada", "age": 36})
    with MockModel(
        [MockTurn(text=answer, piece=3)], protocol="google-generative", registry=registry
    ) as mock:
        person = await generate_object(
            model=mock.model, schema=Person, prompt="Who?", registry=registry
        )
        assert person.object == Person(name="Ada", age=36)
        streamed = stream_object(model=mock.model, schema=Person, prompt="Who?", registry=registry)
        partials = [p async for p in streamed.partial_object_stream]
        assert partials[-1] == {"name": "Ada", "age": 36}
        assert await streamed.object == Person(name="Ada", age=36)
        first = bodies(mock)[0]
    config = first["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["properties"].keys() == {"name", "age"}
    assert "tools" not in first


# ---------------------------------------------------------------------------- auth, models
def test_gemini_api_key_then_google_api_key() -> None:
    both = {"GEMINI_API_KEY": "gem-key", "GOOGLE_API_KEY": "goog-key"}
    secret = env_api_key(GOOGLE, both)
    assert secret is not None and secret.reveal() == "gem-key"
    secret = env_api_key(GOOGLE, {"GEMINI_API_KEY": "", "GOOGLE_API_KEY": "goog-key"})
    assert secret is not None and secret.reveal() == "goog-key"
    assert env_api_key(GOOGLE, {}) is None


async def test_the_key_goes_in_x_goog_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-test-key")
    with ReplayServer(
        [ReplayResponse(b"data: " + json.dumps(_text_chunk("ok")).encode() + b"\r\n\r\n")]
    ) as server:
        provider = GOOGLE.model_copy(
            update={"base_url": f"{server.url}/v1beta", "allow_insecure_http": True}
        )
        registry = ProviderRegistry([provider])
        result = stream_text(model="google:gemini-2.5-flash", prompt="Hi", registry=registry)
        assert await result.text == "ok"
        (request,) = server.requests
    assert request.headers["x-goog-api-key"] == "AIza-test-key"
    assert "authorization" not in {k.lower() for k in request.headers}
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"


async def test_no_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("LLMKIT_CREDENTIALS_FILE", "/nonexistent/llmkit-test-credentials")
    with pytest.raises(MissingCredentialError, match="GEMINI_API_KEY"):
        await generate_text(
            model="google:gemini-2.5-flash",
            prompt="Hi",
            registry=ProviderRegistry([GOOGLE]),
        )


def _text_chunk(text: str) -> dict[str, object]:
    return {
        "candidates": [{"content": {"parts": [{"text": text}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
    }


async def test_list_models_follows_next_page_token() -> None:
    page1 = {"models": [{"name": "models/gemini-2.5-pro"}], "nextPageToken": "p2"}
    page2 = {"models": [{"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash"}]}
    with ReplayServer([ReplayResponse.json(page1), ReplayResponse.json(page2)]) as server:
        registry = ProviderRegistry([server.provider("gem", "google-generative")])
        models = await list_models("gem", api_key="AIza-k", registry=registry, cache=False)
        first, second = server.requests
    assert [m.id for m in models] == ["gemini-2.5-pro", "gemini-2.5-flash"]
    assert models[1].display_name == "Gemini 2.5 Flash"
    assert first.path == "/v1/models?pageSize=1000"
    assert second.path == "/v1/models?pageSize=1000&pageToken=p2"
    assert first.headers["x-goog-api-key"] == "AIza-k"
