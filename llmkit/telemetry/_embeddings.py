"""The observer that records one embedding call (``embed``, ``embed_many`` and their sync forms)
as OpenTelemetry spans and metrics.

Spans (``docs/telemetry.md`` has the attribute table):

- ``embeddings {request model}``, kind CLIENT (the conventions' "Embeddings" span,
  ``gen-ai-spans.md``): one per HTTP request, that is one for ``embed`` and one per batch for
  ``embed_many`` (batches may run at the same time: their spans are siblings). It covers the
  request with its retries and fallbacks, and is the current span while it runs (an HTTP
  client's own spans nest under it);
- ``invoke_agent {agent name}``, kind INTERNAL, only when the settings name an agent (as for a
  text call): the whole call, parent of its ``embeddings`` spans.

Every span is started with an explicit parent: the ``invoke_agent`` span, else the context
current when the call started. The metrics are the chat ones, ``gen_ai.client.operation.duration``
and ``gen_ai.client.token.usage`` (input tokens only), with the same attributes.

The conventions define no attribute for the texts embedded: nothing of the content is recorded,
whatever ``record_content`` says (it still lets the status description show a non-llmkit
error's message, as for the other calls).
"""

from __future__ import annotations

import asyncio
import time
from contextvars import Token
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from llmkit.telemetry import _semconv as sc
from llmkit.telemetry._attributes import (
    Attributes,
    base_attributes,
    error_type,
    ns_after,
    set_error,
    usage_attributes,
)
from llmkit.telemetry._recorder import Recorder, guarded

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span

    from llmkit._driver import Target
    from llmkit.telemetry import Telemetry
    from llmkit.types.usage import Usage

__all__ = ["EmbeddingRequest", "EmbeddingsObserver"]


def _stopped(error: BaseException) -> bool:
    """A cancellation is the call being stopped, not a failure."""
    return isinstance(error, (asyncio.CancelledError, GeneratorExit))


def _input_usage(usage: Usage) -> Attributes:
    """``gen_ai.usage.input_tokens`` and ``llmkit.usage.cost_usd`` (an embedding has no output
    tokens: the conventions list only the input count for it)."""
    attributes = usage_attributes(usage)
    attributes.pop(sc.USAGE_OUTPUT_TOKENS, None)
    return attributes


@dataclass(slots=True)
class _Span:
    """An open span and what its duration metric needs."""

    span: Span
    start_ns: int
    start_mono: int
    metric_attributes: Attributes


class EmbeddingRequest:
    """The ``embeddings`` span of one HTTP request, as a context manager (sync, entered and left
    in the same task): entering starts the span and makes it current; leaving ends it, with
    ``error.type`` and status ERROR when an exception leaves the block, or with
    ``llmkit.stop_reason`` ``cancelled`` (and no metric) when the task was cancelled. The
    exception is never swallowed."""

    def __init__(self, observer: EmbeddingsObserver, target: Target, dimensions: int | None):
        self._observer = observer
        self._target = target
        self._dimensions = dimensions
        self._open: _Span | None = None
        self._token: Token[Context] | None = None

    def __enter__(self) -> EmbeddingRequest:
        self._start()
        return self

    @guarded
    def _start(self) -> None:
        observer = self._observer
        base = base_attributes(sc.EMBEDDINGS, self._target)
        attributes: Attributes = dict(base)
        if self._dimensions is not None:
            attributes[sc.EMBEDDINGS_DIMENSION_COUNT] = self._dimensions
        attributes.update(observer._extra)
        start_ns, start_mono = time.time_ns(), time.monotonic_ns()
        span = observer._tracer.start_span(
            f"{sc.EMBEDDINGS} {self._target.model_id}",
            context=observer._request_parent(),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=start_ns,
        )
        self._open = _Span(span, start_ns, start_mono, base)
        self._token = otel_context.attach(trace.set_span_in_context(span))

    @guarded
    def answered(
        self,
        *,
        model: str,
        served_model: str | None,
        attempts: int,
        usage: Usage,
        dimension_count: int | None,
        encoding_format: str | None,
    ) -> None:
        """The answer arrived.

        Args:
            model: ``"provider:model"`` that answered (a fallback's when one did).
            served_model: the model as the body names it (``gen_ai.response.model``).
            attempts: requests sent (retries and fallbacks included).
            usage: the answer's usage (input tokens, cost).
            dimension_count: the length of the vectors received (None: no vector).
            encoding_format: the encoding the request asked for, when it asked for one.
        """
        opened = self._open
        if opened is None:
            return
        span = opened.span
        if served_model is not None:
            span.set_attribute(sc.RESPONSE_MODEL, served_model)
            opened.metric_attributes[sc.RESPONSE_MODEL] = served_model
            self._observer._response_model = served_model
        if dimension_count is not None:
            span.set_attribute(sc.EMBEDDINGS_DIMENSION_COUNT, dimension_count)
        if encoding_format is not None:
            span.set_attribute(sc.REQUEST_ENCODING_FORMATS, [encoding_format])
        if attempts > 1:
            span.set_attribute(sc.ATTEMPTS, attempts)
        if model != self._target.name:
            span.set_attribute(sc.ANSWERED_BY, model)
        span.set_attributes(_input_usage(usage))
        if usage.input_tokens is not None:
            self._observer._instruments.token_usage.record(
                usage.input_tokens, {**opened.metric_attributes, sc.TOKEN_TYPE: "input"}
            )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._end(exc)

    @guarded
    def _end(self, error: BaseException | None) -> None:
        token, self._token = self._token, None
        if token is not None:
            otel_context.detach(token)
        opened, self._open = self._open, None
        if opened is not None:
            self._observer._end(opened, error)


class EmbeddingsObserver(Recorder):
    """Records one embedding call: :meth:`call_start`, then one :meth:`request` per HTTP
    request, then :meth:`call_end` (or :meth:`call_error`).

    Args:
        telemetry: the settings.
    """

    def __init__(self, telemetry: Telemetry) -> None:
        super().__init__(telemetry)
        self._parent: Context | None = None
        self._root: _Span | None = None
        self._root_context: Context | None = None
        self._response_model: str | None = None

    @guarded
    def call_start(self, target: Target) -> None:
        """The call starts (in the caller's context): start ``invoke_agent`` when the settings
        name an agent."""
        self._parent = otel_context.get_current()
        agent = self._telemetry.agent_name
        if agent is None:
            return
        base = base_attributes(sc.INVOKE_AGENT, target)
        attributes: Attributes = {**base, sc.AGENT_NAME: agent, **self._extra}
        start_ns, start_mono = time.time_ns(), time.monotonic_ns()
        span = self._tracer.start_span(
            f"{sc.INVOKE_AGENT} {agent}",
            context=self._parent,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start_ns,
        )
        self._root = _Span(span, start_ns, start_mono, base)
        self._root_context = trace.set_span_in_context(span, self._parent)

    def request(self, target: Target, dimensions: int | None) -> EmbeddingRequest:
        """The ``embeddings`` span of one request to ``target`` (``dimensions``: the vector
        length asked for, if any)."""
        return EmbeddingRequest(self, target, dimensions)

    @guarded
    def call_end(self, usage: Usage) -> None:
        """The call succeeded; ``usage``: its total (all batches)."""
        root, self._root = self._root, None
        if root is None:
            return
        root.span.set_attributes(_input_usage(usage))
        if self._response_model is not None:
            root.metric_attributes[sc.RESPONSE_MODEL] = self._response_model
        self._end(root, None)

    @guarded
    def call_error(self, error: BaseException) -> None:
        """The call failed with ``error`` (or was cancelled)."""
        root, self._root = self._root, None
        if root is not None:
            self._end(root, error)

    def _request_parent(self) -> Context | None:
        return self._root_context if self._root_context is not None else self._parent

    def _end(self, opened: _Span, error: BaseException | None) -> None:
        span, now = opened.span, time.monotonic_ns()
        end_time = ns_after(opened.start_ns, opened.start_mono, now)
        if error is not None and _stopped(error):
            # stopped, not failed: no error, no metric for an operation cut short
            span.set_attribute(sc.STOP_REASON, "cancelled")
            span.end(end_time=end_time)
            return
        attributes = dict(opened.metric_attributes)
        if error is not None:
            set_error(span, error, self._record_content)
            attributes[sc.ERROR_TYPE] = error_type(error)
        self._instruments.duration.record((now - opened.start_mono) / 1e9, attributes)
        span.end(end_time=end_time)
