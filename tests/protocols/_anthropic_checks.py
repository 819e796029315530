"""Shared assertions for the Anthropic Messages protocol tests (streamed and non-streamed):
expected values are written from the API reference, never from llmkit's own output."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    StreamEvent,
    TextDeltaEvent,
    ToolCallEvent,
)

# Anthropic "Handling stop reasons" → llmkit FinishReason (written from the API reference).
UNIFIED_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
}


def expected_usage(raw: dict[str, Any]) -> dict[str, int | None]:
    """llmkit usage for a raw Anthropic usage object, per llmkit/types/usage.py: Anthropic
    input_tokens excludes cache reads and writes."""
    cache_read = raw.get("cache_read_input_tokens")
    cache_write = raw.get("cache_creation_input_tokens")
    inp = raw["input_tokens"] + (cache_read or 0) + (cache_write or 0)
    out = raw["output_tokens"]
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": None,
        "total_tokens": inp + out,
    }


def check_conformance(events: list[StreamEvent]) -> None:
    """Every *_start has exactly one *_end with the same id, after it; one finish, last; every
    tool call's arguments parse."""
    open_blocks: dict[tuple[str, str], int] = {}
    closed: Counter[tuple[str, str]] = Counter()
    for position, event in enumerate(events):
        kind = event.type
        if kind.endswith("_start") and kind != "stream_start":
            family = kind[: -len("_start")]
            key = (family, event.id)  # type: ignore[union-attr]
            assert key not in open_blocks, f"{key} opened twice"
            assert closed[key] == 0, f"{key} reopened after its end"
            open_blocks[key] = position
        elif kind.endswith("_delta"):
            family = kind[: -len("_delta")]
            assert (family, event.id) in open_blocks, f"delta for closed block {event}"  # type: ignore[union-attr]
        elif kind.endswith("_end"):
            family = kind[: -len("_end")]
            key = (family, event.id)  # type: ignore[union-attr]
            assert key in open_blocks, f"{key} ended but was not open"
            del open_blocks[key]
            closed[key] += 1
    assert not open_blocks, f"blocks never closed: {open_blocks}"
    finishes = [e for e in events if isinstance(e, FinishEvent)]
    assert len(finishes) == 1
    assert events[-1] is finishes[0]
    for call in (e for e in events if isinstance(e, ToolCallEvent)):
        assert call.args_error is None
        assert dict(call.args) == (json.loads(call.args_json) if call.args_json else {})


def accumulate(events: list[StreamEvent]) -> dict[str, Any]:
    text = "".join(e.delta for e in events if isinstance(e, TextDeltaEvent))
    reasoning = "".join(e.delta for e in events if isinstance(e, ReasoningDeltaEvent))
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    return {
        "text": text,
        "reasoning": reasoning or None,
        "tool_calls": [
            {"id": c.tool_call_id, "name": c.tool_name, "arguments": dict(c.args)}
            for c in calls
            if not c.provider_executed
        ],
        "server_tool_calls": [
            {"id": c.tool_call_id, "name": c.tool_name, "arguments": dict(c.args)}
            for c in calls
            if c.provider_executed
        ],
    }
