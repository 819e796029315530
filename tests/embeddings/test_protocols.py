"""Request building of each embedding protocol, the registry (custom protocols, the defaults per
chat protocol and per provider), ``"provider"`` alone, fallbacks, and the lazy import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from llmkit.embeddings import (
    EmbeddingBatch,
    EmbeddingProtocol,
    OutputForm,
    ParsedEmbeddings,
    embed,
    embedding_protocol_for,
    get_embedding_protocol,
    register_embedding_protocol,
)
from llmkit.embeddings.registry import default_embedding_model
from llmkit.errors import ConfigurationError, InvalidArgumentError
from llmkit.protocols.base import BuiltRequest
from llmkit.providers.builtin import builtin_provider
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import ReplayResponse, ReplayServer
from llmkit.types.usage import Usage

OPENAI = ProviderConfig(id="o", protocol="openai-chat", base_url="https://api.example.com/v1")
GEMINI = ProviderConfig(
    id="g", protocol="google-generative", base_url="https://gl.example.com/v1beta"
)


def test_openai_request() -> None:
    batch = EmbeddingBatch("text-embedding-3-small", ("a", "b"), 256, "retrieval_query")
    request = get_embedding_protocol("openai-embeddings").build_request(batch, OPENAI)
    assert request.url == "https://api.example.com/v1/embeddings"
    assert request.body == {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "encoding_format": "base64",
        "dimensions": 256,
    }
    assert [w.setting for w in request.warnings] == ["task_type"]


def test_gemini_requests() -> None:
    protocol = get_embedding_protocol("gemini-embeddings")
    one = protocol.build_request(
        EmbeddingBatch("gemini-embedding-001", ("a",), 768, "semantic-similarity"), GEMINI
    )
    assert one.url == "https://gl.example.com/v1beta/models/gemini-embedding-001:embedContent"
    assert one.body == {
        "content": {"parts": [{"text": "a"}]},
        "taskType": "SEMANTIC_SIMILARITY",
        "outputDimensionality": 768,
    }
    many = protocol.build_request(EmbeddingBatch("models/gemini-embedding-001", ("a", "b")), GEMINI)
    assert many.url.endswith("/v1beta/models/gemini-embedding-001:batchEmbedContents")
    assert many.body == {
        "requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": t}]}}
            for t in ("a", "b")
        ]
    }


def test_ollama_request_uses_the_native_root() -> None:
    ollama = builtin_provider("ollama")
    assert ollama is not None
    request = get_embedding_protocol("ollama-embeddings").build_request(
        EmbeddingBatch("nomic-embed-text", ("a",), 512), ollama
    )
    assert request.url == "http://127.0.0.1:11434/api/embed"
    assert request.body == {"model": "nomic-embed-text", "input": ["a"], "dimensions": 512}


def test_protocol_and_model_defaults() -> None:
    assert embedding_protocol_for(OPENAI).name == "openai-embeddings"
    assert embedding_protocol_for(GEMINI).name == "gemini-embeddings"
    native = OPENAI.model_copy(update={"kind_protocols": {"embedding": "ollama-embeddings"}})
    assert embedding_protocol_for(native).name == "ollama-embeddings"
    anthropic = builtin_provider("anthropic")
    assert anthropic is not None
    with pytest.raises(ConfigurationError, match="kind_protocols"):
        embedding_protocol_for(anthropic)
    for provider_id, model in [
        ("openai", "text-embedding-3-small"),
        ("google", "gemini-embedding-001"),
    ]:
        provider = builtin_provider(provider_id)
        assert provider is not None
        assert default_embedding_model(provider) == model
    own = OPENAI.model_copy(update={"default_models": {"embedding": "mine"}})
    assert default_embedding_model(own) == "mine"
    with pytest.raises(ConfigurationError, match="o:<embedding model id>"):
        default_embedding_model(OPENAI)
    with pytest.raises(ConfigurationError, match="unknown embedding protocol"):
        get_embedding_protocol("nope")


class CSVEmbeddings(EmbeddingProtocol):
    """A made-up protocol: POST /embed-csv, one line of comma-separated numbers per input."""

    name = "csv-embeddings"
    max_batch_size = 2

    def build_request(self, batch: EmbeddingBatch, provider: ProviderConfig) -> BuiltRequest:
        return BuiltRequest(
            url=f"{provider.base_url}/embed-csv",
            headers={"content-type": "application/json"},
            body={"texts": list(batch.values)},
            stream=False,
        )

    def parse_response(
        self, body: bytes, batch: EmbeddingBatch, output: OutputForm = "list"
    ) -> ParsedEmbeddings:
        rows = [[float(x) for x in line.split(",")] for line in body.decode().splitlines()]
        return ParsedEmbeddings(list(rows), Usage(), None, {})


async def test_a_custom_protocol_and_the_default_model() -> None:
    register_embedding_protocol(CSVEmbeddings)
    with pytest.raises(ConfigurationError):
        register_embedding_protocol(object)  # type: ignore[arg-type]
    with ReplayServer([ReplayResponse(b"1,2\n", content_type="text/csv")]) as server:
        provider = server.provider(
            "csv",
            "openai-chat",
            kind_protocols={"embedding": "csv-embeddings"},
            default_models={"embedding": "csv-model"},
        )
        result = await embed(model="csv", value="hi", registry=ProviderRegistry([provider]))
        assert server.requests[0].path == "/v1/embed-csv"
        assert server.requests[0].json() == {"texts": ["hi"]}
    assert result.embedding == [1.0, 2.0]
    assert result.response.model == "csv:csv-model"


async def test_a_fallback_model_answers() -> None:
    good = {"data": [{"index": 0, "embedding": [0.5]}], "usage": {"prompt_tokens": 1}}
    with (
        ReplayServer([ReplayResponse.json({"error": {"message": "down"}}, status=503)]) as bad,
        ReplayServer([ReplayResponse.json(good)]) as ok,
    ):
        registry = ProviderRegistry(
            [bad.provider("bad", "openai-chat"), ok.provider("ok", "openai-chat")]
        )
        result = await embed(
            model="bad:m", value="x", retry=0, fallback_models=["ok:m2"], registry=registry
        )
        assert json.loads(ok.requests[0].body)["model"] == "m2"
    assert result.embedding == [0.5]
    assert result.response.model == "ok:m2"
    assert result.response.attempts == 2


async def test_wrong_arguments() -> None:
    registry = ProviderRegistry([OPENAI])
    with pytest.raises(InvalidArgumentError):
        await embed(model="o:m", value=["a"], registry=registry)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        await embed(model="o:m", value="a", dimensions=0, registry=registry)
    with pytest.raises(InvalidArgumentError):
        await embed(model="o:m", value="a", output="tuple", registry=registry)  # type: ignore[arg-type]
    from llmkit.embeddings import embed_many

    with pytest.raises(InvalidArgumentError):
        await embed_many(model="o:m", values="abc", registry=registry)
    with pytest.raises(InvalidArgumentError):
        await embed_many(model="o:m", values=["a"], max_parallel=0, registry=registry)


def test_import_llmkit_does_not_import_embeddings() -> None:
    code = "import sys, llmkit; print('llmkit.embeddings' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
