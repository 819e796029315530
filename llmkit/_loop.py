"""The multi-step tool loop behind ``stream_text`` and ``generate_text``.

One implementation serves both: a *step source* sends one request (streamed with
:func:`llmkit._driver.stream_step`, or not with :func:`llmkit._driver.generate_step`) and yields
its events; :class:`ToolLoop` turns a run of steps into one event stream. Semantics follow the
AI SDK's ``generateText`` / ``streamText`` with ``stopWhen``:

- Each step's events are passed through, except its ``stream_start`` (only the first step's is
  yielded; later warnings are in :attr:`StepResult.warnings`) and its ``finish``, which becomes a
  ``step_finish``. One ``finish`` with the total usage ends the stream.
- A tool call to a tool with a function starts running as soon as its ``tool_call`` event
  arrives, so several calls in one step run concurrently (asyncio tasks; sync functions in worker
  threads). Their ``tool_result`` events follow the model's events, in completion order, before
  the step's ``step_finish``. Failures are error results for the model, never exceptions.
- A call to a tool that is not in ``tools`` gets an error result telling the model which tools
  exist, unless no tool has a function (then every call is left to you, as without a loop).
- After a step, the loop continues only if the model called tools, every call got a result (a
  tool without a function stops the loop and leaves the call to you), fewer than ``max_steps``
  steps ran and no ``stop_when`` condition holds. The next request is the conversation plus
  the step's assistant message and tool message.
- Block ids of later steps are prefixed with ``s<step>-`` so ids stay unique across the stream;
  a tool call id that an earlier step already used (providers that send none get ``call_<n>``
  per response) gets a ``-s<step>`` suffix, consistently in events and replayed messages.
- Cancellation (breaking out of the iteration, cancelling the task, ``aclose()``) cancels the
  running tools and closes the HTTP response.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Literal, Protocol, TypeAlias

from llmkit._steps import (
    FinishInfo,
    ResponseMessage,
    StepBuilder,
    StepResult,
    StopCondition,
    step_count_is,
)
from llmkit.errors import ConfigurationError, LLMKitError
from llmkit.tools._execute import run_tool_call
from llmkit.tools._tool import Tool
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    StepFinishEvent,
    StreamEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolCallEvent,
    ToolInputDeltaEvent,
    ToolInputEndEvent,
    ToolInputStartEvent,
    ToolResultEvent,
)
from llmkit.types.finish import FinishReason
from llmkit.types.options import CallOptions
from llmkit.types.usage import Usage

__all__ = ["DEFAULT_MAX_STEPS_WITH_STOP_WHEN", "StepSource", "ToolLoop"]

StepSource: TypeAlias = Callable[[CallOptions, int], AsyncIterator[StreamEvent]]
"""Sends the request of step ``n`` for the given call options and yields its events."""

StepCallback: TypeAlias = Callable[[StepResult], object]
FinishCallback: TypeAlias = Callable[[FinishInfo], object]

DEFAULT_MAX_STEPS_WITH_STOP_WHEN = 20
"""``max_steps`` when ``stop_when`` is given without one (a safety cap, as in the AI SDK)."""

_BLOCK_EVENTS = (TextStartEvent, TextEndEvent, ReasoningStartEvent, ReasoningEndEvent)
_TOOL_EVENTS = (ToolInputStartEvent, ToolInputDeltaEvent, ToolInputEndEvent)


async def _maybe_await(value: object) -> object:
    if inspect.isawaitable(value):
        return await value
    return value


class _Renamer:
    """Keeps block and tool call ids unique across the steps of one stream."""

    __slots__ = ("blocks", "calls", "prefix", "seen_calls", "step")

    def __init__(self) -> None:
        self.seen_calls: set[str] = set()
        self.step = 0
        self.prefix = ""
        self.blocks: dict[str, str] = {}
        self.calls: dict[str, str] = {}

    def next_step(self, step: int, call_ids: Sequence[str]) -> None:
        self.seen_calls.update(call_ids)
        self.seen_calls.update(self.calls.values())
        self.step = step
        self.prefix = f"s{step}-"
        self.blocks = {}
        self.calls = {}

    def _call_id(self, call_id: str) -> str:
        new = self.calls.get(call_id)
        if new is None:
            new = call_id
            while new in self.seen_calls:
                new = f"{new}-s{self.step}"
            self.calls[call_id] = new
        return new

    def rename(self, event: StreamEvent) -> StreamEvent:
        if event.type == "text_delta":
            return TextDeltaEvent(self._block(event.id), event.delta)
        if event.type == "reasoning_delta":
            return ReasoningDeltaEvent(self._block(event.id), event.delta)
        if isinstance(event, _BLOCK_EVENTS):
            return replace(event, id=self._block(event.id))
        if isinstance(event, _TOOL_EVENTS):
            new = self._call_id(event.id)
            return event if new == event.id else replace(event, id=new)
        if isinstance(event, (ToolCallEvent, ToolResultEvent)):
            new = self._call_id(event.tool_call_id)
            return event if new == event.tool_call_id else replace(event, tool_call_id=new)
        return event

    def _block(self, block_id: str) -> str:
        new = self.blocks.get(block_id)
        if new is None:
            new = self.blocks[block_id] = self.prefix + block_id
        return new


class LoopObserver(Protocol):
    """Who watches a run's events as :meth:`ToolLoop.events` yields them: the stream result,
    which folds them into its fields without a generator layer of its own (so an event passes
    through two llmkit generators: the driver's and the loop's)."""

    def add(self, event: StreamEvent) -> None:
        """Fold a non-delta event (deltas are kept by the step builders only)."""

    def failed(self, error: LLMKitError, delivered: int) -> None:
        """The run failed after ``delivered`` events."""

    def stopped(self, reason: Literal["closed", "cancelled"]) -> None:
        """The run was stopped before its end (before ``on_finish`` runs)."""

    def ended(self) -> None:
        """The run is over, whichever way (its source is being closed)."""


class ToolLoop:
    """Runs steps until a stop condition; iterate :meth:`events` once.

    Args:
        call: the first step's call options (``tools`` holds the definitions sent).
        tools: the tools by name (those with a function are run by the loop).
        step: sends one step's request and yields its events.
        max_steps: the most steps to run (default 1, or
            :data:`DEFAULT_MAX_STEPS_WITH_STOP_WHEN` when ``stop_when`` is given).
        stop_when: condition(s) checked after each step with tool results; any True stops.
        on_step_finish: called (and awaited if async) once per finished step.
        on_finish: called (and awaited if async) exactly once: when the run completes, or
            when it is aborted (``FinishInfo.aborted``); not when it fails with an error.

    Attributes:
        steps: the finished steps so far.
        response_messages: the messages of the finished steps, to append to a conversation.

    Raises:
        ConfigurationError: ``max_steps`` < 1.
    """

    def __init__(
        self,
        call: CallOptions,
        tools: Mapping[str, Tool],
        step: StepSource,
        *,
        max_steps: int | None = None,
        stop_when: StopCondition | Sequence[StopCondition] | None = None,
        on_step_finish: StepCallback | None = None,
        on_finish: FinishCallback | None = None,
    ) -> None:
        if stop_when is None:
            conditions: list[StopCondition] = []
        elif callable(stop_when):
            conditions = [stop_when]
        else:
            conditions = list(stop_when)
        if max_steps is None:
            max_steps = DEFAULT_MAX_STEPS_WITH_STOP_WHEN if conditions else 1
        if max_steps < 1:
            raise ConfigurationError(f"max_steps must be at least 1, not {max_steps}")
        self._call = call
        self._tools = tools
        self._runs_tools = any(t.executable for t in tools.values())
        self._step = step
        self._max_steps = max_steps
        self._conditions = [step_count_is(max_steps), *conditions]
        self._on_step_finish = on_step_finish
        self._on_finish = on_finish
        self.steps: list[StepResult] = []
        self.builders: list[StepBuilder] = []
        """Each step's builder, the running one last: the deltas' only copy (the stream result
        reads its text from here instead of appending every delta a second time)."""
        self.response_messages: list[ResponseMessage] = []
        self._finish_called = False
        self._current: StepBuilder | None = None

    async def events(
        self, observer: LoopObserver | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """The events of every step, then one ``finish`` with the total usage.

        Args:
            observer: told of each non-delta event before it is yielded, and of how the run
                ends (see :class:`LoopObserver`).

        Raises:
            The errors of the step source (provider, transport, request building), and
            whatever a callback or a stop condition raises.
        """
        add = observer.add if observer is not None else _ignore
        delivered = 0
        try:
            call = self._call
            renamer = _Renamer()
            index = 0
            while True:
                builder = self._current = StepBuilder()
                self.builders.append(builder)
                tasks: dict[str, asyncio.Task[ToolResultEvent]] = {}
                results: dict[str, ToolResultEvent] = {}
                waiting_on_client = False
                source = self._step(call, index)
                blocks = builder.by_id
                answered_by: str | None = None
                try:
                    async for event in source:
                        if index:
                            event = renamer.rename(event)
                        if event.type == "text_delta" or event.type == "reasoning_delta":
                            block = blocks.get(event.id)  # the hot path: one dict read per delta
                            if block is not None:
                                block.parts.append(event.delta)
                            else:
                                builder.add(event)  # a delta without a start opens its block
                            delivered += 1
                            yield event
                            continue
                        if event.type == "stream_start":
                            builder.warnings = event.warnings
                            answered_by = event.model  # prices this step's usage
                            if index:
                                continue
                        elif event.type == "finish":
                            builder.finish = event
                            continue
                        else:
                            builder.add(event)
                        if isinstance(event, ToolCallEvent) and not event.provider_executed:
                            tool = self._tools.get(event.tool_name)
                            if not self._runs_tools or (tool is not None and not tool.executable):
                                waiting_on_client = True
                            else:
                                tasks[event.tool_call_id] = asyncio.ensure_future(
                                    run_tool_call(event, self._tools)
                                )
                        add(event)
                        delivered += 1
                        yield event
                    for next_done in asyncio.as_completed(list(tasks.values())):
                        result = await next_done
                        results[result.tool_call_id] = result
                        add(result)
                        delivered += 1
                        yield result
                finally:
                    _cancel(tasks.values())
                    aclose = getattr(source, "aclose", None)
                    if aclose is not None:
                        await aclose()
                ordered = [
                    results[c.tool_call_id] for c in builder.calls if c.tool_call_id in results
                ]
                if builder.finish is not None:  # priced once the step's tools have run
                    builder.finish = _priced(builder.finish, answered_by)
                step = builder.result(index, ordered)
                self.steps.append(step)
                self.response_messages.extend(step.messages)
                if self._on_step_finish is not None:
                    await _maybe_await(self._on_step_finish(step))
                step_finish = StepFinishEvent(
                    step.finish_reason, step.raw_finish_reason, step.usage, step.provider_metadata
                )
                add(step_finish)
                delivered += 1
                yield step_finish
                if not step.tool_calls or waiting_on_client or await self._should_stop():
                    break
                index += 1
                renamer.next_step(index, [c.tool_call_id for c in step.tool_calls])
                call = call.model_copy(update={"messages": [*call.messages, *step.messages]})
            self._current = None
            last = self.steps[-1]
            usage = _total_usage(self.steps)
            await self._call_on_finish(
                last.text, usage, last.finish_reason, last.raw_finish_reason, False
            )
            finish = FinishEvent(
                last.finish_reason, last.raw_finish_reason, usage, last.provider_metadata
            )
            add(finish)
            delivered += 1
            yield finish
        except LLMKitError as exc:
            if observer is not None:
                observer.failed(exc, delivered)
            raise
        except (GeneratorExit, asyncio.CancelledError) as exc:
            if observer is not None:
                observer.stopped("closed" if isinstance(exc, GeneratorExit) else "cancelled")
            partial = self._current.text() if self._current is not None else ""
            await self._call_on_finish(partial, _total_usage(self.steps), "other", None, True)
            raise
        finally:
            if observer is not None:
                observer.ended()

    async def _call_on_finish(
        self,
        text: str,
        usage: Usage,
        finish_reason: FinishReason,
        raw_finish_reason: str | None,
        aborted: bool,
    ) -> None:
        """Run ``on_finish`` once per run, whichever way the run ends first."""
        if self._on_finish is None or self._finish_called:
            return
        self._finish_called = True
        info = FinishInfo(
            steps=tuple(self.steps),
            response_messages=tuple(self.response_messages),
            text=text,
            usage=usage,
            finish_reason=finish_reason,
            raw_finish_reason=raw_finish_reason,
            aborted=aborted,
        )
        await _maybe_await(self._on_finish(info))

    async def _should_stop(self) -> bool:
        steps = tuple(self.steps)
        for condition in self._conditions:
            if await _maybe_await(condition(steps)):
                return True
        return False


def _ignore(event: StreamEvent) -> None:
    """The fold of a run without an observer."""


def _priced(event: FinishEvent, model: str | None) -> FinishEvent:
    """The step's ``finish`` with ``usage.cost`` for the model that answered (llmkit.catalog)."""
    from llmkit.catalog import finish_with_cost

    return finish_with_cost(event, model)


def _total_usage(steps: Sequence[StepResult]) -> Usage:
    if len(steps) == 1:
        return steps[0].usage  # keeps the provider's raw usage object
    total = Usage()
    for step in steps:
        total = total + step.usage
    return total


def _cancel(tasks: Iterable[asyncio.Task[ToolResultEvent]]) -> None:
    """Cancel the tool runs still going (the step was stopped or failed).

    They are not awaited: a stopped stream closes at once (see :mod:`llmkit._closing`), and
    the runs end at the loop's next turn; an error a run raises instead of stopping is
    retrieved (and dropped) so that asyncio does not report it as never retrieved.
    """
    for task in tasks:
        if not task.done():
            task.cancel()
            task.add_done_callback(_drop_outcome)


def _drop_outcome(task: asyncio.Task[ToolResultEvent]) -> None:
    if not task.cancelled():
        task.exception()
