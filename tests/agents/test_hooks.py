"""The call hooks (on_start, on_step_start, on_chunk, on_error beside on_step_finish and
on_finish) and the tool loop's ``tool_execution_*`` events, end to end over loopback
(MockModel), streamed and not, on both built-in chat protocols."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from expected import check_conformance

import llmkit
from llmkit import (
    StartInfo,
    StepStartInfo,
    generate_text,
    stream_text,
    tool,
)
from llmkit.errors import AuthenticationError, LLMKitError
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.testing.replay import ReplayResponse, ReplayServer
from llmkit.types.events import StreamEvent, ToolExecutionEndEvent, ToolExecutionStartEvent

PROTOCOLS = ["openai-chat", "anthropic-messages"]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def broken(x: int) -> int:
    """Always fails."""
    raise RuntimeError(f"disk full at {x}")


@tool(timeout=0.05)
async def sleepy() -> str:
    """Never finishes in time."""
    await asyncio.Event().wait()  # waits until cancelled
    return "never"


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry()


SCRIPT = [
    MockTurn(text="Adding.", tool_calls=[("add", {"a": 2, "b": 3}), ("broken", {"x": 7})]),
    MockTurn(text="Done."),
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_hooks_run_in_order_with_what_they_document(
    registry: ProviderRegistry, protocol: Any
) -> None:
    log: list[str] = []
    chunks: list[StreamEvent] = []

    async def on_start(info: StartInfo) -> None:
        log.append(f"start {info.model} {info.call.messages[-1].content!r}")

    def on_step_start(info: StepStartInfo) -> None:
        log.append(
            f"step_start {info.index} {info.model} {len(info.call.messages)} {len(info.steps)}"
        )

    def on_step_finish(step: llmkit.StepResult) -> None:
        log.append(f"step_finish {step.index}")

    def on_finish(info: llmkit.FinishInfo) -> None:
        log.append("finish")

    with MockModel(SCRIPT, protocol=protocol, registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            prompt="2+3?",
            tools=[add, broken],
            max_steps=3,
            registry=registry,
            on_start=on_start,
            on_step_start=on_step_start,
            on_chunk=chunks.append,
            on_step_finish=on_step_finish,
            on_finish=on_finish,
        )
        events = [event async for event in result]
    assert log == [
        "start mock:mock-model '2+3?'",
        "step_start 0 mock:mock-model 1 0",
        "step_finish 0",
        "step_start 1 mock:mock-model 3 1",
        "step_finish 1",
        "finish",
    ]
    assert chunks == events  # on_chunk sees every event yielded, deltas included
    check_conformance(events)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_tool_execution_events_bracket_each_run(
    registry: ProviderRegistry, protocol: Any
) -> None:
    with MockModel(SCRIPT, protocol=protocol, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="2+3?", tools=[add, broken], max_steps=2, registry=registry
        )
    kinds = {"tool_call", "tool_execution_start", "tool_execution_end", "tool_result"}
    runs = [(e.type, getattr(e, "tool_name", "")) for e in result.events if e.type in kinds]
    # each call: its tool_call, then at once its tool_execution_start; after the model's
    # events, per finished run (completion order): tool_execution_end, then its tool_result
    assert runs[:4] == [
        ("tool_call", "add"),
        ("tool_execution_start", "add"),
        ("tool_call", "broken"),
        ("tool_execution_start", "broken"),
    ]
    ends = runs[4:8]
    assert [kind for kind, _ in ends] == ["tool_execution_end", "tool_result"] * 2
    assert ends[0][1] == ends[1][1] and ends[2][1] == ends[3][1]
    assert {ends[0][1], ends[2][1]} == {"add", "broken"}
    starts = [e for e in result.events if isinstance(e, ToolExecutionStartEvent)]
    end_by_tool = {e.tool_name: e for e in result.events if isinstance(e, ToolExecutionEndEvent)}
    assert [(s.tool_name, dict(s.args)) for s in starts] == [
        ("add", {"a": 2, "b": 3}),
        ("broken", {"x": 7}),
    ]
    assert end_by_tool["add"].error is None and end_by_tool["add"].error_type is None
    assert end_by_tool["add"].duration >= 0
    assert end_by_tool["broken"].error_type == "RuntimeError"
    assert (
        end_by_tool["broken"].error is not None and "disk full at 7" in end_by_tool["broken"].error
    )
    for end in end_by_tool.values():  # the end comes right before its result
        index = result.events.index(end)
        after = result.events[index + 1]
        assert after.type == "tool_result" and after.tool_call_id == end.tool_call_id
    check_conformance(list(result.events))


async def test_a_tool_past_its_timeout_gives_the_model_an_error(registry: ProviderRegistry) -> None:
    script = [MockTurn(tool_calls=[("sleepy", {})]), MockTurn(text="ok")]
    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="go", tools=[sleepy], max_steps=2, registry=registry
        )
        sent = mock.requests[1].json()
    assert isinstance(sent, dict)
    (end,) = [e for e in result.events if isinstance(e, ToolExecutionEndEvent)]
    assert end.error_type == "TimeoutError"
    assert end.duration >= 0.05
    message = "Error: tool 'sleepy' did not finish within its time limit of 0.05 s."
    assert result.steps[0].tool_results[0].result == message
    assert result.steps[0].tool_results[0].is_error
    assert sent["messages"][-1] == {"role": "tool", "tool_call_id": "call_0_0", "content": message}


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(llmkit.ConfigurationError, match="must be > 0"):
        tool(timeout=0)(add.function)


async def test_on_error_gets_the_error_before_it_is_raised(registry: ProviderRegistry) -> None:
    seen: list[LLMKitError] = []
    body = b'{"error": {"message": "bad key sk-canary", "type": "invalid_request_error"}}'
    with ReplayServer([ReplayResponse(body, status=401)]) as server:
        registry.register(server.provider("down", "openai-chat"))
        result = stream_text(
            model="down:m", prompt="hi", registry=registry, retry=0, on_error=seen.append
        )
        with pytest.raises(AuthenticationError) as raised:
            await result.text
    assert seen == [raised.value]


async def test_on_error_is_not_called_for_a_stopped_stream(registry: ProviderRegistry) -> None:
    seen: list[LLMKitError] = []
    with MockModel([MockTurn(text="a long answer " * 20)], registry=registry) as mock:
        result = stream_text(model=mock.model, prompt="hi", registry=registry, on_error=seen.append)
        async for event in result:
            if event.type == "text_delta":
                break
        await result.aclose()
    assert seen == []
    assert result.abort is not None
