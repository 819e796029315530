"""Token usage, unified across protocols."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Usage"]


def _add(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts for one call (or, summed with ``+``, for several).

    Every count is in tokens; ``None`` means the provider did not report it (never silently 0).

    Attributes:
        input_tokens: all input tokens, cache reads and cache writes included.
        output_tokens: all output tokens, reasoning tokens included.
        cache_read_tokens: input tokens served from the provider's prompt cache.
        cache_write_tokens: input tokens written to the provider's prompt cache.
        reasoning_tokens: output tokens spent on hidden or visible reasoning.
        total_tokens: input plus output, as reported (or computed when both are known).
        raw: the provider's own usage object, unchanged.

    How each protocol maps its fields is documented on the protocol's ``convert_usage`` module.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None
    raw: Mapping[str, object] | None = None

    def __add__(self, other: Usage) -> Usage:
        """Sum two usages field by field (None + n = n; None + None = None); ``raw`` is dropped."""
        return Usage(
            input_tokens=_add(self.input_tokens, other.input_tokens),
            output_tokens=_add(self.output_tokens, other.output_tokens),
            cache_read_tokens=_add(self.cache_read_tokens, other.cache_read_tokens),
            cache_write_tokens=_add(self.cache_write_tokens, other.cache_write_tokens),
            reasoning_tokens=_add(self.reasoning_tokens, other.reasoning_tokens),
            total_tokens=_add(self.total_tokens, other.total_tokens),
        )
