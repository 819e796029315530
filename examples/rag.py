"""Retrieval-augmented generation in about twenty lines: embed the documents, find the ones
closest to the question, answer from them with citations.

Run from the repository root (no network, no API key needed)::

    python examples/rag.py

Both models are local stand-ins on 127.0.0.1: a toy embedding model (words hashed into 64
dimensions, served as an OpenAI-compatible ``/embeddings`` endpoint) and a scripted chat model
(:class:`llmkit.testing.MockModel`). With real providers, drop the servers and the
``registry=`` arguments, and name models such as ``"openai:text-embedding-3-small"`` and
``"anthropic:claude-sonnet-4-5"``.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmkit import cosine_similarity, embed, embed_many, generate_text
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, RecordedRequest, ReplayResponse, ReplayServer

DOCS = [
    "The Eiffel Tower is 330 metres tall and stands in Paris.",
    "Mount Everest is the highest mountain above sea level.",
    "The Louvre in Paris is the most visited art museum in the world.",
    "Python was created by Guido van Rossum and first released in 1991.",
]
QUESTION = "What is there to see in Paris?"


def toy_vector(text: str, dims: int = 64) -> list[float]:
    """Words hashed into ``dims`` buckets: texts sharing words point the same way."""
    vector = [0.0] * dims
    for word in text.lower().replace("?", "").replace(".", "").split():
        vector[hashlib.sha256(word.encode()).digest()[0] % dims] += 1.0
    return vector


def embeddings_endpoint(request: RecordedRequest) -> ReplayResponse:
    """An OpenAI-compatible ``POST /embeddings`` answering with toy vectors."""
    body = request.json()
    assert isinstance(body, dict)
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = [{"index": i, "embedding": toy_vector(t)} for i, t in enumerate(inputs)]
    tokens = sum(len(t.split()) for t in inputs)
    return ReplayResponse.json(
        {"data": data, "model": body["model"], "usage": {"prompt_tokens": tokens}}
    )


async def main() -> None:
    chat = MockModel(["The Eiffel Tower [1] and the Louvre, the most visited art museum [2]."])
    with ReplayServer(handler=embeddings_endpoint) as server, chat:
        registry = ProviderRegistry([server.provider("local", "openai-chat")])
        model = "local:toy-embedder"
        # 1. embed the documents (one batched request), then the question
        documents = await embed_many(model=model, values=DOCS, registry=registry)
        question = await embed(model=model, value=QUESTION, registry=registry)
        # 2. the two documents closest to the question
        scores = [cosine_similarity(question.embedding, d) for d in documents.embeddings]
        best = sorted(range(len(DOCS)), key=lambda i: scores[i], reverse=True)[:2]
        sources = "\n".join(f"[{n}] {DOCS[i]}" for n, i in enumerate(best, 1))
        # 3. answer from them, citing them by number
        answer = await generate_text(
            model=chat.model,
            system="Answer from the sources only; cite them as [n].",
            prompt=f"Sources:\n{sources}\n\nQuestion: {QUESTION}",
        )
    print(sources)
    print("answer:", answer.text)
    print(
        "embedding tokens:",
        (documents.usage.input_tokens or 0) + (question.usage.input_tokens or 0),
    )


if __name__ == "__main__":
    asyncio.run(main())
