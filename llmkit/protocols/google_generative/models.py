"""The Gemini model list: ``GET {base_url}/models``, paginated.

Gemini API reference, "Models" → ``models.list``: query ``pageSize`` (at most 1000) and
``pageToken``; a page is ``{"models": [{"name": "models/gemini-2.5-flash", "displayName":
"Gemini 2.5 Flash", "description": ..., "inputTokenLimit": ..., "outputTokenLimit": ...,
"supportedGenerationMethods": ["generateContent", ...], ...}], "nextPageToken": "..."}``; the
last page has no ``nextPageToken``. Model ids are ``name`` without its ``models/`` prefix (the
form ``models/{model}:generateContent`` takes).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from llmkit.errors import InvalidResponseError
from llmkit.protocols.base import BuiltRequest
from llmkit.providers.config import ProviderConfig
from llmkit.types.models import ModelInfo

__all__ = ["PAGE_SIZE", "build_models_request", "parse_models"]

PAGE_SIZE = 1000
"""Models asked for per page (the API's maximum)."""


def build_models_request(provider: ProviderConfig, cursor: str | None = None) -> BuiltRequest:
    """``GET {base_url}/models?pageSize=1000`` (and ``&pageToken=<cursor>`` for a later page),
    with the provider's headers; no body, no credentials."""
    query: dict[str, str | int] = {"pageSize": PAGE_SIZE}
    if cursor is not None:
        query["pageToken"] = cursor
    headers = {"accept": "application/json", **provider.headers}
    return BuiltRequest(
        url=f"{provider.base_url}/models?{urlencode(query)}",
        headers=headers,
        body={},
        stream=False,
        method="GET",
    )


def parse_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    """One page → its models (provider order) and the next page's token (None on the last).

    Entries without a string ``name`` are skipped; ``displayName`` is the display name.

    Raises:
        InvalidResponseError: the body is not JSON or is not a model list.
    """
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidResponseError(f"model list is not valid JSON ({exc})", raw=body) from exc
    models = obj.get("models", []) if isinstance(obj, dict) else None
    if not isinstance(models, list):
        raise InvalidResponseError(
            'model list has no "models" list; is this the Gemini API /v1beta/models?', raw=body
        )
    out: list[ModelInfo] = []
    for entry in models:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name: str = entry["name"]
        display = entry.get("displayName")
        out.append(
            ModelInfo(
                id=name.removeprefix("models/"),
                display_name=display if isinstance(display, str) else None,
                raw=entry,
            )
        )
    token = obj.get("nextPageToken")
    return out, token if isinstance(token, str) and token else None
