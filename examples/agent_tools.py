"""An agent loop with two tools: llmkit runs the tools the model calls and calls it again.

Run from the repository root (no network, no API key needed)::

    python examples/agent_tools.py

What it shows: two Python functions become tools with ``@llmkit.tool`` (their JSON Schemas are
generated from the type hints and docstrings). ``stream_text(..., tools=[...], max_steps=5)``
runs the loop: the model (a :class:`llmkit.testing.MockModel` on 127.0.0.1 speaking the Anthropic
Messages protocol, scripted to think, call both tools in one step, then answer) calls the tools;
llmkit runs them concurrently, sends the results back, and streams the final answer. The example
prints the events as they arrive, then each step, the total usage, the messages to keep for the
next turn, and what llmkit sent to the model in the second request.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Literal

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmkit import StepResult, stream_text, tool
from llmkit.testing import MockModel, MockTurn

TEMPERATURES = {"Paris": 18, "Oslo": 4}


@tool
async def get_weather(
    city: str, unit: Literal["celsius", "fahrenheit"] = "celsius"
) -> dict[str, object]:
    """The current weather in a city.

    Args:
        city: the city's name, e.g. "Paris".
        unit: the temperature unit.
    """
    await asyncio.sleep(0.05)  # a real tool would call a weather API here
    celsius = TEMPERATURES.get(city, 20)
    value = celsius if unit == "celsius" else round(celsius * 9 / 5 + 32)
    return {"city": city, "temperature": value, "unit": unit}


@tool
def convert_currency(amount: float, source: str, target: str) -> float:
    """Convert an amount of money between currencies.

    Args:
        amount: the amount in the source currency.
        source: ISO 4217 code of the source currency, e.g. "EUR".
        target: ISO 4217 code of the target currency.
    """
    rates = {("EUR", "NOK"): 11.5, ("NOK", "EUR"): 1 / 11.5}
    return round(amount * rates[(source, target)], 2)


SCRIPT = [
    MockTurn(
        reasoning="I need the weather in Oslo and the price in kroner.",
        text="Let me check both.",
        tool_calls=[
            ("get_weather", {"city": "Oslo"}),
            ("convert_currency", {"amount": 120, "source": "EUR", "target": "NOK"}),
        ],
        input_tokens=210,
        output_tokens=64,
    ),
    MockTurn(
        text="Oslo is 4 °C right now, so pack a coat; 120 EUR is about 1380 NOK.",
        input_tokens=320,
        output_tokens=24,
    ),
]


def show_step(step: StepResult) -> None:
    calls = ", ".join(c.tool_name for c in step.tool_calls) or "no tool calls"
    print(f"[step {step.index} finished: {step.finish_reason}; {calls}]")


async def main() -> None:
    with MockModel(SCRIPT, protocol="anthropic-messages") as mock:
        result = stream_text(
            model=mock.model,
            system="You are a concise travel assistant.",
            prompt="I'm flying to Oslo with 120 EUR. Weather, and how much is that in NOK?",
            tools=[get_weather, convert_currency],
            reasoning={"budget_tokens": 1024},
            max_steps=5,
            on_step_finish=show_step,
        )
        async for event in result:
            if event.type in ("reasoning_delta", "text_delta"):
                print(event.delta, end="", flush=True)
            elif event.type in ("reasoning_end", "text_end"):
                print()
            elif event.type == "tool_call":
                print(f"[tool_call] {event.tool_name}({json.dumps(dict(event.args))})")
            elif event.type == "tool_result":
                print(f"[tool_result] {event.tool_name} -> {json.dumps(event.result)}")

        steps = await result.steps
        usage = await result.usage
        print(f"steps: {len(steps)}; final answer: {await result.text}")
        print(f"total usage: {usage.input_tokens} input, {usage.output_tokens} output tokens")
        print("messages to keep for the next turn:")
        for message in await result.response_messages:
            kinds = (
                [part.type for part in message.content]
                if isinstance(message.content, list)
                else ["text"]
            )
            print(f"  {message.role}: {', '.join(kinds)}")

        second = mock.requests[1].json()
        assert isinstance(second, dict)
        print("second request, last two messages as sent to Anthropic:")
        for message in second["messages"][-2:]:
            print("  ", json.dumps(message, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
