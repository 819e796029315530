"""The Redis side of :class:`~llmkit.reliability.cache.ResponseCache` (``storage="redis://..."``).

A response is stored as one Redis string: the JSON list of its events (``event_to_dict`` of each;
no pickle, so whoever can write to Redis cannot run code in the readers), set with ``PX`` = the
cache's ``ttl`` so that Redis expires it. The key is ``<key_prefix>:v1:<request key>``.

When Redis is unreachable a lookup is a miss (the request goes to the provider) and a store is
skipped: one warning is logged per outage, and Redis is tried again at most once a second. An
entry that cannot be read back (written by another version, or corrupt) is a miss too.
"""

from __future__ import annotations

import json
import logging
import typing
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from llmkit.reliability.redis_store import get_link, redis_errors, sync_client
from llmkit.types.events import StreamEvent, event_to_dict
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

__all__ = [
    "aget",
    "aput",
    "clear",
    "count",
    "decode_events",
    "encode_events",
    "get",
    "put",
]

logger = logging.getLogger("llmkit.reliability")

_FALLBACK = "the response cache misses and stores nothing"

_CLASSES: dict[str, type] = {
    cls.__dataclass_fields__["type"].default: cls for cls in typing.get_args(StreamEvent)
}


def encode_events(events: Sequence[StreamEvent]) -> bytes | None:
    """The events as compact JSON; None when one holds a value JSON cannot carry."""
    try:
        text = json.dumps(
            [event_to_dict(e) for e in events], ensure_ascii=False, separators=(",", ":")
        )
    except (TypeError, ValueError):
        return None
    return text.encode()


def _event(data: Mapping[str, object]) -> StreamEvent:
    fields = {k: v for k, v in data.items() if k != "type"}
    warnings = fields.get("warnings")
    if isinstance(warnings, list):
        fields["warnings"] = tuple(CallWarning(**w) for w in warnings)
    usage = fields.get("usage")
    if isinstance(usage, dict):
        fields["usage"] = Usage(**usage)
    created = fields.get("created")
    if isinstance(created, str):
        fields["created"] = datetime.fromisoformat(created)
    event: StreamEvent = _CLASSES[str(data["type"])](**fields)
    return event


def decode_events(raw: bytes) -> tuple[StreamEvent, ...] | None:
    """The events stored by :func:`encode_events`; None when ``raw`` is not such a list."""
    try:
        items = json.loads(raw)
        return tuple(_event(item) for item in items)
    except (TypeError, ValueError, KeyError, AttributeError):
        logger.debug("unreadable response cache entry ignored")
        return None


async def aget(url: str, key: str) -> tuple[StreamEvent, ...] | None:
    """The events under ``key`` in the Redis at ``url``; None: absent, unreadable or Redis down."""
    link = get_link(url)
    if not link.available():
        return None
    try:
        raw = await link.client.get(key)
    except redis_errors() as exc:
        link.failed(exc, _FALLBACK)
        return None
    link.succeeded()
    return None if raw is None else decode_events(typing.cast(bytes, raw))


async def aput(url: str, key: str, events: Sequence[StreamEvent], ttl: float) -> None:
    """Store ``events`` under ``key`` for ``ttl`` seconds (skipped while Redis is down)."""
    data = encode_events(events)
    link = get_link(url)
    if data is None or not link.available():
        return
    try:
        await link.client.set(key, data, px=max(int(ttl * 1000), 1))
    except redis_errors() as exc:
        link.failed(exc, _FALLBACK)
    else:
        link.succeeded()


def get(url: str, key: str) -> tuple[StreamEvent, ...] | None:
    """:func:`aget` with the synchronous client (blocks the calling thread)."""
    client, outage = sync_client(url)
    if not outage.available():
        return None
    try:
        raw = client.get(key)
    except redis_errors() as exc:
        outage.failed(exc, _FALLBACK)
        return None
    outage.succeeded()
    return None if raw is None else decode_events(typing.cast(bytes, raw))


def put(url: str, key: str, events: Sequence[StreamEvent], ttl: float) -> None:
    """:func:`aput` with the synchronous client (blocks the calling thread)."""
    data = encode_events(events)
    client, outage = sync_client(url)
    if data is None or not outage.available():
        return
    try:
        client.set(key, data, px=max(int(ttl * 1000), 1))
    except redis_errors() as exc:
        outage.failed(exc, _FALLBACK)
    else:
        outage.succeeded()


def _keys(url: str, prefix: str) -> Iterator[bytes]:
    client, _ = sync_client(url)
    pattern = prefix.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?") + "*"
    yield from client.scan_iter(match=pattern.replace("[", "\\["), count=1000)


def count(url: str, prefix: str) -> int:
    """The number of keys under ``prefix`` (a ``SCAN``: linear in the database's size).

    Raises:
        redis.exceptions.RedisError, OSError: Redis is unreachable.
    """
    return sum(1 for _ in _keys(url, prefix))


def clear(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (``SCAN`` + ``UNLINK``).

    Raises:
        redis.exceptions.RedisError, OSError: Redis is unreachable.
    """
    client, _ = sync_client(url)
    batch: list[bytes] = []
    for key in _keys(url, prefix):
        batch.append(key)
        if len(batch) == 500:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)
