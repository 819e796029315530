"""Embeddings: :func:`embed`, :func:`embed_many` (and ``*_sync``), :func:`cosine_similarity`,
and the sans-IO embedding protocols, registered like the chat protocols.

Not imported by ``import llmkit`` until an embedding name is used (the package's
``__getattr__`` imports it lazily).

Built-in protocols (:data:`llmkit.embeddings.registry.BUILTIN`): ``openai-embeddings``
(OpenAI-compatible ``/embeddings``), ``gemini-embeddings`` (Gemini ``:embedContent`` /
``:batchEmbedContents``) and ``ollama-embeddings`` (Ollama ``/api/embed``).
"""

from __future__ import annotations

from llmkit.embeddings._api import embed, embed_many, embed_many_sync, embed_sync
from llmkit.embeddings.base import (
    EmbeddingBatch,
    EmbeddingProtocol,
    OutputForm,
    ParsedEmbeddings,
    Vector,
)
from llmkit.embeddings.registry import (
    embedding_protocol_for,
    embedding_protocol_names,
    get_embedding_protocol,
    register_embedding_protocol,
)
from llmkit.embeddings.results import EmbeddingResponse, EmbedManyResult, EmbedResult
from llmkit.embeddings.vectors import cosine_similarity

__all__ = [
    "EmbedManyResult",
    "EmbedResult",
    "EmbeddingBatch",
    "EmbeddingProtocol",
    "EmbeddingResponse",
    "OutputForm",
    "ParsedEmbeddings",
    "Vector",
    "cosine_similarity",
    "embed",
    "embed_many",
    "embed_many_sync",
    "embed_sync",
    "embedding_protocol_for",
    "embedding_protocol_names",
    "get_embedding_protocol",
    "register_embedding_protocol",
]
