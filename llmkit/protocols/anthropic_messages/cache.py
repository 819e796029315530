"""Prompt-caching breakpoints (``cache_control``) for Anthropic requests.

Anthropic API reference, "Prompt caching": a ``cache_control`` object (``{"type":
"ephemeral"}``, optionally ``"ttl": "1h"``) on a tool, a system text block or a message content
block caches the request prefix up to and including that block; the prefix order is tools,
system, messages. At most :data:`MAX_BREAKPOINTS` blocks may carry one, else the API answers 400.
Cache reads and writes are reported in usage (``cache_read_input_tokens``,
``cache_creation_input_tokens`` → :attr:`~llmkit.Usage.cache_read_tokens`,
:attr:`~llmkit.Usage.cache_write_tokens`).

Where llmkit puts breakpoints:

- ``ToolDefinition.provider_options["anthropic"]`` / ``@tool(provider_options=...)``: on that
  tool (mark the last tool to cache all tool definitions);
- ``SystemMessage(provider_options=...)``: on that system text block;
- a message's ``provider_options``: on its last content block; a part's: on that block;
- ``provider_options={"anthropic": {"cache_control": {...}}}`` on the call: on the last block
  of the last message, i.e. the whole conversation so far (not sent as a top-level field).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue

from llmkit.errors import UnsupportedFeatureError

__all__ = ["MAX_BREAKPOINTS", "apply_cache_control", "count_breakpoints"]

MAX_BREAKPOINTS = 4
"""The most ``cache_control`` breakpoints one Anthropic request may have."""


def _marked(blocks: object) -> int:
    if not isinstance(blocks, list):
        return 0
    return sum(1 for block in blocks if isinstance(block, dict) and "cache_control" in block)


def count_breakpoints(
    tools: Sequence[dict[str, object]] | None,
    system: object,
    messages: Sequence[dict[str, object]],
) -> int:
    """How many tools, system blocks and message content blocks carry ``cache_control``."""
    count = _marked(list(tools or [])) + _marked(system)
    for message in messages:
        count += _marked(message.get("content"))
    return count


def apply_cache_control(
    tools: Sequence[dict[str, object]] | None,
    system: object,
    messages: Sequence[dict[str, object]],
    conversation: JsonValue | None,
) -> None:
    """Put the call-level breakpoint (``conversation``) on the last block of the last message,
    then check the total.

    Raises:
        UnsupportedFeatureError: more than :data:`MAX_BREAKPOINTS` breakpoints.
    """
    if conversation is not None and messages:
        content = messages[-1].get("content")
        if isinstance(content, list) and content and isinstance(content[-1], dict):
            content[-1]["cache_control"] = conversation
    count = count_breakpoints(tools, system, messages)
    if count > MAX_BREAKPOINTS:
        raise UnsupportedFeatureError(
            f"this request has {count} cache_control breakpoints; Anthropic allows at most "
            f"{MAX_BREAKPOINTS} (tools, system blocks and message blocks together)"
        )
