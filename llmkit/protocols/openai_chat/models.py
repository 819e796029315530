"""The OpenAI model list: ``GET {base_url}/models``.

OpenAI API reference, "Models: list": the answer is one page,
``{"object": "list", "data": [{"id": "gpt-4.1-mini", "object": "model", "created": 1744316542,
"owned_by": "system"}, ...]}``, with ``created`` in unix seconds. OpenAI-compatible services
(Groq, OpenRouter, Ollama...) answer the same shape, some with extra fields (kept in
:attr:`~llmkit.types.models.ModelInfo.raw`) or without ``created`` / ``owned_by``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from llmkit.errors import InvalidResponseError
from llmkit.protocols._common import loads_object
from llmkit.protocols.base import BuiltRequest
from llmkit.providers.config import ProviderConfig
from llmkit.types.models import ModelInfo

__all__ = ["build_models_request", "parse_models"]


def build_models_request(provider: ProviderConfig) -> BuiltRequest:
    """``GET {base_url}/models`` with the provider's headers and no body."""
    headers = {"accept": "application/json", **provider.headers}
    return BuiltRequest(
        url=f"{provider.base_url}/models", headers=headers, body={}, stream=False, method="GET"
    )


def _created(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def parse_models(body: bytes) -> list[ModelInfo]:
    """A ``{"object": "list", "data": [...]}`` body → models, in the provider's order.

    Entries without a string ``id`` are skipped; ``created`` (unix seconds) becomes a UTC
    datetime.

    Raises:
        InvalidResponseError: the body is not JSON or has no ``data`` list.
    """
    obj = loads_object(body, "model list", "is this an OpenAI-compatible /models?")
    data = obj.get("data")
    if not isinstance(data, list):
        raise InvalidResponseError(
            'model list has no "data" list; is this an OpenAI-compatible /models?', raw=body
        )
    models: list[ModelInfo] = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        owned_by = entry.get("owned_by")
        name = entry.get("display_name", entry.get("name"))
        models.append(
            ModelInfo(
                id=entry["id"],
                display_name=name if isinstance(name, str) else None,
                created=_created(entry.get("created")),
                owned_by=owned_by if isinstance(owned_by, str) else None,
                raw=entry,
            )
        )
    return models
