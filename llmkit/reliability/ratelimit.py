"""Client-side rate limits per provider (and optionally per model), with ``aiolimiter``.

A :class:`RateLimit` on a provider (``ProviderConfig(rate_limit=RateLimit(...))``) or on one call
(``rate_limit=...``) makes every request first take:

- one unit of a requests-per-minute leaky bucket (``requests_per_minute``);
- its estimated tokens from a tokens-per-minute bucket (``tokens_per_minute``): the request body's
  length / 4 plus ``max_output_tokens`` (providers count the output limit against TPM: OpenAI
  "Rate limits" guide);
- a slot of ``max_concurrency`` requests in flight.

Callers wait in a first-come, first-served queue (``aiolimiter`` alone wakes smaller requests
first); nothing is refused. The limiter also listens to the provider:

- after a 429 (or any response with ``retry-after``) every queued request waits that long;
- ``x-ratelimit-remaining-requests`` / ``-tokens`` = 0 (OpenAI, Groq, Together...: reset as a
  duration, ``6m0s``, ``1s``, ``12ms``) and ``anthropic-ratelimit-requests-remaining`` /
  ``-tokens-remaining`` / ``-input-tokens-remaining`` / ``-output-tokens-remaining`` = 0
  (Anthropic: reset as an RFC 3339 time) hold the queue until the reset, before the provider
  refuses (at most 60 s).

With ``storage="redis://..."`` the limits (and the pauses) are shared by every process using
that Redis server: see :mod:`llmkit.reliability.redis_limits`.

Sources: OpenAI API docs, "Rate limits" (headers); Anthropic API docs, "Rate limits" (response
headers).
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter
    from pydantic._internal._repr import ReprArgs

__all__ = ["Limiter", "RateLimit", "get_limiter", "header_pause"]

_MAX_PAUSE = 60.0  # seconds: never hold a queue longer on the strength of a header


class RateLimit(BaseModel):
    """Client-side limits for one provider (or one model of it).

    Attributes:
        requests_per_minute: requests started per ``period`` (60 s): in memory a leaky bucket
            (bursts up to the rate); on Redis a sliding window (never more in any ``period``).
        tokens_per_minute: estimated tokens (input + ``max_output_tokens``) per ``period``.
        max_concurrency: requests in flight at once (a stream counts until it is closed).
        per_model: keep separate limits for each model id instead of one for the provider.
        follow_headers: slow down on the provider's rate-limit headers and ``retry-after``.
        period: the window, in seconds, that ``requests_per_minute`` and ``tokens_per_minute``
            count over (60 by default; shorter in tests).
        storage: where the limits live: None for this process's memory (the default), or a
            ``redis://``, ``rediss://`` or ``unix://`` URL to share the request and token
            windows and the header-driven pauses with every process using that Redis
            (``pip install "llmkit[redis]"``; see
            :mod:`~llmkit.reliability.redis_limits`). ``max_concurrency`` stays per process.
        key_prefix: the prefix of the Redis keys (``<key_prefix>:{<provider>}:req``...); give
            limits that must not share a window (two accounts of one provider) different
            prefixes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    per_model: bool = False
    follow_headers: bool = True
    period: float = Field(default=60.0, gt=0)
    storage: str | None = None
    key_prefix: str = Field(default="llmkit:ratelimit", min_length=1)

    @field_validator("storage")
    @classmethod
    def _check_storage(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from llmkit.reliability.redis_store import check_storage_url

        return check_storage_url(value)

    def __repr_args__(self) -> ReprArgs:
        from llmkit.auth.redact import redact

        for name, value in super().__repr_args__():  # a storage URL may hold a password
            yield name, redact(value) if name == "storage" and isinstance(value, str) else value


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _reset_seconds(value: str | None, now: float) -> float | None:
    """Seconds until a reset given as ``6m0s`` / ``1.5s`` / ``12ms``, a number of seconds, or an
    RFC 3339 time; None when unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if parts and "".join(a + b for a, b in parts) == value:
        return sum(float(n) * _UNIT[u] for n, u in parts)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now, 0.0)


_EXHAUSTED = (
    ("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
    ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
    ("anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"),
    ("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"),
    ("anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"),
    ("anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset"),
)


def header_pause(headers: Mapping[str, str], *, now: float | None = None) -> float:
    """Seconds to hold new requests according to a response's rate-limit headers.

    Args:
        headers: response headers (lower-case keys, or ``httpx.Headers``).
        now: the current Unix time (default ``time.time()``), for RFC 3339 resets.

    Returns:
        The longest reset among the exhausted limits (remaining = 0), capped at 60 s; 0 when no
        limit is exhausted or the headers are absent or malformed.
    """
    clock = time.time() if now is None else now
    pause = 0.0
    for remaining_name, reset_name in _EXHAUSTED:
        remaining = headers.get(remaining_name)
        if remaining is None:
            continue
        try:
            left = float(remaining)
        except ValueError:
            continue
        if left > 0:
            continue
        reset = _reset_seconds(headers.get(reset_name), clock)
        if reset is not None:
            pause = max(pause, reset)
    return min(pause, _MAX_PAUSE)


class Limiter:
    """The limits of one provider (or model) on one event loop: a FIFO gate in front of
    ``aiolimiter`` buckets, a concurrency semaphore and a pause set from the provider's headers.
    """

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._gate = asyncio.Lock()  # FIFO: asyncio wakes lock waiters in arrival order
        self._slots = asyncio.Semaphore(limit.max_concurrency) if limit.max_concurrency else None
        self._rpm, self._tpm = self._buckets(limit)
        self._paused_until = 0.0  # loop time

    def _buckets(self, limit: RateLimit) -> tuple[AsyncLimiter | None, AsyncLimiter | None]:
        """The in-memory requests and tokens buckets (None where the limit is unset)."""
        if not (limit.requests_per_minute or limit.tokens_per_minute):
            return None, None
        from aiolimiter import AsyncLimiter

        rpm = limit.requests_per_minute
        tpm = limit.tokens_per_minute
        return (
            AsyncLimiter(rpm, limit.period) if rpm else None,
            AsyncLimiter(tpm, limit.period) if tpm else None,
        )

    async def acquire(self, tokens: int = 0) -> None:
        """Wait for a turn: the pause, one request, ``tokens`` tokens, a concurrency slot.

        Callers are served in arrival order. Pair with :meth:`release` (after the response is
        closed) when ``max_concurrency`` is set.
        """
        loop = asyncio.get_running_loop()
        async with self._gate:
            wait = self._paused_until - loop.time()
            while wait > 0:  # a pause may be extended while we sleep
                await asyncio.sleep(wait)
                wait = self._paused_until - loop.time()
            if self._rpm is not None:
                await self._rpm.acquire(1)
            if self._tpm is not None and tokens > 0:
                await self._tpm.acquire(min(float(tokens), self._tpm.max_rate))
            if self._slots is not None:
                await self._slots.acquire()

    def release(self) -> None:
        """Give back the concurrency slot taken by :meth:`acquire`."""
        if self._slots is not None:
            self._slots.release()

    def pause(self, seconds: float) -> None:
        """Hold every queued and new request for ``seconds`` (at most 60) from now."""
        if seconds > 0:
            until = asyncio.get_running_loop().time() + min(seconds, _MAX_PAUSE)
            self._paused_until = max(self._paused_until, until)

    def observe(self, headers: Mapping[str, str], retry_after: float | None = None) -> None:
        """Read a response's ``retry-after`` and rate-limit headers (when ``follow_headers``)."""
        if not self.limit.follow_headers:
            return
        if retry_after is not None:
            self.pause(retry_after)
        pause = header_pause(headers)
        if pause:
            self.pause(pause)


_limiters: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str | None, RateLimit], Limiter]
] = weakref.WeakKeyDictionary()


def get_limiter(limit: RateLimit, provider_id: str, model_id: str) -> Limiter:
    """The shared :class:`Limiter` for a provider (or model) on the running event loop (a
    :class:`~llmkit.reliability.redis_limits.RedisLimiter` when the limit has a ``storage``)."""
    loop = asyncio.get_running_loop()
    table = _limiters.get(loop)
    if table is None:
        table = _limiters[loop] = {}
    key = (provider_id, model_id if limit.per_model else None, limit)
    limiter = table.get(key)
    if limiter is None:
        if limit.storage is None:
            limiter = Limiter(limit)
        else:
            from llmkit.reliability.redis_limits import RedisLimiter

            name = f"{provider_id}:{model_id}" if limit.per_model else provider_id
            limiter = RedisLimiter(limit, name)
        table[key] = limiter
    return limiter
