"""Stream-unique ids across the steps of a tool loop (see :mod:`llmkit._loop`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from llmkit.types.events import (
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    StreamEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolApprovalRequestEvent,
    ToolCallEvent,
    ToolExecutionEndEvent,
    ToolExecutionStartEvent,
    ToolInputDeltaEvent,
    ToolInputEndEvent,
    ToolInputStartEvent,
    ToolResultEvent,
)

__all__ = ["Renamer"]

_BLOCK_EVENTS = (TextStartEvent, TextEndEvent, ReasoningStartEvent, ReasoningEndEvent)
_TOOL_EVENTS = (ToolInputStartEvent, ToolInputDeltaEvent, ToolInputEndEvent)
_CALL_EVENTS = (
    ToolCallEvent,
    ToolResultEvent,
    ToolExecutionStartEvent,
    ToolExecutionEndEvent,
    ToolApprovalRequestEvent,
)


class Renamer:
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
        if isinstance(event, _CALL_EVENTS):
            new = self._call_id(event.tool_call_id)
            return event if new == event.tool_call_id else replace(event, tool_call_id=new)
        return event

    def _block(self, block_id: str) -> str:
        new = self.blocks.get(block_id)
        if new is None:
            new = self.blocks[block_id] = self.prefix + block_id
        return new
