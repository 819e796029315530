"""The run observer that records one call (``stream_text``, ``generate_text``, ``stream_object``,
``generate_object``) as OpenTelemetry spans and metrics.

Spans (``docs/telemetry.md`` has the attribute table):

- ``invoke_agent [{agent name}]``, kind INTERNAL ("Invoke agent internal span",
  ``gen-ai-agent-spans.md``), when a text call offers tools or the settings name an agent:
  the whole run, parent of the steps and the tool runs (the forced tool of an object call does
  not make it an agent run);
- ``chat {request model}``, kind CLIENT ("Inference", ``gen-ai-spans.md``): one per step, from
  the step's start to the last event of the model's response (the tools the step runs are
  not part of it, though its usage and finish reason are set when the step finishes);
- ``execute_tool {tool name}``, kind INTERNAL ("Execute tool span"): one per tool run, the
  current span while the tool's function runs.

Every span is started with an explicit parent (the run's root, or the context current when the
run started), never the context current when an event arrives: the run is an async generator
that the consumer drives from wherever it iterates.

Times are taken when the tool loop hands each event on (a monotonic clock, so a span's length
does not jump with the wall clock). Each method swallows its own failures (logged on
``llmkit.telemetry`` at DEBUG): telemetry never breaks a call.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from llmkit.telemetry import _content as content
from llmkit.telemetry import _semconv as sc
from llmkit.telemetry._attributes import (
    Attributes,
    base_attributes,
    content_attributes,
    error_type,
    ns_after,
    request_attributes,
    set_error,
    usage_attributes,
)
from llmkit.telemetry._recorder import Recorder
from llmkit.telemetry._recorder import guarded as _guarded
from llmkit.telemetry._tools import ToolSpans

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span

    from llmkit._driver import Target
    from llmkit.telemetry import Telemetry
    from llmkit.types.events import StreamEvent, ToolCallEvent
    from llmkit.types.options import CallOptions
    from llmkit.types.usage import Usage

__all__ = ["SpanObserver"]

_monotonic_ns = time.monotonic_ns

_STREAMING = frozenset({"stream_text", "stream_object"})
"""The operations (``RunObserver.run_start``) that stream their responses."""

_OBJECT_CALLS = frozenset({"generate_object", "stream_object"})
"""The operations of structured output: one request, whose forced tool (tool mode) does not make
the call an agent run, and whose output type is ``json`` whichever way the schema is sent."""

_LOOP_EVENTS = frozenset(
    {"tool_execution_start", "tool_execution_end", "tool_approval_request", "step_finish"}
)
"""Events the tool loop makes itself (the others come from the model's response)."""


@dataclass(slots=True)
class _Step:
    """One step's ``chat`` span and what it needs when the step finishes."""

    span: Span
    start_ns: int
    start_mono: int
    metric_attributes: Attributes
    output: content.OutputCollector | None
    first: int | None = None
    last: int | None = None
    response_end: int | None = None


@dataclass(slots=True)
class _Root:
    """The run's ``invoke_agent`` span."""

    span: Span
    context: Context
    start_mono: int
    metric_attributes: Attributes
    response_model: str | None = None
    output_json: str | None = None


class SpanObserver(Recorder):
    """Records one call (an ``llmkit._instrument.RunObserver``): a text call's run, or the one
    request of an object call.

    Args:
        telemetry: the settings.
    """

    def __init__(self, telemetry: Telemetry) -> None:
        super().__init__(telemetry)
        self._parent: Context | None = None
        self._streaming = False
        self._json = False
        self._target: Target | None = None
        self._call: CallOptions | None = None
        self._root: _Root | None = None
        self._step: _Step | None = None
        self._tools = ToolSpans(self._tracer, self._tool_parent, self._extra, self._record_content)
        self._done = False

    # ------------------------------------------------------------------ the run
    @_guarded
    def run_start(self, operation: str, target: Target, call: CallOptions) -> None:
        """Start the ``invoke_agent`` span when the call offers tools or names an agent."""
        self._parent = otel_context.get_current()
        self._streaming = operation in _STREAMING
        self._json = operation in _OBJECT_CALLS
        self._target, self._call = target, call
        self._describe(call)
        agent = self._telemetry.agent_name
        if agent is None and (not call.tools or self._json):
            return
        base = base_attributes(sc.INVOKE_AGENT, target)
        attributes: Attributes = dict(base)
        if agent is not None:
            attributes[sc.AGENT_NAME] = agent
        attributes.update(self._request_attributes(call))
        attributes.update(self._extra)
        if self._record_content:
            attributes.update(content_attributes(call))
        name = f"{sc.INVOKE_AGENT} {agent}" if agent else sc.INVOKE_AGENT
        span = self._tracer.start_span(
            name, context=self._parent, kind=SpanKind.INTERNAL, attributes=attributes
        )
        self._root = _Root(
            span, trace.set_span_in_context(span, self._parent), time.monotonic_ns(), base
        )

    @_guarded
    def step_start(self, index: int, target: Target, call: CallOptions) -> None:
        """Start the step's ``chat`` span."""
        self._describe(call)  # prepare_step may offer other tools
        if self._step is not None:  # a step that never finished (not expected)
            self._end_step(None, time.monotonic_ns())
        base = base_attributes(sc.CHAT, target)
        attributes: Attributes = dict(base)
        attributes.update(self._request_attributes(call))
        if self._streaming:
            attributes[sc.REQUEST_STREAM] = True
        attributes.update(self._extra)
        if self._record_content:
            attributes.update(content_attributes(call))
        start_ns, start_mono = time.time_ns(), time.monotonic_ns()
        span = self._tracer.start_span(
            f"{sc.CHAT} {target.model_id}",
            context=self._root.context if self._root is not None else self._parent,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=start_ns,
        )
        output = content.OutputCollector() if self._record_content else None
        self._step = _Step(span, start_ns, start_mono, base, output)

    def _request_attributes(self, call: CallOptions) -> Attributes:
        attributes = request_attributes(call)
        if self._json:  # an object call: JSON, be it a response format or a forced tool's input
            attributes[sc.OUTPUT_TYPE] = "json"
        return attributes

    def event(self, event: StreamEvent) -> None:
        """Fold one event into the open spans."""
        step = self._step
        if step is not None and (event.type == "text_delta" or event.type == "reasoning_delta"):
            # the hot path: a clock read for the first chunk only (the response's end is the
            # step's own finish, which the loop tells), the text kept when content is recorded
            if step.first is None:
                step.first = _monotonic_ns()
            if step.output is not None:
                block = "text" if event.type == "text_delta" else "reasoning"
                step.output.delta(block, event.id, event.delta)
            return
        self._event(event)

    @_guarded
    def _event(self, event: StreamEvent) -> None:
        step = self._step
        kind = event.type
        if step is not None:
            now = _monotonic_ns()
            if step.first is None:
                step.first = now
            if kind not in _LOOP_EVENTS and not (
                event.type == "tool_result" and not event.provider_executed
            ):
                if kind == "finish":  # the step's own finish: its response is complete
                    step.response_end = now
                else:
                    step.last = now
            self._step_event(step, event)
        if event.type == "tool_execution_end":
            self._tools.execution_end(event)
        elif event.type == "tool_result" and not event.provider_executed:
            self._tools.result(event.tool_call_id, event.result, event.is_error)
        elif event.type == "tool_approval_request":
            holder = self._root.span if self._root is not None else step.span if step else None
            if holder is not None:
                holder.add_event(
                    "llmkit.tool_approval_request",
                    {sc.TOOL_NAME: event.tool_name, sc.TOOL_CALL_ID: event.tool_call_id},
                )
        elif event.type == "step_finish" and step is not None:
            self._finish_step(step, event.finish_reason, event.usage)
        elif event.type == "finish" and step is None:
            self._finish_run(event.finish_reason, event.usage)

    def _step_event(self, step: _Step, event: StreamEvent) -> None:
        span, output = step.span, step.output
        if event.type == "stream_start":
            if event.attempts > 1:
                span.set_attribute(sc.ATTEMPTS, event.attempts)
            target = self._target
            if event.model is not None and target is not None and event.model != target.name:
                span.set_attribute(sc.ANSWERED_BY, event.model)
        elif event.type == "response_metadata":
            if event.response_id is not None:
                span.set_attribute(sc.RESPONSE_ID, event.response_id)
            if event.model_id is not None:
                span.set_attribute(sc.RESPONSE_MODEL, event.model_id)
                step.metric_attributes[sc.RESPONSE_MODEL] = event.model_id
        elif output is None:
            return
        elif event.type == "text_start":
            output.start("text", event.id)
        elif event.type == "reasoning_start":
            output.start("reasoning", event.id)
        elif event.type == "tool_call":
            output.tool_call(event.tool_call_id, event.tool_name, event.args)
        elif event.type == "tool_result" and event.provider_executed:
            output.tool_result(event.tool_call_id, event.result)

    def _finish_step(self, step: _Step, reason: str, usage: Usage) -> None:
        span = step.span
        reasons = [sc.finish_reason(reason)]
        span.set_attribute(sc.RESPONSE_FINISH_REASONS, reasons)
        span.set_attributes(usage_attributes(usage))
        if step.output is not None:
            output = step.output.json(reason)
            span.set_attribute(sc.OUTPUT_MESSAGES, output)
            if self._root is not None:
                self._root.output_json = output
        if self._root is not None and sc.RESPONSE_MODEL in step.metric_attributes:
            self._root.response_model = str(step.metric_attributes[sc.RESPONSE_MODEL])
        attributes = step.metric_attributes
        for count, token_type in ((usage.input_tokens, "input"), (usage.output_tokens, "output")):
            if count is not None:
                self._instruments.token_usage.record(
                    count, {**attributes, sc.TOKEN_TYPE: token_type}
                )
        self._end_step(None, time.monotonic_ns())

    def _end_step(self, error: BaseException | None, now: int) -> None:
        """End the open ``chat`` span (at the end of its response when known) and record its
        duration and time to first chunk."""
        step, self._step = self._step, None
        if step is None:
            return
        span, attributes = step.span, dict(step.metric_attributes)
        end = now if error is not None else (step.response_end or step.last or now)
        if step.first is not None and self._streaming:
            first = (step.first - step.start_mono) / 1e9
            span.set_attribute(sc.RESPONSE_TIME_TO_FIRST_CHUNK, first)
            self._instruments.time_to_first_chunk.record(first, step.metric_attributes)
        if error is not None:
            set_error(span, error, self._record_content)
            attributes[sc.ERROR_TYPE] = error_type(error)
        self._instruments.duration.record((end - step.start_mono) / 1e9, attributes)
        span.end(end_time=ns_after(step.start_ns, step.start_mono, end))

    def _finish_run(self, reason: str, usage: Usage) -> None:
        """The final ``finish``: the run is complete (its ``run_end`` may never come if the
        consumer stops iterating right after this event)."""
        self._done = True
        self._tools.close(time.monotonic_ns())
        root, self._root = self._root, None
        if root is None:
            return
        span = root.span
        span.set_attribute(sc.RESPONSE_FINISH_REASONS, [sc.finish_reason(reason)])
        span.set_attributes(usage_attributes(usage))
        if root.output_json is not None:
            span.set_attribute(sc.OUTPUT_MESSAGES, root.output_json)
        attributes = dict(root.metric_attributes)
        if root.response_model is not None:
            attributes[sc.RESPONSE_MODEL] = root.response_model
        self._instruments.duration.record((time.monotonic_ns() - root.start_mono) / 1e9, attributes)
        span.end()

    @_guarded
    def run_end(self) -> None:
        """The run completed: end whatever is still open."""
        if not self._done:
            self._close(None)

    @_guarded
    def run_error(self, error: BaseException) -> None:
        """The run failed: ``error.type`` and status ERROR on the open spans."""
        if self._done:
            return
        if self._root is None and self._step is None and self._target is not None:
            # failed before any span: one chat span carries the error
            self.step_start(0, self._target, self._call or _empty_call())
        self._close(error)

    @_guarded
    def run_stopped(self, reason: Literal["closed", "cancelled"]) -> None:
        """The consumer stopped the run: the open spans end with ``llmkit.stop_reason``; no
        metric is recorded for an operation cut short."""
        if self._done:
            return
        self._done = True
        now = time.monotonic_ns()
        step, self._step = self._step, None
        if step is not None:
            step.span.set_attribute(sc.STOP_REASON, reason)
            step.span.end(end_time=ns_after(step.start_ns, step.start_mono, now))
        self._tools.close(now)
        root, self._root = self._root, None
        if root is not None:
            root.span.set_attribute(sc.STOP_REASON, reason)
            root.span.end()

    def _close(self, error: BaseException | None) -> None:
        self._done = True
        now = time.monotonic_ns()
        self._end_step(error, now)
        self._tools.close(now)
        root, self._root = self._root, None
        if root is None:
            return
        attributes = dict(root.metric_attributes)
        if error is not None:
            set_error(root.span, error, self._record_content)
            attributes[sc.ERROR_TYPE] = error_type(error)
        self._instruments.duration.record((now - root.start_mono) / 1e9, attributes)
        root.span.end()

    # ------------------------------------------------------------------ tools
    def tool_context(self, call: ToolCallEvent) -> AbstractContextManager[object]:
        """The ``execute_tool`` span of ``call``, current while the tool runs."""
        return self._tools.context(call)

    def _describe(self, call: CallOptions) -> None:
        for definition in call.tools or ():
            if definition.description is not None:
                self._tools.descriptions[definition.name] = definition.description

    def _tool_parent(self) -> Context | None:
        if self._root is not None:
            return self._root.context
        if self._step is not None:
            return trace.set_span_in_context(self._step.span, self._parent)
        return self._parent


def _empty_call() -> CallOptions:
    from llmkit.types.options import CallOptions

    return CallOptions()
