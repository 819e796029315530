"""The multi-step tool loop end to end over loopback (MockModel on 127.0.0.1), for both
protocols: the exact request bodies of every step, stop conditions, callbacks, cancellation.

Expected bodies follow the provider API references: OpenAI Chat Completions (assistant message
with ``tool_calls``, then one ``role: tool`` message per result) and Anthropic Messages
("Tool use": ``tool_use`` blocks in the assistant turn, ``tool_result`` blocks in the next user
turn; "Extended thinking": the signed thinking block comes back first in the assistant turn).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest
from expected import check_conformance

from llmkit import (
    FinishInfo,
    StepResult,
    Tool,
    generate_text,
    has_tool_call,
    step_count_is,
    stream_text,
    tool,
)
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.types.events import StreamEvent

PROTOCOLS = ["openai-chat", "anthropic-messages"]


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: the first addend.
        b: the second addend.
    """
    return a + b


ADD_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "a": {"type": "integer", "description": "the first addend."},
        "b": {"type": "integer", "description": "the second addend."},
    },
    "required": ["a", "b"],
}


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry()


def bodies(mock: MockModel) -> list[dict[str, Any]]:
    return [r.json() for r in mock.requests]  # type: ignore[misc]


def openai_call(call_id: str, name: str, args: dict[str, object]) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def decode_arguments(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI sends ``arguments`` as JSON text; parse it so bodies compare by value."""
    out = []
    for message in messages:
        message = dict(message)
        if "tool_calls" in message:
            calls = []
            for c in message["tool_calls"]:
                assert isinstance(c["function"]["arguments"], str)
                function = {**c["function"], "arguments": json.loads(c["function"]["arguments"])}
                calls.append({**c, "function": function})
            message["tool_calls"] = calls
        out.append(message)
    return out


SCRIPT = [
    MockTurn(reasoning="I should add.", text="Adding.", tool_calls=[("add", {"a": 2, "b": 3})]),
    MockTurn(text="2 + 3 = 5."),
]


async def test_stream_text_tool_loop_openai_bodies(registry: ProviderRegistry) -> None:
    with MockModel(SCRIPT, registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            system="Be brief.",
            prompt="What is 2+3?",
            tools=[add],
            max_steps=5,
            registry=registry,
        )
        assert await result.text == "2 + 3 = 5."
        first, second = bodies(mock)
    tools = [
        {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add two integers.",
                "parameters": ADD_SCHEMA,
            },
        }
    ]
    assert first["tools"] == second["tools"] == tools
    assert first["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+3?"},
    ]
    # reasoning has no OpenAI chat field: dropped (with a warning), never sent
    assert decode_arguments(second["messages"]) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+3?"},
        {
            "role": "assistant",
            "content": "Adding.",
            "tool_calls": [openai_call("call_0_0", "add", {"a": 2, "b": 3})],
        },
        {"role": "tool", "tool_call_id": "call_0_0", "content": "5"},
    ]
    steps = await result.steps
    assert [s.finish_reason for s in steps] == ["tool_calls", "stop"]
    assert [w.setting for w in steps[1].warnings] == ["messages"]


async def test_stream_text_tool_loop_anthropic_bodies(registry: ProviderRegistry) -> None:
    script = [
        MockTurn(
            reasoning="I should add.",
            signature="c2lnLTE=",
            text="Adding.",
            tool_calls=[("add", {"a": 2, "b": 3})],
        ),
        MockTurn(text="2 + 3 = 5."),
    ]
    with MockModel(script, protocol="anthropic-messages", registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            system="Be brief.",
            prompt="What is 2+3?",
            tools=[add],
            reasoning={"budget_tokens": 1024},
            max_steps=5,
            registry=registry,
        )
        assert await result.text == "2 + 3 = 5."
        first, second = bodies(mock)
    tools = [{"name": "add", "description": "Add two integers.", "input_schema": ADD_SCHEMA}]
    assert first["tools"] == second["tools"] == tools
    assert second["system"] == "Be brief."
    assert second["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert second["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "What is 2+3?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I should add.", "signature": "c2lnLTE="},
                {"type": "text", "text": "Adding."},
                {"type": "tool_use", "id": "toolu_0_0", "name": "add", "input": {"a": 2, "b": 3}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_0_0", "content": "5"}],
        },
    ]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_generate_text_runs_the_same_loop(protocol: str, registry: ProviderRegistry) -> None:
    with MockModel(SCRIPT, protocol=protocol, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="What is 2+3?", tools=[add], max_steps=5, registry=registry
        )
        sent = bodies(mock)
    assert all("stream" not in body for body in sent)
    assert len(sent) == 2
    assert result.text == "2 + 3 = 5."
    assert result.finish_reason == "stop"
    assert [len(s.tool_calls) for s in result.steps] == [1, 0]
    assert result.steps[0].tool_results[0].result == 5
    assert result.usage.input_tokens == 20 and result.usage.output_tokens == 40
    assert [type(m).__name__ for m in result.response_messages] == [
        "AssistantMessage",
        "ToolMessage",
        "AssistantMessage",
    ]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_invalid_arguments_go_back_as_an_error_and_the_loop_continues(
    protocol: str, registry: ProviderRegistry
) -> None:
    script = [
        MockTurn(tool_calls=[("add", {"a": 2, "b": "three"})]),
        MockTurn(tool_calls=[("add", {"a": 2, "b": 3})]),
        MockTurn(text="5"),
    ]
    with MockModel(script, protocol=protocol, registry=registry) as mock:
        result = stream_text(
            model=mock.model, prompt="2+3", tools=[add], max_steps=5, registry=registry
        )
        events = [e async for e in result]
        sent = bodies(mock)
    results = [e for e in events if e.type == "tool_result"]
    assert [r.is_error for r in results] == [True, False]
    message = (
        "Error: invalid arguments for tool 'add': b: Input should be a valid integer, unable to "
        "parse string as an integer. Call the tool again with arguments that match its schema."
    )
    assert results[0].result == message
    assert len(sent) == 3
    if protocol == "openai-chat":
        assert sent[1]["messages"][-1] == {
            "role": "tool",
            "tool_call_id": "call_0_0",
            "content": message,
        }
    else:
        assert sent[1]["messages"][-1] == {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_0_0",
                    "content": message,
                    "is_error": True,
                }
            ],
        }
    assert await result.text == "5"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_max_steps_caps_the_loop(protocol: str, registry: ProviderRegistry) -> None:
    forever = [MockTurn(text="again", tool_calls=[("add", {"a": 1, "b": 1})])]
    with MockModel(forever, protocol=protocol, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="loop", tools=[add], max_steps=3, registry=registry
        )
        assert len(mock.requests) == 3
    assert len(result.steps) == 3
    assert result.finish_reason == "tool_calls"
    # the last step's tools still ran; their results end the response messages
    assert result.steps[-1].tool_results[0].result == 2
    assert type(result.response_messages[-1]).__name__ == "ToolMessage"
    assert result.usage.input_tokens == 30


async def test_default_runs_the_tools_once_and_does_not_call_again(
    registry: ProviderRegistry,
) -> None:
    with MockModel(SCRIPT, registry=registry) as mock:
        result = stream_text(model=mock.model, prompt="2+3", tools=[add], registry=registry)
        events = [e async for e in result]
        assert len(mock.requests) == 1
    assert [e.type for e in events if e.type in ("tool_call", "tool_result", "step_finish")] == [
        "tool_call",
        "tool_result",
        "step_finish",
    ]
    assert await result.finish_reason == "tool_calls"
    assert [c.tool_name for c in await result.tool_calls] == ["add"]
    steps = await result.steps
    assert steps[0].tool_results[0].result == 5


async def test_stop_when_conditions(registry: ProviderRegistry) -> None:
    @tool
    def final_answer(answer: str) -> str:
        return answer

    script = [
        MockTurn(tool_calls=[("add", {"a": 1, "b": 2})]),
        MockTurn(tool_calls=[("final_answer", {"answer": "3"})]),
        MockTurn(text="never reached"),
    ]
    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model,
            prompt="go",
            tools=[add, final_answer],
            stop_when=has_tool_call("final_answer"),
            registry=registry,
        )
        assert len(mock.requests) == 2
    assert result.steps[-1].tool_results[0].result == "3"

    seen: list[int] = []

    async def after_first(steps: Sequence[StepResult]) -> bool:
        seen.append(len(steps))
        return len(steps) >= 1

    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model,
            prompt="go",
            tools=[add, final_answer],
            stop_when=[step_count_is(5), after_first],
            registry=registry,
        )
        assert len(mock.requests) == 1
    assert seen == [1]


@pytest.mark.parametrize("stream", [True, False])
async def test_callbacks_run_once(stream: bool, registry: ProviderRegistry) -> None:
    steps: list[StepResult] = []
    finished: list[FinishInfo] = []

    async def on_step(step: StepResult) -> None:
        steps.append(step)

    with MockModel(SCRIPT, registry=registry) as mock:
        options: dict[str, Any] = {
            "model": mock.model,
            "prompt": "2+3",
            "tools": [add],
            "max_steps": 4,
            "on_step_finish": on_step,
            "on_finish": finished.append,
            "registry": registry,
        }
        if stream:
            result = stream_text(**options)
            await result.text
            await result.usage  # awaiting again does not re-run anything
        else:
            await generate_text(**options)
    assert [s.index for s in steps] == [0, 1]
    assert len(finished) == 1
    info = finished[0]
    assert info.text == "2 + 3 = 5."
    assert info.steps == tuple(steps)
    assert info.usage.input_tokens == 20 and info.usage.total_tokens == 60
    assert len(info.response_messages) == 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_tool_without_function_stops_the_loop(
    protocol: str, registry: ProviderRegistry
) -> None:
    ask_user = Tool(
        name="ask_user",
        description="Ask the user a question.",
        parameters={"type": "object", "properties": {"q": {"type": "string"}}},
    )
    script = [MockTurn(tool_calls=[("add", {"a": 1, "b": 2}), ("ask_user", {"q": "why?"})])]
    with MockModel(script, protocol=protocol, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="go", tools=[add, ask_user], max_steps=5, registry=registry
        )
        assert len(mock.requests) == 1
    assert [c.tool_name for c in result.tool_calls] == ["add", "ask_user"]
    assert [r.tool_name for r in result.steps[0].tool_results] == ["add"]


async def test_event_stream_of_several_steps_is_well_formed(registry: ProviderRegistry) -> None:
    script = [
        MockTurn(reasoning="r1", text="one", tool_calls=[("add", {"a": 1, "b": 1})]),
        MockTurn(reasoning="r2", text="two", tool_calls=[("add", {"a": 2, "b": 2})]),
        MockTurn(text="three"),
    ]
    for protocol in PROTOCOLS:
        with MockModel(script, protocol=protocol, registry=registry) as mock:
            result = stream_text(
                model=mock.model, prompt="go", tools=[add], max_steps=5, registry=registry
            )
            events: list[StreamEvent] = [e async for e in result]
        check_conformance(events)  # unique block ids, one stream_start first, one finish last
        kinds = [e.type for e in events]
        assert kinds.count("stream_start") == 1 and kinds.count("step_finish") == 3
        assert kinds.index("tool_result") < kinds.index("step_finish")
        finish = events[-1]
        assert finish.type == "finish"
        assert finish.usage.input_tokens == 30 and finish.finish_reason == "stop"
        assert await result.text == "three"
        assert await result.reasoning_text is None
        assert [s.text for s in await result.steps] == ["one", "two", "three"]
        assert [s.reasoning_text for s in await result.steps] == ["r1", "r2", None]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_response_messages_continue_the_conversation(
    protocol: str, registry: ProviderRegistry
) -> None:
    script = [
        MockTurn(reasoning="think", text="Adding.", tool_calls=[("add", {"a": 2, "b": 3})]),
        MockTurn(text="It is 5."),
        MockTurn(text="You asked about 2+3."),
    ]
    with MockModel(script, protocol=protocol, registry=registry) as mock:
        first = stream_text(
            model=mock.model, prompt="2+3?", tools=[add], max_steps=3, registry=registry
        )
        history: list[Any] = [{"role": "user", "content": "2+3?"}, *await first.response_messages]
        history.append({"role": "user", "content": "What did I ask?"})
        second = stream_text(model=mock.model, messages=history, tools=[add], registry=registry)
        assert await second.text == "You asked about 2+3."
        step2, step3 = bodies(mock)[1], bodies(mock)[2]
    # the next call replays exactly what the loop itself sent, plus the new turns
    assert step3["messages"][: len(step2["messages"])] == step2["messages"]
    if protocol == "openai-chat":
        assert step3["messages"][len(step2["messages"]) :] == [
            {"role": "assistant", "content": "It is 5."},
            {"role": "user", "content": "What did I ask?"},
        ]
    else:
        assert step3["messages"][len(step2["messages"]) :] == [
            {"role": "assistant", "content": [{"type": "text", "text": "It is 5."}]},
            {"role": "user", "content": [{"type": "text", "text": "What did I ask?"}]},
        ]
        assert step3["messages"][1]["content"][0] == {
            "type": "thinking",
            "thinking": "think",
            "signature": "bW9jaw==",
        }


async def test_breaking_out_cancels_running_tools(registry: ProviderRegistry) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    @tool
    async def slow(n: int) -> int:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return n

    script: list[MockTurn | str] = [MockTurn(tool_calls=[("slow", {"n": 1})]), "done"]
    with MockModel(script, registry=registry) as mock:
        result = stream_text(
            model=mock.model, prompt="go", tools=[slow], max_steps=3, registry=registry
        )
        async for event in result:
            if event.type == "tool_call":
                await asyncio.wait_for(started.wait(), 5)
                break
        await result.aclose()
        await asyncio.wait_for(cancelled.wait(), 5)
        assert len(mock.requests) == 1


async def test_cancelling_the_task_cancels_running_tools(registry: ProviderRegistry) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    @tool
    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with MockModel([MockTurn(tool_calls=[("slow", {})])], registry=registry) as mock:
        result = stream_text(
            model=mock.model, prompt="go", tools=[slow], max_steps=3, registry=registry
        )
        task = asyncio.ensure_future(result.text)
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(cancelled.wait(), 5)


async def test_unknown_tool_names_are_reported_to_the_model(registry: ProviderRegistry) -> None:
    script: list[MockTurn | str] = [MockTurn(tool_calls=[("subtract", {"a": 1})]), "sorry"]
    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="go", tools=[add], max_steps=2, registry=registry
        )
        sent = bodies(mock)
    assert result.text == "sorry"
    assert sent[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_0_0",
        "content": "Error: there is no tool named 'subtract'. Available tools: add.",
    }


async def test_max_steps_must_be_positive(registry: ProviderRegistry) -> None:
    from llmkit.errors import ConfigurationError

    with MockModel(["x"], registry=registry) as mock, pytest.raises(ConfigurationError):
        stream_text(model=mock.model, prompt="go", max_steps=0, registry=registry)
