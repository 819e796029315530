"""Steps of a multi-step tool loop: :class:`StepResult`, stop conditions, and the builder that
folds one step's events into the assistant message to replay.

A *step* is one model call plus the tools llmkit ran for its tool calls (the AI SDK's
``StepResult``). Its :attr:`StepResult.messages` are the assistant message (reasoning with its
signature or redacted data, text, tool calls, in the order the model produced them) and the tool
message with the results; appending them to the conversation is exactly what the loop does
before the next step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from llmkit.types.events import (
    FinishEvent,
    ProviderMetadata,
    ResponseMetadataEvent,
    StreamEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from llmkit.types.finish import FinishReason
from llmkit.types.messages import (
    AssistantMessage,
    AssistantPart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
)
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

__all__ = [
    "FinishInfo",
    "ResponseMessage",
    "StepResult",
    "StopCondition",
    "has_tool_call",
    "step_count_is",
]

ResponseMessage: TypeAlias = AssistantMessage | ToolMessage
"""A message a call produced: the assistant's turn, or the results of the tools llmkit ran."""


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step of a (possibly multi-step) call.

    Attributes:
        index: the step's position, from 0.
        text: the step's text.
        reasoning_text: the step's reasoning, or None when the model sent none.
        tool_calls: the client tool calls the model made in this step.
        tool_results: the results of the calls llmkit ran (errors have ``is_error=True``), in
            the order of ``tool_calls``; calls to tools without a function have none.
        finish_reason, raw_finish_reason: why the model stopped in this step.
        usage: this step's token usage.
        warnings: settings the protocol could not honour for this step's request.
        response: response id, served model id and creation time, if the provider sent them.
        provider_metadata: extra provider data from the step's ``finish`` event.
        messages: the assistant message and (when tools ran) the tool message of this step.
    """

    index: int
    text: str
    reasoning_text: str | None
    tool_calls: tuple[ToolCallEvent, ...]
    tool_results: tuple[ToolResultEvent, ...]
    finish_reason: FinishReason
    raw_finish_reason: str | None
    usage: Usage
    warnings: tuple[CallWarning, ...]
    response: ResponseMetadataEvent | None
    provider_metadata: ProviderMetadata | None
    messages: tuple[ResponseMessage, ...]


@dataclass(frozen=True, slots=True)
class FinishInfo:
    """What ``on_finish`` receives once the whole call is done.

    Attributes:
        steps: every step, in order.
        response_messages: the messages to append to the conversation (all steps).
        text: the last step's text.
        usage: total usage across the steps.
        finish_reason, raw_finish_reason: the last step's finish reason (``other`` and None
            after an abort).
        aborted: True when the stream was stopped before its end (break, ``aclose()``, task
            cancellation); ``text`` is then the partial text of the step in progress and
            ``usage`` covers the finished steps only.
    """

    steps: tuple[StepResult, ...]
    response_messages: tuple[ResponseMessage, ...]
    text: str
    usage: Usage
    finish_reason: FinishReason
    raw_finish_reason: str | None
    aborted: bool = False


StopCondition: TypeAlias = Callable[[Sequence[StepResult]], bool | Awaitable[bool]]
"""A predicate over the steps so far; the loop stops when it returns True (sync or async)."""


def step_count_is(count: int) -> StopCondition:
    """Stop once ``count`` steps have run (the AI SDK's ``stepCountIs``)."""

    def condition(steps: Sequence[StepResult]) -> bool:
        return len(steps) >= count

    return condition


def has_tool_call(*names: str) -> StopCondition:
    """Stop after a step in which the model called one of the tools ``names`` (its results are
    still run and included)."""
    wanted = frozenset(names)

    def condition(steps: Sequence[StepResult]) -> bool:
        return bool(steps) and any(c.tool_name in wanted for c in steps[-1].tool_calls)

    return condition


_JOIN_EVERY = 64
"""Deltas a text or reasoning block keeps as separate strings before it joins them into one:
a 5-character delta costs about 55 bytes as its own ``str``, so a long answer kept delta by
delta would take ten times its size (``bench/bench_stream.py``, peak RSS at 100 streams)."""


class _Block:
    """One text or reasoning block of a step. ``parts`` holds its text in order: joined chunks
    of :data:`_JOIN_EVERY` deltas, then the deltas since (the hot path appends to it and calls
    :meth:`join_tail` when ``len(parts)`` reaches ``join_at``)."""

    __slots__ = ("join_at", "joined", "kind", "metadata", "parts", "redacted", "signature")

    def __init__(self, kind: str, redacted: str | None = None) -> None:
        self.kind = kind
        self.parts: list[str] = []
        self.joined = 0  # parts[:joined] are joined chunks, parts[joined:] single deltas
        self.join_at = _JOIN_EVERY
        self.signature: str | None = None
        self.redacted = redacted
        self.metadata: ProviderMetadata | None = None

    def join_tail(self) -> None:
        """Join the deltas after the last joined chunk into one chunk (linear in the text)."""
        parts, joined = self.parts, self.joined
        parts[joined:] = ["".join(parts[joined:])]
        self.joined = joined + 1
        self.join_at = joined + 1 + _JOIN_EVERY


def _options(metadata: ProviderMetadata | None) -> dict[str, dict[str, Any]] | None:
    """An event's ``provider_metadata`` as a part's ``provider_options`` (the round trip of
    opaque provider data, e.g. OpenAI Responses item ids and encrypted reasoning)."""
    if not metadata:
        return None
    return {key: dict(value) for key, value in metadata.items()}


class StepBuilder:
    """Folds one step's events into its assistant message and fields (block order kept)."""

    __slots__ = ("blocks", "by_id", "calls", "finish", "response", "warnings")

    def __init__(self) -> None:
        self.blocks: list[_Block | ToolCallEvent | str] = []
        self.by_id: dict[str, _Block] = {}
        self.calls: list[ToolCallEvent] = []
        self.finish: FinishEvent | None = None
        self.response: ResponseMetadataEvent | None = None
        self.warnings: tuple[CallWarning, ...] = ()

    def add(self, event: StreamEvent) -> None:
        """Fold one event (``finish`` and ``stream_start`` are set by the loop)."""
        if event.type == "text_delta" or event.type == "reasoning_delta":
            block = self.by_id.get(event.id)
            if block is None:  # a delta without a start: open its block, keep the text
                kind = "text" if event.type == "text_delta" else "reasoning"
                self._open(event.id, block := _Block(kind))
            parts = block.parts
            parts.append(event.delta)
            if len(parts) >= block.join_at:
                block.join_tail()
        elif event.type == "text_start":
            self._open(event.id, _Block("text"))
        elif event.type == "reasoning_start":
            self._open(event.id, _Block("reasoning", event.redacted_data))
        elif event.type == "reasoning_end" or event.type == "text_end":
            block = self.by_id.get(event.id)
            if block is not None:
                if event.type == "reasoning_end":
                    block.signature = event.signature
                    block.redacted = event.redacted_data or block.redacted
                block.metadata = event.provider_metadata
        elif event.type == "tool_input_start":
            if not event.provider_executed:
                self.blocks.append(event.id)  # placeholder, replaced by the tool call
        elif isinstance(event, ToolCallEvent):
            if not event.provider_executed:
                self.calls.append(event)
                try:
                    self.blocks[self.blocks.index(event.tool_call_id)] = event
                except ValueError:
                    self.blocks.append(event)
        elif isinstance(event, ResponseMetadataEvent):
            self.response = event

    def _open(self, block_id: str, block: _Block) -> None:
        self.by_id[block_id] = block
        self.blocks.append(block)

    def parts(self, kind: str = "text") -> list[str]:
        """The text (or reasoning, ``kind="reasoning"``) of the step in pieces, in block order
        (to be joined: runs of deltas are already joined)."""
        return [p for b in self.blocks if isinstance(b, _Block) and b.kind == kind for p in b.parts]

    def text(self, kind: str = "text") -> str:
        """The joined text (or reasoning, ``kind="reasoning"``) of the step."""
        return "".join(
            "".join(b.parts) for b in self.blocks if isinstance(b, _Block) and b.kind == kind
        )

    def assistant_message(self) -> AssistantMessage | None:
        """The step's assistant turn, or None when the model produced nothing to replay.

        Text blocks keep their text (empty ones are dropped, unless they carry provider metadata:
        Gemini signs an empty trailing text part); reasoning keeps its signature or redacted
        data; provider-executed tools (server tools) are not replayed.
        """
        parts: list[AssistantPart] = []
        for block in self.blocks:
            if isinstance(block, ToolCallEvent):
                parts.append(
                    ToolCallPart(
                        tool_call_id=block.tool_call_id,
                        tool_name=block.tool_name,
                        args=dict(block.args),
                        provider_options=_options(block.provider_metadata),
                    )
                )
            elif isinstance(block, _Block):
                text = "".join(block.parts)
                if block.kind == "text":
                    if text or block.metadata:  # Gemini signs empty trailing text parts
                        parts.append(TextPart(text=text, provider_options=_options(block.metadata)))
                elif text or block.signature or block.redacted or block.metadata:
                    parts.append(
                        ReasoningPart(
                            text=text,
                            signature=block.signature,
                            redacted_data=block.redacted,
                            provider_options=_options(block.metadata),
                        )
                    )
        return AssistantMessage(content=parts) if parts else None

    def result(self, index: int, tool_results: Sequence[ToolResultEvent]) -> StepResult:
        """The finished step (``tool_results`` in the order of the calls)."""
        messages: list[ResponseMessage] = []
        assistant = self.assistant_message()
        if assistant is not None:
            messages.append(assistant)
        if tool_results:
            messages.append(
                ToolMessage(
                    content=[
                        ToolResultPart(
                            tool_call_id=r.tool_call_id,
                            tool_name=r.tool_name,
                            result=r.result,
                            is_error=r.is_error,
                        )
                        for r in tool_results
                    ]
                )
            )
        finish = self.finish
        reasoning = self.text("reasoning")
        return StepResult(
            index=index,
            text=self.text(),
            reasoning_text=reasoning or None,
            tool_calls=tuple(self.calls),
            tool_results=tuple(tool_results),
            finish_reason=finish.finish_reason if finish else "other",
            raw_finish_reason=finish.raw_finish_reason if finish else None,
            usage=finish.usage if finish else Usage(),
            warnings=self.warnings,
            response=self.response,
            provider_metadata=finish.provider_metadata if finish else None,
            messages=tuple(messages),
        )
