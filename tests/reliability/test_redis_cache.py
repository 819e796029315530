"""The response cache on a real Redis: shared between cache objects (as between processes), for
``generate_text`` and replayed ``stream_text`` streams; events survive the JSON round trip; while
Redis is down lookups miss and stores are skipped, with one warning per outage."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import pytest

from llmkit import ProviderConfig, ProviderRegistry, generate_text, stream_text
from llmkit.reliability import ResponseCache, redis_store
from llmkit.reliability.redis_cache import decode_events, encode_events
from llmkit.types.events import (
    FinishEvent,
    ReasoningEndEvent,
    ResponseMetadataEvent,
    SourceEvent,
    StreamEvent,
    StreamStartEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning
from reliability.redis_helpers import CountingProvider, RedisServer


def _registry(url: str) -> ProviderRegistry:
    config = ProviderConfig(
        id="loop",
        protocol="openai-chat",
        base_url=f"{url}/v1",
        auth="none",
        api_key_required=False,
    )
    return ProviderRegistry([config])


def test_events_survive_the_json_round_trip() -> None:
    events: list[StreamEvent] = [
        StreamStartEvent((CallWarning("unsupported_setting", "seed", "dropped"),), "p:m", 2),
        ResponseMetadataEvent("r1", "m-2025", datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        TextStartEvent("t0"),
        TextDeltaEvent("t0", "héllo"),
        TextEndEvent("t0", {"anthropic": {"citations": [{"n": 1}]}}),
        ReasoningEndEvent("r0", signature="sig"),
        ToolCallEvent("c1", "add", {"a": 1, "b": [2, 3]}, '{"a":1,"b":[2,3]}'),
        ToolResultEvent("c1", "web", {"hits": ["x"]}, provider_executed=True),
        SourceEvent("s1", "url", url="https://example.com", title="Ex"),
        FinishEvent("stop", "end_turn", Usage(3, 4, total_tokens=7, raw={"in": 3})),
    ]
    data = encode_events(events)
    assert data is not None
    assert decode_events(data) == tuple(events)
    assert encode_events([ToolResultEvent("c", "t", object())]) is None  # not stored
    assert decode_events(b'[{"type": "no_such_event"}]') is None  # read as a miss
    assert decode_events(b"not json") is None


async def test_processes_share_entries(redis_server: RedisServer) -> None:
    with CountingProvider() as provider:
        registry = _registry(provider.url)
        one = ResponseCache(ttl=60, storage=redis_server.url)
        two = ResponseCache(ttl=60, storage=redis_server.url)  # another process, as Redis sees it
        first = await generate_text(model="loop:m", prompt="q", registry=registry, cache=one)
        again = await generate_text(model="loop:m", prompt="q", registry=registry, cache=two)
        assert first.text == again.text == "ok"
        assert len(provider.arrivals) == 1 and (two.hits, two.misses) == (1, 0)
        streamed = [
            e async for e in stream_text(model="loop:m", prompt="s", registry=registry, cache=one)
        ]
        assert len(provider.arrivals) == 2  # a streamed request has its own key
        replayed = [
            e async for e in stream_text(model="loop:m", prompt="s", registry=registry, cache=two)
        ]
        assert replayed == streamed and len(provider.arrivals) == 2
    assert len(one) == 2
    assert await two.aget("absent") is None
    one.clear()
    assert len(two) == 0


def test_sync_get_and_put(redis_server: RedisServer) -> None:
    cache = ResponseCache(ttl=60, storage=redis_server.url, key_prefix="sync")
    events = (StreamStartEvent(), TextStartEvent("t"), TextDeltaEvent("t", "x"))
    assert cache.get("k") is None
    cache.put("k", events)
    assert cache.get("k") == events and len(cache) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    assert "hunter2" not in repr(ResponseCache(storage="redis://:hunter2@127.0.0.1:1/0"))


async def test_redis_down_misses_and_skips_then_recovers(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(redis_store, "RETRY_INTERVAL", 0.1)
    caplog.set_level(logging.WARNING, "llmkit.reliability")
    cache = ResponseCache(ttl=60, storage=redis_server.url)
    with CountingProvider() as provider:
        registry = _registry(provider.url)

        async def ask() -> None:
            result = await generate_text(model="loop:m", prompt="q", registry=registry, cache=cache)
            assert result.text == "ok"

        await ask()
        redis_server.kill()
        await ask()  # a miss: answered by the provider, not stored
        await ask()
        assert len(provider.arrivals) == 3 and cache.hits == 0
        down = [r for r in caplog.records if "unreachable" in r.message]
        assert len(down) == 1 and "cache" in down[0].message
        redis_server.start()  # empty
        await asyncio.sleep(0.15)
        await ask()  # a miss again (the entry went with the old server), stored this time
        await ask()
        assert len(provider.arrivals) == 4 and cache.hits == 1
    assert sum("answers again" in r.message for r in caplog.records) == 1
