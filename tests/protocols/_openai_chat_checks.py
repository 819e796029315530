"""Shared assertions for the OpenAI chat protocol tests (expected values come from the
fixture manifest, computed by an independent accumulator, never from llmkit's own output)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from llmkit.types.events import FinishEvent, StreamEvent, ToolCallEvent
from llmkit.types.usage import Usage

# Unified finish reasons per the OpenAI API reference (choices[].finish_reason) plus Together's
# "eos"; written out here independently of llmkit's map_finish_reason.
UNIFIED = {
    "stop": "stop",
    "eos": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def expected_unified(raw: str | None, has_tool_calls: bool) -> str:
    if raw == "stop" and has_tool_calls:
        return "tool_calls"
    return UNIFIED.get(raw, "other") if raw is not None else "other"


def expected_usage(raw: dict[str, Any] | None) -> dict[str, int | None]:
    """llmkit Usage fields from the manifest's usage (given in the provider's raw terms)."""
    if raw is None:
        return dict.fromkeys(
            (
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "reasoning_tokens",
                "total_tokens",
            )
        )
    cache_read = None
    for key in ("cached_tokens", "prompt_cache_hit_tokens", "cache_read_input_tokens"):
        if raw.get(key) is not None:
            cache_read = raw[key]
            break
    return {
        "input_tokens": raw.get("input_tokens"),
        "output_tokens": raw.get("output_tokens"),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": raw.get("cache_creation_input_tokens"),
        "reasoning_tokens": raw.get("reasoning_tokens"),
        "total_tokens": raw.get("total_tokens"),
    }


def usage_fields(usage: Usage) -> dict[str, int | None]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "total_tokens": usage.total_tokens,
    }


def joined(events: list[StreamEvent], kind: str) -> str:
    return "".join(e.delta for e in events if e.type == kind)  # type: ignore[union-attr]


def tool_calls(events: list[StreamEvent]) -> list[ToolCallEvent]:
    return [e for e in events if isinstance(e, ToolCallEvent)]


def check_conformance(events: list[StreamEvent], *, finished: bool = True) -> None:
    """Every *_start has exactly one *_end with the same id, after it; deltas fall inside their
    block; tool arguments parse; exactly one finish and it is last (when ``finished``)."""
    open_blocks: dict[str, str] = {}
    ended: Counter[tuple[str, str]] = Counter()
    for event in events:
        kind = event.type
        if kind.endswith("_start") and kind != "stream_start":
            family = kind.removesuffix("_start")
            block_id = event.id  # type: ignore[union-attr]
            assert block_id not in open_blocks, f"{block_id} opened twice"
            open_blocks[block_id] = family
        elif kind.endswith("_delta"):
            family = kind.removesuffix("_delta")
            assert open_blocks.get(event.id) == family, f"{kind} outside its block"  # type: ignore[union-attr]
        elif kind.endswith("_end"):
            family = kind.removesuffix("_end")
            block_id = event.id  # type: ignore[union-attr]
            assert open_blocks.pop(block_id, None) == family, f"{kind} {block_id} not open"
            ended[(family, block_id)] += 1
    assert not open_blocks, f"blocks never closed: {open_blocks}"
    assert all(n == 1 for n in ended.values())
    for call in tool_calls(events):
        assert call.args_error is None, call.args_error
        assert dict(call.args) == (json.loads(call.args_json) if call.args_json.strip() else {})
    finishes = [e for e in events if isinstance(e, FinishEvent)]
    if finished:
        assert len(finishes) == 1
        assert events[-1] is finishes[0]
    else:
        assert finishes == []
    metadata = [e for e in events if e.type == "response_metadata"]
    assert len(metadata) <= 1


def check_expected(events: list[StreamEvent], expected: dict[str, Any]) -> None:
    """Compare text, reasoning, tool calls, finish reason, usage and refusal to the manifest."""
    text = expected["text"]
    if isinstance(text, (dict, list)):  # Cloudflare: content was a JSON object
        assert json.loads(joined(events, "text_delta")) == text
    else:
        assert joined(events, "text_delta") == (text or "")
    assert joined(events, "reasoning_delta") == (expected["reasoning"] or "")
    calls = tool_calls(events)
    assert [(c.tool_name, dict(c.args)) for c in calls] == [
        (t["name"], t["arguments"]) for t in expected["tool_calls"]
    ]
    for position, (call, want) in enumerate(zip(calls, expected["tool_calls"], strict=True)):
        # A provider that sends no id (Gemini: id "") gets a generated positional one.
        assert call.tool_call_id == (want["id"] or f"call_{position}")
    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert finish.raw_finish_reason == expected["finish_reason"]
    assert finish.finish_reason == expected_unified(expected["finish_reason"], bool(calls))
    assert usage_fields(finish.usage) == expected_usage(expected["usage"])
    if expected["usage"] is None:
        assert finish.usage.raw is None
    else:
        assert finish.usage.raw is not None
    refusal = expected.get("refusal")
    if refusal:
        assert finish.provider_metadata == {"openai": {"refusal": refusal}}
    else:
        assert finish.provider_metadata is None
