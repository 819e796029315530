"""Shared block bookkeeping: open/close pairing and tool-call argument accumulation.

Every protocol keeps one :class:`Blocks` per stream. It guarantees that each ``*_start`` gets
exactly one matching ``*_end`` and turns accumulated tool arguments into a ``tool_call`` event.
Per-delta events (``text_delta``...) are built by the protocol directly; this class handles only
the rarer start/end transitions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from llmkit.types.events import (
    ProviderMetadata,
    ReasoningEndEvent,
    ReasoningStartEvent,
    StreamEvent,
    TextEndEvent,
    TextStartEvent,
    ToolCallEvent,
    ToolInputDeltaEvent,
    ToolInputEndEvent,
    ToolInputStartEvent,
)

__all__ = ["MAX_TOOL_ARGS_DEPTH", "Blocks", "parse_tool_args"]

MAX_TOOL_ARGS_DEPTH = 128
"""The deepest nesting of objects and arrays accepted in tool call arguments (the arguments
object itself is level 1). Deeper arguments are reported as unreadable (``args_error``): they
would exceed pydantic's recursion limit (255 levels) when the call is replayed as a
:class:`~llmkit.types.messages.ToolCallPart`, and no tool schema nests that deep."""


def _too_deep(value: object, limit: int) -> bool:
    """True when ``value`` nests objects/arrays more than ``limit`` levels (iterative walk)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return False


def parse_tool_args(args_json: str) -> tuple[Mapping[str, object], str | None]:
    """Parse a tool call's arguments text.

    Returns:
        (args, error): the parsed object and None; ``({}, None)`` for empty text (a call with no
        arguments); ``({}, reason)`` when the text is not a JSON object, or nests deeper than
        :data:`MAX_TOOL_ARGS_DEPTH` levels. The tool loop returns ``reason`` to the model as an
        error result.
    """
    if not args_json.strip():
        return {}, None
    try:
        value = json.loads(args_json)
    except RecursionError:
        return {}, f"arguments nest deeper than {MAX_TOOL_ARGS_DEPTH} levels"
    except ValueError as exc:
        return {}, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, f"arguments are JSON {type(value).__name__}, not an object"
    # a cheap bound first: nesting needs at least one bracket per level
    if (args_json.count("{") + args_json.count("[")) > MAX_TOOL_ARGS_DEPTH and _too_deep(
        value, MAX_TOOL_ARGS_DEPTH
    ):
        return {}, f"arguments nest deeper than {MAX_TOOL_ARGS_DEPTH} levels"
    return value, None


class _Tool:
    __slots__ = ("name", "parts", "provider_executed")

    def __init__(self, name: str, provider_executed: bool) -> None:
        self.name = name
        self.parts: list[str] = []
        self.provider_executed = provider_executed


class Blocks:
    """Open blocks of one stream, in the order they opened."""

    __slots__ = ("_open", "_redacted", "_tools")

    def __init__(self) -> None:
        self._open: dict[str, str] = {}
        self._tools: dict[str, _Tool] = {}
        self._redacted: dict[str, str] = {}

    def is_open(self, block_id: str) -> bool:
        """True while the block ``block_id`` is open."""
        return block_id in self._open

    def start_text(self, block_id: str, out: list[StreamEvent]) -> None:
        """Open a text block."""
        self._open[block_id] = "text"
        out.append(TextStartEvent(block_id))

    def start_reasoning(
        self, block_id: str, out: list[StreamEvent], redacted_data: str | None = None
    ) -> None:
        """Open a reasoning block (``redacted_data`` for Anthropic redacted thinking)."""
        self._open[block_id] = "reasoning"
        if redacted_data is not None:
            self._redacted[block_id] = redacted_data
        out.append(ReasoningStartEvent(block_id, redacted_data))

    def start_tool(
        self,
        block_id: str,
        tool_name: str,
        out: list[StreamEvent],
        provider_executed: bool = False,
    ) -> None:
        """Open a tool-input block whose id is the tool call id.

        Raises:
            TypeError: ``block_id`` or ``tool_name`` is not a string (a protocol's shape guard
                turns it into ``InvalidResponseError``).
        """
        if type(tool_name) is not str or type(block_id) is not str:
            raise TypeError("a tool call's id and name must be strings")
        self._open[block_id] = "tool"
        self._tools[block_id] = _Tool(tool_name, provider_executed)
        out.append(ToolInputStartEvent(block_id, tool_name, provider_executed))

    def tool_delta(self, block_id: str, delta: str, out: list[StreamEvent]) -> None:
        """Append arguments text to an open tool block (empty deltas are dropped).

        Raises:
            TypeError: ``delta`` is not a string.
        """
        if type(delta) is not str:
            raise TypeError(f"tool arguments delta is {type(delta).__name__}, not a string")
        if delta:
            self._tools[block_id].parts.append(delta)
            out.append(ToolInputDeltaEvent(block_id, delta))

    def tool_args_text(self, block_id: str) -> str:
        """The arguments text accumulated so far for an open tool block."""
        return "".join(self._tools[block_id].parts)

    def end(
        self,
        block_id: str,
        out: list[StreamEvent],
        *,
        signature: str | None = None,
        redacted_data: str | None = None,
        provider_metadata: ProviderMetadata | None = None,
    ) -> None:
        """Close an open block; a tool block also emits its ``tool_call``. Unknown ids are
        ignored (a provider may repeat a stop). ``provider_metadata`` goes on the text or
        reasoning end event, or on the ``tool_call`` event."""
        kind = self._open.pop(block_id, None)
        if kind == "text":
            out.append(TextEndEvent(block_id, provider_metadata))
        elif kind == "reasoning":
            redacted = self._redacted.pop(block_id, None)
            out.append(
                ReasoningEndEvent(block_id, signature, redacted_data or redacted, provider_metadata)
            )
        elif kind == "tool":
            tool = self._tools.pop(block_id)
            args_json = "".join(tool.parts)
            args, error = parse_tool_args(args_json)
            out.append(ToolInputEndEvent(block_id))
            out.append(
                ToolCallEvent(
                    block_id,
                    tool.name,
                    args,
                    args_json,
                    error,
                    tool.provider_executed,
                    provider_metadata,
                )
            )

    def end_all(self, out: list[StreamEvent]) -> None:
        """Close every open block, oldest first."""
        for block_id in list(self._open):
            self.end(block_id, out)
