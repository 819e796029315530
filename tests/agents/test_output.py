"""``output=`` on the text calls: a final answer of a given shape (object, list, choice, plain
value) from a model that also calls tools, end to end over loopback (MockModel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pytest
from expected import check_conformance
from pydantic import BaseModel

import llmkit
from llmkit import NoObjectGeneratedError, Output, generate_text, stream_text, tool
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn

if TYPE_CHECKING:
    from typing_extensions import TypeForm

PROTOCOLS = ["openai-chat", "anthropic-messages"]


class Weather(BaseModel):
    city: str
    celsius: float


@tool
def get_weather(city: str) -> dict[str, object]:
    """The current weather in a city."""
    return {"city": city, "celsius": 12.5}


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_typed_final_answer_after_a_tool_call(
    registry: ProviderRegistry, protocol: Any
) -> None:
    script = [
        MockTurn(tool_calls=[("get_weather", {"city": "Oslo"})]),
        MockTurn(tool_calls=[("final_answer", {"city": "Oslo", "celsius": 12.5})]),
        MockTurn(text="never asked"),
    ]
    with MockModel(script, protocol=protocol, registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            prompt="Weather in Oslo?",
            tools=[get_weather],
            output=Weather,
            registry=registry,
        )
        events = [event async for event in result]
        bodies = [r.json() for r in mock.requests]
    check_conformance(events)
    assert await result.output == Weather(city="Oslo", celsius=12.5)
    assert len(bodies) == 2  # the valid final answer ended the loop
    first = bodies[0]
    assert isinstance(first, dict)
    if protocol == "openai-chat":
        names = [t["function"]["name"] for t in first["tools"]]
        schema = first["tools"][1]["function"]["parameters"]
        assert first["tool_choice"] == "required"
    else:
        names = [t["name"] for t in first["tools"]]
        schema = first["tools"][1]["input_schema"]
        assert first["tool_choice"] == {"type": "any"}
    assert names == ["get_weather", "final_answer"]
    assert schema["properties"].keys() == {"city", "celsius"}


async def test_an_invalid_answer_is_sent_back_and_corrected(registry: ProviderRegistry) -> None:
    script = [
        MockTurn(tool_calls=[("final_answer", {"elements": ["a", 3]})]),
        MockTurn(tool_calls=[("final_answer", {"elements": [1, 2, 3]})]),
    ]
    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="Three numbers", output=list[int], registry=registry
        )
        second = mock.requests[1].json()
    assert result.output == [1, 2, 3]
    assert isinstance(second, dict)
    feedback = second["messages"][-1]
    assert feedback["role"] == "tool"
    assert feedback["content"].startswith("Error: invalid arguments for tool 'final_answer'")
    assert "elements.0" in feedback["content"]
    assert result.steps[0].tool_results[0].is_error


async def test_choices_and_plain_values(registry: ProviderRegistry) -> None:
    script = [MockTurn(tool_calls=[("final_answer", {"result": "negative"})])]
    # typed as a TypeForm: mypy does not infer one for a bare Literal in output's union type
    sentiment: TypeForm[object] = Literal["positive", "negative"]
    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model,
            prompt="Sentiment of 'awful'?",
            output=sentiment,
            registry=registry,
        )
        sent = mock.requests[0].json()
    assert result.output == "negative"
    assert isinstance(sent, dict)
    wrapper = sent["tools"][0]["function"]["parameters"]["properties"]["result"]
    assert wrapper["enum"] == ["positive", "negative"]
    script = [MockTurn(tool_calls=[("final_answer", {"value": 42})])]
    with MockModel(script, registry=registry) as mock:
        value = await generate_text(
            model=mock.model, prompt="The answer?", output=Output.value(int), registry=registry
        )
    assert value.output == 42


def test_a_model_that_answers_in_text_is_parsed(registry: ProviderRegistry) -> None:
    script = [MockTurn(text='```json\n{"city": "Rome", "celsius": 20}\n```')]
    with MockModel(script, registry=registry) as mock:
        result = llmkit.stream_text_sync(
            model=mock.model,
            prompt="Weather?",
            output=Weather,
            tool_choice="auto",
            registry=registry,
        )
        assert result.output == Weather(city="Rome", celsius=20)


async def test_no_final_answer_is_a_typed_error(registry: ProviderRegistry) -> None:
    script = [MockTurn(tool_calls=[("get_weather", {"city": "Oslo"})])]
    with (
        MockModel(script, registry=registry) as mock,
        pytest.raises(NoObjectGeneratedError, match="gave no final answer") as raised,
    ):
        await generate_text(
            model=mock.model,
            prompt="Weather?",
            tools=[get_weather],
            output=Weather,
            max_steps=2,
            registry=registry,
        )
    assert raised.value.finish_reason == "tool_calls"
    assert raised.value.usage is not None


async def test_output_mistakes_say_what_to_do(registry: ProviderRegistry) -> None:
    @tool
    def final_answer(x: int) -> int:
        """Mine."""
        return x

    with pytest.raises(llmkit.ConfigurationError, match="rename your tool"):
        stream_text(model="openai:gpt-4.1", prompt="hi", tools=[final_answer], output=int)
    with pytest.raises(llmkit.ConfigurationError, match="cannot be an output"):
        stream_text(model="openai:gpt-4.1", prompt="hi", output="json")  # type: ignore[arg-type]
    with MockModel(["hi"], registry=registry) as mock:
        result = stream_text(model=mock.model, prompt="hi", registry=registry)
        with pytest.raises(llmkit.ConfigurationError, match="needs output="):
            await result.output
