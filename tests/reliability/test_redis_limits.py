"""Rate limits shared through a real Redis: four worker processes against one loopback provider
never exceed the limit in any window as the provider counts it, header pauses are shared, and
Redis killed (or hung) and restarted mid-run behaves as documented in docs/reliability.md:
per-process limits and one warning per outage meanwhile, then a write-back that loses nothing
and counts nothing twice.

Windows are checked at the provider over ``period - SLACK``: a request is admitted in Redis and
arrives at the provider a few milliseconds later, and that delay varies from one request to the
next (scheduling on a busy machine), by less than ``SLACK``.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import redis

from llmkit import ProviderConfig, ProviderRegistry, RateLimitError, generate_text
from llmkit.reliability import RateLimit, redis_store
from llmkit.reliability.ratelimit import get_limiter
from llmkit.reliability.redis_limits import RedisLimiter
from reliability.redis_helpers import (
    CountingProvider,
    RedisServer,
    busiest_window,
    go,
    results,
    start_workers,
)

SLACK = 0.3  # seconds: the most the admission-to-arrival delay may vary between requests

KEY = "llmkit:ratelimit:{p}"


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(
        1
        for r in caplog.records
        if r.name == "llmkit.reliability" and r.levelno == logging.WARNING and text in r.message
    )


def _totals(server: RedisServer) -> tuple[int, int, int, int]:
    """Entries and running total of the requests log, then of the tokens log."""
    client = redis.Redis.from_url(server.url)
    try:
        return (
            int(client.zcard(f"{KEY}:req")),
            int(client.get(f"{KEY}:req:n") or 0),
            int(client.zcard(f"{KEY}:tok")),
            int(client.get(f"{KEY}:tok:n") or 0),
        )
    finally:
        client.close()


def test_four_processes_stay_within_the_limit_at_the_provider(redis_server: RedisServer) -> None:
    period, limit = 2.0, 5
    with CountingProvider() as provider:
        workers = start_workers(
            4, provider.url, redis_server.url, requests=5, tasks=3, limit=limit, period=period
        )
        provider.reset()
        go(workers)
        reports = results(workers)
        arrivals = provider.arrivals
    assert [r["ok"] for r in reports] == [5] * 4 and all(r["errors"] == 0 for r in reports)
    assert len(arrivals) == 20
    # alone, each process could send its 5 at once: 20 in the first instant
    assert busiest_window(arrivals, period - SLACK) <= limit, (
        f"arrivals (s): {[round(t - arrivals[0], 3) for t in arrivals]}"
    )
    assert all(r["down"] == 0 for r in reports)


def test_redis_killed_and_restarted_mid_run(redis_server: RedisServer) -> None:
    period, limit, each = 1.0, 4, 12
    with CountingProvider() as provider:
        workers = start_workers(
            4, provider.url, redis_server.url, requests=each, tasks=2, limit=limit, period=period
        )
        provider.reset()
        go(workers)
        deadline = time.monotonic() + 60
        while len(provider.arrivals) < limit and time.monotonic() < deadline:
            time.sleep(0.01)
        killed = time.monotonic()
        redis_server.kill()
        time.sleep(1.5)
        redis_server.start()  # empty: the windows of the last period come back from the workers
        restarted = time.monotonic()
        reports = results(workers)
        arrivals = provider.arrivals
    timeline = (
        f"killed at {killed - arrivals[0]:.3f} s, restarted at {restarted - arrivals[0]:.3f} s, "
        f"arrivals (s): {[round(t - arrivals[0], 3) for t in arrivals]}"
    )
    # nothing is lost: every call was answered, none failed
    assert [r["ok"] for r in reports] == [each] * 4 and all(r["errors"] == 0 for r in reports)
    assert len(arrivals) == 4 * each
    # one warning per outage per process, and one "answers again" once it reached Redis again
    # (a process that finished its calls in the meantime has no reason to notice)
    assert all(r["back"] <= r["down"] <= 1 for r in reports), reports
    assert sum(r["down"] for r in reports) >= 3 and sum(r["back"] for r in reports) >= 1
    width = period - SLACK
    assert busiest_window([t for t in arrivals if t < killed], width) <= limit, timeline
    # during the outage each process keeps the limit on its own
    assert busiest_window(arrivals, width) <= 4 * limit, timeline
    # once every process has reached the restarted Redis (each tries again within
    # RETRY_INTERVAL) the shared window holds again, the requests of the outage included
    settled = restarted + redis_store.RETRY_INTERVAL + SLACK
    assert len([t for t in arrivals if t >= settled]) > limit, timeline  # the check below bites
    assert busiest_window(arrivals, width, start=settled) <= limit, timeline


@pytest.fixture
def quick_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Try Redis again 0.1 s after a failure, and count 0.3 s without a reply as a failure."""
    monkeypatch.setattr(redis_store, "RETRY_INTERVAL", 0.1)
    monkeypatch.setattr(redis_store, "TIMEOUT", 0.3)


async def test_restart_writes_back_what_was_admitted_during_the_outage(
    redis_server: RedisServer, quick_retry: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "llmkit.reliability")
    limit = RateLimit(
        requests_per_minute=100, tokens_per_minute=10_000, period=60, storage=redis_server.url
    )
    one, two = RedisLimiter(limit, "p"), RedisLimiter(limit, "p")  # two processes, as Redis sees it
    for _ in range(3):
        await one.acquire(10)
    await two.acquire(10)
    assert _totals(redis_server) == (4, 4, 4, 40)
    redis_server.kill()
    for _ in range(2):
        await one.acquire(10)  # per process, from its own record
    assert _warnings(caplog, "unreachable") == 1
    redis_server.start()
    await asyncio.sleep(0.15)
    await one.acquire(10)
    await two.acquire(10)
    # one: 3 before, 2 during, 1 after; two: 1 before, 1 after; nothing lost, nothing doubled
    assert _totals(redis_server) == (8, 8, 8, 80)
    assert _warnings(caplog, "unreachable") == 1 and _warnings(caplog, "answers again") == 1


async def test_a_hang_counts_nothing_twice(
    redis_server: RedisServer, quick_retry: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "llmkit.reliability")
    limit = RateLimit(
        requests_per_minute=100, tokens_per_minute=10_000, period=60, storage=redis_server.url
    )
    limiter = RedisLimiter(limit, "p")
    for _ in range(3):
        await limiter.acquire(5)
    redis_server.freeze()  # connections hang: no reply within TIMEOUT
    try:
        for _ in range(2):
            await limiter.acquire(5)
    finally:
        redis_server.thaw()
    await asyncio.sleep(0.15)
    await limiter.acquire(5)
    # Redis kept the first 3; the write-back adds the 2 of the hang once, then the new one
    assert _totals(redis_server) == (6, 6, 6, 30)
    assert _warnings(caplog, "unreachable") == 1 and _warnings(caplog, "answers again") == 1


async def test_outage_keeps_the_limit_per_process(
    redis_server: RedisServer, quick_retry: None
) -> None:
    limit = RateLimit(requests_per_minute=3, period=60, storage=redis_server.url)
    limiter = RedisLimiter(limit, "p")
    await limiter.acquire()
    redis_server.kill()
    await limiter.acquire()
    await limiter.acquire()
    with pytest.raises(asyncio.TimeoutError):  # a fourth request in 60 s waits, Redis or not
        await asyncio.wait_for(limiter.acquire(), 0.5)


async def test_header_pause_is_shared(redis_server: RedisServer) -> None:
    limit = RateLimit(requests_per_minute=1000, storage=redis_server.url)
    one, two = RedisLimiter(limit, "p"), RedisLimiter(limit, "p")
    one.observe({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "700ms"})
    await asyncio.gather(*one._tasks)
    started = time.monotonic()
    await two.acquire()
    assert time.monotonic() - started >= 0.5  # the other "process" waited for the shared pause
    assert two._paused_until == 0.0  # ...which it learned from Redis, not from its own headers
    one.observe({}, retry_after=0.6)
    await asyncio.gather(*one._tasks)
    started = time.monotonic()
    await two.acquire()
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (200, {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"}),
        (429, {"retry-after": "1"}),
    ],
    ids=["remaining-0", "429-retry-after"],
)
async def test_a_pause_from_the_provider_holds_every_process(
    redis_server: RedisServer, status: int, headers: dict[str, str]
) -> None:
    # two RateLimits that differ only in a per-process setting: separate limiters (as in two
    # processes) sharing the provider's keys in Redis
    first = RateLimit(requests_per_minute=1000, storage=redis_server.url)
    second = RateLimit(requests_per_minute=1000, storage=redis_server.url, max_concurrency=50)
    with CountingProvider([(status, headers)]) as provider:
        registry = ProviderRegistry(
            [
                ProviderConfig(
                    id="loop",
                    protocol="openai-chat",
                    base_url=f"{provider.url}/v1",
                    auth="none",
                    api_key_required=False,
                )
            ]
        )
        try:
            await generate_text(
                model="loop:m", prompt="a", registry=registry, rate_limit=first, retry=0
            )
        except RateLimitError:
            assert status == 429
        await asyncio.sleep(0.05)  # the pause is shared in the background
        result = await generate_text(
            model="loop:m", prompt="b", registry=registry, rate_limit=second, retry=0
        )
        assert result.text == "ok"
        first_at, second_at = provider.arrivals
    assert second_at - first_at >= 0.9  # the second limiter had not seen the headers itself


async def test_token_window_is_shared(redis_server: RedisServer) -> None:
    period, budget = 1.0, 100
    limit = RateLimit(tokens_per_minute=budget, period=period, storage=redis_server.url)
    limiters = [RedisLimiter(limit, "p") for _ in range(3)]
    admitted: list[tuple[float, int]] = []

    async def take(limiter: RedisLimiter, tokens: int) -> None:
        await limiter.acquire(tokens)
        admitted.append((time.monotonic(), tokens))

    await asyncio.gather(*(take(lim, 30) for lim in limiters for _ in range(4)))
    admitted.sort()
    width = period - 0.1
    for i, (start, _) in enumerate(admitted):
        used = sum(tokens for t, tokens in admitted[i:] if t < start + width)
        assert used <= budget


async def test_get_limiter_uses_redis_for_a_storage(redis_server: RedisServer) -> None:
    shared = RateLimit(requests_per_minute=10, storage=redis_server.url, per_model=True)
    limiter = get_limiter(shared, "openai", "gpt-x")
    assert isinstance(limiter, RedisLimiter)
    assert get_limiter(shared, "openai", "gpt-x") is limiter
    await limiter.acquire()
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.zcard("llmkit:ratelimit:{openai:gpt-x}:req") == 1
    finally:
        client.close()
    assert not isinstance(get_limiter(RateLimit(requests_per_minute=10), "o", "m"), RedisLimiter)


def test_storage_url_is_checked_and_its_password_hidden() -> None:
    with pytest.raises(ValueError, match="redis://"):
        RateLimit(storage="http://127.0.0.1:6379")
    shown = repr(RateLimit(storage="redis://:hunter2@127.0.0.1:6379/0"))
    assert "hunter2" not in shown and "storage=" in shown
