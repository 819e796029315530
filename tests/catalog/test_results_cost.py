"""Text and object results carry usage.cost for a priced model (offline, MockModel)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from llmkit import generate_object, generate_text, stream_object, stream_text
from llmkit.catalog import register_prices, unregister_prices
from llmkit.cli.main import main
from llmkit.providers import ProviderRegistry
from llmkit.testing import MockModel
from llmkit.testing.mock import MockTurn

genai_prices = pytest.importorskip("genai_prices")

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def _expected(input_tokens: int, output_tokens: int) -> Decimal:
    usage = genai_prices.Usage(input_tokens=input_tokens, output_tokens=output_tokens)
    total: Decimal = genai_prices.calc_price(usage, "gpt-4o-mini", provider_id="openai").total_price
    return total


async def test_text_results_and_steps_carry_cost() -> None:
    registry = ProviderRegistry()
    turns: list[MockTurn | str] = [
        MockTurn(tool_calls=[("add", {"a": 1})], input_tokens=100, output_tokens=7),
        "3",
    ]
    with MockModel(turns, provider_id="openai", registry=registry):
        model = "openai:gpt-4o-mini"  # the mock answers as "openai", so gpt-4o-mini's prices

        def add(a: int) -> int:
            return a + 2

        result = await generate_text(
            model=model, prompt="1+2?", tools=[add], max_steps=3, registry=registry
        )
        step_costs = [_expected(100, 7), _expected(10, 20)]
        assert [s.usage.cost for s in result.steps] == step_costs
        assert result.usage.cost == sum(step_costs)

        stream = stream_text(model=model, prompt="hi", registry=registry)
        events = [e async for e in stream]
        assert (await stream.usage).cost == _expected(10, 20)
        finish = [e for e in events if e.type == "finish"][-1]
        assert finish.usage.cost == _expected(10, 20)
        steps = await stream.steps
        assert steps[0].usage.cost == _expected(10, 20)


async def test_object_results_carry_cost() -> None:
    registry = ProviderRegistry()
    with MockModel(['{"a": 1}'], provider_id="openai", registry=registry):
        model = "openai:gpt-4o-mini"
        result = await generate_object(model=model, schema=SCHEMA, prompt="?", registry=registry)
        assert result.object == {"a": 1}
        assert result.usage.cost == _expected(10, 20)
        streamed = stream_object(model=model, schema=SCHEMA, prompt="?", registry=registry)
        assert (await streamed.usage).cost == _expected(10, 20)


async def test_an_unpriced_model_gives_no_cost_and_registered_prices_give_one() -> None:
    registry = ProviderRegistry()
    with MockModel(["hi"], registry=registry) as mock:  # "mock:mock-model": no prices
        result = await generate_text(model=mock.model, prompt="hi", registry=registry)
        assert result.usage.cost is None and result.usage.input_tokens == 10
        register_prices(mock.model, input=1, output=2)
        try:
            result = await generate_text(model=mock.model, prompt="hi", registry=registry)
        finally:
            unregister_prices(mock.model)
        assert result.usage.cost == Decimal(10 * 1 + 20 * 2) / 10**6


def test_models_prices_lists_priced_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "openai", "--prices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "model", "input", "$/M", "output", "$/M", "context", "max", "out", "tools", "reasoning"
    ]  # fmt: skip
    row = next(line.split() for line in lines if line.split()[0] == "gpt-4o-mini")
    assert row[1:] == ["0.15", "0.6", "128000", "16384", "yes", "no"]
    assert lines[-1].startswith("prices as of ")


def test_models_prices_of_an_unpriced_provider_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "ollama", "--prices"]) == 1
    assert "no prices known" in capsys.readouterr().err
