"""The manifest's ``expected`` values (raw provider terms) mapped to llmkit's unified terms, and
the same summary computed from a list of llmkit events, so tests compare like with like.

The mapping rules are DESIGN.md §4's, written here independently of the protocol code.
"""

from __future__ import annotations

import json
from typing import Any

from llmkit.types.events import StreamEvent

_OPENAI_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "eos": "stop",
}
_RESPONSES_FINISH = {
    "completed": "stop",
    "incomplete:max_output_tokens": "length",
    "incomplete:content_filter": "content_filter",
    "failed": "error",
}
_GOOGLE_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
}
_ANTHROPIC_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _first(usage: dict[str, Any], *names: str) -> int | None:
    for name in names:
        if usage.get(name) is not None:
            return int(usage[name])
    return None


def expected_usage(entry: dict[str, Any]) -> dict[str, int | None]:
    """Unified usage from the manifest's raw usage."""
    raw = entry["expected"]["usage"]
    if not raw:
        return dict.fromkeys(
            (
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "reasoning_tokens",
                "total_tokens",
            ),
        )
    if entry["protocol"] == "anthropic-messages":
        read = raw.get("cache_read_input_tokens")
        write = raw.get("cache_creation_input_tokens")
        total_in = raw["input_tokens"] + (read or 0) + (write or 0)
        return {
            "input_tokens": total_in,
            "output_tokens": raw["output_tokens"],
            "cache_read_tokens": read,
            "cache_write_tokens": write,
            "reasoning_tokens": None,
            "total_tokens": total_in + raw["output_tokens"],
        }
    if entry["protocol"] == "google-generative":
        # Gemini usageMetadata: promptTokenCount already contains cachedContentTokenCount;
        # candidatesTokenCount excludes thoughtsTokenCount (output = both; a missing count adds
        # nothing, both missing is None); totalTokenCount as reported (it also counts
        # toolUsePromptTokenCount).
        candidates, thoughts = raw.get("candidatesTokenCount"), raw.get("thoughtsTokenCount")
        output = None
        if candidates is not None or thoughts is not None:
            output = (candidates or 0) + (thoughts or 0)
        return {
            "input_tokens": raw.get("promptTokenCount"),
            "output_tokens": output,
            "cache_read_tokens": raw.get("cachedContentTokenCount"),
            "cache_write_tokens": None,
            "reasoning_tokens": thoughts,
            "total_tokens": raw.get("totalTokenCount"),
        }
    if entry["protocol"] == "openai-responses":
        # OpenAI Responses: input_tokens includes cached ones, output_tokens reasoning ones;
        # the manifest leaves out total_tokens and cache_write_tokens: total is their sum
        # (as OpenAI reports it), cache writes are read from the recorded final event.
        return {
            "input_tokens": raw["input_tokens"],
            "output_tokens": raw["output_tokens"],
            "cache_read_tokens": raw.get("cached_tokens"),
            "cache_write_tokens": _responses_cache_write(entry),
            "reasoning_tokens": raw.get("reasoning_tokens"),
            "total_tokens": raw["input_tokens"] + raw["output_tokens"],
        }
    return {
        "input_tokens": raw.get("input_tokens"),
        "output_tokens": raw.get("output_tokens"),
        "cache_read_tokens": _first(
            raw, "cached_tokens", "prompt_cache_hit_tokens", "cache_read_input_tokens"
        ),
        "cache_write_tokens": raw.get("cache_creation_input_tokens"),
        "reasoning_tokens": raw.get("reasoning_tokens"),
        "total_tokens": raw.get("total_tokens"),
    }


def _responses_cache_write(entry: dict[str, Any]) -> int | None:
    """``usage.input_tokens_details.cache_write_tokens`` of a recorded Responses stream's last
    ``response.completed`` / ``response.incomplete`` event (None when absent)."""
    from fixture_util import body

    found = None
    for line in body(entry).decode().splitlines():
        if line.startswith("data:") and '"response.' in line:
            try:
                event = json.loads(line[5:])
            except ValueError:
                continue
            if event.get("type") in ("response.completed", "response.incomplete"):
                details = (event["response"].get("usage") or {}).get("input_tokens_details")
                found = (details or {}).get("cache_write_tokens")
    return found


def expected_summary(entry: dict[str, Any]) -> dict[str, Any]:
    """What a fixture must give, in llmkit terms."""
    exp = entry["expected"]
    raw_finish = exp["finish_reason"]
    tool_calls = [(c["name"], c["arguments"]) for c in exp["tool_calls"]]
    if "legacy-function_call" in entry["features"]:
        # The manifest's plain accumulator reads only `tool_calls`; llmkit also reports the
        # legacy `message.function_call` as a tool call. Read it from the recorded body.
        from fixture_util import body

        call = json.loads(body(entry))["choices"][0]["message"]["function_call"]
        tool_calls = [(call["name"], json.loads(call["arguments"]))]
    if entry["protocol"] == "anthropic-messages":
        finish = _ANTHROPIC_FINISH.get(raw_finish, "other")
    elif entry["protocol"] == "google-generative":
        finish = _GOOGLE_FINISH.get(raw_finish, "other")
        if tool_calls and finish == "stop":
            finish = "tool_calls"  # Gemini says STOP after function calls
    elif entry["protocol"] == "openai-responses":
        finish = _RESPONSES_FINISH.get(raw_finish, "other")
        if tool_calls and finish == "stop":
            finish = "tool_calls"  # a completed answer with function calls
    else:
        finish = _OPENAI_FINISH.get(raw_finish, "other")
        if tool_calls and finish == "stop":
            finish = "tool_calls"  # Gemini and Ollama say "stop" after a tool call
    text = exp["text"]
    if text is not None and not isinstance(text, str):
        text = json.dumps(text)
    return {
        "text": text or "",
        "reasoning": exp["reasoning"] or None,
        "tool_calls": tool_calls,
        "raw_finish_reason": raw_finish,
        "finish_reason": finish,
        "usage": expected_usage(entry),
    }


def actual_summary(events: list[StreamEvent]) -> dict[str, Any]:
    """The same summary computed from llmkit events."""
    text = "".join(e.delta for e in events if e.type == "text_delta")
    reasoning = "".join(e.delta for e in events if e.type == "reasoning_delta")
    calls = [
        (e.tool_name, dict(e.args))
        for e in events
        if e.type == "tool_call" and not e.provider_executed
    ]
    finishes = [e for e in events if e.type == "finish"]
    finish = finishes[-1] if finishes else None
    usage = None
    if finish is not None:
        u = finish.usage
        usage = {
            "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens,
            "cache_read_tokens": u.cache_read_tokens,
            "cache_write_tokens": u.cache_write_tokens,
            "reasoning_tokens": u.reasoning_tokens,
            "total_tokens": u.total_tokens,
        }
    return {
        "text": text,
        "reasoning": reasoning or None,
        "tool_calls": calls,
        "raw_finish_reason": finish.raw_finish_reason if finish else None,
        "finish_reason": finish.finish_reason if finish else None,
        "usage": usage,
    }


def _block_id(event: StreamEvent) -> str:
    """A block's id; a tool run (``tool_execution_*``) is keyed by its tool call id."""
    block_id = getattr(event, "id", None)
    if block_id is None:
        block_id = event.tool_call_id  # type: ignore[union-attr]
    assert isinstance(block_id, str)
    return "run:" + block_id if event.type.startswith("tool_execution") else block_id


def check_conformance(events: list[StreamEvent], *, complete: bool = True) -> None:
    """Every ``*_start`` has one ``*_end`` with the same id; ``stream_start`` first (when
    present); exactly one ``finish`` and it is last; tool arguments parse."""
    open_blocks: dict[str, str] = {}
    closed: set[tuple[str, str]] = set()
    for event in events:
        kind = event.type
        if kind.endswith("_start") and kind != "stream_start":
            family = kind[: -len("_start")]
            key = _block_id(event)
            assert key not in open_blocks, f"{kind} {key} opened twice"
            assert (family, key) not in closed, f"{kind} {key} reopened after its end"
            open_blocks[key] = family
        elif kind.endswith("_end"):
            family = kind[: -len("_end")]
            key = _block_id(event)
            assert open_blocks.pop(key, None) == family, f"{kind} {key} without a start"
            closed.add((family, key))
        elif kind == "tool_call":
            assert event.args_error is None, event.args_error  # type: ignore[union-attr]
    if events and events[0].type == "stream_start":
        assert all(e.type != "stream_start" for e in events[1:])
    if complete:
        assert not open_blocks, f"blocks never closed: {open_blocks}"
        finishes = [i for i, e in enumerate(events) if e.type == "finish"]
        assert finishes == [len(events) - 1], "exactly one finish, last"
