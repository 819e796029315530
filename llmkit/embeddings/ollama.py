"""``ollama-embeddings``: Ollama's native ``POST /api/embed``.

Source: Ollama API reference, "Generate Embeddings" (https://github.com/ollama/ollama/blob/main/
docs/api.md#generate-embeddings): ``{"model", "input": string | [strings], "truncate"?,
"dimensions"?, "keep_alive"?, "options"?}`` answers ``{"model", "embeddings": [[...]],
"total_duration", "load_duration", "prompt_eval_count"}``. The reference documents no limit on
the number of inputs; :attr:`OllamaEmbeddingsProtocol.max_batch_size` (512) is llmkit's own
bound on one request's size. The legacy ``/api/embeddings`` answer (``{"embedding": [...]}``,
one vector, no counts) is read too.

The URL is the provider's ``base_url`` without a trailing ``/v1`` (the built-in ``ollama``
provider points at Ollama's OpenAI-compatible ``/v1``) plus ``/api/embed``. Vectors are JSON
numbers. Usage: ``prompt_eval_count`` → ``input_tokens``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit.embeddings._common import check_count, json_object, usage_from
from llmkit.embeddings.base import (
    EmbeddingBatch,
    EmbeddingProtocol,
    OutputForm,
    ParsedEmbeddings,
    Vector,
)
from llmkit.embeddings.vectors import from_numbers
from llmkit.errors import InvalidResponseError
from llmkit.protocols.base import BuiltRequest
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from llmkit.providers.config import ProviderConfig

__all__ = ["OllamaEmbeddingsProtocol"]


class OllamaEmbeddingsProtocol(EmbeddingProtocol):
    """Ollama native embeddings (see the module docstring for the source)."""

    name = "ollama-embeddings"
    max_batch_size = 512

    def build_request(self, batch: EmbeddingBatch, provider: ProviderConfig) -> BuiltRequest:
        """``{"model", "input": [...], "dimensions"?}``; ``task_type`` is dropped with a
        warning (no such field)."""
        base = provider.base_url.removesuffix("/v1")
        body: dict[str, object] = {"model": batch.model_id, "input": list(batch.values)}
        if batch.dimensions is not None:
            body["dimensions"] = batch.dimensions
        body.update(batch.extra_body)
        warnings: tuple[CallWarning, ...] = ()
        if batch.task_type is not None:
            warnings = (
                CallWarning(
                    "unsupported_setting",
                    "task_type",
                    "Ollama's /api/embed has no task type; it was not sent",
                ),
            )
        return BuiltRequest(
            url=f"{base}/api/embed",
            headers={"content-type": "application/json", **provider.headers},
            body=body,
            stream=False,
            warnings=warnings,
        )

    def parse_response(
        self, body: bytes, batch: EmbeddingBatch, output: OutputForm = "list"
    ) -> ParsedEmbeddings:
        """``embeddings`` (or the legacy single ``embedding``), usage from
        ``prompt_eval_count``."""
        obj = json_object(body)
        items = obj.get("embeddings")
        if items is None and "embedding" in obj:
            items = [obj["embedding"]]
        if not isinstance(items, list):
            raise InvalidResponseError(
                "an Ollama embeddings body without 'embeddings'", raw=body[:500]
            )
        embeddings: list[Vector] = [from_numbers(item, output) for item in items]
        check_count(embeddings, batch, body)
        usage = usage_from(obj, "prompt_eval_count")
        if usage.input_tokens is None:
            usage = type(usage)()
        else:
            usage = type(usage)(
                input_tokens=usage.input_tokens,
                total_tokens=usage.input_tokens,
                raw={"prompt_eval_count": usage.input_tokens},
            )
        model = obj.get("model")
        return ParsedEmbeddings(embeddings, usage, model if isinstance(model, str) else None, obj)
