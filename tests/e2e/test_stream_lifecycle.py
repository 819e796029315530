"""StreamTextResult lifecycle over real sockets: awaiting fields, text_stream, single iteration,
and cancellation (break, aclose, async with, task cancel) closing the HTTP response at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from llmkit import stream_text
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.mock import MockTurn, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer

TEXT = "The quick brown fox jumps over the lazy dog. " * 40  # 1,800 characters


@pytest.fixture
def slow_server() -> Iterator[ReplayServer]:
    """A stream of ~450 small deltas, written 300 bytes at a time every 20 ms (~10 s in all)."""
    body = openai_chat_sse(MockTurn(text=TEXT, piece=4))
    with ReplayServer([ReplayResponse(body, chunking=300, delay=0.02)]) as server:
        yield server


@pytest.fixture
def fast_server() -> Iterator[ReplayServer]:
    body = openai_chat_sse(MockTurn(text=TEXT, reasoning="think first", piece=7))
    with ReplayServer([ReplayResponse(body, chunking=64)]) as server:
        yield server


def _registry(server: ReplayServer) -> ProviderRegistry:
    return ProviderRegistry([server.provider("local", "openai-chat")])


async def _wait_for_disconnect(server: ReplayServer, seconds: float = 30.0) -> float:
    start = time.monotonic()
    while server.disconnects == 0:
        if time.monotonic() - start > seconds:
            raise AssertionError("the server never saw the client close the connection")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_awaiting_fields_consumes_the_stream(fast_server: ReplayServer) -> None:
    result = stream_text(model="local:m", prompt="hi", registry=_registry(fast_server))
    assert await result.text == TEXT
    assert await result.reasoning_text == "think first"
    assert await result.finish_reason == "stop"
    usage = await result.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (10, 20, 30)
    assert (await result.response) is not None
    assert len(fast_server.requests) == 1


async def test_nothing_is_sent_until_iterated(fast_server: ReplayServer) -> None:
    result = stream_text(model="local:m", prompt="hi", registry=_registry(fast_server))
    await asyncio.sleep(0.05)
    assert fast_server.requests == []
    await result.aclose()
    assert fast_server.requests == []


async def test_text_stream_yields_only_text(fast_server: ReplayServer) -> None:
    result = stream_text(model="local:m", prompt="hi", registry=_registry(fast_server))
    pieces = [piece async for piece in result.text_stream]
    assert "".join(pieces) == TEXT
    assert all(isinstance(p, str) and p for p in pieces)


async def test_a_result_iterates_once(fast_server: ReplayServer) -> None:
    result = stream_text(model="local:m", prompt="hi", registry=_registry(fast_server))
    async for _ in result:
        pass
    with pytest.raises(RuntimeError, match="only once"):
        async for _ in result:
            pass
    assert await result.text == TEXT  # accumulated fields stay available


async def test_partial_iteration_then_await_continues(fast_server: ReplayServer) -> None:
    result = stream_text(model="local:m", prompt="hi", registry=_registry(fast_server))
    iterator = aiter(result)
    first = [await anext(iterator) for _ in range(5)]
    assert first[0].type == "stream_start"
    assert await result.text == TEXT


async def test_break_closes_the_response_at_once(slow_server: ReplayServer) -> None:
    result = stream_text(model="local:m", prompt="hi", registry=_registry(slow_server))
    seen = []
    async for event in result:
        if event.type == "text_delta":
            seen.append(event.delta)
            break
    assert result.abort is not None  # closed when the loop was left, before any await
    await _wait_for_disconnect(slow_server)
    assert seen == ["The "]
    assert await result.text == "The "  # what arrived before the abort


async def test_aclose_closes_the_response(slow_server: ReplayServer) -> None:
    result = stream_text(model="local:m", prompt="hi", registry=_registry(slow_server))
    iterator = aiter(result)
    while (await anext(iterator)).type != "text_delta":
        pass
    await result.aclose()
    await _wait_for_disconnect(slow_server)
    await result.aclose()  # idempotent


async def test_async_with_closes_the_response(slow_server: ReplayServer) -> None:
    async with stream_text(model="local:m", prompt="hi", registry=_registry(slow_server)) as result:
        async for event in result:
            if event.type == "text_delta":
                break
    await _wait_for_disconnect(slow_server)


async def test_task_cancellation_closes_the_response(slow_server: ReplayServer) -> None:
    started = asyncio.Event()

    async def consume() -> None:
        async for event in stream_text(
            model="local:m", prompt="hi", registry=_registry(slow_server)
        ):
            if event.type == "text_delta":
                started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _wait_for_disconnect(slow_server)


async def test_many_concurrent_streams_share_one_client(fast_server: ReplayServer) -> None:
    registry = _registry(fast_server)
    results = await asyncio.gather(
        *(stream_text(model="local:m", prompt="hi", registry=registry).text for _ in range(50))
    )
    assert results == [TEXT] * 50
