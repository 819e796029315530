"""What the testing kit's encoders share: the scripted answer they encode (:class:`MockTurn`,
re-exported as ``llmkit.testing.MockTurn``), cutting text into deltas and writing SSE events.

It lives beside the protocols' ``fake.py`` encoders, below the testing kit that serves them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["MockTurn", "args_pieces", "pieces", "sse"]


@dataclass(frozen=True)
class MockTurn:
    """One scripted model answer.

    Attributes:
        text: the visible text.
        reasoning: reasoning text sent before it (``reasoning_content`` / ``thinking``).
        tool_calls: ``(tool name, args)`` pairs.
        tool_call_ids: the calls' ids (default ``call_<n>`` / ``toolu_<n>``; a
            :class:`MockModel` numbers them ``call_<turn>_<n>`` so ids differ across turns).
        signature: the Anthropic thinking signature sent after the reasoning.
        input_tokens, output_tokens: the usage to report (tokens).
        cache_read_tokens, cache_write_tokens: prompt-cache usage to report (tokens), if any.
        piece: characters per text delta.
        args_piece: characters per tool-arguments delta (None: the arguments in one delta).
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: Sequence[tuple[str, dict[str, object]]] = field(default_factory=tuple)
    tool_call_ids: Sequence[str] = ()
    signature: str = "bW9jaw=="
    input_tokens: int = 10
    output_tokens: int = 20
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    piece: int = 4
    args_piece: int | None = None

    def call_id(self, index: int, prefix: str) -> str:
        """The id of tool call ``index``."""
        if index < len(self.tool_call_ids):
            return self.tool_call_ids[index]
        return f"{prefix}_{index}"


def pieces(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of ``size`` characters."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def args_pieces(args: dict[str, object], size: int | None) -> list[str]:
    """The JSON of ``args`` in one piece (``size`` None) or cut into ``size`` characters."""
    text = json.dumps(args)
    return [text] if size is None else pieces(text, size)


def sse(data: object, event: str | None = None) -> bytes:
    """One server-sent event with ``data`` as JSON (and an ``event:`` line when given)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()
