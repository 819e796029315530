"""Telemetry costs nothing when it is off, and says what to install when it is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> object:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "LLMKIT_PROVIDERS_FILE": os.devnull,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_call_without_telemetry_never_imports_opentelemetry() -> None:
    code = """if True:
        import asyncio, json, sys
        import llmkit
        from llmkit import (
            ProviderRegistry, embed, embed_many, embed_sync, generate_object, generate_text,
            stream_object, stream_text,
        )
        from llmkit.testing import MockModel, ReplayResponse, ReplayServer

        def vectors(request):
            inputs = request.json()["input"]
            data = [{"index": i, "embedding": [1.0, 2.0]} for i in range(len(inputs))]
            return ReplayResponse.json({"data": data, "usage": {"prompt_tokens": 1}})

        async def main():
            with MockModel(["Hi.", "Hello.", '{"a": 1}', '{"a": 2}']) as mock:
                assert await stream_text(model=mock.model, prompt="x").text == "Hi."
                assert (await generate_text(model=mock.model, prompt="x")).text == "Hello."
                schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
                streamed = stream_object(model=mock.model, schema=schema, prompt="x")
                assert await streamed.object == {"a": 1}
                generated = await generate_object(model=mock.model, schema=schema, prompt="x")
                assert generated.object == {"a": 2}
            with ReplayServer(handler=vectors) as server:
                registry = ProviderRegistry([server.provider("rec", "openai-chat")])
                one = await embed(model="rec:m", value="x", registry=registry)
                assert list(one.embedding) == [1.0, 2.0]
                many = await embed_many(
                    model="rec:m", values=["x", "y", "z"], max_batch_size=2, registry=registry
                )
                assert len(many.embeddings) == 3

        asyncio.run(main())
        with ReplayServer(handler=vectors) as server:
            registry = ProviderRegistry([server.provider("rec", "openai-chat")])
            assert list(embed_sync(model="rec:m", value="x", registry=registry).embedding)
        print(json.dumps(sorted(m for m in sys.modules
                                if m.split(".")[0] == "opentelemetry" or m == "llmkit.telemetry")))
    """
    assert _run(code) == []


def test_without_opentelemetry_asking_for_telemetry_says_what_to_install() -> None:
    code = """if True:
        import asyncio, json, sys
        sys.modules["opentelemetry"] = None  # as if opentelemetry-api were not installed
        from llmkit import embed, stream_text
        import llmkit.telemetry as telemetry

        messages = []
        for attempt in (
            lambda: telemetry.Telemetry(),
            lambda: telemetry.instrument(),
            lambda: stream_text(model="openai:gpt-4o", prompt="Hi", telemetry=True),
            lambda: asyncio.run(embed(model="openai:m", value="Hi", telemetry=True)),
        ):
            try:
                attempt()
            except ImportError as exc:
                messages.append(str(exc))
        print(json.dumps(messages))
    """
    messages = _run(code)
    assert isinstance(messages, list) and len(messages) == 4
    for message in messages:
        assert "pip install 'llmkit[otel]'" in message
