"""What the testing kit's encoders share: cutting text into deltas and writing SSE events."""

from __future__ import annotations

import json

__all__ = ["args_pieces", "pieces", "sse"]


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
