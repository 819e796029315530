"""Shared access to the recorded provider fixtures in tests/fixtures (never edited)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.config import ProviderConfig

FIXTURES = Path(__file__).parent / "fixtures"

# Fixture provider names that are not built-in ids but are the same service.
_ALIASES = {"gemini": ("google", "gemini-openai")}


@functools.cache
def manifest() -> list[dict[str, Any]]:
    """Every manifest entry."""
    return json.loads((FIXTURES / "MANIFEST.json").read_text())["files"]  # type: ignore[no-any-return]


def entries(protocol: str, kind: str, *, status: int | None = 200) -> list[dict[str, Any]]:
    """Manifest entries of one protocol and kind (``sse`` / ``json``); ``status=None`` for all."""
    return [
        e
        for e in manifest()
        if e["protocol"] == protocol
        and e["kind"] == kind
        and (status is None or e["http_status"] == status)
    ]


def body(entry: dict[str, Any]) -> bytes:
    """The recorded bytes of a fixture."""
    path: Path = FIXTURES / entry["file"]
    return path.read_bytes()


def decode_sse(data: bytes) -> list[ServerSentEvent]:
    """Decode SSE bytes with httpx-sse (the same decoder the transport uses)."""
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=data)
    return list(EventSource(response).iter_sse())


def provider_for(entry: dict[str, Any]) -> ProviderConfig:
    """The built-in provider config a fixture was recorded from (same id and protocol), or a
    generic config of its protocol for services that are not built in (Azure, Cloudflare,
    Writer...) or not with that protocol (OpenAI's Responses recordings)."""
    names = _ALIASES.get(entry["provider"], (entry["provider"],))
    for provider in BUILTIN_PROVIDERS:
        if provider.id in names and provider.protocol == entry["protocol"]:
            return provider
    name = names[0]
    return ProviderConfig(
        id=name, protocol=entry["protocol"], base_url="https://example.invalid/v1"
    )


def fixture_id(entry: dict[str, Any]) -> str:
    """A short pytest id for a manifest entry."""
    return Path(entry["file"]).stem
