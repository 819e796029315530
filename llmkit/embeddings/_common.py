"""Helpers shared by the embedding protocols: the JSON body, the count check, usage."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from llmkit.embeddings.base import EmbeddingBatch
from llmkit.errors import InvalidResponseError
from llmkit.types.usage import Usage

__all__ = ["check_count", "json_object", "usage_from"]


def json_object(body: bytes) -> dict[str, object]:
    """The body as a JSON object.

    Raises:
        InvalidResponseError: not JSON, or not an object.
    """
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidResponseError("an embeddings body is not JSON", raw=body[:500]) from exc
    if not isinstance(obj, dict):
        raise InvalidResponseError("an embeddings body is not a JSON object", raw=body[:500])
    return obj


def check_count(embeddings: Sequence[object], batch: EmbeddingBatch, body: bytes) -> None:
    """Raises InvalidResponseError when the body has not one vector per input."""
    if len(embeddings) != len(batch.values):
        raise InvalidResponseError(
            f"the provider answered {len(embeddings)} embeddings for {len(batch.values)} inputs",
            raw=body[:500],
        )


def _count(raw: Mapping[str, object], name: str | None) -> int | None:
    value = raw.get(name) if name is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_from(raw: object, input_name: str, total_name: str | None = None) -> Usage:
    """``Usage(input_tokens=raw[input_name], output_tokens=0, total_tokens=raw[total_name] or
    input, raw=raw)`` (an embedding produces no output tokens); an empty Usage when ``raw`` is
    not an object (the body reported none)."""
    if not isinstance(raw, Mapping):
        return Usage()
    tokens = _count(raw, input_name)
    total = _count(raw, total_name)
    return Usage(
        input_tokens=tokens,
        output_tokens=0 if tokens is not None else None,
        total_tokens=total if total is not None else tokens,
        raw=raw,
    )
