"""Opt-in response cache (``cachetools``) and a per-provider model-list cache.

``generate_text(..., cache=ResponseCache(ttl=600))`` (or ``cache=True`` for the process-wide
:func:`default_cache`) answers a repeated identical request from memory. The key is the full
request: provider id, model id, URL and JSON body (every message, setting and tool), never the
credentials. A cached ``stream_text`` call replays the recorded events of a completed stream
(the whole stream, ``finish`` included); a stream that failed or was aborted is not stored.

Entries expire after ``ttl`` seconds and the least recently used go first beyond ``maxsize``
entries. The cache is in memory, per process, and safe on one event loop (no locking across
threads).

``ResponseCache(ttl=600, storage="redis://host:6379/0")`` keeps the entries in Redis instead,
shared by every process using it (see :mod:`~llmkit.reliability.redis_cache`): Redis expires
them after ``ttl`` and its ``maxmemory-policy`` evicts them (``maxsize`` does not apply). While
Redis is unreachable, lookups miss and stores are skipped, with one logged warning per outage.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from llmkit.types.events import StreamEvent

if TYPE_CHECKING:
    from llmkit.protocols.base import BuiltRequest
    from llmkit.types.models import ModelInfo

__all__ = [
    "ModelListCache",
    "ResponseCache",
    "default_cache",
    "default_model_cache",
    "model_list_key",
    "request_key",
]


def request_key(provider_id: str, model_id: str, request: BuiltRequest) -> str:
    """A stable key for a request: SHA-256 of provider, model, method, URL and canonical body.

    Headers are left out (they carry credentials and tracing ids); the body holds everything
    that changes the answer.
    """
    body = json.dumps(request.body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    text = "\n".join(
        (provider_id, model_id, request.method, request.url, str(request.stream), body)
    )
    return hashlib.sha256(text.encode()).hexdigest()


class ResponseCache:
    """A TTL + LRU cache of finished responses (their stream events), in memory or in Redis.

    Args:
        maxsize: the most entries kept in memory (least recently used dropped first); not used
            with a Redis ``storage``.
        ttl: seconds an entry stays valid.
        timer: the clock (seconds) of the memory cache, ``time.monotonic`` by default; tests
            pass a fake one. Redis expires entries on its own clock.
        storage: None for this process's memory (the default), or a ``redis://``,
            ``rediss://`` or ``unix://`` URL to share the entries with every process using
            that Redis (``pip install "llmkit[redis]"``).
        key_prefix: the prefix of the Redis keys (``<key_prefix>:v1:<request key>``).

    Attributes:
        hits: lookups answered from the cache (by this object, in this process).
        misses: lookups that were not (with Redis, those made while it was down included).

    Raises:
        ValueError: ``storage`` is not a Redis URL.
    """

    def __init__(
        self,
        maxsize: int = 1024,
        ttl: float = 3600.0,
        *,
        timer: Callable[[], float] = time.monotonic,
        storage: str | None = None,
        key_prefix: str = "llmkit:cache",
    ) -> None:
        from cachetools import TTLCache

        self._data: TTLCache[str, tuple[StreamEvent, ...]] = TTLCache(maxsize, ttl, timer)
        self.maxsize = maxsize
        self.ttl = ttl
        self.hits = 0
        self.misses = 0
        self.storage = storage
        self._prefix = f"{key_prefix}:v1:"
        if storage is not None:
            from llmkit.reliability.redis_store import check_storage_url

            check_storage_url(storage)

    def _count(self, events: tuple[StreamEvent, ...] | None) -> tuple[StreamEvent, ...] | None:
        if events is None:
            self.misses += 1
        else:
            self.hits += 1
        return events

    def get(self, key: str) -> tuple[StreamEvent, ...] | None:
        """The events stored under ``key``, or None (expired entries are gone).

        With a Redis ``storage`` this blocks on the synchronous client; in async code use
        :meth:`aget`.
        """
        if self.storage is None:
            return self._count(self._data.get(key))
        from llmkit.reliability import redis_cache

        return self._count(redis_cache.get(self.storage, self._prefix + key))

    def put(self, key: str, events: Sequence[StreamEvent]) -> None:
        """Store a complete response's events (with Redis: blocks; in async code use
        :meth:`aput`)."""
        if self.storage is None:
            self._data[key] = tuple(events)
            return
        from llmkit.reliability import redis_cache

        redis_cache.put(self.storage, self._prefix + key, events, self.ttl)

    async def aget(self, key: str) -> tuple[StreamEvent, ...] | None:
        """:meth:`get` for async code (the memory cache answers at once).

        Returns:
            The events, or None: absent, expired, or (with Redis) unreadable or Redis down.
        """
        if self.storage is None:
            return self._count(self._data.get(key))
        from llmkit.reliability import redis_cache

        return self._count(await redis_cache.aget(self.storage, self._prefix + key))

    async def aput(self, key: str, events: Sequence[StreamEvent]) -> None:
        """:meth:`put` for async code; with Redis, skipped while it is down."""
        if self.storage is None:
            self._data[key] = tuple(events)
            return
        from llmkit.reliability import redis_cache

        await redis_cache.aput(self.storage, self._prefix + key, events, self.ttl)

    def clear(self) -> None:
        """Drop every entry (with Redis: every key under the prefix, for every process).

        Raises:
            redis.exceptions.RedisError, OSError: Redis is unreachable.
        """
        if self.storage is None:
            self._data.clear()
            return
        from llmkit.reliability import redis_cache

        redis_cache.clear(self.storage, self._prefix)

    def __len__(self) -> int:
        """The number of entries (with Redis, a ``SCAN`` of the keys under the prefix).

        Raises:
            redis.exceptions.RedisError, OSError: Redis is unreachable.
        """
        if self.storage is None:
            return len(self._data)
        from llmkit.reliability import redis_cache

        return redis_cache.count(self.storage, self._prefix)

    def __repr__(self) -> str:
        if self.storage is not None:
            from llmkit.auth.redact import redact

            return (
                f"ResponseCache(ttl={self.ttl:g}, storage={redact(self.storage)!r}, "
                f"hits={self.hits}, misses={self.misses})"
            )
        return (
            f"ResponseCache(maxsize={self.maxsize}, ttl={self.ttl:g}, entries={len(self)}, "
            f"hits={self.hits}, misses={self.misses})"
        )


_default: ResponseCache | None = None


def default_cache() -> ResponseCache:
    """The process-wide cache used by ``cache=True`` (1,024 entries, one hour)."""
    global _default
    if _default is None:
        _default = ResponseCache()
    return _default


class ModelListCache:
    """Caches each provider's model list (``GET /models``) for ``ttl`` seconds.

    Used by :func:`llmkit.list_models`, keyed by provider id and base URL (see
    :func:`model_list_key`); credentials are not part of the key.

    Args:
        ttl: seconds a provider's list stays valid.
        timer: the clock (seconds).
    """

    def __init__(self, ttl: float = 3600.0, *, timer: Callable[[], float] = time.monotonic) -> None:
        from cachetools import TTLCache

        self._data: TTLCache[str, tuple[ModelInfo, ...]] = TTLCache(256, ttl, timer)
        self.ttl = ttl

    async def get(
        self, provider_id: str, fetch: Callable[[], Awaitable[Sequence[ModelInfo]]]
    ) -> tuple[ModelInfo, ...]:
        """The provider's models: from the cache, or ``await fetch()`` (then cached; a failed
        fetch caches nothing). ``provider_id`` is the cache key."""
        models = self._data.get(provider_id)
        if models is None:
            models = tuple(await fetch())
            self._data[provider_id] = models
        return models

    def invalidate(self, provider_id: str | None = None) -> None:
        """Forget one key's list, or all of them."""
        if provider_id is None:
            self._data.clear()
        else:
            self._data.pop(provider_id, None)

    def __len__(self) -> int:
        return len(self._data)


def model_list_key(provider_id: str, base_url: str) -> str:
    """The :class:`ModelListCache` key of a provider reached at ``base_url``."""
    return f"{provider_id} {base_url}"


_default_models: ModelListCache | None = None


def default_model_cache() -> ModelListCache:
    """The process-wide model list cache used by ``list_models(cache=True)`` (one hour)."""
    global _default_models
    if _default_models is None:
        _default_models = ModelListCache()
    return _default_models
