"""OpenAI chat ``usage`` object → unified :class:`~llmkit.types.usage.Usage`.

Source: OpenAI API reference, Chat Completions, the chat completion object, ``usage``
(``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
``prompt_tokens_details.cached_tokens``, ``completion_tokens_details.reasoning_tokens``).

Mapping (every count in tokens; a field the provider did not send stays ``None``, never 0):

=====================  =========================================================================
unified field          source
=====================  =========================================================================
``input_tokens``       ``prompt_tokens`` (OpenAI's count already includes cached tokens)
``output_tokens``      ``completion_tokens`` (already includes reasoning tokens)
``cache_read_tokens``  ``prompt_tokens_details.cached_tokens``; else DeepSeek
                       ``prompt_cache_hit_tokens`` (DeepSeek API docs, "Context Caching"); else
                       Databricks/Anthropic-style ``cache_read_input_tokens``; else a top-level
                       ``cached_tokens`` (Together AI)
``cache_write_tokens`` ``cache_creation_input_tokens`` (Databricks serving Anthropic models)
``reasoning_tokens``   ``completion_tokens_details.reasoning_tokens``
``total_tokens``       ``total_tokens``
``raw``                the usage object unchanged
=====================  =========================================================================

Groq's older ``x_groq.usage`` object has the same field names and is mapped the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.types.usage import Usage

__all__ = ["convert_usage"]


def _int(value: object) -> int | None:
    # bool is an int subclass; a provider never means True as a token count.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _detail(usage: Mapping[str, object], group: str, name: str) -> int | None:
    details = usage.get(group)
    if isinstance(details, Mapping):
        return _int(details.get(name))
    return None


def _first(*values: int | None) -> int | None:
    for value in values:
        if value is not None:
            return value
    return None


def convert_usage(usage: Mapping[str, object] | None) -> Usage:
    """Map an OpenAI chat usage object to :class:`Usage`.

    Args:
        usage: the provider's ``usage`` object (or ``x_groq.usage``), or ``None`` when the
            provider reported none.

    Returns:
        The unified usage; ``Usage()`` (every field ``None``) when ``usage`` is ``None``.
        Non-integer values (including JSON nulls) count as not reported.
    """
    if usage is None:
        return Usage()
    return Usage(
        input_tokens=_int(usage.get("prompt_tokens")),
        output_tokens=_int(usage.get("completion_tokens")),
        cache_read_tokens=_first(
            _detail(usage, "prompt_tokens_details", "cached_tokens"),
            _int(usage.get("prompt_cache_hit_tokens")),
            _int(usage.get("cache_read_input_tokens")),
            _int(usage.get("cached_tokens")),
        ),
        cache_write_tokens=_int(usage.get("cache_creation_input_tokens")),
        reasoning_tokens=_detail(usage, "completion_tokens_details", "reasoning_tokens"),
        total_tokens=_int(usage.get("total_tokens")),
        raw=usage,
    )
