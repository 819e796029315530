"""Fixtures of the reliability tests: a real ``redis-server`` for the Redis storage tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability.redis_helpers import REDIS_SERVER, RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """An empty ``redis-server`` on 127.0.0.1 (no persistence), stopped after the test."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not on PATH (install it: apt-get install redis-server)")
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()
