"""``embed_many`` over a scripted loopback server: batch sizes within the limits, input order
kept whatever order the batches finish in, and a failing batch's typed error."""

from __future__ import annotations

import base64
import pickle
import struct

import pytest

from llmkit.embeddings import embed_many, embed_many_sync
from llmkit.errors import BadRequestError, EmbeddingBatchError
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import RecordedRequest, ReplayResponse, ReplayServer


def _vector(text: str) -> list[float]:
    index = int(text.removeprefix("v"))
    return [float(index), 0.5, -0.25]


def openai_handler(fail_on: str | None = None):  # type: ignore[no-untyped-def]
    """Answers each OpenAI-style request with one vector per input ([index, 0.5, -0.25]),
    base64 when asked; later batches answer faster (cut in chunks with delays for earlier
    ones) so completion order differs from input order; 400 for the batch with ``fail_on``."""

    def handle(request: RecordedRequest) -> ReplayResponse:
        payload = request.json()
        assert isinstance(payload, dict)
        inputs = payload["input"]
        if fail_on is not None and fail_on in inputs:
            return ReplayResponse.json(
                {"error": {"message": "bad input", "type": "invalid_request_error"}}, status=400
            )
        data = []
        for i, text in enumerate(inputs):
            vector = _vector(text)
            if payload.get("encoding_format") == "base64":
                packed = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                data.append({"object": "embedding", "index": i, "embedding": packed})
            else:
                data.append({"object": "embedding", "index": i, "embedding": vector})
        data.reverse()  # ``index`` says the order, not the position
        first = int(inputs[0].removeprefix("v"))
        return ReplayResponse.json(
            {"data": data, "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}},
            # about as many writes whatever the batch size: a batch of 2048 in 16-byte writes
            # would sleep some 9000 times
            chunking=16 * max(1, len(inputs) // 3),
            delay=0.002 if first < 6 else 0.0,
        )

    return handle


def _registry(server: ReplayServer, **fields: object) -> ProviderRegistry:
    return ProviderRegistry([server.provider("rec", "openai-chat", **fields)])


@pytest.mark.parametrize("encoding", ["base64", "float"])
async def test_batches_and_order(encoding: str) -> None:
    values = [f"v{i}" for i in range(10)]
    with ReplayServer(handler=openai_handler()) as server:
        result = await embed_many(
            model="rec:m",
            values=values,
            max_batch_size=3,
            max_parallel=3,
            registry=_registry(server),
            encoding=encoding,  # type: ignore[arg-type]
        )
        sizes = sorted(len(r.json()["input"]) for r in server.requests)  # type: ignore[index]
    assert sizes == [1, 3, 3, 3]
    assert [v[0] for v in result.embeddings] == [float(i) for i in range(10)]
    assert result.embeddings[0] == [0.0, 0.5, -0.25]
    assert result.usage.input_tokens == 10
    assert [r.indexes for r in result.responses] == [
        range(0, 3),
        range(3, 6),
        range(6, 9),
        range(9, 10),
    ]


def test_protocol_limit_and_sync() -> None:
    """Without ``max_batch_size`` the protocol's documented limit applies (OpenAI: 2048)."""
    values = [f"v{i}" for i in range(2050)]
    with ReplayServer(handler=openai_handler()) as server:
        result = embed_many_sync(model="rec:m", values=values, registry=_registry(server))
        sizes = sorted(len(r.json()["input"]) for r in server.requests)  # type: ignore[index]
    assert sizes == [2, 2048]
    assert [v[0] for v in result.embeddings] == [float(i) for i in range(2050)]


def gemini_handler(request: RecordedRequest) -> ReplayResponse:
    payload = request.json()
    assert isinstance(payload, dict)
    texts = [r["content"]["parts"][0]["text"] for r in payload["requests"]]
    return ReplayResponse.json({"embeddings": [{"values": _vector(t)} for t in texts]})


async def test_gemini_batches_of_100() -> None:
    values = [f"v{i}" for i in range(250)]
    with ReplayServer(handler=gemini_handler) as server:
        provider = server.provider("g", "google-generative", base_url=f"{server.url}/v1beta")
        result = await embed_many(
            model="g:gemini-embedding-001",
            values=values,
            task_type="retrieval_document",
            registry=ProviderRegistry([provider]),
        )
        sent = [r.json() for r in server.requests]
    assert sorted(len(s["requests"]) for s in sent) == [50, 100, 100]  # type: ignore[index]
    assert all(
        r["taskType"] == "RETRIEVAL_DOCUMENT"
        for s in sent
        for r in s["requests"]  # type: ignore[index]
    )
    assert [v[0] for v in result.embeddings] == [float(i) for i in range(250)]
    assert result.usage.input_tokens is None  # gemini-embedding-001 reports no usage


async def test_a_failing_batch() -> None:
    values = [f"v{i}" for i in range(10)]
    with (
        ReplayServer(handler=openai_handler(fail_on="v4")) as server,
        pytest.raises(EmbeddingBatchError) as info,
    ):
        await embed_many(
            model="rec:m",
            values=values,
            max_batch_size=3,
            max_parallel=1,
            retry=0,
            registry=_registry(server),
        )
    error = info.value
    assert error.failed_batch == (3, 4, 5)
    assert error.not_embedded == tuple(range(3, 10))  # later batches were not started
    assert error.status_code == 400
    assert error.provider_id == "rec"
    assert error.model_id == "m"
    assert isinstance(error.__cause__, BadRequestError)
    assert "3..5" in str(error)
    restored = pickle.loads(pickle.dumps(error))
    assert restored.not_embedded == error.not_embedded
    assert restored.failed_batch == error.failed_batch


async def test_a_failing_batch_in_parallel_lists_every_missing_index() -> None:
    values = [f"v{i}" for i in range(10)]
    with (
        ReplayServer(handler=openai_handler(fail_on="v0")) as server,
        pytest.raises(EmbeddingBatchError) as info,
    ):
        await embed_many(
            model="rec:m",
            values=values,
            max_batch_size=2,
            max_parallel=5,
            retry=0,
            registry=_registry(server),
        )
    error = info.value
    assert error.failed_batch == (0, 1)
    assert set(error.failed_batch) <= set(error.not_embedded)
    assert list(error.not_embedded) == sorted(error.not_embedded)


async def test_empty_values_send_nothing() -> None:
    with ReplayServer(handler=openai_handler()) as server:
        result = await embed_many(model="rec:m", values=[], registry=_registry(server))
        assert server.requests == []
    assert result.embeddings == []
    assert result.responses == []
