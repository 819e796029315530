"""A loopback server that serves every recorded fixture by path: ``/fx/<fixture stem>/...``."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fixture_util
import pytest

from llmkit.providers.config import ProviderConfig
from llmkit.testing.replay import RecordedRequest, ReplayResponse, ReplayServer, random_chunks


def _key(entry: dict[str, Any]) -> str:
    return str(entry["file"]).replace("/", "~")


def _serve(request: RecordedRequest) -> ReplayResponse:
    key = request.path.split("/")[2]
    entry = next(e for e in fixture_util.manifest() if _key(e) == key)
    stem = Path(entry["file"]).stem
    data = fixture_util.body(entry)
    if entry["kind"] == "json":
        return ReplayResponse(
            data,
            status=entry["http_status"],
            content_type="application/json",
            headers={"x-request-id": "req_fixture"},
        )
    # a different, reproducible network chunking per fixture: 1..48-byte writes
    return ReplayResponse(data, chunking=random_chunks(seed=zlib.crc32(stem.encode()), max_size=48))


@pytest.fixture(scope="session")
def fixture_server() -> Iterator[ReplayServer]:
    with ReplayServer(handler=_serve) as server:
        yield server


def replay_provider(server: ReplayServer, entry: dict[str, Any]) -> ProviderConfig:
    """The fixture's provider config (built-in quirks kept), pointed at the loopback server."""
    return fixture_util.provider_for(entry).model_copy(
        update={
            "id": "replay",
            "base_url": f"{server.url}/fx/{_key(entry)}/v1",
            "api_key_required": False,
            "auth": "none",
        }
    )
