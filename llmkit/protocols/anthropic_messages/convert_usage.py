"""Map Anthropic ``usage`` objects to the unified :class:`~llmkit.types.usage.Usage`.

Anthropic API reference, "Messages" → response ``usage``, and "Prompt caching" → "Tracking cache
performance". Anthropic's ``input_tokens`` counts only the input tokens *after* the last cache
breakpoint, i.e. it **excludes** cache reads and cache writes, which are reported separately.
llmkit's ``input_tokens`` counts all input tokens, so:

=======================  ====================================================================
llmkit field             from the Anthropic usage object (all counts in tokens)
=======================  ====================================================================
``input_tokens``         ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``
                         (a missing cache field counts as 0 only when ``input_tokens`` itself is
                         present; no ``input_tokens`` → ``None``)
``output_tokens``        ``output_tokens`` (thinking tokens included)
``cache_read_tokens``    ``cache_read_input_tokens`` (``None`` if absent)
``cache_write_tokens``   ``cache_creation_input_tokens`` (``None`` if absent)
``reasoning_tokens``     ``None``: Anthropic does not report thinking tokens separately
``total_tokens``         ``input_tokens + output_tokens`` (unified) when both are known
``raw``                  the usage object as received (streams: ``message_start`` usage updated
                         field by field by each ``message_delta`` usage)
=======================  ====================================================================

Streams report usage cumulatively: ``message_start`` carries the input counts (and a provisional
``output_tokens``), each ``message_delta`` carries the running totals; newer API versions repeat
``input_tokens`` and the cache counters there. Later non-null values override earlier ones.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.types.usage import Usage

__all__ = ["convert_usage", "merge_usage"]


def _count(raw: Mapping[str, object], key: str) -> int | None:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def merge_usage(into: dict[str, object], update: object) -> None:
    """Update the accumulated raw usage ``into`` with a later usage object, field by field.

    ``None`` values and non-dict updates are ignored (they never erase a known count).
    """
    if isinstance(update, dict):
        for key, value in update.items():
            if value is not None:
                into[key] = value


def convert_usage(raw: Mapping[str, object] | None) -> Usage:
    """The unified usage of an Anthropic usage object (see the module docstring for the mapping).

    Args:
        raw: the (merged) Anthropic ``usage`` object, or ``None`` when none was received.

    Returns:
        A :class:`Usage`; every field the provider did not report is ``None``.
    """
    if not raw:
        return Usage()
    input_tokens = _count(raw, "input_tokens")
    output_tokens = _count(raw, "output_tokens")
    cache_read = _count(raw, "cache_read_input_tokens")
    cache_write = _count(raw, "cache_creation_input_tokens")
    total_input: int | None = None
    if input_tokens is not None:
        total_input = input_tokens + (cache_read or 0) + (cache_write or 0)
    total: int | None = None
    if total_input is not None and output_tokens is not None:
        total = total_input + output_tokens
    return Usage(
        input_tokens=total_input,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=None,
        total_tokens=total,
        raw=dict(raw),
    )
