"""``on_finish`` runs exactly once: on completion, and also when the stream is aborted (break,
``aclose()``, task cancellation), with the partial text; never twice."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from llmkit import stream_text
from llmkit._steps import FinishInfo
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.mock import MockTurn, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer

TEXT = "one two three four five six seven eight nine ten " * 20


@pytest.fixture
def slow_registry() -> Iterator[ProviderRegistry]:
    body = openai_chat_sse(MockTurn(text=TEXT, piece=5))
    with ReplayServer([ReplayResponse(body, chunking=200, delay=0.02)]) as server:
        yield ProviderRegistry([server.provider("slow", "openai-chat")])


async def _settle() -> None:
    gc.collect()
    for _ in range(5):
        await asyncio.sleep(0.01)


async def test_break_runs_on_finish_once_with_the_partial_text(
    slow_registry: ProviderRegistry,
) -> None:
    finished: list[FinishInfo] = []
    result = stream_text(
        model="slow:m", prompt="count", registry=slow_registry, on_finish=finished.append
    )
    seen = ""
    async for event in result:
        if event.type == "text_delta":
            seen += event.delta
            if len(seen) >= 20:
                break
    await _settle()
    assert len(finished) == 1
    info = finished[0]
    assert info.aborted is True
    assert info.finish_reason == "other"
    assert info.text == seen  # exactly what arrived before the abort
    assert info.steps == ()
    assert result.abort is not None
    assert result.abort.text == seen


async def test_task_cancel_runs_on_finish_once(slow_registry: ProviderRegistry) -> None:
    finished: list[FinishInfo] = []
    started = asyncio.Event()

    async def consume() -> None:
        result = stream_text(
            model="slow:m", prompt="count", registry=slow_registry, on_finish=finished.append
        )
        async for event in result:
            if event.type == "text_delta":
                started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _settle()
    assert [info.aborted for info in finished] == [True]
    assert TEXT.startswith(finished[0].text)
    assert finished[0].text


async def test_completion_runs_on_finish_once_even_if_closed_after(
    slow_registry: ProviderRegistry,
) -> None:
    finished: list[FinishInfo] = []
    async with stream_text(
        model="slow:m", prompt="count", registry=slow_registry, on_finish=finished.append
    ) as result:
        async for event in result:
            if event.type == "finish":
                break  # the finish event was already delivered: this is not an abort
    await _settle()
    assert len(finished) == 1
    assert finished[0].aborted is False
    assert finished[0].text == TEXT
    assert finished[0].finish_reason == "stop"
