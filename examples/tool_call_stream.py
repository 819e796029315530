"""Stream tool calls: argument deltas as they arrive, the parsed calls, then the tool results.

Run from the repository root (no network, no API key needed)::

    python examples/tool_call_stream.py

What it shows: a real Anthropic Claude 3.5 Sonnet stream (recorded in ``tests/fixtures/sse/``)
in which the model writes some text and then calls two tools in parallel. A
:class:`llmkit.testing.ReplayServer` on 127.0.0.1 plays it in small network chunks. The example
prints each ``tool_input_delta`` (a piece of the arguments' JSON text) as it arrives and each
complete ``tool_call`` event with its parsed ``args``. It then runs the tools locally and sends
the tool results back in a second request (answered by a scripted stream built with
:func:`llmkit.testing.anthropic_messages_sse`) and prints how llmkit encoded them for Anthropic.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from pydantic import JsonValue

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import llmkit
from llmkit import (
    AssistantMessage,
    TextPart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    stream_text,
)
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer, anthropic_messages_sse
from llmkit.types.messages import MessageLike

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = (
    ROOT / "tests/fixtures/sse/anthropic-anthropic-messages-sonnet35-text-parallel-tool-use.sse"
)

TOOLS = [
    {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
    {
        "name": "get_time",
        "description": "The current time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"timezone": {"type": "string"}},
            "required": ["timezone"],
        },
    },
]


def run_tool(name: str, args: Mapping[str, object]) -> JsonValue:
    """Stand-ins for real tools; a result is a str or any JSON-compatible value."""
    if name == "get_weather":
        return {"location": str(args["location"]), "temperature": 18, "unit": "celsius"}
    if name == "get_time":
        return "09:41"
    raise ValueError(f"unknown tool {name}")


async def main() -> None:
    follow_up = anthropic_messages_sse(
        MockTurn(text="It is 18 °C in San Francisco, and the local time is 09:41.")
    )
    responses = [
        ReplayResponse.from_file(FIXTURE, chunking=32, delay=0.002),  # the recorded tool calls
        ReplayResponse(follow_up),  # the answer after the tool results
    ]
    with ReplayServer(responses) as server:
        llmkit.registry.register(server.provider("recorded", "anthropic-messages"))
        messages: list[MessageLike] = [
            {"role": "user", "content": "What's the weather and time in San Francisco?"}
        ]

        # ---- turn 1: the model streams text, then two tool calls
        result = stream_text(model="recorded:claude-3-5-sonnet", messages=messages, tools=TOOLS)
        async for event in result:
            if event.type == "text_delta":
                print(event.delta, end="", flush=True)
            elif event.type == "tool_input_start":
                print(f"\n[tool_input_start] {event.tool_name} (id {event.id})\n  args: ", end="")
            elif event.type == "tool_input_delta":
                print(event.delta, end="|", flush=True)  # "|" marks each delta boundary
            elif event.type == "tool_input_end":
                print(f"\n[tool_input_end] {event.id}")
            elif event.type == "tool_call":
                print(f"[tool_call] {event.tool_name}({json.dumps(dict(event.args))})")
        raw = await result.raw_finish_reason
        print(f"finish reason: {await result.finish_reason} (raw {raw!r})")

        # ---- run the tools, then send the assistant turn and the tool results back
        calls = await result.tool_calls
        messages.append(
            AssistantMessage(
                content=[
                    TextPart(text=await result.text),
                    *(
                        ToolCallPart(
                            tool_call_id=c.tool_call_id, tool_name=c.tool_name, args=dict(c.args)
                        )
                        for c in calls
                    ),
                ]
            )
        )
        messages.append(
            ToolMessage(
                content=[
                    ToolResultPart(
                        tool_call_id=c.tool_call_id,
                        tool_name=c.tool_name,
                        result=run_tool(c.tool_name, c.args),
                    )
                    for c in calls
                ]
            )
        )

        # ---- turn 2: the model answers with the results
        answer = stream_text(model="recorded:claude-3-5-sonnet", messages=messages, tools=TOOLS)
        print("answer:", await answer.text)

        sent = server.requests[1].json()
        assert isinstance(sent, dict)
        print("tool results as sent to Anthropic:")
        for block in sent["messages"][-1]["content"]:
            print("  ", json.dumps(block))


if __name__ == "__main__":
    asyncio.run(main())
