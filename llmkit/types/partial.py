"""What a stream delivered before it failed: carried by errors raised after content arrived."""

from __future__ import annotations

from dataclasses import dataclass

from llmkit.types.events import ToolCallEvent
from llmkit.types.usage import Usage

__all__ = ["PartialResult"]


@dataclass(frozen=True, slots=True)
class PartialResult:
    """What a stream delivered before it failed (``error.partial``).

    Attributes:
        text: the text deltas received, joined.
        reasoning_text: the reasoning deltas received, joined (None when there were none).
        tool_calls: the complete client tool calls received.
        usage: token usage known so far (the finished steps'; fields not reported are None).
        events: how many events were delivered before the failure.
    """

    text: str = ""
    reasoning_text: str | None = None
    tool_calls: tuple[ToolCallEvent, ...] = ()
    usage: Usage | None = None
    events: int = 0
