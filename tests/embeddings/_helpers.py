"""Shared helpers of the embedding tests: the copied fixtures and their manifest."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import ReplayServer

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "json" / "embeddings"

PROTOCOLS = {
    "openai-embeddings": ("openai-chat", "openai-embeddings"),
    "google-embeddings": ("google-generative", "gemini-embeddings"),
    "ollama-embed": ("openai-chat", "ollama-embeddings"),
}
"""Manifest protocol → (chat protocol of the provider, llmkit embedding protocol)."""


@functools.cache
def manifest() -> list[dict[str, Any]]:
    data = json.loads((FOLDER / "MANIFEST.json").read_text())
    return data["files"]  # type: ignore[no-any-return]


def entries(status: int = 200) -> list[dict[str, Any]]:
    return [e for e in manifest() if e["http_status"] == status]


def fixture_id(entry: dict[str, Any]) -> str:
    return Path(entry["file"]).stem


def body(entry: dict[str, Any]) -> bytes:
    path: Path = FOLDER / entry["file"]
    return path.read_bytes()


def request_of(entry: dict[str, Any]) -> tuple[str, int, int | None]:
    """(model id, input count, dimensions) of the recorded request."""
    req = entry["request"]
    model = str(req.get("model") or entry["model"]).removeprefix("models/")
    count = int(req.get("input_count") or req.get("prompt_count"))
    dims = req.get("dimensions") or req.get("outputDimensionality")
    return model, count, dims


def registry_for(
    server: ReplayServer, entry: dict[str, Any], provider_id: str = "rec"
) -> ProviderRegistry:
    chat, embedding = PROTOCOLS[entry["protocol"]]
    fields: dict[str, object] = {"kind_protocols": {"embedding": embedding}}
    if chat == "google-generative":
        fields["base_url"] = f"{server.url}/v1beta"
    provider = server.provider(provider_id, chat, **fields)
    return ProviderRegistry([provider])


def input_tokens(usage: dict[str, Any] | None) -> int | None:
    if usage is None:
        return None
    for name in ("prompt_tokens", "promptTokenCount", "prompt_eval_count"):
        if name in usage:
            return int(usage[name])
    return None
