"""Responses ``usage`` → unified :class:`~llmkit.types.usage.Usage`.

Source: OpenAI API reference, Responses, "The response object", ``usage``: ``input_tokens``,
``input_tokens_details.cached_tokens`` and ``.cache_write_tokens``, ``output_tokens``,
``output_tokens_details.reasoning_tokens``, ``total_tokens``.

=====================  ======================================================================
unified field          source
=====================  ======================================================================
``input_tokens``       ``input_tokens`` (already includes cached tokens)
``output_tokens``      ``output_tokens`` (already includes reasoning tokens)
``cache_read_tokens``  ``input_tokens_details.cached_tokens``
``cache_write_tokens`` ``input_tokens_details.cache_write_tokens`` (newer answers only)
``reasoning_tokens``   ``output_tokens_details.reasoning_tokens``
``total_tokens``       ``total_tokens``
``raw``                the usage object unchanged (OpenRouter adds ``cost`` there)
=====================  ======================================================================

A field the provider did not send stays ``None``, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.types.usage import Usage

__all__ = ["convert_usage"]


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def _detail(usage: Mapping[str, object], group: str, name: str) -> int | None:
    details = usage.get(group)
    return _int(details.get(name)) if isinstance(details, Mapping) else None


def convert_usage(usage: object) -> Usage:
    """Map a Responses usage object (or None / a value of the wrong type: nothing reported)."""
    if not isinstance(usage, Mapping):
        return Usage()
    return Usage(
        input_tokens=_int(usage.get("input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        cache_read_tokens=_detail(usage, "input_tokens_details", "cached_tokens"),
        cache_write_tokens=_detail(usage, "input_tokens_details", "cache_write_tokens"),
        reasoning_tokens=_detail(usage, "output_tokens_details", "reasoning_tokens"),
        total_tokens=_int(usage.get("total_tokens")),
        raw=usage,
    )
