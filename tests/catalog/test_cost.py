"""Usage.cost and llmkit.catalog: checked against genai-prices' own calculator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from llmkit import Usage
from llmkit.catalog import (
    PROVIDER_IDS,
    cost_of,
    known_models,
    model_info,
    register_prices,
    unregister_prices,
    with_cost,
)
from tests.expected import expected_usage
from tests.fixture_util import manifest, provider_for

genai_prices = pytest.importorskip("genai_prices")  # not installable on Python 3.10


def _reference(provider_id: str, model_id: str, usage: dict[str, Any]) -> Decimal | None:
    """genai-prices' own calc_price for the same counts, or None when it has no price."""
    counts = genai_prices.Usage(
        input_tokens=usage["input_tokens"],
        output_tokens=usage["output_tokens"],
        cache_read_tokens=usage["cache_read_tokens"],
        cache_write_tokens=usage["cache_write_tokens"],
    )
    try:
        price = genai_prices.calc_price(counts, model_id, provider_id=PROVIDER_IDS[provider_id])
    except LookupError:
        return None
    total: Decimal = price.total_price
    return total


def _recorded() -> list[tuple[str, str, dict[str, Any]]]:
    """(llmkit provider id, model, unified usage) of every recorded 200 answer with counts."""
    found = []
    for entry in manifest():
        if entry["http_status"] != 200 or not entry.get("model"):
            continue
        if not entry.get("expected", {}).get("usage"):
            continue
        usage = expected_usage(entry)
        if usage["input_tokens"] is None or usage["output_tokens"] is None:
            continue
        found.append((provider_for(entry).id, str(entry["model"]), usage))
    return found


RECORDED = _recorded()


def test_recorded_usages_cost_what_genai_prices_says() -> None:
    priced = 0
    for provider_id, model_id, usage in RECORDED:
        cost = cost_of(provider_id, model_id, Usage(**usage))
        if provider_id not in PROVIDER_IDS:
            assert cost is None, (provider_id, model_id)
            continue
        expected = _reference(provider_id, model_id, usage)
        assert cost == expected, (provider_id, model_id, usage)
        priced += expected is not None
    assert priced >= 20  # most recordings are of models the data source prices


def test_cache_reads_are_charged_at_the_cache_price() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_read_tokens=400_000)
    card = model_info("openai:gpt-4o-mini")
    assert card.input_price is not None and card.output_price is not None
    assert card.cache_read_price is not None
    expected = 600_000 * card.input_price / 10**6 + card.cache_read_price * 400_000 / 10**6
    assert cost_of("openai", "gpt-4o-mini", usage) == expected + card.output_price


def test_unpriced_models_and_incomplete_usages_cost_none() -> None:
    usage = Usage(input_tokens=10, output_tokens=20)
    assert cost_of("ollama", "llama3.2", usage) is None  # a local server
    assert cost_of("my-proxy", "gpt-4o-mini", usage) is None  # a custom provider
    assert cost_of("openai", "no-such-model-xyz", usage) is None
    assert cost_of("openai", "gpt-4o-mini", Usage(input_tokens=10)) is None
    assert with_cost(usage, None) is usage
    assert with_cost(usage, "ollama:llama3.2").cost is None


def test_registered_prices_price_a_custom_model() -> None:
    register_prices("my-vllm:llama-3-8b", input="0.1", output=0.2, cache_read=Decimal("0.01"))
    try:
        usage = Usage(input_tokens=1500, output_tokens=500, cache_read_tokens=500)
        expected = (1000 * Decimal("0.1") + 500 * Decimal("0.01") + 500 * Decimal("0.2")) / 10**6
        assert cost_of("my-vllm", "llama-3-8b", usage) == expected
        card = model_info("my-vllm:llama-3-8b")
        assert (card.input_price, card.output_price) == (Decimal("0.1"), Decimal("0.2"))
        assert card.source == "registered"
        assert [c.model_id for c in known_models("my-vllm")] == ["llama-3-8b"]
    finally:
        unregister_prices("my-vllm:llama-3-8b")
    assert cost_of("my-vllm", "llama-3-8b", Usage(input_tokens=1, output_tokens=1)) is None
    with pytest.raises(ValueError, match="provider:model"):
        register_prices("no-provider", input=1, output=1)
    with pytest.raises(ValueError, match="finite price"):
        register_prices("p:m", input=-1, output=1)


def test_usage_sums_keep_cost_only_when_every_part_is_priced() -> None:
    a = Usage(input_tokens=1, output_tokens=1, cost=Decimal("0.5"))
    b = Usage(input_tokens=1, output_tokens=1, cost=Decimal("0.25"))
    unpriced = Usage(input_tokens=1, output_tokens=1)
    assert (a + b).cost == Decimal("0.75")
    assert (Usage() + a).cost == Decimal("0.5")
    assert (a + unpriced).cost is None
    assert a == Usage(input_tokens=1, output_tokens=1)  # cost follows the counts: not compared


@pytest.mark.parametrize(
    ("model", "name", "context"),
    [
        ("openai:gpt-4o-mini", "gpt 4o mini", 128_000),
        ("anthropic:claude-sonnet-4-5", "Claude Sonnet 4.5", 200_000),
        ("google:gemini-2.5-flash", None, None),
        ("deepseek:deepseek-chat", None, None),
    ],
)
def test_model_info_of_builtin_models(model: str, name: str | None, context: int | None) -> None:
    card = model_info(model)
    provider_id, model_id = model.split(":", 1)
    assert (card.provider_id, card.model_id) == (provider_id, model_id)
    _, source_model = genai_prices.data_snapshot.get_snapshot().find_provider_model(
        model_id, None, PROVIDER_IDS[provider_id], None
    )
    assert card.name == source_model.name and card.context_window == source_model.context_window
    if name is not None:
        assert (card.name, card.context_window) == (name, context)
    assert card.input_price is not None and card.output_price is not None
    assert card.prices_as_of is not None
    assert card.source == f"genai-prices {genai_prices.__version__}"
    # genai-prices does not state these: None, never a guess
    assert card.max_output_tokens is None and card.supports_tools is None


def test_model_info_of_an_unknown_model_has_only_ids() -> None:
    card = model_info("ollama:llama3.2")
    assert card.name is None and card.input_price is None and card.prices_as_of is None
    with pytest.raises(ValueError, match="provider:model"):
        model_info("gpt-4o-mini")
