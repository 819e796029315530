"""``openai-embeddings``: the OpenAI-compatible ``POST {base_url}/embeddings``.

Source: OpenAI API reference, "Embeddings → Create embeddings"
(https://platform.openai.com/docs/api-reference/embeddings/create): ``input`` is a string or an
array of strings, "any array must be 2048 dimensions or less" (at most 2048 inputs per request;
each input at most the model's 8192 tokens, 300,000 tokens summed over a request);
``encoding_format`` ``float`` or ``base64``; ``dimensions`` for ``text-embedding-3`` and later.
The answer is ``{"data": [{"index", "embedding"}], "model", "usage": {"prompt_tokens",
"total_tokens"}}``. The same shape is served by Azure OpenAI / AI Foundry, Mistral, Together,
OpenRouter, Ollama's ``/v1``, vLLM and others.

Usage: ``prompt_tokens`` → ``input_tokens``, ``total_tokens`` → ``total_tokens`` (``raw`` keeps
the vendor's extras: OpenRouter ``cost``, Perplexity ``cost`` object, Mistral nulls).

Base64 vectors are little-endian float32, except Perplexity ``pplx-embed-*`` (int8: the
:data:`BASE64_DTYPES` table) and old vLLM (float64: told by the byte length, see
:mod:`llmkit.embeddings.vectors`).
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
from llmkit.embeddings.vectors import Dtype, decode_base64, from_numbers
from llmkit.errors import InvalidResponseError
from llmkit.protocols.base import BuiltRequest
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from llmkit.providers.config import ProviderConfig

__all__ = ["BASE64_DTYPES", "OpenAIEmbeddingsProtocol"]

BASE64_DTYPES: dict[str, Dtype] = {
    "pplx-embed": "int8",  # Perplexity answers int8 base64 (tests/fixtures/README.md)
}
"""Model id prefix → element type of its base64 vectors when it is not float32."""


def _dtype(model_id: str) -> Dtype | None:
    name = model_id.rsplit("/", 1)[-1]
    for prefix, dtype in BASE64_DTYPES.items():
        if name.startswith(prefix):
            return dtype
    return None


class OpenAIEmbeddingsProtocol(EmbeddingProtocol):
    """OpenAI-compatible ``/embeddings`` (see the module docstring for the source)."""

    name = "openai-embeddings"
    max_batch_size = 2048

    def build_request(self, batch: EmbeddingBatch, provider: ProviderConfig) -> BuiltRequest:
        """``{"model", "input": [...], "encoding_format", "dimensions"?}``; ``task_type`` is
        not part of this API and is dropped with a warning."""
        body: dict[str, object] = {
            "model": batch.model_id,
            "input": list(batch.values),
            "encoding_format": batch.encoding,
        }
        if batch.dimensions is not None:
            body["dimensions"] = batch.dimensions
        body.update(batch.extra_body)
        warnings: tuple[CallWarning, ...] = ()
        if batch.task_type is not None:
            warnings = (
                CallWarning(
                    "unsupported_setting",
                    "task_type",
                    "the OpenAI-compatible /embeddings API has no task type; it was not sent",
                ),
            )
        return BuiltRequest(
            url=f"{provider.base_url}/embeddings",
            headers={"content-type": "application/json", **provider.headers},
            body=body,
            stream=False,
            warnings=warnings,
        )

    def parse_response(
        self, body: bytes, batch: EmbeddingBatch, output: OutputForm = "list"
    ) -> ParsedEmbeddings:
        """Vectors sorted by ``index`` (JSON numbers or base64), usage from ``usage``."""
        obj = json_object(body)
        data = obj.get("data")
        if not isinstance(data, list):
            raise InvalidResponseError("an embeddings body without a 'data' list", raw=body[:500])
        dtype = _dtype(batch.model_id)
        items: list[tuple[int, Vector]] = []
        for position, item in enumerate(data):
            if not isinstance(item, dict):
                raise InvalidResponseError("an embeddings 'data' item is not an object")
            index = item.get("index", position)
            vector = item.get("embedding")
            if isinstance(vector, str):
                decoded = decode_base64(vector, output, dimensions=batch.dimensions, dtype=dtype)
            else:
                decoded = from_numbers(vector, output)
            items.append((index if isinstance(index, int) else position, decoded))
        items.sort(key=lambda pair: pair[0])
        embeddings = [vector for _, vector in items]
        check_count(embeddings, batch, body)
        usage = obj.get("usage")
        model = obj.get("model")
        return ParsedEmbeddings(
            embeddings,
            usage_from(usage, "prompt_tokens", "total_tokens"),
            model if isinstance(model, str) else None,
            obj,
        )
