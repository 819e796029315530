"""Usage.cost and llmkit.catalog: checked against genai-prices' own calculator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from expected import expected_usage
from fixture_util import manifest, provider_for

from llmkit import Usage
from llmkit._models_dev import MODELS_DEV_IDS
from llmkit.catalog import (
    PROVIDER_IDS,
    cost_of,
    known_models,
    model_info,
    register_prices,
    unregister_prices,
    with_cost,
)

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
    ("model", "name", "context", "max_output"),
    [
        ("openai:gpt-4o-mini", "gpt 4o mini", 128_000, 16_384),
        ("anthropic:claude-sonnet-4-5", "Claude Sonnet 4.5", 200_000, 64_000),
        ("google:gemini-2.5-flash", None, None, None),
        ("deepseek:deepseek-chat", None, None, None),
    ],
)
def test_model_info_of_builtin_models(
    model: str, name: str | None, context: int | None, max_output: int | None
) -> None:
    import models_dev

    card = model_info(model)
    provider_id, model_id = model.split(":", 1)
    assert (card.provider_id, card.model_id) == (provider_id, model_id)
    _, source_model = genai_prices.data_snapshot.get_snapshot().find_provider_model(
        model_id, None, PROVIDER_IDS[provider_id], None
    )
    # prices and name from genai-prices
    assert card.name == source_model.name
    assert card.input_price is not None and card.output_price is not None
    assert card.prices_as_of is not None
    assert card.source == f"genai-prices {genai_prices.__version__}"
    # limits, modalities and capabilities from models.dev, field by field
    listed = models_dev.get_model_by_id(MODELS_DEV_IDS[provider_id], model_id)
    assert card.context_window == listed.limit.context
    assert card.max_output_tokens == listed.limit.output
    assert card.input_modalities == tuple(listed.modalities.input)
    assert card.output_modalities == tuple(listed.modalities.output)
    assert card.supports_tools is listed.tool_call
    assert card.supports_reasoning is listed.reasoning
    assert card.supports_structured_output is listed.structured_output
    assert card.details_source == f"models-dev {models_dev_version()}"
    if name is not None:
        assert (card.name, card.context_window, card.max_output_tokens) == (
            name,
            context,
            max_output,
        )


def test_models_genai_prices_does_not_know_are_priced_from_models_dev() -> None:
    import models_dev

    for provider_id, source_id in MODELS_DEV_IDS.items():
        for model_id, listed in models_dev.get_provider(source_id).models.items():
            if listed.cost is None or listed.cost.input is None or listed.cost.output is None:
                continue
            if genai_prices_knows(provider_id, model_id):
                continue
            card = model_info(f"{provider_id}:{model_id}")
            assert card.source == f"models-dev {models_dev_version()}"
            assert card.input_price == Decimal(str(listed.cost.input))
            usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
            expected = Decimal(str(listed.cost.input)) + Decimal(str(listed.cost.output))
            assert cost_of(provider_id, model_id, usage) == expected
            return  # one is enough to show the path; the mapping test covers the ids
    pytest.fail("every models.dev model is known to genai-prices: pick another check")


def test_every_mapped_models_dev_provider_exists() -> None:
    import models_dev

    known = {p.id for p in models_dev.providers()}
    assert set(MODELS_DEV_IDS.values()) <= known


def genai_prices_knows(provider_id: str, model_id: str) -> bool:
    source_id = PROVIDER_IDS.get(provider_id)
    if source_id is None:
        return False
    try:
        genai_prices.data_snapshot.get_snapshot().find_provider_model(
            model_id, None, source_id, None
        )
    except LookupError:
        return False
    return True


def models_dev_version() -> str:
    from importlib.metadata import version

    return version("models-dev")


def test_model_info_of_an_unknown_model_has_only_ids() -> None:
    card = model_info("ollama:llama3.2")
    assert card.name is None and card.input_price is None and card.prices_as_of is None
    with pytest.raises(ValueError, match="provider:model"):
        model_info("gpt-4o-mini")
