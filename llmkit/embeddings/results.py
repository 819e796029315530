"""The results of the embedding calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmkit.embeddings.base import Vector

if TYPE_CHECKING:
    from llmkit.types.usage import Usage
    from llmkit.types.warnings import CallWarning

__all__ = ["EmbedManyResult", "EmbedResult", "EmbeddingResponse"]


@dataclass(frozen=True, slots=True)
class EmbeddingResponse:
    """One HTTP answer of an embedding call.

    Attributes:
        model: ``"provider:model"`` that answered (a fallback's when one did).
        served_model: the model as the body names it (None when it does not).
        body: the parsed JSON body, unchanged.
        attempts: requests sent for this batch (retries and fallbacks included).
        warnings: settings the protocol could not honour (``task_type`` on OpenAI...).
        indexes: the input indexes this answer embedded (``range`` of the batch).
    """

    model: str
    served_model: str | None
    body: Mapping[str, object]
    attempts: int
    warnings: tuple[CallWarning, ...] = ()
    indexes: range = field(default_factory=lambda: range(0))


@dataclass(frozen=True, slots=True)
class EmbedResult:
    """The result of :func:`embed`.

    Attributes:
        embedding: the vector (``dimensions`` numbers; the form ``output`` asked for).
        usage: tokens counted (``input_tokens``; None when the provider reports none).
        response: the HTTP answer.
    """

    embedding: Vector
    usage: Usage
    response: EmbeddingResponse


@dataclass(frozen=True, slots=True)
class EmbedManyResult:
    """The result of :func:`embed_many`.

    Attributes:
        embeddings: one vector per input, in input order.
        usage: the batches' usages summed (``raw`` kept only when there was one batch).
        responses: one answer per batch, in input order.
    """

    embeddings: list[Vector]
    usage: Usage
    responses: list[EmbeddingResponse]
