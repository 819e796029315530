"""The Anthropic model list: ``GET {base_url}/models``, paginated.

Anthropic API reference, "Models: list": a page is
``{"data": [{"type": "model", "id": "claude-sonnet-4-5-20250929", "display_name":
"Claude Sonnet 4.5", "created_at": "2025-09-29T00:00:00Z"}, ...], "has_more": false,
"first_id": "...", "last_id": "..."}``, most recent model first. When ``has_more`` is true the
next page is ``GET {base_url}/models?after_id=<last_id>``. The request carries the
``anthropic-version`` header like every other Anthropic request.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from llmkit.errors import InvalidResponseError
from llmkit.protocols._common import loads_object
from llmkit.protocols.base import BuiltRequest
from llmkit.providers.config import ProviderConfig
from llmkit.types.models import ModelInfo

__all__ = ["build_models_request", "parse_models"]


def build_models_request(
    provider: ProviderConfig, version: str, cursor: str | None = None
) -> BuiltRequest:
    """``GET {base_url}/models`` (``?after_id=<cursor>`` for a later page), with the provider's
    headers and ``anthropic-version: <version>`` unless the provider sets one."""
    headers = {"accept": "application/json", **provider.headers}
    if not any(key.lower() == "anthropic-version" for key in headers):
        headers["anthropic-version"] = version
    url = f"{provider.base_url}/models"
    if cursor is not None:
        url += "?" + urlencode({"after_id": cursor})
    return BuiltRequest(url=url, headers=headers, body={}, stream=False, method="GET")


def _created(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    """One page → its models (provider order) and the next page's cursor (``last_id`` when
    ``has_more`` is true, else None). Entries without a string ``id`` are skipped;
    ``created_at`` (RFC 3339) becomes a UTC datetime.

    Raises:
        InvalidResponseError: the body is not JSON, has no ``data`` list, or says
            ``has_more`` without a ``last_id``.
    """
    obj = loads_object(body, "model list", "is this the Anthropic /v1/models?")
    data = obj.get("data")
    if not isinstance(data, list):
        raise InvalidResponseError(
            'model list has no "data" list; is this the Anthropic /v1/models?', raw=body
        )
    models: list[ModelInfo] = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        name = entry.get("display_name")
        models.append(
            ModelInfo(
                id=entry["id"],
                display_name=name if isinstance(name, str) else None,
                created=_created(entry.get("created_at")),
                raw=entry,
            )
        )
    cursor: str | None = None
    if obj.get("has_more") is True:
        last_id = obj.get("last_id")
        if not isinstance(last_id, str) or not last_id:
            raise InvalidResponseError('model list has "has_more" but no "last_id"', raw=body)
        cursor = last_id
    return models, cursor
