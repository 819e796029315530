"""``prepare_step`` (model, tools, tool choice, system and messages per step) and
``repair_tool_call`` end to end over loopback (MockModel, ReplayServer)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from expected import check_conformance

import llmkit
from llmkit import (
    PrepareStepInfo,
    StepPreparation,
    ToolCallRepairInfo,
    generate_text,
    stream_text,
    tool,
)
from llmkit.errors import InvalidArgumentError
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.testing.replay import ReplayResponse, ReplayServer
from llmkit.types.events import ToolCallEvent

PROTOCOLS = ["openai-chat", "anthropic-messages"]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def search(query: str) -> str:
    """Search the web."""
    return f"results for {query}"


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_prepare_step_switches_the_model_mid_loop(
    registry: ProviderRegistry, protocol: Any
) -> None:
    seen: list[PrepareStepInfo] = []

    def prepare(info: PrepareStepInfo) -> StepPreparation | None:
        seen.append(info)
        return {"model": "strong:mock-model"} if info.index == 1 else None

    planner = MockModel(
        [MockTurn(text="Adding.", tool_calls=[("add", {"a": 2, "b": 3})])],
        protocol=protocol,
        provider_id="cheap",
        registry=registry,
    )
    finisher = MockModel(
        ["It is 5."], protocol="openai-chat", provider_id="strong", registry=registry
    )
    with planner, finisher:
        result = stream_text(
            model=planner.model,
            prompt="2+3?",
            tools=[add],
            max_steps=3,
            registry=registry,
            prepare_step=prepare,
        )
        events = [event async for event in result]
        assert len(planner.requests) == 1
        (second,) = finisher.requests
    check_conformance(events)
    assert await result.text == "It is 5."
    body = second.json()
    assert isinstance(body, dict)
    # the other model got the whole conversation, the tool result included, in its protocol
    assert body["model"] == "mock-model"
    assert body["messages"][-1]["role"] == "tool"
    assert body["messages"][-1]["content"] == "5"
    assert [(i.index, i.model, len(i.steps), len(i.messages)) for i in seen] == [
        (0, "cheap:mock-model", 0, 1),
        (1, "cheap:mock-model", 1, 3),
    ]
    steps = await result.steps
    assert [s.response.model_id if s.response else None for s in steps] == [
        "mock-model",
        "mock-model",
    ]


async def test_prepare_step_sets_tools_tool_choice_system_and_messages(
    registry: ProviderRegistry,
) -> None:
    def prepare(info: PrepareStepInfo) -> StepPreparation:
        if info.index == 0:
            return {
                "active_tools": ["search"],
                "tool_choice": "required",
                "system": "Search first.",
            }
        return {"messages": [{"role": "user", "content": "Summarise."}, *info.messages[1:]]}

    script: list[MockTurn | str] = [
        MockTurn(tool_calls=[("search", {"query": "llmkit"})]),
        "Summary.",
    ]
    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model,
            prompt="Find llmkit",
            system="Be brief.",
            tools=[add, search],
            max_steps=3,
            registry=registry,
            prepare_step=prepare,
        )
        first, second = (r.json() for r in mock.requests)
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    assert [t["function"]["name"] for t in first["tools"]] == ["search"]
    assert first["tool_choice"] == "required"
    assert first["messages"][0] == {"role": "system", "content": "Search first."}
    # step 2: the call's own settings again, with the messages prepare_step gave
    assert [t["function"]["name"] for t in second["tools"]] == ["add", "search"]
    assert "tool_choice" not in second
    assert second["messages"][:2] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Summarise."},
    ]
    assert result.text == "Summary."
    # the loop's own record is the real conversation
    assert result.steps[0].tool_results[0].result == "results for llmkit"


async def test_prepare_step_mistakes_say_what_to_do(registry: ProviderRegistry) -> None:
    with MockModel(["x"], registry=registry) as mock:
        with pytest.raises(InvalidArgumentError, match=r"active_tools names \['nope'\]"):
            await generate_text(
                model=mock.model,
                prompt="hi",
                tools=[add],
                registry=registry,
                prepare_step=lambda info: {"active_tools": ["nope"]},
            )
        with pytest.raises(InvalidArgumentError, match="unknown key"):
            await generate_text(
                model=mock.model,
                prompt="hi",
                registry=registry,
                # the misspelt key is the mistake under test
                prepare_step=lambda info: {"modle": "x:y"},  # type: ignore[arg-type,return-value]
            )
        with pytest.raises(llmkit.NoSuchProviderError):
            await generate_text(
                model=mock.model,
                prompt="hi",
                registry=registry,
                prepare_step=lambda info: {"model": "nowhere:m"},
            )


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_repair_fixes_a_wrong_tool_name_and_invalid_arguments(
    registry: ProviderRegistry, protocol: Any
) -> None:
    seen: list[tuple[str, str]] = []

    async def repair(info: ToolCallRepairInfo) -> ToolCallEvent | None:
        seen.append((info.error_type, info.call.tool_name))
        if info.error_type == "no_such_tool":
            return dataclasses.replace(info.call, tool_name=info.call.tool_name.lower())
        if info.call.args.get("a") == "two":
            args = {**info.call.args, "a": 2}
            return dataclasses.replace(info.call, args=args, args_json=json.dumps(args))
        return None

    script: list[MockTurn | str] = [
        MockTurn(
            tool_calls=[
                ("ADD", {"a": 1, "b": 1}),
                ("add", {"a": "two", "b": 2}),
                ("add", {"a": [], "b": 0}),
            ]
        ),
        "done",
    ]
    with MockModel(script, protocol=protocol, registry=registry) as mock:
        result = await generate_text(
            model=mock.model,
            prompt="add",
            tools=[add],
            max_steps=2,
            registry=registry,
            repair_tool_call=repair,
        )
    assert seen == [
        ("no_such_tool", "ADD"),
        ("invalid_arguments", "add"),
        ("invalid_arguments", "add"),
    ]
    step = result.steps[0]
    # the repaired calls are the ones recorded (and replayed to the model), with their ids
    assert [(c.tool_name, dict(c.args)) for c in step.tool_calls] == [
        ("add", {"a": 1, "b": 1}),
        ("add", {"a": 2, "b": 2}),
        ("add", {"a": [], "b": 0}),
    ]
    assert [r.result for r in step.tool_results[:2]] == [2, 4]
    assert step.tool_results[2].is_error  # not repaired: the model gets the error
    assert "invalid arguments for tool 'add'" in str(step.tool_results[2].result)
    check_conformance(list(result.events))


async def test_repair_fixes_arguments_that_are_not_json(registry: ProviderRegistry) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return b"data: " + json.dumps({"id": "r1", "choices": [choice]}).encode() + b"\n\n"

    call = {"index": 0, "id": "call_1", "type": "function"}
    stream = (
        chunk(
            {
                "role": "assistant",
                "tool_calls": [{**call, "function": {"name": "add", "arguments": "{a: 2, b: 3"}}],
            }
        )
        + chunk({}, "tool_calls")
        + b"data: [DONE]\n\n"
    )
    final = chunk({"content": "5"}, "stop") + b"data: [DONE]\n\n"

    def repair(info: ToolCallRepairInfo) -> ToolCallEvent:
        assert info.error_type == "invalid_json"
        assert info.tools["add"].parameters["required"] == ["a", "b"]
        return dataclasses.replace(
            info.call, args={"a": 2, "b": 3}, args_json='{"a": 2, "b": 3}', args_error=None
        )

    responses = [ReplayResponse(stream), ReplayResponse(final)]
    with ReplayServer(responses) as server:
        registry.register(server.provider("raw", "openai-chat"))
        result = stream_text(
            model="raw:m",
            prompt="add",
            tools=[add],
            max_steps=2,
            registry=registry,
            repair_tool_call=repair,
        )
        assert await result.text == "5"
        sent = server.requests[1].json()
    assert isinstance(sent, dict)
    steps = await result.steps
    assert steps[0].tool_results[0].result == 5
    assistant = sent["messages"][-2]
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"a": 2, "b": 3}


async def test_a_repair_that_returns_something_else_is_refused(registry: ProviderRegistry) -> None:
    script: list[MockTurn | str] = [MockTurn(tool_calls=[("ADD", {"a": 1, "b": 1})]), "x"]
    with (
        MockModel(script, registry=registry) as mock,
        pytest.raises(llmkit.ConfigurationError, match=r"must return an llmkit\.ToolCallEvent"),
    ):
        await generate_text(
            model=mock.model,
            prompt="add",
            tools=[add],
            registry=registry,
            # returning something other than a ToolCallEvent is the mistake under test
            repair_tool_call=lambda info: {"tool_name": "add"},  # type: ignore[arg-type,return-value]
        )
