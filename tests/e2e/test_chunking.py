"""Any split of any recorded stream into network chunks gives identical events.

Runs the whole async stack (stream_text → transport → httpx → httpx-sse → protocol) over an
in-memory httpx transport that delivers the recorded bytes in hypothesis-chosen chunks; the
loopback tests in test_recorded_streams.py cover real sockets with random chunkings.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import Any

import fixture_util
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmkit import stream_text
from llmkit.errors import StreamError
from llmkit.protocols.registry import BUILTIN
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.replay import split_chunks
from llmkit.types.events import StreamEvent

SSE = [entry for name in BUILTIN for entry in fixture_util.entries(name, "sse")]
"""Every recorded stream of every built-in protocol (the registry's table)."""


async def _events(entry: dict[str, Any], chunks: list[bytes]) -> tuple[list[StreamEvent], str]:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    provider = fixture_util.provider_for(entry).model_copy(
        update={"id": "mem", "base_url": "http://127.0.0.1:9/v1", "auth": "none"}
    )
    events: list[StreamEvent] = []
    error = ""
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = stream_text(
            model="mem:m",
            prompt="hi",
            registry=ProviderRegistry([provider]),
            http_client=client,
        )
        try:
            async for event in result:
                events.append(event)
        except StreamError as exc:
            error = f"{type(exc).__name__}: {exc}"
    return events, error


@functools.cache
def _reference(index: int) -> tuple[list[StreamEvent], str]:
    entry = SSE[index]
    return asyncio.run(_events(entry, [fixture_util.body(entry)]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_chunking_gives_identical_events(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(SSE) - 1), label="fixture")
    raw = fixture_util.body(SSE[index])
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=40), label="cut points")
    chunks = split_chunks(raw, cuts)
    assert b"".join(chunks) == raw
    assert asyncio.run(_events(SSE[index], chunks)) == _reference(index)


@settings(max_examples=30, deadline=None)
@given(index=st.integers(0, len(SSE) - 1))
def test_byte_at_a_time_gives_identical_events(index: int) -> None:
    raw = fixture_util.body(SSE[index])
    assert asyncio.run(_events(SSE[index], split_chunks(raw, 1))) == _reference(index)
