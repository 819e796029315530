"""Rate limits shared across processes and machines through Redis.

``RateLimit(requests_per_minute=..., tokens_per_minute=..., storage="redis://host:6379/0")``
gives every process that uses the same Redis (and ``key_prefix``) one set of limits per provider
(or per model with ``per_model=True``):

- **Sliding windows, exact.** Each limit is a log of the requests admitted in the last
  ``period`` seconds (a sorted set scored by Redis's own clock, one entry per request carrying
  its token cost, plus a running total). A Lua script trims the log, checks every limit and
  either records the request in all of them or answers how long to wait until enough of the
  oldest entries leave the window; all in one atomic step, so no two processes can both take
  the last unit. Requests are never refused: a caller sleeps that long and asks again. The
  clock is the Redis server's (``TIME``), so the machines' clocks do not matter.
- **Shared pauses.** A ``retry-after`` or an exhausted ``x-ratelimit-remaining-*`` /
  ``anthropic-ratelimit-*-remaining`` header seen by any process sets a "paused until" key
  (the later of the old and new times, expiring with the pause) that every process's script
  checks before admitting.
- **Per process:** ``max_concurrency`` (requests in flight are a local resource; a crashed
  process could not give a shared slot back) and the first-come, first-served order (each
  process serves its own callers in arrival order; across processes the first to ask after a
  unit frees gets it).

When Redis is unreachable (refused, reset, or no answer within
:data:`~llmkit.reliability.redis_store.TIMEOUT`), each process enforces the same limits on its
own, from the record it keeps of its own requests of the last ``period`` (so N processes may
together send up to N times the limit), logs one warning per outage, and tries Redis again at
most once a second (:data:`~llmkit.reliability.redis_store.RETRY_INTERVAL`). When Redis answers
again (the same server, or a restarted empty one), each process first writes back its requests of
the last ``period`` before it takes a new one, so the shared windows count them: nothing admitted
during the outage is lost. Every request has a random id and the write-back adds only the ids
Redis does not hold (``ZADD NX``), so a request counted before the outage, or by a script whose
reply was lost, is not counted twice. A restart is noticed through an epoch key that the first
process to reach the new server sets; a process whose epoch differs writes back before
admitting. The requests of a process that exited during the outage are not written back.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING

from llmkit.reliability.ratelimit import Limiter, RateLimit
from llmkit.reliability.redis_store import RedisLink, get_link, redis_errors

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter
    from redis.commands.core import AsyncScript

__all__ = ["RedisLimiter"]

_FALLBACK = "rate limits are enforced per process"

# KEYS: 1 requests log, 2 requests total, 3 tokens log, 4 tokens total, 5 pause, 6 epoch.
# A log is a sorted set of "<cost>:<id>" members scored by admission time (ms, Redis clock);
# its total is the sum of the costs in it. Both keys expire together ``period`` + 1 s after
# the last admission, when every entry is out of the window anyway.
_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local period = tonumber(ARGV[2])
local cutoff = now - period
local ttl = math.ceil(period) + 1000

local function cost_of(member)
  return tonumber(string.match(member, '^(%d+):'))
end

-- drop the entries out of the window; return the total cost of those left
local function level(log, sum)
  if redis.call('EXISTS', log) == 0 then
    redis.call('DEL', sum)
    return 0
  end
  local total = redis.call('GET', sum)
  if not total then  -- evicted: recount from the log
    redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff)
    total = 0
    for _, m in ipairs(redis.call('ZRANGE', log, 0, -1)) do total = total + cost_of(m) end
    redis.call('SET', sum, total, 'PX', ttl)
    redis.call('PEXPIRE', log, ttl)
    return total
  end
  total = tonumber(total)
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)
  if #old > 0 then
    for _, m in ipairs(old) do total = total - cost_of(m) end
    redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff)
    redis.call('SET', sum, total, 'KEEPTTL')
  end
  return total
end

local function add(log, sum, cost, id, score)
  if redis.call('ZADD', log, 'NX', score, cost .. ':' .. id) == 1 then
    redis.call('INCRBY', sum, cost)
  end
  redis.call('PEXPIRE', log, ttl)
  redis.call('PEXPIRE', sum, ttl)
end
"""

# ARGV: 1 epoch, 2 period (ms), 3 requests limit (0: none), 4 tokens limit (0: none),
# 5 token cost, 6 id. Returns -1 (epoch changed: write back first), 0 (admitted and recorded)
# or the milliseconds to wait.
_ACQUIRE = (
    _COMMON
    + """
if redis.call('GET', KEYS[6]) ~= ARGV[1] then return -1 end
local paused = tonumber(redis.call('GET', KEYS[5]) or '0')
if paused > now then return math.ceil(paused - now) end

-- how long until the oldest entries free room for ``cost`` under ``limit``
local function wait_for(log, total, limit, cost)
  local need = total + cost - limit
  if need <= 0 then return 0 end
  local freed, start = 0, 0
  while true do
    local batch = redis.call('ZRANGE', log, start, start + 99, 'WITHSCORES')
    if #batch == 0 then return period end
    for i = 1, #batch, 2 do
      freed = freed + cost_of(batch[i])
      if freed >= need then return tonumber(batch[i + 1]) + period - now end
    end
    start = start + 100
  end
end

local req_limit, tok_limit, cost = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local wait = 0
if req_limit > 0 then
  wait = math.max(wait, wait_for(KEYS[1], level(KEYS[1], KEYS[2]), req_limit, 1))
end
if tok_limit > 0 and cost > 0 then
  wait = math.max(wait, wait_for(KEYS[3], level(KEYS[3], KEYS[4]), tok_limit, cost))
end
if wait > 0 then return math.max(math.ceil(wait), 1) end
if req_limit > 0 then add(KEYS[1], KEYS[2], 1, ARGV[6], now) end
if tok_limit > 0 and cost > 0 then add(KEYS[3], KEYS[4], cost, ARGV[6], now) end
return 0
"""
)

# ARGV: 1 a new epoch, 2 period (ms), 3 requests limited (1/0), then per request of this
# process: age (ms), token cost, id. Adds the ids Redis lacks; returns the current epoch.
_WRITE_BACK = (
    _COMMON
    + """
redis.call('SET', KEYS[6], ARGV[1], 'NX')
level(KEYS[1], KEYS[2])
level(KEYS[3], KEYS[4])
for i = 4, #ARGV, 3 do
  local score = now - tonumber(ARGV[i])
  if score > cutoff then
    local cost, id = tonumber(ARGV[i + 1]), ARGV[i + 2]
    if ARGV[3] == '1' then add(KEYS[1], KEYS[2], 1, id, score) end
    if cost > 0 then add(KEYS[3], KEYS[4], cost, id, score) end
  end
end
return redis.call('GET', KEYS[6])
"""
)

# KEYS: 1 pause. ARGV: 1 milliseconds. Keeps the later of the current and the new end.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local ends = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ends > current then
  redis.call('SET', KEYS[1], string.format('%.3f', ends), 'PX', math.ceil(ends - now))
end
return 1
"""


class RedisLimiter(Limiter):
    """The limits of one provider (or model) on one event loop, kept in Redis.

    The interface of :class:`~llmkit.reliability.ratelimit.Limiter`; see the module docstring
    for the semantics and the behaviour when Redis is unreachable.

    Args:
        limit: the limits; ``limit.storage`` is the Redis URL.
        name: the provider id (``"<provider>:<model>"`` with ``per_model``), part of the keys.
    """

    def __init__(self, limit: RateLimit, name: str) -> None:
        super().__init__(limit)
        assert limit.storage is not None
        self._link: RedisLink = get_link(limit.storage)
        base = f"{limit.key_prefix}:{{{name}}}"  # a hash tag: one Redis Cluster slot
        self._keys = [f"{base}:{part}" for part in ("req", "req:n", "tok", "tok:n", "pause")]
        self._keys.append(f"{base}:epoch")
        self._period = limit.period
        rpm, tpm = limit.requests_per_minute, limit.tokens_per_minute
        self._req_limit = max(int(rpm), 1) if rpm else 0
        self._tok_limit = max(int(tpm), 1) if tpm else 0
        self._acquire_script: AsyncScript = self._link.client.register_script(_ACQUIRE)
        self._write_back_script: AsyncScript = self._link.client.register_script(_WRITE_BACK)
        self._pause_script: AsyncScript = self._link.client.register_script(_PAUSE)
        self._epoch: bytes | None = None  # None: write back before the next admission
        # this process's admissions of the last ``period``: (monotonic s, token cost, id)
        self._mine: deque[tuple[float, int, str]] = deque()
        self._mine_tokens = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def _buckets(self, limit: RateLimit) -> tuple[AsyncLimiter | None, AsyncLimiter | None]:
        return None, None  # the windows are in Redis (and in ``_mine`` during an outage)

    async def acquire(self, tokens: int = 0) -> None:
        """Wait for a turn: the pauses (local and shared), one request and ``tokens`` tokens in
        the shared windows, then a concurrency slot of this process.

        This process's callers are served in arrival order. Pair with :meth:`release` when
        ``max_concurrency`` is set.
        """
        loop = asyncio.get_running_loop()
        async with self._gate:
            wait = self._paused_until - loop.time()
            while wait > 0:
                await asyncio.sleep(wait)
                wait = self._paused_until - loop.time()
            cost = min(tokens, self._tok_limit) if self._tok_limit and tokens > 0 else 0
            await self._take(cost, uuid.uuid4().hex)
            if self._slots is not None:
                await self._slots.acquire()

    async def _take(self, cost: int, request_id: str) -> None:
        """Record one request of ``cost`` tokens in the windows, waiting for room."""
        link, errors = self._link, redis_errors()
        while True:
            if link.available():
                try:
                    if self._epoch is None:
                        self._epoch = await self._write_back()
                    args = (
                        self._epoch,
                        self._period * 1000,
                        self._req_limit,
                        self._tok_limit,
                        cost,
                        request_id,
                    )
                    wait_ms = int(await self._acquire_script(keys=self._keys, args=args))
                except errors as exc:
                    link.failed(exc, _FALLBACK)
                    self._epoch = None
                else:
                    link.succeeded()
                    if wait_ms < 0:  # a new epoch: Redis restarted or lost the keys
                        self._epoch = None
                    elif wait_ms == 0:
                        self._remember(cost, request_id)
                        return
                    else:
                        await asyncio.sleep(wait_ms / 1000)
                    continue
            # Redis is down: this process's own record of the last period is the window
            wait = self._local_wait(cost, time.monotonic())
            if wait <= 0:
                self._remember(cost, request_id)
                self._epoch = None  # written back when Redis answers
                return
            await asyncio.sleep(max(min(wait, link.retry_in()), 0.001))

    async def _write_back(self) -> bytes:
        """Add this process's admissions of the last period that Redis lacks; return the epoch."""
        now = time.monotonic()
        self._trim(now)
        limited = 1 if self._req_limit else 0
        args: list[str | float] = [uuid.uuid4().hex, self._period * 1000, limited]
        for at, cost, request_id in self._mine:
            args += (max((now - at) * 1000, 0.0), cost, request_id)
        epoch = await self._write_back_script(keys=self._keys, args=args)
        return bytes(epoch)

    def _trim(self, now: float) -> None:
        cutoff = now - self._period
        mine = self._mine
        while mine and mine[0][0] <= cutoff:
            self._mine_tokens -= mine.popleft()[1]

    def _remember(self, cost: int, request_id: str) -> None:
        now = time.monotonic()
        self._trim(now)
        self._mine.append((now, cost, request_id))
        self._mine_tokens += cost

    def _local_wait(self, cost: int, now: float) -> float:
        """Seconds until this process's own record has room for one request of ``cost``."""
        self._trim(now)
        need_requests = len(self._mine) + 1 - self._req_limit if self._req_limit else 0
        need_tokens = self._mine_tokens + cost - self._tok_limit if self._tok_limit else 0
        if need_requests <= 0 and need_tokens <= 0:
            return 0.0
        freed_tokens = 0
        for freed_requests, (at, taken, _) in enumerate(self._mine, 1):
            freed_tokens += taken
            if freed_requests >= need_requests and freed_tokens >= need_tokens:
                return at + self._period - now
        return self._period  # not reached: a cost never exceeds its limit

    def pause(self, seconds: float) -> None:
        """Hold this process's requests for ``seconds`` (at most 60) and share the pause through
        Redis (in the background; while Redis is down the pause stays local)."""
        super().pause(seconds)
        if seconds > 0:
            task = asyncio.get_running_loop().create_task(self._share_pause(min(seconds, 60.0)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _share_pause(self, seconds: float) -> None:
        link = self._link
        if not link.available():
            return
        try:
            await self._pause_script(keys=self._keys[4:5], args=(math.ceil(seconds * 1000),))
        except redis_errors() as exc:
            link.failed(exc, _FALLBACK)
        else:
            link.succeeded()
