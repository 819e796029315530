"""The run observer driven directly with real events: the cases an end-to-end run does not
reach easily (a fallback that answered, a step's own finish, a tool run outside
``tool_context``, a failure before any step, an approval request, a broken tracer)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from llmkit import AuthenticationError
from llmkit._driver import Target
from llmkit.protocols import get_protocol
from llmkit.providers.config import ProviderConfig
from llmkit.telemetry import _semconv as sc
from llmkit.telemetry import run_observer
from llmkit.types.events import (
    FinishEvent,
    ResponseMetadataEvent,
    StepFinishEvent,
    StreamStartEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolApprovalRequestEvent,
    ToolCallEvent,
    ToolExecutionEndEvent,
    ToolExecutionStartEvent,
    ToolResultEvent,
)
from llmkit.types.messages import UserMessage
from llmkit.types.options import CallOptions, ToolDefinition
from llmkit.types.usage import Usage

from .conftest import Recorded, attrs


def target(provider_id: str = "xai", model_id: str = "grok-4") -> Target:
    config = ProviderConfig(id=provider_id, protocol="openai-chat", base_url="https://api.x.ai/v1")
    return Target(config, model_id, get_protocol("openai-chat"))


CALL = CallOptions(
    messages=[UserMessage(content="Hi")],
    tools=[ToolDefinition(name="lookup", description="Looks up.")],
)
HI = CallOptions(messages=[UserMessage(content="Hi")])
USAGE = Usage(input_tokens=12, output_tokens=3, reasoning_tokens=1, cache_write_tokens=5)


def test_a_fallback_that_answered_and_the_attempts_are_recorded(otel: Recorded) -> None:
    observer = run_observer(otel.telemetry())
    observer.run_start("stream_text", target(), HI)
    observer.step_start(0, target(), HI)
    observer.event(StreamStartEvent(model="groq:llama-3", attempts=3))
    observer.event(ResponseMetadataEvent(response_id="r-1", model_id="llama-3-70b"))
    observer.event(StepFinishEvent("stop", "stop", USAGE))
    observer.event(FinishEvent("stop", "stop", USAGE))
    observer.run_end()
    (chat,) = otel.spans()
    attributes = attrs(chat)
    assert attributes[sc.PROVIDER_NAME] == "x_ai"  # the request's; the answer's is beside it
    assert attributes[sc.ANSWERED_BY] == "groq:llama-3"
    assert attributes[sc.ATTEMPTS] == 3
    assert attributes[sc.RESPONSE_ID] == "r-1"
    assert attributes[sc.USAGE_REASONING_OUTPUT_TOKENS] == 1
    assert attributes[sc.USAGE_CACHE_CREATION_INPUT_TOKENS] == 5
    assert sc.USAGE_CACHE_READ_INPUT_TOKENS not in attributes  # not reported: not recorded


def test_the_cost_is_recorded_when_known(otel: Recorded) -> None:
    observer = run_observer(otel.telemetry())
    observer.run_start("generate_text", target(), HI)
    observer.step_start(0, target(), HI)
    priced = Usage(input_tokens=10, output_tokens=2, cost=Decimal("0.0125"))
    observer.event(StepFinishEvent("length", "length", priced))
    observer.event(FinishEvent("length", "length", priced))
    (chat,) = otel.spans()
    assert attrs(chat)[sc.USAGE_COST] == 0.0125
    assert attrs(chat)[sc.RESPONSE_FINISH_REASONS] == ("length",)


def test_a_steps_own_finish_ends_its_response(otel: Recorded) -> None:
    # should the loop hand on a step's own finish, the chat span ends there, not at the
    # step_finish that comes after the step's tools
    observer = run_observer(otel.telemetry())
    observer.run_start("stream_text", target(), CALL)
    observer.step_start(0, target(), CALL)
    observer.event(TextStartEvent("t"))
    observer.event(TextDeltaEvent("t", "Hello"))
    observer.event(TextEndEvent("t"))
    observer.event(FinishEvent("stop", "stop", USAGE))
    observer.event(StepFinishEvent("stop", "stop", USAGE))
    observer.event(FinishEvent("stop", "stop", USAGE))
    observer.run_end()
    chat, root = otel.span("chat grok-4"), otel.span("invoke_agent")
    assert attrs(chat)[sc.USAGE_INPUT_TOKENS] == 12
    assert chat.end_time is not None and root.end_time is not None
    assert chat.end_time <= root.end_time
    assert attrs(root)[sc.USAGE_INPUT_TOKENS] == 12  # the run's total, from its finish


async def test_tool_spans_are_current_in_their_tasks_and_children_of_the_run(
    otel: Recorded,
) -> None:
    observer = run_observer(otel.telemetry(record_content=True))
    observer.run_start("stream_text", target(), CALL)
    observer.step_start(0, target(), CALL)
    calls = [ToolCallEvent(f"c{n}", "lookup", {"q": n}, f'{{"q": {n}}}') for n in (1, 2)]
    current: dict[str, int] = {}

    async def run(call: ToolCallEvent) -> None:
        with observer.tool_context(call):
            await asyncio.sleep(0)
            current[call.tool_call_id] = trace.get_current_span().get_span_context().span_id

    for call in calls:
        observer.event(call)
        observer.event(ToolExecutionStartEvent(call.tool_call_id, "lookup", call.args))
    await asyncio.gather(*(asyncio.ensure_future(run(c)) for c in calls))
    for call in calls:
        observer.event(ToolExecutionEndEvent(call.tool_call_id, "lookup", 0.001))
        observer.event(ToolResultEvent(call.tool_call_id, "lookup", {"found": call.args["q"]}))
    observer.event(StepFinishEvent("tool_calls", "tool_calls", USAGE))
    observer.event(FinishEvent("tool_calls", "tool_calls", USAGE))
    root = otel.span("invoke_agent")
    tools = [s for s in otel.spans() if s.name == "execute_tool lookup"]
    assert len(tools) == 2
    for span in tools:
        call_id = str(attrs(span)[sc.TOOL_CALL_ID])
        assert current[call_id] == span.get_span_context().span_id  # type: ignore[union-attr]
        assert span.parent is not None
        assert span.parent.span_id == root.get_span_context().span_id  # type: ignore[union-attr]
        assert attrs(span)[sc.TOOL_DESCRIPTION] == "Looks up."
        assert attrs(span)[sc.TOOL_CALL_RESULT] == f'{{"found":{call_id[1:]}}}'


def test_a_tool_run_outside_tool_context_gets_its_span_after_the_fact(otel: Recorded) -> None:
    observer = run_observer(otel.telemetry())
    observer.run_start("stream_text", target(), CALL)
    observer.step_start(0, target(), CALL)
    observer.event(ToolExecutionEndEvent("c9", "lookup", 2.5, "Error: denied", "ToolDeniedError"))
    observer.event(ToolResultEvent("c9", "lookup", "Error: denied", is_error=True))
    span = otel.span("execute_tool lookup")
    assert attrs(span)[sc.ERROR_TYPE] == "ToolDeniedError"
    assert span.status.status_code is StatusCode.ERROR
    assert span.start_time is not None and span.end_time is not None
    assert span.end_time - span.start_time >= 2_000_000_000  # from the event's duration


def test_a_failure_before_any_step_still_gives_a_span(otel: Recorded) -> None:
    observer = run_observer(otel.telemetry())
    observer.run_start("stream_text", target(), HI)
    observer.run_error(RuntimeError("prepare_step failed with private data"))
    (chat,) = otel.spans()
    assert chat.kind is SpanKind.CLIENT
    assert attrs(chat)[sc.ERROR_TYPE] == "RuntimeError"
    assert chat.status.status_code is StatusCode.ERROR
    assert chat.status.description is None  # not an llmkit error: its text may be content
    observer.run_end()  # after the end: nothing more
    assert len(otel.spans()) == 1


def test_an_llmkit_error_keeps_its_message(otel: Recorded) -> None:
    observer = run_observer(otel.telemetry())
    observer.run_start("stream_text", target(), CALL)
    observer.step_start(0, target(), CALL)
    error = AuthenticationError("the key was refused: check XAI_API_KEY", status_code=401)
    observer.run_error(error)
    for span in otel.spans():
        assert attrs(span)[sc.ERROR_TYPE] == "AuthenticationError"
        assert span.status.description == str(error)


def test_an_approval_request_is_an_event_of_the_run(otel: Recorded) -> None:
    observer = run_observer(otel.telemetry())
    observer.run_start("stream_text", target(), CALL)
    observer.step_start(0, target(), CALL)
    observer.event(ToolCallEvent("c1", "lookup", {"q": 1}, '{"q": 1}'))
    observer.event(ToolApprovalRequestEvent("c1", "lookup", {"q": 1}))
    observer.event(StepFinishEvent("tool_calls", "tool_calls", USAGE))
    observer.event(FinishEvent("tool_calls", "tool_calls", USAGE))
    root = otel.span("invoke_agent")
    (event,) = root.events
    assert event.name == "llmkit.tool_approval_request"
    assert dict(event.attributes or {}) == {sc.TOOL_NAME: "lookup", sc.TOOL_CALL_ID: "c1"}


def test_a_run_stopped_after_its_finish_is_complete(otel: Recorded) -> None:
    # a consumer that stops right after the finish event: the run is done, not stopped
    observer = run_observer(otel.telemetry())
    observer.run_start("stream_text", target(), CALL)
    observer.step_start(0, target(), CALL)
    observer.event(StepFinishEvent("stop", "stop", USAGE))
    observer.event(FinishEvent("stop", "stop", USAGE))
    observer.run_stopped("closed")
    for span in otel.spans():
        assert sc.STOP_REASON not in attrs(span)
    assert {attrs(p)[sc.OPERATION_NAME] for p in otel.points(sc.OPERATION_DURATION)} == {
        "chat",
        "invoke_agent",
    }


def test_the_extra_attributes_are_on_every_span(otel: Recorded) -> None:
    observer = run_observer(otel.telemetry(attributes={"app.tenant": "acme", "app.ids": [1, 2]}))
    observer.run_start("stream_text", target(), CALL)
    observer.step_start(0, target(), CALL)
    observer.event(StepFinishEvent("stop", "stop", USAGE))
    observer.event(FinishEvent("stop", "stop", USAGE))
    for span in otel.spans():
        assert attrs(span)["app.tenant"] == "acme"
        assert attrs(span)["app.ids"] == (1, 2)
    for point in otel.points(sc.OPERATION_DURATION):
        assert "app.tenant" not in attrs(point)  # metrics keep the conventions' attributes


def test_a_broken_tracer_never_breaks_the_call(
    otel: Recorded, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def start_span(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("exporter down")

    observer = run_observer(otel.telemetry())
    observer._tracer = Broken()  # type: ignore[attr-defined]
    with caplog.at_level(logging.DEBUG, logger="llmkit.telemetry"):
        observer.run_start("stream_text", target(), CALL)
        observer.step_start(0, target(), CALL)
        observer.event(TextDeltaEvent("t", "x"))
        observer.run_error(RuntimeError("boom"))
    assert "telemetry failed in run_start" in caplog.text
