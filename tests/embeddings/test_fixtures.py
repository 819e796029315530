"""Every recorded embeddings body gives its manifest's expected values: through its protocol
(sans-IO) and end to end through ``embed`` / ``embed_many`` (async and sync) over loopback."""

from __future__ import annotations

import array
import hashlib
import pickle
from typing import Any

import pytest

from llmkit.embeddings import (
    EmbeddingBatch,
    embed,
    embed_many,
    embed_many_sync,
    embed_sync,
    get_embedding_protocol,
)
from llmkit.errors import EmbeddingBatchError, NotFoundError
from llmkit.testing import ReplayResponse, ReplayServer

from ._helpers import (
    FOLDER,
    PROTOCOLS,
    body,
    entries,
    fixture_id,
    input_tokens,
    manifest,
    registry_for,
    request_of,
)

OK = entries(200)


def test_the_copied_fixtures_are_unchanged() -> None:
    assert len(manifest()) == 15
    for entry in manifest():
        data = (FOLDER / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert len(data) == entry["bytes"]
        assert entry["file"] in (FOLDER / "NOTICE").read_text()


def check(entry: dict[str, Any], vectors: list[Any], usage: Any) -> None:
    expected = entry["expected"]
    assert len(vectors) == expected["count"]
    assert all(len(v) == expected["dimensions"] for v in vectors)
    assert [round(float(x), 6) for x in vectors[0][:3]] == expected["first_values"]
    assert usage.raw == expected["usage"]
    assert usage.input_tokens == input_tokens(expected["usage"])


@pytest.mark.parametrize("entry", OK, ids=fixture_id)
@pytest.mark.parametrize("output", ["list", "array"])
def test_sans_io_parse(entry: dict[str, Any], output: Any) -> None:
    model, count, dims = request_of(entry)
    protocol = get_embedding_protocol(PROTOCOLS[entry["protocol"]][1])
    batch = EmbeddingBatch(model, ("text",) * count, dims)
    parsed = protocol.parse_response(body(entry), batch, output)
    check(entry, parsed.embeddings, parsed.usage)
    if output == "array":
        assert all(isinstance(v, array.array) and v.typecode in "fdb" for v in parsed.embeddings)


@pytest.mark.parametrize("entry", OK, ids=fixture_id)
async def test_end_to_end_async(entry: dict[str, Any]) -> None:
    model, count, dims = request_of(entry)
    values = [f"text {i}" for i in range(count)]
    with ReplayServer([ReplayResponse.from_file(FOLDER / entry["file"])]) as server:
        registry = registry_for(server, entry)
        result = await embed_many(
            model=f"rec:{model}", values=values, dimensions=dims, registry=registry
        )
        check(entry, result.embeddings, result.usage)
        assert len(result.responses) == 1
        assert result.responses[0].model == f"rec:{model}"
        assert result.responses[0].attempts == 1
        sent = server.requests[0]
        protocol = PROTOCOLS[entry["protocol"]][1]
        if protocol == "openai-embeddings":
            assert sent.path == "/v1/embeddings"
            assert sent.json() == {
                "model": model,
                "input": values,
                "encoding_format": "base64",
                **({"dimensions": dims} if dims else {}),
            }
        elif protocol == "ollama-embeddings":
            assert sent.path == "/api/embed"
        else:
            suffix = ":embedContent" if count == 1 else ":batchEmbedContents"
            assert sent.path == f"/v1beta/models/{model}{suffix}"
        if count == 1:
            one = await embed(model=f"rec:{model}", value="x", dimensions=dims, registry=registry)
            check(entry, [one.embedding], one.usage)


@pytest.mark.parametrize("entry", OK, ids=fixture_id)
def test_end_to_end_sync(entry: dict[str, Any]) -> None:
    model, count, dims = request_of(entry)
    with ReplayServer([ReplayResponse.from_file(FOLDER / entry["file"])]) as server:
        registry = registry_for(server, entry)
        result = embed_many_sync(
            model=f"rec:{model}",
            values=["t"] * count,
            dimensions=dims,
            registry=registry,
            output="array",
        )
        check(entry, result.embeddings, result.usage)
        if count == 1:
            one = embed_sync(model=f"rec:{model}", value="x", dimensions=dims, registry=registry)
            check(entry, [one.embedding], one.usage)


ERROR = entries(404)[0]


async def test_the_recorded_error_body() -> None:
    response = ReplayResponse.from_file(FOLDER / ERROR["file"], status=404)
    with ReplayServer([response]) as server:
        registry = registry_for(server, ERROR)
        with pytest.raises(NotFoundError) as info:
            await embed(model="rec:text-embedding-4-ultra", value="x", registry=registry)
        assert info.value.error_code == ERROR["expected"]["error"]["code"]
        assert "does not exist" in info.value.message
        with pytest.raises(EmbeddingBatchError) as many:
            await embed_many(
                model="rec:text-embedding-4-ultra", values=["a", "b"], registry=registry
            )
        assert many.value.not_embedded == (0, 1)
        assert many.value.status_code == 404
        assert isinstance(many.value.__cause__, NotFoundError)
        restored = pickle.loads(pickle.dumps(many.value))
        assert restored.not_embedded == (0, 1)
