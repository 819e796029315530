"""What a provider says about one of its models (``GET {base_url}/models``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["ModelInfo"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One entry of a provider's model list, as returned by :func:`llmkit.list_models`.

    Attributes:
        id: the model id to pass as ``"provider:<id>"`` (``gpt-4.1-mini``,
            ``claude-sonnet-4-5-20250929``).
        display_name: a human-readable name (Anthropic ``display_name``), or None.
        created: when the model was released or created, timezone-aware UTC (OpenAI
            ``created`` in unix seconds, Anthropic ``created_at`` in RFC 3339), or None.
        owned_by: the owning organisation (OpenAI ``owned_by``), or None.
        raw: the provider's JSON object for this model, unchanged (not compared, not shown in
            the repr).
    """

    id: str
    display_name: str | None = None
    created: datetime | None = None
    owned_by: str | None = None
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
