"""The ``execute_tool`` spans of one run ("Execute tool span", ``gen-ai-spans.md``).

A span starts when the tool loop enters ``tool_context`` in the tool's task and is the current
span there (so the tool function's own spans nest under it). It ends at the time the context
was left, once the run's ``tool_execution_end`` (``error.type``) and ``tool_result`` (the
opt-in ``gen_ai.tool.call.result``) arrived, which the loop hands on after the tool returned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from llmkit.telemetry import _content as content
from llmkit.telemetry import _semconv as sc
from llmkit.telemetry._attributes import Attributes, error_type, ns_after

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

    from llmkit.types.events import ToolCallEvent, ToolExecutionEndEvent

__all__ = ["ToolSpans"]

log = logging.getLogger("llmkit.telemetry")


@dataclass(slots=True)
class _ToolRun:
    span: Span
    start_ns: int
    start_mono: int
    exited: int | None = None
    result_seen: bool = False
    ended: bool = False

    def end(self, mono: int) -> None:
        if not self.ended:
            self.ended = True
            when = self.exited if self.exited is not None else mono
            self.span.end(end_time=ns_after(self.start_ns, self.start_mono, when))


class ToolSpans:
    """The tool spans of one run.

    Args:
        tracer: where spans are started.
        parent: the context a new tool span's parent is read from (the run's root, else the
            open step, else the context current when the run started).
        extra: the settings' attributes for every span.
        record_content: record tool arguments, results and error messages.
    """

    def __init__(
        self,
        tracer: Tracer,
        parent: Callable[[], Context | None],
        extra: Attributes,
        record_content: bool,
    ) -> None:
        self._tracer = tracer
        self._parent = parent
        self._extra = extra
        self._record_content = record_content
        self._runs: dict[str, _ToolRun] = {}
        self.descriptions: dict[str, str] = {}
        """Tool descriptions by name (``gen_ai.tool.description``)."""
        self.closed = False
        """The run is over: a span still open ends when its tool's context is left."""

    @contextmanager
    def context(self, call: ToolCallEvent) -> Iterator[object]:
        """The span of ``call``, current while the tool runs (nothing if it cannot start)."""
        try:
            run = self._start(call)
        except Exception:
            log.debug("telemetry failed in tool_context", exc_info=True)
            yield None
            return
        token = otel_context.attach(trace.set_span_in_context(run.span))
        try:
            yield run.span
        except Exception as exc:
            self._mark_error(run, error_type(exc), str(exc))
            raise
        finally:
            otel_context.detach(token)
            run.exited = time.monotonic_ns()
            if run.result_seen or self.closed:
                run.end(run.exited)

    def _start(self, call: ToolCallEvent) -> _ToolRun:
        attributes = self._attributes(call.tool_call_id, call.tool_name)
        if self._record_content:
            attributes[sc.TOOL_CALL_ARGUMENTS] = content.dumps(dict(call.args))
        return self._open(call.tool_call_id, call.tool_name, attributes, time.time_ns())

    def _attributes(self, call_id: str, name: str) -> Attributes:
        attributes: Attributes = {
            sc.OPERATION_NAME: sc.EXECUTE_TOOL,
            sc.TOOL_NAME: name,
            sc.TOOL_CALL_ID: call_id,
            sc.TOOL_TYPE: "function",  # run by llmkit, on the client side
        }
        description = self.descriptions.get(name)
        if description is not None:
            attributes[sc.TOOL_DESCRIPTION] = description
        attributes.update(self._extra)
        return attributes

    def _open(self, call_id: str, name: str, attributes: Attributes, start_ns: int) -> _ToolRun:
        span = self._tracer.start_span(
            f"{sc.EXECUTE_TOOL} {name}",
            context=self._parent(),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start_ns,
        )
        # the monotonic instant of start_ns (earlier than now for a span made after the fact)
        start_mono = time.monotonic_ns() - max(0, time.time_ns() - start_ns)
        run = _ToolRun(span, start_ns, start_mono)
        self._runs[call_id] = run
        return run

    def _mark_error(self, run: _ToolRun, kind: str, message: str | None) -> None:
        run.span.set_attribute(sc.ERROR_TYPE, kind)
        shown = message if self._record_content else None  # the tool's message may quote anything
        run.span.set_status(Status(StatusCode.ERROR, shown))

    def execution_end(self, event: ToolExecutionEndEvent) -> None:
        """A ``tool_execution_end``: its error, if any, on the span. A run the loop made
        outside ``tool_context`` gets its span now, after the fact (its start from the
        event's duration)."""
        run = self._runs.get(event.tool_call_id)
        if run is None:
            attributes = self._attributes(event.tool_call_id, event.tool_name)
            start = time.time_ns() - int(event.duration * 1e9)
            run = self._open(event.tool_call_id, event.tool_name, attributes, start)
            run.exited = time.monotonic_ns()
        if not run.ended and (event.error_type is not None or event.error is not None):
            self._mark_error(run, event.error_type or "_OTHER", event.error)

    def result(self, call_id: str, result: object, is_error: bool) -> None:
        """A ``tool_result`` of llmkit's loop: the span ends (at the time its tool returned)."""
        run = self._runs.get(call_id)
        if run is None or run.ended:
            return
        if self._record_content and not is_error:
            run.span.set_attribute(sc.TOOL_CALL_RESULT, content.dumps(result))
        run.result_seen = True
        if run.exited is not None:
            run.end(run.exited)

    def close(self, now: int) -> None:
        """The run is over: end the spans whose tools returned; the others end as their
        tools stop."""
        self.closed = True
        for run in self._runs.values():
            if run.exited is not None or run.result_seen:
                run.end(now)
        self._runs = {k: r for k, r in self._runs.items() if not r.ended}
