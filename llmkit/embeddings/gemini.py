"""``gemini-embeddings``: the Gemini API's native ``:embedContent`` and ``:batchEmbedContents``.

Source: Gemini API reference, "Embeddings" (https://ai.google.dev/api/embeddings):

- ``POST {base_url}/models/{model}:embedContent`` with ``{"content": {"parts": [{"text"}]},
  "taskType"?, "outputDimensionality"?}`` answers ``{"embedding": {"values": [...]}}``;
- ``POST {base_url}/models/{model}:batchEmbedContents`` with ``{"requests": [EmbedContentRequest
  with "model": "models/{model}", ...]}`` answers ``{"embeddings": [{"values": [...]}]}``. The
  service refuses more than 100 requests in one batch ("at most 100 requests can be in one
  batch"), so :attr:`GeminiEmbeddingsProtocol.max_batch_size` is 100.
- ``taskType``: ``RETRIEVAL_QUERY``, ``RETRIEVAL_DOCUMENT``, ``SEMANTIC_SIMILARITY``,
  ``CLASSIFICATION``, ``CLUSTERING``, ``QUESTION_ANSWERING``, ``FACT_VERIFICATION``,
  ``CODE_RETRIEVAL_QUERY`` (a lower-case or dashed name is upper-cased here).

Vectors are JSON numbers (no base64 form). Usage: ``usageMetadata.promptTokenCount`` →
``input_tokens`` (sent by ``gemini-embedding-2``, not by ``gemini-embedding-001``: then None).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

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

if TYPE_CHECKING:
    from llmkit.providers.config import ProviderConfig

__all__ = ["GeminiEmbeddingsProtocol"]


def _model_path(model_id: str) -> str:
    return model_id if model_id.startswith(("models/", "tunedModels/")) else f"models/{model_id}"


class GeminiEmbeddingsProtocol(EmbeddingProtocol):
    """Gemini native embeddings (see the module docstring for the source)."""

    name = "gemini-embeddings"
    max_batch_size = 100

    def build_request(self, batch: EmbeddingBatch, provider: ProviderConfig) -> BuiltRequest:
        """``:embedContent`` for one value, ``:batchEmbedContents`` for several; the
        ``encoding`` setting does not apply (always JSON numbers)."""
        path = _model_path(batch.model_id)
        requests = [self._one(path, value, batch) for value in batch.values]
        if len(requests) == 1:
            url = f"{provider.base_url}/{quote(path, safe='/')}:embedContent"
            body: dict[str, object] = {k: v for k, v in requests[0].items() if k != "model"}
        else:
            url = f"{provider.base_url}/{quote(path, safe='/')}:batchEmbedContents"
            body = {"requests": requests}
        body.update(batch.extra_body)
        return BuiltRequest(
            url=url,
            headers={"content-type": "application/json", **provider.headers},
            body=body,
            stream=False,
        )

    @staticmethod
    def _one(path: str, value: str, batch: EmbeddingBatch) -> dict[str, object]:
        request: dict[str, object] = {"model": path, "content": {"parts": [{"text": value}]}}
        if batch.task_type is not None:
            request["taskType"] = batch.task_type.upper().replace("-", "_")
        if batch.dimensions is not None:
            request["outputDimensionality"] = batch.dimensions
        return request

    def parse_response(
        self, body: bytes, batch: EmbeddingBatch, output: OutputForm = "list"
    ) -> ParsedEmbeddings:
        """``embeddings[].values`` (batch) or ``embedding.values`` (single), in order."""
        obj = json_object(body)
        items = obj.get("embeddings")
        if items is None and "embedding" in obj:
            items = [obj["embedding"]]
        if not isinstance(items, list):
            raise InvalidResponseError(
                "a Gemini embeddings body without 'embeddings' or 'embedding'", raw=body[:500]
            )
        embeddings: list[Vector] = []
        for item in items:
            values = item.get("values") if isinstance(item, dict) else None
            embeddings.append(from_numbers(values, output))
        check_count(embeddings, batch, body)
        return ParsedEmbeddings(
            embeddings, usage_from(obj.get("usageMetadata"), "promptTokenCount"), None, obj
        )
