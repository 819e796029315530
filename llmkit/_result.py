"""Result objects: :class:`StreamTextResult` (async iterator + awaitable accumulated fields)
and :class:`GenerateTextResult` (a finished call)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NoReturn

from llmkit._result_base import Accumulator, PickedIterator, StreamResultBase
from llmkit.errors import APIError, LLMKitError
from llmkit.types.events import (
    AbortEvent,
    FinishEvent,
    ProviderMetadata,
    ResponseMetadataEvent,
    SourceEvent,
    StepFinishEvent,
    StreamEvent,
    StreamStartEvent,
    ToolApprovalRequestEvent,
    ToolCallEvent,
)
from llmkit.types.finish import FinishReason
from llmkit.types.partial import PartialResult
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from llmkit._loop import ToolLoop
    from llmkit._output_tool import OutputTool
    from llmkit._steps import ResponseMessage, StepResult

__all__ = ["GenerateTextResult", "StreamTextResult"]

ToolCall = ToolCallEvent

_DELTAS = frozenset({"text_delta", "reasoning_delta"})


class _Accumulator(Accumulator):
    """Folds stream events into the accumulated fields (text joined once, at the end).

    ``step_marks`` records, at each ``step_finish``, how many text parts, reasoning parts and
    tool calls came before it, so the text, reasoning and tool calls of the last step can be
    told apart from earlier steps' (the AI SDK's ``text`` is the last step's).

    With a tool loop (``run``), the deltas are not folded here: the loop's step builders
    already hold them (:attr:`ToolLoop.builders`), so the text and reasoning are read from
    there and each delta is stored once.
    """

    __slots__ = ("run", "sources", "step_marks", "tool_calls")

    def __init__(self, run: ToolLoop | None = None) -> None:
        super().__init__()
        self.run = run
        self.tool_calls: list[ToolCallEvent] = []
        self.sources: list[SourceEvent] = []
        self.step_marks: list[tuple[int, int, int]] = []

    def all_parts(self, kind: str) -> list[str]:
        """Every text (``"text"``) or reasoning (``"reasoning"``) delta so far, all steps."""
        if self.run is None:
            return self.text_parts if kind == "text" else self.reasoning_parts
        return [part for builder in self.run.builders for part in builder.parts(kind)]

    def add(self, event: StreamEvent) -> None:
        if event.type == "text_delta":
            self.text_parts.append(event.delta)
        elif event.type == "reasoning_delta":
            self.reasoning_parts.append(event.delta)
        elif isinstance(event, ToolCallEvent):
            if not event.provider_executed:
                self.tool_calls.append(event)
        elif isinstance(event, FinishEvent):
            self.finish = event
        elif isinstance(event, StreamStartEvent):
            self.warnings = event.warnings
        elif isinstance(event, ResponseMetadataEvent):
            self.response = event
        elif isinstance(event, SourceEvent):
            self.sources.append(event)
        elif isinstance(event, StepFinishEvent):
            marks = (len(self.text_parts), len(self.reasoning_parts), len(self.tool_calls))
            self.step_marks.append(marks)

    def last_step(self) -> tuple[list[str], list[str], list[ToolCallEvent]]:
        """(text parts, reasoning parts, tool calls) of the last step: the last finished step
        once the stream finished, else the step in progress."""
        marks = self.step_marks
        if self.run is not None:
            # the last finished step's builder once finished, else the running step's (if any)
            index = len(marks) - 1 if self.finish is not None else len(marks)
            builders = self.run.builders
            builder = builders[index] if 0 <= index < len(builders) else None
            if self.finish is not None:
                first = marks[-2][2] if len(marks) > 1 else 0
                calls = self.tool_calls[first : marks[-1][2] if marks else None]
            else:
                calls = self.tool_calls[marks[-1][2] if marks else 0 :]
            if builder is None:
                return [], [], calls
            return builder.parts("text"), builder.parts("reasoning"), calls
        start: tuple[int, ...] = (0, 0, 0)
        end: tuple[int | None, ...] = (None, None, None)
        if marks:
            if self.finish is not None:
                end = marks[-1]
                if len(marks) > 1:
                    start = marks[-2]
            else:
                start = marks[-1]
        return (
            self.text_parts[start[0] : end[0]],
            self.reasoning_parts[start[1] : end[1]],
            self.tool_calls[start[2] : end[2]],
        )


@dataclass(frozen=True, slots=True)
class GenerateTextResult:
    """A finished call: what :func:`llmkit.generate_text` returns.

    With tools and ``max_steps`` > 1 a call can take several steps (model call, then tool
    runs); ``text``, ``reasoning_text``, ``tool_calls`` and the finish reason are then the last
    step's, ``usage`` is the total, and ``steps`` has each step.

    Attributes:
        text: the (last step's) text blocks joined.
        reasoning_text: the (last step's) reasoning joined, or None when the model sent none.
        tool_calls: the client tool calls the model made in the last step (objects with
            ``tool_call_id``, ``tool_name``, ``args``).
        usage: token usage, summed over the steps (None fields: not reported).
        finish_reason, raw_finish_reason: unified and provider finish reasons.
        response: response id, served model id and creation time, if the provider sent them.
        warnings: settings that could not be honoured.
        sources: cited sources.
        provider_metadata: extra provider data from the finish event.
        events: every event, in order.
        steps: every step (:class:`~llmkit.StepResult`: text, tool calls and results, usage).
        response_messages: the assistant and tool messages this call produced; append them to
            the conversation to continue it (reasoning signatures and tool call ids included).
        approval_requests: the tool calls waiting for your approval (tools with
            ``needs_approval``); answer each with ``llmkit.approve`` / ``llmkit.deny`` in a
            ``tool`` message after ``response_messages`` and call again.
        output: the final answer of the shape given as ``output=`` (None without it).
    """

    text: str
    reasoning_text: str | None
    tool_calls: tuple[ToolCallEvent, ...]
    usage: Usage
    finish_reason: FinishReason
    raw_finish_reason: str | None
    response: ResponseMetadataEvent | None
    warnings: tuple[CallWarning, ...]
    sources: tuple[SourceEvent, ...]
    provider_metadata: ProviderMetadata | None
    events: tuple[StreamEvent, ...]
    steps: tuple[StepResult, ...] = ()
    response_messages: tuple[ResponseMessage, ...] = ()
    approval_requests: tuple[ToolApprovalRequestEvent, ...] = ()
    output: object = None

    @classmethod
    def from_events(
        cls,
        events: Iterable[StreamEvent],
        *,
        steps: Iterable[StepResult] = (),
        response_messages: Iterable[ResponseMessage] = (),
        approval_requests: Iterable[ToolApprovalRequestEvent] = (),
        answer: OutputTool | None = None,
    ) -> GenerateTextResult:
        """Accumulate a complete event sequence (with the steps that produced it)."""
        events = tuple(events)
        acc = _Accumulator()
        for event in events:
            acc.add(event)
        finish = acc.finish
        text_parts, reasoning_parts, tool_calls = acc.last_step()
        steps = tuple(steps)
        output = answer.result("".join(text_parts), steps) if answer is not None else None
        return cls(
            text="".join(text_parts),
            reasoning_text="".join(reasoning_parts) if reasoning_parts else None,
            tool_calls=tuple(tool_calls),
            usage=finish.usage if finish else Usage(),
            finish_reason=acc.finish_reason,
            raw_finish_reason=finish.raw_finish_reason if finish else None,
            response=acc.response,
            warnings=acc.warnings,
            sources=tuple(acc.sources),
            provider_metadata=finish.provider_metadata if finish else None,
            events=events,
            steps=steps,
            response_messages=tuple(response_messages),
            approval_requests=tuple(approval_requests),
            output=output,
        )


def _text_delta(event: StreamEvent) -> str | None:
    return event.delta if event.type == "text_delta" else None


class _ResultObserver:
    """Folds a tool loop's events into its :class:`StreamTextResult` (see
    :class:`~llmkit._loop.LoopObserver`)."""

    __slots__ = ("add", "result")

    def __init__(self, result: StreamTextResult) -> None:
        self.result = result
        self.add = result._acc.add

    def failed(self, error: LLMKitError, delivered: int) -> None:
        result = self.result
        result._acc.error = error
        if isinstance(error, APIError) and error.partial is None and delivered:
            error.partial = result._partial(delivered)

    def stopped(self, reason: Literal["closed", "cancelled"]) -> None:
        self.result._record_abort(reason)

    def ended(self) -> None:
        self.result._done = True


class StreamTextResult(StreamResultBase[_Accumulator]):
    """A streaming call, returned at once by :func:`llmkit.stream_text`.

    Iterate it (once) with ``async for`` to receive every :data:`~llmkit.types.StreamEvent` in
    order; or await the accumulated fields (``await result.text``), which consumes whatever is
    left of the stream. Nothing is sent until one of the two happens.

    Breaking out of ``async for``, cancelling the task, leaving ``async with result:`` or
    ``await result.aclose()`` closes the HTTP response (breaking: as soon as the iterator is
    garbage collected, i.e. at once in CPython unless you kept a reference to it). Awaiting a
    field after an abort returns what arrived before it.

    Errors (HTTP status, connection, in-band, truncated stream) are raised from the iterator
    after every event received before them, and again from each awaited field; the finish
    reason is then ``error``.

    With tools and ``max_steps`` > 1 the stream spans every step of the tool loop (each ends
    with a ``step_finish``; one ``finish`` with the total usage ends the stream). ``text``,
    ``reasoning_text``, ``tool_calls`` and the finish reason are then the last step's, ``usage``
    the total; ``await result.steps`` gives each step and ``await result.response_messages``
    the messages to append to the conversation.
    """

    _ONCE = (
        "a StreamTextResult can be iterated only once; await its fields "
        "(result.text, result.usage...) for the accumulated values"
    )

    def __init__(
        self,
        source: Callable[[], AsyncIterator[StreamEvent]],
        run: ToolLoop | None = None,
        answer: OutputTool | None = None,
    ) -> None:
        super().__init__(source, _Accumulator(run))
        self._run = run
        self._answer = answer
        self._abort: AbortEvent | None = None

    def __iter__(self) -> NoReturn:
        raise TypeError(
            "a StreamTextResult is an async stream: use `async for` (or await its fields), "
            "or stream_text_sync(...) for sync code"
        )

    # ------------------------------------------------------------------ iteration
    def _iterate(self) -> AsyncGenerator[StreamEvent, None]:
        if self._run is not None:
            # the loop's own generator, folding into this result as it goes: no layer here
            return self._run.events(_ResultObserver(self))
        return self._iterate_source()

    async def _iterate_source(self) -> AsyncGenerator[StreamEvent, None]:
        """Without a tool loop: pull the source's events, fold each and yield it."""
        source = self._source()
        add = self._acc.add
        # with a tool loop, the deltas are kept by its step builders only (see _Accumulator)
        deltas = _DELTAS if self._run is not None else frozenset()
        delivered = 0
        try:
            async for event in source:
                if event.type not in deltas:
                    add(event)
                delivered += 1
                yield event
        except LLMKitError as exc:
            self._acc.error = exc
            if isinstance(exc, APIError) and exc.partial is None and delivered:
                exc.partial = self._partial(delivered)
            raise
        except GeneratorExit:
            self._record_abort("closed")
            raise
        except asyncio.CancelledError:
            self._record_abort("cancelled")
            raise
        finally:
            self._done = True
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()

    def _usage_so_far(self) -> Usage:
        if self._acc.finish is not None:
            return self._acc.finish.usage
        usage = Usage()
        for step in self._run.steps if self._run is not None else ():
            usage = usage + step.usage
        return usage

    def _partial(self, delivered: int) -> PartialResult:
        acc = self._acc
        reasoning = acc.all_parts("reasoning")
        return PartialResult(
            text="".join(acc.all_parts("text")),
            reasoning_text="".join(reasoning) if reasoning else None,
            tool_calls=tuple(acc.tool_calls),
            usage=self._usage_so_far(),
            events=delivered,
        )

    def _record_abort(self, reason: Literal["closed", "cancelled"]) -> None:
        if self._abort is None and self._acc.finish is None and self._acc.error is None:
            acc = self._acc
            reasoning = acc.all_parts("reasoning")
            self._abort = AbortEvent(
                reason,
                "".join(acc.all_parts("text")),
                "".join(reasoning) if reasoning else None,
                self._usage_so_far(),
            )

    @property
    def abort(self) -> AbortEvent | None:
        """The final ``abort`` record when the stream was stopped before its end (break,
        ``aclose()``, ``async with`` exit, task cancellation), with the partial text and the
        usage known so far; None for a stream that finished or failed."""
        return self._abort

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """An async iterator over the text deltas only (consumes the stream; breaking out of
        it closes the stream as breaking out of ``async for event in result`` does)."""
        return PickedIterator(self.__aiter__(), _text_delta)

    # ------------------------------------------------------------------ accumulated fields
    @property
    async def text(self) -> str:
        """The (last step's) text deltas joined (awaiting consumes the rest of the stream)."""
        return "".join((await self._consume()).last_step()[0])

    @property
    async def reasoning_text(self) -> str | None:
        """The (last step's) reasoning deltas joined, or None when the model sent none."""
        parts = (await self._consume()).last_step()[1]
        return "".join(parts) if parts else None

    @property
    async def tool_calls(self) -> list[ToolCallEvent]:
        """The (last step's) client tool calls (``tool_call_id``, ``tool_name``, ``args``)."""
        return (await self._consume()).last_step()[2]

    @property
    async def steps(self) -> list[StepResult]:
        """Every finished step (:class:`~llmkit.StepResult`), in order."""
        await self._consume()
        return list(self._run.steps) if self._run is not None else []

    @property
    async def response_messages(self) -> list[ResponseMessage]:
        """The assistant and tool messages of the finished steps; append them to the
        conversation to continue it (reasoning signatures and tool call ids included)."""
        await self._consume()
        return list(self._run.response_messages) if self._run is not None else []

    @property
    async def output(self) -> object:
        """The final answer of the shape given as ``output=`` (e.g. an instance of the
        pydantic model): the model's valid ``final_answer`` call, else its last text parsed.

        Raises:
            NoObjectGeneratedError: the model gave no valid final answer.
            ConfigurationError: the call was made without ``output=``.
        """
        acc = await self._consume()
        if self._answer is None:
            from llmkit.errors import ConfigurationError

            raise ConfigurationError(
                "result.output needs output= in the call, e.g. stream_text(..., output=Weather)"
            )
        steps = self._run.steps if self._run is not None else []
        return self._answer.result("".join(acc.last_step()[0]), steps)

    @property
    async def approval_requests(self) -> list[ToolApprovalRequestEvent]:
        """The tool calls waiting for your approval (tools with ``needs_approval``); answer
        each with ``llmkit.approve`` / ``llmkit.deny`` in a ``tool`` message after
        :attr:`response_messages` and call again."""
        await self._consume()
        return list(self._run.approval_requests) if self._run is not None else []

    @property
    async def usage(self) -> Usage:
        """Token usage summed over the steps (fields not reported are None)."""
        finish = (await self._consume()).finish
        return finish.usage if finish else Usage()

    @property
    async def sources(self) -> list[SourceEvent]:
        """Sources the model cited."""
        return list((await self._consume()).sources)
