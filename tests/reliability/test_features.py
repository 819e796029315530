"""Reliability features over loopback: cancellation records an abort, fallbacks, total deadline,
rate limits (FIFO, 429 pause, headers), the response cache, the concurrency gate, URL safety and
redirects without credentials across origins, and retries of non-streamed calls."""

from __future__ import annotations

import asyncio
import time

import pytest

from llmkit import generate_text, stream_text
from llmkit.errors import ConfigurationError, OverloadedError, TotalTimeoutError
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.reliability import RateLimit, ResponseCache, Timeouts
from llmkit.reliability.ratelimit import Limiter, header_pause
from llmkit.testing.mock import MockTurn, openai_chat_json
from llmkit.testing.replay import ReplayResponse, ReplayServer
from reliability.faults import Fault, FaultServer
from reliability.helpers import TEXT, FakeSleep, openai_events, policy, registry_for

OK = Fault(pieces=openai_events())
DOWN = Fault(529, {}, "application/json", [b'{"error":{"message":"overloaded"}}'])


async def test_break_records_an_abort_with_the_partial_text() -> None:
    slow = Fault(pieces=openai_events(), delay=0.05)
    with FaultServer([slow]) as server:
        result = stream_text(model="flaky:m", prompt="hi", registry=registry_for(server.url))
        async for event in result:
            if event.type == "text_delta":
                break
        await result.aclose()
        assert await server.until_closed() == 0
    abort = result.abort
    assert abort is not None and abort.type == "abort"
    assert (abort.reason, abort.text) == ("closed", "Hello")
    assert abort.usage.input_tokens is None  # not reported before the end of the stream
    assert await result.text == "Hello"


async def test_task_cancellation_records_an_abort() -> None:
    slow = Fault(pieces=openai_events(), delay=0.2)
    with FaultServer([slow]) as server:
        result = stream_text(model="flaky:m", prompt="hi", registry=registry_for(server.url))
        seen = asyncio.Event()

        async def consume() -> None:
            async for event in result:
                if event.type == "text_delta":
                    seen.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(seen.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await server.until_closed() == 0
    assert result.abort is not None
    assert result.abort.reason == "cancelled"
    assert result.abort.text.startswith("Hello")


async def test_a_finished_stream_has_no_abort() -> None:
    with FaultServer([OK]) as server:
        result = stream_text(model="flaky:m", prompt="hi", registry=registry_for(server.url))
        assert await result.text == TEXT
    assert result.abort is None


async def test_fallback_model_answers_and_is_reported() -> None:
    sleep = FakeSleep()
    with FaultServer([DOWN]) as bad, FaultServer([OK]) as good:
        registry = ProviderRegistry(
            [
                registry_for(bad.url).get("flaky"),
                registry_for(good.url).get("flaky").model_copy(update={"id": "backup"}),
            ]
        )
        result = stream_text(
            model="flaky:big",
            prompt="hi",
            registry=registry,
            retry=policy(sleep, max_retries=1),
            fallback_models=["backup:small"],
        )
        events = [event async for event in result]
        assert (bad.hits, good.hits) == (2, 1)
    start = events[0]
    assert start.type == "stream_start"
    assert (start.model, start.attempts) == ("backup:small", 3)
    assert await result.text == TEXT
    assert len(sleep.calls) == 1


async def test_fallbacks_exhausted_raise_the_last_error() -> None:
    with FaultServer([DOWN]) as bad:
        registry = ProviderRegistry([registry_for(bad.url).get("flaky")])
        with pytest.raises(OverloadedError) as info:
            await generate_text(
                model="flaky:a",
                prompt="hi",
                registry=registry,
                retry=policy(FakeSleep(), max_retries=0),
                fallback_models=["flaky:b"],
            )
    assert info.value.attempts == 2 and info.value.model_id == "b"


async def test_total_deadline_spans_retries() -> None:
    stall = Fault(pieces=[b": hold on\n\n"], delay=0.05, trickle=b": x\n\n", trickle_mode="repeat")
    with FaultServer([stall]) as server:
        started = time.monotonic()
        with pytest.raises(TotalTimeoutError, match=r"total deadline of 0\.6 s") as info:
            await stream_text(
                model="flaky:m",
                prompt="hi",
                registry=registry_for(server.url),
                timeouts=Timeouts(first_event=0.25, total=0.6),
                retry=policy(FakeSleep(), max_retries=10),
            ).text
        assert time.monotonic() - started < 30.0  # it ended (no hang); a busy CPU only delays it
        assert info.value.limit == "total"
        assert 1 <= server.hits <= 3  # 0.6 s total over 0.25 s attempts: at most three start
        assert await server.until_closed() == 0


async def test_generate_text_retries_a_503() -> None:
    body = openai_chat_json(MockTurn(text="fine"))
    responses = [
        ReplayResponse.json({"error": {"message": "busy"}}, status=503),
        ReplayResponse(body, content_type="application/json"),
    ]
    sleep = FakeSleep()
    with ReplayServer(responses) as server:
        registry = ProviderRegistry([server.provider("local", "openai-chat")])
        result = await generate_text(
            model="local:m", prompt="hi", registry=registry, retry=policy(sleep)
        )
        assert len(server.requests) == 2
    assert result.text == "fine" and len(sleep.calls) == 1


async def test_response_cache_answers_repeats_and_replays_streams() -> None:
    cache = ResponseCache(maxsize=8, ttl=60)
    with FaultServer([OK]) as server:
        registry = registry_for(server.url)
        first = [
            e
            async for e in stream_text(model="flaky:m", prompt="hi", registry=registry, cache=cache)
        ]
        again = [
            e
            async for e in stream_text(model="flaky:m", prompt="hi", registry=registry, cache=cache)
        ]
        other = stream_text(model="flaky:m", prompt="other", registry=registry, cache=cache)
        assert await other.text == TEXT
        assert server.hits == 2  # the repeat came from the cache, the other prompt did not
    assert again == first and (cache.hits, cache.misses) == (1, 2)
    body = openai_chat_json(MockTurn(text="cached"))
    with ReplayServer([ReplayResponse(body, content_type="application/json")]) as replay:
        registry = ProviderRegistry([replay.provider("local", "openai-chat")])
        for _ in range(3):
            result = await generate_text(
                model="local:m", prompt="q", registry=registry, cache=cache
            )
            assert result.text == "cached"
        assert len(replay.requests) == 1


async def test_response_cache_ttl_expires() -> None:
    now = [0.0]
    cache = ResponseCache(maxsize=2, ttl=10, timer=lambda: now[0])
    cache.put("k", ())
    assert cache.get("k") == ()
    now[0] = 11.0
    assert cache.get("k") is None


async def test_rate_limiter_serves_in_arrival_order_and_pauses_after_429() -> None:
    limiter = Limiter(RateLimit(requests_per_minute=600, tokens_per_minute=6000))
    order: list[int] = []

    async def call(i: int, tokens: int) -> None:
        await limiter.acquire(tokens)
        order.append(i)

    # 6,000 tokens per minute leak at 100 tokens/s. The first request fills the bucket to 5,990;
    # the second (100 tokens) must wait ~0.9 s, and the 10-token ones would fit at once:
    # aiolimiter alone would let them jump the queue, the FIFO lock keeps arrival order.
    sizes = [5990, 100, 10, 10, 10, 10]
    await asyncio.gather(*(call(i, size) for i, size in enumerate(sizes)))
    assert order == list(range(6))
    limiter.pause(0.3)
    started = time.monotonic()
    await limiter.acquire(0)
    assert time.monotonic() - started >= 0.25


def test_rate_limit_headers_pause_until_reset() -> None:
    assert (
        header_pause({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"})
        == 60.0
    )
    assert (
        header_pause({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1.5s"})
        == 1.5
    )
    assert (
        header_pause({"x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "9s"})
        == 0
    )
    reset = "2026-01-01T00:00:02Z"
    headers = {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": reset,
    }
    assert header_pause(headers, now=1767225600.0) == 2.0
    assert (
        header_pause({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "??"})
        == 0
    )


async def test_max_concurrency_queues_instead_of_failing() -> None:
    slow = Fault(pieces=openai_events(), delay=0.01)
    with FaultServer([slow]) as server:
        registry = registry_for(server.url, rate_limit={"max_concurrency": 2})
        texts = await asyncio.gather(
            *(stream_text(model="flaky:m", prompt="hi", registry=registry).text for _ in range(8))
        )
        assert texts == [TEXT] * 8 and server.hits == 8
        assert server.peak_active == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest",
        "http://metadata.google.internal/v1",
        "http://[fe80::1]/v1",
        "http://api.example.com/v1",
        "ftp://127.0.0.1/v1",
    ],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"unsafe base_url|must start with http"):
        ProviderConfig(id="x", protocol="openai-chat", base_url=url)


def test_safe_base_urls_are_accepted() -> None:
    for url in ("https://api.example.com/v1", "http://127.0.0.1:8000/v1", "http://localhost/v1"):
        ProviderConfig(id="x", protocol="openai-chat", base_url=url)
    ProviderConfig(
        id="x", protocol="openai-chat", base_url="http://10.0.0.5/v1", allow_insecure_http=True
    )


async def test_redirects_are_errors_by_default_and_drop_credentials_across_origins() -> None:
    with FaultServer([OK]) as target:
        moved = Fault(
            307, {"location": f"{target.url}/v1/chat/completions"}, "text/plain", ()
        )  # an empty body
        with FaultServer([moved]) as origin:
            registry = registry_for(origin.url, auth="bearer", api_key_required=True)
            with pytest.raises(Exception, match="redirected"):
                await stream_text(
                    model="flaky:m", prompt="hi", registry=registry, api_key="sk-x", retry=0
                ).text
            registry = registry_for(origin.url, auth="bearer", follow_redirects=True)
            result = stream_text(
                model="flaky:m", prompt="hi", registry=registry, api_key="sk-secret"
            )
            assert await result.text == TEXT
        assert target.hits == 1
    # 127.0.0.1 on two ports: two origins, so the key must not have followed
    assert target.headers[0].get("authorization") is None


async def test_redirect_to_a_metadata_address_is_refused() -> None:
    moved = Fault(
        307, {"location": "http://169.254.169.254/latest/meta-data"}, "text/plain", ()
    )  # an empty body
    with FaultServer([moved]) as origin:
        registry = registry_for(origin.url, follow_redirects=True)
        with pytest.raises(ConfigurationError, match="link-local"):
            await stream_text(model="flaky:m", prompt="hi", registry=registry, retry=0).text
