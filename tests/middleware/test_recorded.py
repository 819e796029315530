"""A real recorded DeepSeek-R1-distill stream with ``<think>`` in its text (Groq,
``reasoning_format: "raw"``; see fixtures/NOTICE.md) turned into reasoning events end to end:
served by a loopback ReplayServer in several network chunkings, read by ``stream_text`` with a
model wrapped in ``extract_reasoning()``; the non-streamed recording through ``generate_text``."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import llmkit
from llmkit import generate_text, stream_text
from llmkit.middleware import extract_reasoning, wrap_model
from llmkit.testing import ReplayResponse, ReplayServer, random_chunks
from llmkit.testing.replay import Chunking
from llmkit.types.events import StreamEvent

from ._events import check_contract, extract, fold

FIXTURES = Path(__file__).parent / "fixtures"
STREAM = FIXTURES / "groq-deepseek-r1-distill-llama-70b-raw.sse"
BODY = FIXTURES / "groq-deepseek-r1-distill-llama-70b-raw.json"
MODEL = "groq:deepseek-r1-distill-llama-70b"
Registry = Callable[[ReplayServer], llmkit.ProviderRegistry]


def recorded_deltas() -> list[str]:
    """The content deltas of the recorded stream, read with json (not through llmkit)."""
    deltas = []
    for line in STREAM.read_text(encoding="utf-8").splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line.removeprefix("data: "))["choices"]:
                if choice["delta"].get("content"):
                    deltas.append(choice["delta"]["content"])
    return deltas


def split_think(content: str) -> tuple[str, str]:
    """Reasoning and answer of ``<think>reasoning</think>answer``, each without the
    whitespace next to the tags."""
    assert content.startswith("<think>") and content.count("</think>") == 1
    reasoning, _, answer = content.removeprefix("<think>").partition("</think>")
    return reasoning.strip(), answer.lstrip()


CONTENT = "".join(recorded_deltas())
REASONING, TEXT = split_think(CONTENT)


def test_the_recording_is_what_the_test_expects() -> None:
    """Anchors: the recorded reasoning and answer, as a reader sees them."""
    assert REASONING.startswith("Okay, so I want to make Uruguayan alfajores. I've heard")
    assert REASONING.endswith(
        "I'll follow the steps, and if something doesn't turn out right, I can adjust next time."
    )
    assert TEXT.startswith("To make Uruguayan alfajores, follow these organized steps")
    assert TEXT.endswith("Enjoy your homemade Uruguayan alfajores!")
    assert (len(REASONING), len(TEXT)) == (1975, 2051)


@pytest.fixture
def groq_at() -> Callable[[ReplayServer], llmkit.ProviderRegistry]:
    """A function: the built-in Groq provider (its quirks) pointed at a server."""

    def registry(server: ReplayServer) -> llmkit.ProviderRegistry:
        groq = llmkit.registry.get("groq").model_copy(
            update={"base_url": f"{server.url}/v1", "api_key_required": False, "auth": "none"}
        )
        return llmkit.ProviderRegistry([groq])

    return registry


CHUNKINGS: list[Chunking] = [None, 7, 61, random_chunks(seed=1, max_size=300), random_chunks(2, 5)]


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=["whole", "7", "61", "random-300", "random-5"])
async def test_recorded_stream_through_stream_text(groq_at: Registry, chunking: Chunking) -> None:
    with ReplayServer([ReplayResponse.from_file(STREAM, chunking=chunking)]) as server:
        registry = groq_at(server)
        result = stream_text(
            model=wrap_model(MODEL, extract_reasoning()), prompt="alfajores?", registry=registry
        )
        events: list[StreamEvent] = [event async for event in result]
        assert await result.reasoning_text == REASONING
        assert await result.text == TEXT
        usage = await result.usage
        assert (usage.input_tokens, usage.output_tokens) == (21, 988)
        assert await result.finish_reason == "stop"
    check_contract([e for e in events if e.type != "step_finish"])
    folded = fold(events)
    assert folded.kinds == ["reasoning", "text"]
    assert (folded.reasoning, folded.text) == (REASONING, TEXT)
    assert "<think>" not in folded.text and "</think>" not in folded.reasoning


async def test_without_the_middleware_the_tags_are_text(groq_at: Registry) -> None:
    with ReplayServer([ReplayResponse.from_file(STREAM, chunking=61)]) as server:
        result = stream_text(model=MODEL, prompt="alfajores?", registry=groq_at(server))
        assert await result.text == CONTENT
        assert await result.reasoning_text is None


async def test_start_with_reasoning_on_a_stream_that_sends_the_tag(groq_at: Registry) -> None:
    """The opening tag is consumed when it comes anyway (same answer as without the flag)."""
    with ReplayServer([ReplayResponse.from_file(STREAM, chunking=61)]) as server:
        model = wrap_model(MODEL, extract_reasoning(start_with_reasoning=True))
        result = stream_text(model=model, prompt="alfajores?", registry=groq_at(server))
        assert (await result.reasoning_text, await result.text) == (REASONING, TEXT)


async def test_recorded_body_through_generate_text(groq_at: Registry) -> None:
    body = json.loads(BODY.read_bytes())
    reasoning, answer = split_think(body["choices"][0]["message"]["content"])
    assert reasoning.startswith("Okay, so I want to make Uruguayan alfajores.")
    assert answer.startswith("To make Uruguayan alfajores, follow these organized steps")
    with ReplayServer([ReplayResponse.from_file(BODY)]) as server:
        result = await generate_text(
            model=wrap_model(MODEL, extract_reasoning()),
            prompt="alfajores?",
            registry=groq_at(server),
        )
        assert server.requests[0].json().get("stream") is not True  # type: ignore[attr-defined]
    assert result.reasoning_text == reasoning
    assert result.text == answer
    assert (result.usage.input_tokens, result.usage.output_tokens) == (21, 1414)


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.integers(0, len(CONTENT)), max_size=40))
def test_the_recorded_text_recut_into_any_deltas(points: list[int]) -> None:
    """Tags split anywhere across deltas (the recording has each tag in one delta)."""
    bounds = sorted({0, len(CONTENT), *points})
    pieces = [CONTENT[a:b] for a, b in itertools.pairwise(bounds)]
    folded = fold(extract(pieces))
    assert (folded.reasoning, folded.text, folded.kinds) == (REASONING, TEXT, ["reasoning", "text"])


def test_the_gateway_serves_the_recorded_stream_with_reasoning_extracted(
    tmp_path: Path,
) -> None:
    """``create_app(middleware=[extract_reasoning()])``: the official OpenAI SDK reads the
    recorded ``<think>`` stream from the gateway as ``reasoning_content`` deltas (the DeepSeek
    convention the gateway serves) and the answer as ``content``."""
    import openai

    from llmkit.server import BackgroundServer, GatewayConfig, create_app

    with ReplayServer([ReplayResponse.from_file(STREAM, chunking=64)]) as upstream:
        registry = llmkit.ProviderRegistry([upstream.provider("groq", "openai-chat")])
        app = create_app(
            GatewayConfig(keys_file=tmp_path / "none.json"),
            registry=registry,
            middleware=[extract_reasoning()],
        )
        with BackgroundServer(app) as server:
            client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="any", max_retries=0)
            reasoning, text = [], []
            for chunk in client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "Alfajores?"}], stream=True
            ):
                for choice in chunk.choices:
                    extra = choice.delta.model_extra or {}
                    reasoning.append(extra.get("reasoning_content") or "")
                    text.append(choice.delta.content or "")
    assert ("".join(reasoning), "".join(text)) == (REASONING, TEXT)
