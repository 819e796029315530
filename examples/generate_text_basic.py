"""Call a model without streaming, and handle an API error.

Run from the repository root (no network, no API key needed)::

    python examples/generate_text_basic.py

What it shows: :func:`llmkit.generate_text` sends a non-streamed request and returns the finished
result (text, reasoning, usage, finish reason). The responses are real recorded JSON bodies from
``tests/fixtures/json/``, served on 127.0.0.1 by :class:`llmkit.testing.ReplayServer`: first an
Anthropic Claude 3.7 Sonnet answer with extended thinking, then Anthropic's real ``401``
``authentication_error`` body, which llmkit raises as :class:`llmkit.AuthenticationError`.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import llmkit
from llmkit import APIStatusError, AuthenticationError, generate_text
from llmkit.testing import ReplayResponse, ReplayServer

ROOT = Path(__file__).resolve().parents[1]
JSON = ROOT / "tests/fixtures/json"
ANSWER = JSON / "anthropic-anthropic-messages-sonnet37-thinking.json"
ERROR_401 = JSON / "anthropic-anthropic-messages-error-401-authentication.json"


async def main() -> None:
    responses = [
        ReplayResponse.from_file(ANSWER),
        ReplayResponse.from_file(ERROR_401, status=401),
    ]
    with ReplayServer(responses) as server:
        llmkit.registry.register(server.provider("recorded", "anthropic-messages"))

        result = await generate_text(
            model="recorded:claude-3-7-sonnet",
            prompt='How many times does the letter "r" appear in "strawberry"?',
            max_output_tokens=2048,
            reasoning={"budget_tokens": 1024},
        )
        assert result.reasoning_text is not None
        print("reasoning:", result.reasoning_text.splitlines()[0], "...")
        print("text:", result.text)
        print(f"finish reason: {result.finish_reason} (raw {result.raw_finish_reason!r})")
        u = result.usage
        print(f"usage: {u.input_tokens} input, {u.output_tokens} output tokens")
        if result.response is not None:
            print(f"served model: {result.response.model_id}")

        try:
            await generate_text(model="recorded:claude-3-7-sonnet", prompt="Hi")
        except AuthenticationError as exc:  # a subclass of APIStatusError
            print(f"AuthenticationError: status {exc.status_code}, type {exc.error_type!r}")
            print(f"  message: {exc.message}")
        except APIStatusError as exc:  # any other HTTP status error
            print(f"unexpected: {exc}")
            raise


if __name__ == "__main__":
    asyncio.run(main())
