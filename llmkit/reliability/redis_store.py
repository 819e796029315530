"""Connections to the Redis server that shares rate limits and the response cache.

``RateLimit(storage="redis://...")`` and ``ResponseCache(storage="redis://...")`` reach Redis
through a :class:`RedisLink`: one ``redis.asyncio`` client per URL per event loop (asyncio
connections belong to the loop that opened them) and one synchronous client per URL per process
(for ``ResponseCache.get`` / ``put`` called outside a loop).

A link also tracks outages. The first failed command of an outage logs one warning on the
``llmkit.reliability`` logger (the URL with its password masked; one for the rate limits, one
for the cache); for the next :data:`RETRY_INTERVAL` seconds the callers do not try Redis at all
(each falls back at once, see :mod:`~llmkit.reliability.redis_limits` and
:mod:`~llmkit.reliability.redis_cache`); then one command tries again, and the first one that
succeeds logs that Redis is back.

``redis`` (``pip install "llmkit[redis]"``) is imported here, on first use of a Redis storage.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from llmkit.auth.redact import redact
from llmkit.errors import ConfigurationError

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = [
    "RETRY_INTERVAL",
    "TIMEOUT",
    "Outage",
    "RedisLink",
    "check_storage_url",
    "get_link",
    "redis_errors",
    "sync_client",
]

logger = logging.getLogger("llmkit.reliability")

RETRY_INTERVAL = 1.0
"""Seconds after a failed Redis command during which Redis is not tried again."""

TIMEOUT = 1.0
"""Seconds to connect to Redis and to wait for a reply before counting it as unreachable."""

_SCHEMES = ("redis", "rediss", "unix")


def check_storage_url(url: str) -> str:
    """Validate a ``storage`` URL (``redis://``, ``rediss://`` or ``unix://``); return it.

    Raises:
        ValueError: another scheme (pydantic turns it into a validation error).
    """
    scheme = urlsplit(url).scheme
    if scheme not in _SCHEMES:
        raise ValueError(
            f"storage must be a redis://, rediss:// or unix:// URL, not {redact(url)!r}"
        )
    return url


def _import_redis() -> None:
    try:
        import redis  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ConfigurationError(
            'a Redis storage needs the redis package: pip install "llmkit[redis]"'
        ) from exc


def redis_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "Redis did not answer usefully": ``redis`` errors and OS errors."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


def _client_options() -> dict[str, Any]:
    # one immediate retry: a pooled connection that died with a restarted server reconnects once
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": TIMEOUT,
        "socket_connect_timeout": TIMEOUT,
        "retry": Retry(NoBackoff(), 1),
        "health_check_interval": 0,
    }


class Outage:
    """The outage state of one Redis URL (for one event loop, or the synchronous client).

    Attributes:
        url: the storage URL (it may hold a password: never log it, log :attr:`label`).
        label: the URL with any password masked.
        down: True from a failed command until one succeeds.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = redact(url)
        self.down = False
        self._retry_at = 0.0  # monotonic seconds
        self._warned: set[str] = set()  # the fallbacks announced in this outage

    def available(self) -> bool:
        """False while a recent failure says not to try Redis (for :data:`RETRY_INTERVAL`)."""
        return not self.down or time.monotonic() >= self._retry_at

    def retry_in(self) -> float:
        """Seconds until Redis may be tried again (0 when it is up or may be tried now)."""
        return max(self._retry_at - time.monotonic(), 0.0) if self.down else 0.0

    def failed(self, exc: BaseException, fallback: str) -> None:
        """Note a failed command; log a warning the first time in an outage (once per
        ``fallback``: the rate limits and the cache each say what they do meanwhile).

        Args:
            exc: the error.
            fallback: what the caller does meanwhile, for the warning ("rate limits are
                enforced per process", ...).
        """
        self._retry_at = time.monotonic() + RETRY_INTERVAL
        self.down = True
        if fallback not in self._warned:
            self._warned.add(fallback)
            logger.warning(
                "Redis at %s is unreachable (%s: %s); %s until it answers",
                self.label,
                type(exc).__name__,
                redact(str(exc)),
                fallback,
            )

    def succeeded(self) -> None:
        """Note a successful command; log the end of an outage."""
        if self.down:
            self.down = False
            self._warned.clear()
            logger.warning("Redis at %s answers again", self.label)


class RedisLink(Outage):
    """One Redis URL on one event loop: the ``redis.asyncio`` client and the outage state.

    Attributes:
        client: the ``redis.asyncio.Redis`` client (replies are not decoded: values are bytes).
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        _import_redis()
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        options = _client_options()
        options["retry"] = Retry(NoBackoff(), 1)  # the asyncio flavour of the same policy
        self.client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(url, **options)


_links: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RedisLink]] = (
    weakref.WeakKeyDictionary()
)


def get_link(url: str) -> RedisLink:
    """The :class:`RedisLink` for ``url`` on the running event loop (made on first use).

    Raises:
        ConfigurationError: the ``redis`` package is not installed.
    """
    loop = asyncio.get_running_loop()
    table = _links.get(loop)
    if table is None:
        table = _links[loop] = {}
    link = table.get(url)
    if link is None:
        link = table[url] = RedisLink(url)
    return link


_sync_clients: dict[str, tuple[redis.Redis, Outage]] = {}
_sync_lock = threading.Lock()


def sync_client(url: str) -> tuple[redis.Redis, Outage]:
    """The process-wide synchronous ``redis.Redis`` client for ``url`` (thread-safe pool) and
    its outage state.

    Raises:
        ConfigurationError: the ``redis`` package is not installed.
    """
    with _sync_lock:
        entry = _sync_clients.get(url)
        if entry is None:
            _import_redis()
            import redis

            client = redis.Redis.from_url(url, **_client_options())
            entry = _sync_clients[url] = (client, Outage(url))
        return entry
