"""The testing kit speaks openai-responses: ``MockModel(protocol="openai-responses")`` through
stream_text, generate_text, the tool loop (reasoning replayed statelessly) and generate_object
(``text.format`` with a JSON schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from llmkit import generate_object, generate_text, stream_text, tool
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class City(BaseModel):
    name: str
    country: str


async def test_stream_text_and_generate_text() -> None:
    registry = ProviderRegistry()
    turn = MockTurn(text="Hello there, friend.", reasoning="Greet back.", cache_read_tokens=4)
    with MockModel([turn], protocol="openai-responses", registry=registry) as mock:
        streamed = stream_text(model=mock.model, prompt="hi", registry=registry)
        types = [event.type async for event in streamed]
        assert types[:3] == ["stream_start", "response_metadata", "reasoning_start"]
        assert await streamed.text == "Hello there, friend."
        assert await streamed.reasoning_text == "Greet back."
        usage = await streamed.usage
        assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (10, 20, 4)
        assert await streamed.finish_reason == "stop"
        generated = await generate_text(model=mock.model, prompt="hi", registry=registry)
        assert (generated.text, generated.reasoning_text) == ("Hello there, friend.", "Greet back.")
        assert generated.finish_reason == "stop"
        first, second = (r.json() for r in mock.requests)
    assert isinstance(first, dict) and isinstance(second, dict)
    assert mock.requests[0].path == "/v1/responses"
    assert first["stream"] is True and "stream" not in second


async def test_the_tool_loop_replays_reasoning_and_calls() -> None:
    registry = ProviderRegistry()
    turns = [
        MockTurn(reasoning="Need weather.", tool_calls=[("get_weather", {"city": "Paris"})]),
        MockTurn(text="It is sunny in Paris."),
    ]
    with MockModel(turns, protocol="openai-responses", registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            prompt="Weather?",
            tools=[get_weather],
            reasoning={"effort": "low"},
            max_steps=3,
            registry=registry,
        )
        assert await result.text == "It is sunny in Paris."
        steps = await result.steps
        second = mock.requests[1].json()
    assert [s.finish_reason for s in steps] == ["tool_calls", "stop"]
    assert isinstance(second, dict)
    items: list[Any] = second["input"]
    assert items[1] == {
        "type": "reasoning",
        "id": "rs_mock",
        "summary": [{"type": "summary_text", "text": "Need weather."}],
        "encrypted_content": MockTurn().signature,
    }
    assert items[2] == {
        "type": "function_call",
        "call_id": "call_0_0",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
        "id": "fc_mock_0",
    }
    assert items[3] == {
        "type": "function_call_output",
        "call_id": "call_0_0",
        "output": "sunny in Paris",
    }


async def test_generate_object_uses_text_format() -> None:
    registry = ProviderRegistry()
    turn = MockTurn(text='{"name": "Paris", "country": "France"}', piece=3)
    with MockModel([turn], protocol="openai-responses", registry=registry) as mock:
        result = await generate_object(
            model=mock.model, schema=City, prompt="A city?", registry=registry
        )
        assert result.object == City(name="Paris", country="France")
        body = mock.requests[0].json()
    assert isinstance(body, dict)
    fmt = body["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "City", True)
    assert fmt["schema"]["additionalProperties"] is False


async def test_generate_text_on_a_chatgpt_plan_streams_and_reads_the_whole_body() -> None:
    """The plan accepts only streamed requests (quirks.stream_only): generate_text sends
    stream: true and parses the event stream it gets back as its body."""
    from llmkit.protocols.openai_responses.fake import openai_responses_sse
    from llmkit.protocols.openai_responses.quirks import CHATGPT_PLAN_QUIRKS
    from llmkit.testing import ReplayResponse, ReplayServer

    answer = ReplayResponse(openai_responses_sse(MockTurn(text="Plan answer.", reasoning="Hm.")))
    with ReplayServer([answer]) as server:
        provider = server.provider("plan", "openai-responses", quirks=CHATGPT_PLAN_QUIRKS)
        result = await generate_text(
            model="plan:gpt-5.5",
            prompt="hi",
            temperature=0.3,
            registry=ProviderRegistry([provider]),
        )
        body = server.requests[0].json()
    assert (result.text, result.reasoning_text) == ("Plan answer.", "Hm.")
    assert [(w.type, w.setting) for w in result.warnings] == [
        ("unsupported_setting", "temperature")
    ]
    assert isinstance(body, dict)
    assert body["stream"] is True and body["store"] is False and "temperature" not in body
