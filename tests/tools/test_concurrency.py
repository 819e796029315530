"""Parallel tool calls from recorded provider streams run concurrently: each tool sleeps 0.3 s,
so two of them finish in well under 0.6 s only if they overlap."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import fixture_util
import pytest

from llmkit import FunctionTool, stream_text, tool
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import ReplayResponse, ReplayServer

SLEEP = 0.3


def _timed_tools(log: list[tuple[str, float, float]]) -> dict[str, FunctionTool[Any, Any]]:
    async def nap(name: str) -> str:
        start = time.perf_counter()
        await asyncio.sleep(SLEEP)
        log.append((name, start, time.perf_counter()))
        return name

    def blocking_nap(name: str) -> str:  # a sync tool: runs in a worker thread
        start = time.perf_counter()
        time.sleep(SLEEP)
        log.append((name, start, time.perf_counter()))
        return name

    @tool
    async def plus(a: int, b: int) -> str:
        return await nap("plus")

    @tool
    def minus(a: int, b: int) -> str:
        return blocking_nap("minus")

    @tool
    async def get_weather(location: str, unit: str | None = None) -> str:
        return await nap("get_weather")

    @tool
    def get_time(timezone: str) -> str:
        return blocking_nap("get_time")

    @tool
    async def get_current_weather(location: str) -> str:
        return await nap(location)

    @tool
    def pelican_name_generator() -> str:
        return blocking_nap("pelican")

    @tool
    async def secret_retrieval_tool(password: str) -> str:
        return await nap(password)

    tools: list[FunctionTool[Any, Any]] = [plus, minus, get_weather, get_time, get_current_weather]
    tools += [pelican_name_generator, secret_retrieval_tool]
    return {t.name: t for t in tools}


FIXTURES = [
    "sse/openai-openai-chat-gpt4o-parallel-tool-calls.sse",
    "sse/openai-openai-chat-gpt35-parallel-tool-calls-no-usage.sse",
    "sse/mistral-openai-chat-parallel-tool-calls-one-chunk.sse",
    "sse/anthropic-anthropic-messages-sonnet35-text-parallel-tool-use.sse",
    "sse/anthropic-anthropic-messages-haiku45-parallel-tool-use.sse",
    "sse/anthropic-anthropic-messages-sonnet4-parallel-tool-use.sse",
    "sse/anthropic-anthropic-messages-opus3-parallel-tool-use.sse",
]


@pytest.mark.parametrize("file", FIXTURES)
async def test_recorded_parallel_calls_run_concurrently(file: str) -> None:
    entry = next(e for e in fixture_util.manifest() if e["file"] == file)
    expected_calls = entry["expected"]["tool_calls"]
    assert len(expected_calls) == 2
    log: list[tuple[str, float, float]] = []
    tools = _timed_tools(log)
    with ReplayServer([ReplayResponse.from_file(fixture_util.FIXTURES / file, chunking=64)]) as srv:
        registry = ProviderRegistry([srv.provider("recorded", entry["protocol"])])
        result = stream_text(
            model="recorded:m", prompt="go", tools=list(tools.values()), registry=registry
        )
        events = [e async for e in result]
    results = [e for e in events if e.type == "tool_result"]
    assert sorted(r.tool_call_id for r in results) == sorted(c["id"] for c in expected_calls)
    assert not any(r.is_error for r in results), results
    assert len(log) == 2
    (_, start_a, end_a), (_, start_b, end_b) = log
    assert start_a < end_b and start_b < end_a, "the two tools did not overlap"
    span = max(end_a, end_b) - min(start_a, start_b)
    assert span < 0.5, f"two {SLEEP} s tools took {span:.2f} s from first start to last end"
    # results come back in the order of the calls in the tool message
    step = (await result.steps)[0]
    assert [r.tool_call_id for r in step.tool_results] == [c["id"] for c in expected_calls]
