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
- Each tool llmkit runs is announced by a ``tool_execution_start`` right after its
  ``tool_call``, and followed by a ``tool_execution_end`` (duration, error) just before its
  ``tool_result``. A call to a tool with ``needs_approval`` is not run: a
  ``tool_approval_request`` follows its ``tool_call`` and the loop stops after the step; the
  answers come back in the next call's messages (:mod:`llmkit._approvals`).
- ``prepare_step`` may change each step's model, tools, tool choice, system instructions and
  messages (:mod:`llmkit._prepare`); ``repair_tool_call`` may fix a call that names no tool
  or has arguments that fail, before its ``tool_call`` event is yielded.
- Hooks (``on_start``, ``on_step_start``, ``on_chunk``, ``on_error``, ``on_step_finish``,
  ``on_finish``) and the observer (:class:`llmkit._instrument.RunObserver`, telemetry) are
  told as the run goes; a run with neither pays one test per event.
- Cancellation (breaking out of the iteration, cancelling the task, ``aclose()``) cancels the
  running tools and closes the HTTP response.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

from llmkit._hooks import maybe_await
from llmkit._step_ids import Renamer
from llmkit._steps import (
    FinishInfo,
    ResponseMessage,
    StepBuilder,
    StepResult,
    StopCondition,
    step_count_is,
)
from llmkit._tool_runs import answer_approvals, has_answers, needs_approval, repaired_call
from llmkit.errors import ConfigurationError, LLMKitError
from llmkit.tools._execute import execute_tool_call
from llmkit.tools._tool import Tool
from llmkit.types.events import (
    FinishEvent,
    StepFinishEvent,
    StreamEvent,
    ToolApprovalRequestEvent,
    ToolCallEvent,
    ToolExecutionEndEvent,
    ToolExecutionStartEvent,
    ToolResultEvent,
)
from llmkit.types.finish import FinishReason
from llmkit.types.options import CallOptions
from llmkit.types.usage import Usage

if TYPE_CHECKING:
    from llmkit._driver import Target
    from llmkit._hooks import (
        ChunkCallback,
        ErrorCallback,
        PrepareStep,
        StartCallback,
        StepStartCallback,
        ToolCallRepair,
    )
    from llmkit._instrument import RunObserver
    from llmkit.providers.inline import ModelLike

__all__ = ["DEFAULT_MAX_STEPS_WITH_STOP_WHEN", "LoopHooks", "StepSource", "ToolLoop"]

StepSource: TypeAlias = Callable[["Target", CallOptions, int], AsyncIterator[StreamEvent]]
"""Sends the request of step ``n`` to the given model with the given call options and yields
its events."""

StepCallback: TypeAlias = Callable[[StepResult], object]
FinishCallback: TypeAlias = Callable[[FinishInfo], object]

DEFAULT_MAX_STEPS_WITH_STOP_WHEN = 20
"""``max_steps`` when ``stop_when`` is given without one (a safety cap, as in the AI SDK)."""


@dataclass(frozen=True, slots=True)
class LoopHooks:
    """The call's hooks (each optional; sync, or async and awaited); see
    :class:`~llmkit.TextCallSettings` for what each does."""

    on_start: StartCallback | None = None
    on_step_start: StepStartCallback | None = None
    on_chunk: ChunkCallback | None = None
    on_error: ErrorCallback | None = None
    on_step_finish: StepCallback | None = None
    on_finish: FinishCallback | None = None
    prepare_step: PrepareStep | None = None
    repair_tool_call: ToolCallRepair | None = None


_NO_HOOKS = LoopHooks()

_ToolRun: TypeAlias = "tuple[ToolExecutionEndEvent, ToolResultEvent]"


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
        target: the model of the call (a step may ask another one through ``prepare_step``).
        step: sends one step's request and yields its events.
        resolve: resolves a model that ``prepare_step`` names (default: the target only).
        operation: the public function running the loop (``"stream_text"``...), for the
            observer.
        max_steps: the most steps to run (default 1, or
            :data:`DEFAULT_MAX_STEPS_WITH_STOP_WHEN` when ``stop_when`` is given).
        stop_when: condition(s) checked after each step with tool results; any True stops.
        hooks: the call's hooks; ``on_finish`` runs exactly once: when the run completes, or
            when it is aborted (``FinishInfo.aborted``); not when it fails with an error.
        observer: told of the run's lifecycle and every event (telemetry).

    Attributes:
        steps: the finished steps so far.
        response_messages: the messages of the finished steps, to append to a conversation.
        approval_requests: the tool calls waiting for the application's approval.

    Raises:
        ConfigurationError: ``max_steps`` < 1.
    """

    def __init__(
        self,
        call: CallOptions,
        tools: Mapping[str, Tool],
        target: Target,
        step: StepSource,
        *,
        resolve: Callable[[ModelLike], Target] | None = None,
        operation: str = "stream_text",
        max_steps: int | None = None,
        stop_when: StopCondition | Sequence[StopCondition] | None = None,
        hooks: LoopHooks | None = None,
        observer: RunObserver | None = None,
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
        self._target = target
        self._step = step
        self._resolve = resolve
        self._operation = operation
        self._max_steps = max_steps
        self._conditions = [step_count_is(max_steps), *conditions]
        self._hooks = hooks or _NO_HOOKS
        self._observer = observer
        self.steps: list[StepResult] = []
        self.builders: list[StepBuilder] = []
        """Each step's builder, the running one last: the deltas' only copy (the stream result
        reads its text from here instead of appending every delta a second time)."""
        self.response_messages: list[ResponseMessage] = []
        self.approval_requests: list[ToolApprovalRequestEvent] = []
        self._finish_called = False
        self._current: StepBuilder | None = None

    async def _watch(self, event: StreamEvent) -> None:
        """Tell the observer and ``on_chunk`` of an event about to be yielded."""
        if self._observer is not None:
            self._observer.event(event)
        if self._hooks.on_chunk is not None:
            await maybe_await(self._hooks.on_chunk(event))

    async def events(
        self, observer: LoopObserver | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """The events of every step, then one ``finish`` with the total usage.

        Args:
            observer: told of each non-delta event before it is yielded, and of how the run
                ends (see :class:`LoopObserver`).

        Raises:
            The errors of the step source (provider, transport, request building), and
            whatever a hook or a stop condition raises.
        """
        add = observer.add if observer is not None else _ignore
        hooks, watcher = self._hooks, self._observer
        watched = watcher is not None or hooks.on_chunk is not None
        delivered = 0
        try:
            call = self._call
            if watcher is not None:
                watcher.run_start(self._operation, self._target, call)
            if hooks.on_start is not None:
                from llmkit._hooks import StartInfo

                await maybe_await(hooks.on_start(StartInfo(self._target.name, call)))
            pending: list[StreamEvent] = []  # answers to approvals: yielded after stream_start
            if has_answers(call.messages):
                call, pending, answered = await answer_approvals(call, self._tools, self._run_tool)
                self.response_messages += answered
            renamer = Renamer()
            index = 0
            while True:
                step_call, step_target, tools = await self._prepare(call, index)
                if watcher is not None:
                    watcher.step_start(index, step_target, step_call)
                if hooks.on_step_start is not None:
                    from llmkit._hooks import StepStartInfo

                    info = StepStartInfo(index, step_target.name, step_call, tuple(self.steps))
                    await maybe_await(hooks.on_step_start(info))
                runs_tools = any(t.executable for t in tools.values())
                builder = self._current = StepBuilder()
                self.builders.append(builder)
                tasks: dict[str, asyncio.Task[tuple[ToolExecutionEndEvent, ToolResultEvent]]]
                tasks = {}
                results: dict[str, ToolResultEvent] = {}
                waiting_on_client = False
                source = self._step(step_target, step_call, index)
                blocks = builder.by_id
                answered_by: str | None = None
                try:
                    async for event in source:
                        if index:
                            event = renamer.rename(event)
                        if event.type == "text_delta" or event.type == "reasoning_delta":
                            block = blocks.get(event.id)  # the hot path: one dict read per delta
                            if block is not None:
                                parts = block.parts
                                parts.append(event.delta)
                                if len(parts) >= block.join_at:
                                    block.join_tail()  # a run of deltas becomes one string
                            else:
                                builder.add(event)  # a delta without a start opens its block
                            if watched:
                                await self._watch(event)
                            delivered += 1
                            yield event
                            continue
                        after: list[StreamEvent] = []
                        if event.type == "stream_start":
                            builder.warnings = event.warnings
                            answered_by = event.model  # prices this step's usage
                            after, pending = pending, []
                            if index:
                                if watcher is not None:  # told, not yielded
                                    watcher.event(event)
                                continue
                        elif event.type == "finish":
                            builder.finish = event
                            if watcher is not None:  # the step's response ended (not yielded)
                                watcher.event(event)
                            continue
                        elif isinstance(event, ToolCallEvent) and not event.provider_executed:
                            if runs_tools and hooks.repair_tool_call is not None:
                                event = await repaired_call(event, tools, hooks.repair_tool_call)
                            tool = tools.get(event.tool_name)
                            if not runs_tools or (tool is not None and not tool.executable):
                                waiting_on_client = True
                            elif tool is not None and await needs_approval(tool, event):
                                waiting_on_client = True
                                request = ToolApprovalRequestEvent(
                                    event.tool_call_id, event.tool_name, event.args
                                )
                                self.approval_requests.append(request)
                                after = [request]
                            else:
                                tasks[event.tool_call_id] = asyncio.ensure_future(
                                    self._run_tool(event, tools)
                                )
                                start = ToolExecutionStartEvent(
                                    event.tool_call_id, event.tool_name, event.args
                                )
                                after = [start]
                            builder.add(event)
                        else:
                            builder.add(event)
                        for out in (event, *after):
                            add(out)
                            if watched:
                                await self._watch(out)
                            delivered += 1
                            yield out
                    for next_done in asyncio.as_completed(list(tasks.values())):
                        end, result = await next_done
                        results[result.tool_call_id] = result
                        for out in (end, result):
                            add(out)
                            if watched:
                                await self._watch(out)
                            delivered += 1
                            yield out
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
                if hooks.on_step_finish is not None:
                    await maybe_await(hooks.on_step_finish(step))
                step_finish = StepFinishEvent(
                    step.finish_reason, step.raw_finish_reason, step.usage, step.provider_metadata
                )
                add(step_finish)
                if watched:
                    await self._watch(step_finish)
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
            if watched:
                await self._watch(finish)
            if watcher is not None:  # complete: a consumer may stop at the finish event
                watcher.run_end()
            delivered += 1
            yield finish
        except LLMKitError as exc:
            if observer is not None:
                observer.failed(exc, delivered)
            if watcher is not None:
                watcher.run_error(exc)
            if hooks.on_error is not None:
                await maybe_await(hooks.on_error(exc))
            raise
        except (GeneratorExit, asyncio.CancelledError) as exc:
            reason: Literal["closed", "cancelled"] = (
                "closed" if isinstance(exc, GeneratorExit) else "cancelled"
            )
            if observer is not None:
                observer.stopped(reason)
            if watcher is not None:
                watcher.run_stopped(reason)
            partial = self._current.text() if self._current is not None else ""
            await self._call_on_finish(partial, _total_usage(self.steps), "other", None, True)
            raise
        except Exception as exc:  # a hook, a stop condition or prepare_step raised
            if watcher is not None:
                watcher.run_error(exc)
            raise
        finally:
            if observer is not None:
                observer.ended()

    async def _prepare(
        self, call: CallOptions, index: int
    ) -> tuple[CallOptions, Target, Mapping[str, Tool]]:
        """The step's call options, model and tools, after ``prepare_step``."""
        prepare = self._hooks.prepare_step
        if prepare is None:
            return call, self._target, self._tools
        from llmkit._hooks import PrepareStepInfo
        from llmkit._prepare import prepared_step

        info = PrepareStepInfo(index, self._target.name, tuple(self.steps), tuple(call.messages))
        preparation = await maybe_await(prepare(info))
        if preparation is None:
            return call, self._target, self._tools
        return prepared_step(
            preparation,  # type: ignore[arg-type]  # checked there
            call,
            self._target,
            self._tools,
            self._resolve or _no_other_models,
        )

    async def _run_tool(
        self, call: ToolCallEvent, tools: Mapping[str, Tool]
    ) -> tuple[ToolExecutionEndEvent, ToolResultEvent]:
        """Run one call (in its own task) inside the observer's tool context."""
        if self._observer is None:
            return await execute_tool_call(call, tools)
        with self._observer.tool_context(call):
            return await execute_tool_call(call, tools)

    async def _call_on_finish(
        self,
        text: str,
        usage: Usage,
        finish_reason: FinishReason,
        raw_finish_reason: str | None,
        aborted: bool,
    ) -> None:
        """Run ``on_finish`` once per run, whichever way the run ends first."""
        on_finish = self._hooks.on_finish
        if on_finish is None or self._finish_called:
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
        await maybe_await(on_finish(info))

    async def _should_stop(self) -> bool:
        steps = tuple(self.steps)
        for condition in self._conditions:
            if await maybe_await(condition(steps)):
                return True
        return False


def _ignore(event: StreamEvent) -> None:
    """The fold of a run without an observer."""


def _no_other_models(model: ModelLike) -> Target:
    raise ConfigurationError(
        "prepare_step returned a model, but this call cannot resolve models; return the "
        "model from a stream_text / generate_text call"
    )


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


def _cancel(tasks: Iterable[asyncio.Task[_ToolRun]]) -> None:
    """Cancel the tool runs still going (the step was stopped or failed).

    They are not awaited: a stopped stream closes at once (see :mod:`llmkit._closing`), and
    the runs end at the loop's next turn; an error a run raises instead of stopping is
    retrieved (and dropped) so that asyncio does not report it as never retrieved.
    """
    for task in tasks:
        if not task.done():
            task.cancel()
            task.add_done_callback(_drop_outcome)


def _drop_outcome(task: asyncio.Task[_ToolRun]) -> None:
    if not task.cancelled():
        task.exception()
