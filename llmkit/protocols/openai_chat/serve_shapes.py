"""The pieces of an OpenAI chat completion the serving encoders share: the finish reason, the
``usage`` object, response ids and compact JSON.

Sources: OpenAI API reference, Chat Completions, "The chat completion object"
(``choices[].finish_reason``: ``stop``, ``length``, ``tool_calls``, ``content_filter``;
``usage``: ``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
``prompt_tokens_details.cached_tokens``, ``completion_tokens_details.reasoning_tokens``).
"""

from __future__ import annotations

import functools
import json
import uuid

from llmkit.types.events import FinishEvent
from llmkit.types.usage import Usage

__all__ = [
    "dumps",
    "finish_reason",
    "new_completion_id",
    "refusal_of",
    "usage_object",
    "utf8",
]

dumps = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)
"""Compact JSON text, non-ASCII characters kept (encode the result as UTF-8)."""

_FINISH: dict[str, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}


def finish_reason(event: FinishEvent | None, has_tool_calls: bool) -> str:
    """The OpenAI ``finish_reason`` for a unified finish.

    ``stop``, ``length``, ``tool_calls`` and ``content_filter`` map to themselves. OpenAI has
    no value for ``error`` and ``other`` (and a strict client may reject an unknown one), so
    they become ``stop``, or ``tool_calls`` when the answer carries tool calls. A
    ``tool_calls`` finish without any tool call left in the answer (only provider-executed
    calls, which are not sent) becomes ``stop``. No finish event at all gives ``stop``.
    """
    unified = event.finish_reason if event is not None else "stop"
    raw = _FINISH.get(unified)
    if raw is None or (raw == "stop" and has_tool_calls):
        return "tool_calls" if has_tool_calls else "stop"
    if raw == "tool_calls" and not has_tool_calls:
        return "stop"
    return raw


def usage_object(usage: Usage) -> dict[str, object] | None:
    """The OpenAI ``usage`` object of a unified usage (token counts), or None when nothing
    was reported.

    ``prompt_tokens`` = ``input_tokens`` (both include cached tokens), ``completion_tokens`` =
    ``output_tokens`` (both include reasoning tokens), ``total_tokens`` as reported, or their
    sum when only the two parts are known; a count not reported is ``null`` (never 0).
    ``prompt_tokens_details.cached_tokens`` = ``cache_read_tokens`` and
    ``completion_tokens_details.reasoning_tokens`` = ``reasoning_tokens`` when known.
    ``cache_write_tokens`` has no OpenAI field: it is sent as the top-level
    ``cache_creation_input_tokens`` extension (the Databricks / Anthropic name, which
    llmkit's own reader maps back) only when known.
    """
    prompt, completion, total = usage.input_tokens, usage.output_tokens, usage.total_tokens
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    if prompt is None and completion is None and total is None:
        return None
    out: dict[str, object] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total,
    }
    if usage.cache_read_tokens is not None:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    if usage.reasoning_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    if usage.cache_write_tokens is not None:
        out["cache_creation_input_tokens"] = usage.cache_write_tokens
    return out


def new_completion_id() -> str:
    """A fresh ``chatcmpl-<32 hex>`` id (the gateway's own; upstream ids are not reused,
    since they may come from another provider's id space)."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def refusal_of(event: FinishEvent | None) -> str | None:
    """The refusal text llmkit's OpenAI chat reader put in ``provider_metadata``, if any."""
    if event is None or not event.provider_metadata:
        return None
    refusal = (event.provider_metadata.get("openai") or {}).get("refusal")
    return refusal if isinstance(refusal, str) and refusal else None


def utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes. A lone surrogate (which JSON text from upstream may carry as
    ``\\ud800``) cannot be encoded; it is written back as its ``\\uXXXX`` JSON escape, so the
    output stays valid UTF-8 and valid JSON (only JSON strings can hold one)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return "".join(
            f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text
        ).encode()
