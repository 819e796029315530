"""Register a custom OpenAI-compatible provider at runtime and stream from it.

Run from the repository root (no network, no API key needed)::

    python examples/custom_provider.py

What it shows: a local OpenAI-compatible server (here a :class:`llmkit.testing.ReplayServer`
playing a real recorded Ollama stream on 127.0.0.1) is described with a
:class:`llmkit.ProviderConfig` and registered in ``llmkit.registry``. ``registry.resolve`` splits a
``"provider:model"`` string into the provider config and the model id; ``stream_text`` then
streams from the new provider like from any built-in one. The same provider could be declared in
the providers TOML file instead (see the Providers page of the docs).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import llmkit
from llmkit import ProviderConfig, Quirks, stream_text
from llmkit.testing import ReplayServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests/fixtures/sse/ollama-openai-chat-llama31-text.sse"


async def main() -> None:
    with ReplayServer.from_file(FIXTURE, chunking=24) as server:
        local = ProviderConfig(
            id="my-local",
            name="My local server",
            protocol="openai-chat",  # speaks POST {base_url}/chat/completions
            base_url=f"{server.url}/v1",  # e.g. "http://127.0.0.1:8080/v1" for a real server
            api_key_env="MY_LOCAL_API_KEY",  # read if set; not required:
            api_key_required=False,
            default_model="llama3.1",
            quirks=Quirks(stream_usage=False),  # this server rejects stream_options
        )
        llmkit.registry.register(local)
        print(f"registered: {local!r}")

        provider, model_id = llmkit.registry.resolve("my-local:llama3.1:8b")
        print(f"resolve('my-local:llama3.1:8b') -> provider {provider.id!r}, model {model_id!r}")
        provider, model_id = llmkit.registry.resolve("my-local")
        print(f"resolve('my-local') -> provider {provider.id!r}, model {model_id!r} (default)")

        print("answer: ", end="")
        async for piece in stream_text(model="my-local:llama3.1", prompt="Hello!").text_stream:
            print(piece, end="", flush=True)
        print()

        request = server.requests[0]
        body = request.json()
        assert isinstance(body, dict)
        print(f"sent: POST {request.path} model={body['model']!r} stream={body['stream']}")
        print("stream_options sent:", "stream_options" in body)

        llmkit.registry.unregister("my-local")


if __name__ == "__main__":
    asyncio.run(main())
