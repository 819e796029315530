"""Embedding results carry their cost in USD (genai-prices' own calculator as the reference),
and None for a model with no known price."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit import embed_many
from llmkit.catalog import PROVIDER_IDS
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import ReplayResponse, ReplayServer

genai_prices = pytest.importorskip("genai_prices")  # not installable on Python 3.10

BODY = (
    Path(__file__).resolve().parents[1]
    / "fixtures/json/embeddings/openai-openai-embeddings-3small-float-dims768-batch3.json"
)


async def test_a_priced_embedding_model_has_its_cost() -> None:
    with ReplayServer([ReplayResponse.from_file(BODY)]) as server:
        registry = ProviderRegistry([server.provider("openai", "openai-chat")])
        result = await embed_many(
            model="openai:text-embedding-3-small", values=["a", "b", "c"], registry=registry
        )
    usage = result.usage
    assert usage.input_tokens and usage.output_tokens == 0
    counts = genai_prices.Usage(input_tokens=usage.input_tokens, output_tokens=0)
    reference = genai_prices.calc_price(
        counts, "text-embedding-3-small", provider_id=PROVIDER_IDS["openai"]
    )
    assert usage.cost is not None
    assert usage.cost == reference.total_price


async def test_an_unpriced_model_has_no_cost() -> None:
    with ReplayServer([ReplayResponse.from_file(BODY)]) as server:
        registry = ProviderRegistry([server.provider("local", "openai-chat")])
        result = await embed_many(
            model="local:my-embedder", values=["a", "b", "c"], registry=registry
        )
    assert result.usage.input_tokens
    assert result.usage.cost is None
