"""Stream a model's answer: text as it arrives, then usage and finish reason.

Run from the repository root (no network, no API key needed)::

    python examples/stream_basic.py

What it shows: a real OpenAI ``gpt-4o`` chat-completions stream, recorded byte for byte in
``tests/fixtures/sse/``, is served by :class:`llmkit.testing.ReplayServer` on 127.0.0.1 in small
network chunks. The server is registered as a provider, and :func:`llmkit.stream_text` reads it
exactly as it would read ``api.openai.com``: ``async for`` over stream events, then awaited
accumulated fields (``usage``, ``finish_reason``).

Against the real service you would only change the model string (``"openai:gpt-4o"``) and
provide a key (``OPENAI_API_KEY`` or ``llmkit keys set openai``).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import llmkit
from llmkit import stream_text
from llmkit.testing import ReplayServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests/fixtures/sse/openai-openai-chat-gpt4o-text-include-usage.sse"


async def main() -> None:
    # 16-byte network writes, 5 ms apart: the stream arrives piece by piece, as from a server.
    with ReplayServer.from_file(FIXTURE, chunking=16, delay=0.005) as server:
        llmkit.registry.register(server.provider("recorded", "openai-chat"))

        result = stream_text(
            model="recorded:gpt-4o",
            system="Answer in one sentence.",
            prompt="What is the capital of Ireland?",
        )
        async for event in result:
            if event.type == "response_metadata":
                print(f"[served by model {event.model_id}, response {event.response_id}]")
            elif event.type == "text_delta":
                print(event.delta, end="", flush=True)
        print()

        usage = await result.usage  # the stream is finished, so these return at once
        print(f"finish reason: {await result.finish_reason}")
        print(f"usage: {usage.input_tokens} input, {usage.output_tokens} output tokens")

        # What llmkit sent (the replay server records every request):
        request = server.requests[0]
        body = request.json()
        assert isinstance(body, dict)
        print(f"request: POST {request.path} model={body['model']!r}")


if __name__ == "__main__":
    asyncio.run(main())
