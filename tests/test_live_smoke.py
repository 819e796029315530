"""Optional smoke tests against real providers. They run only when LLMKIT_LIVE_TESTS=1 and the
provider's key variable is set; CI and the default test run skip them (they prove nothing the
recorded-stream tests do not, and are never counted as coverage)."""

from __future__ import annotations

import os

import pytest

from llmkit import stream_text

LIVE = os.environ.get("LLMKIT_LIVE_TESTS") == "1"


@pytest.mark.parametrize(
    ("model", "env"),
    [
        ("openai:gpt-4.1-mini", "OPENAI_API_KEY"),
        ("anthropic:claude-haiku-4-5", "ANTHROPIC_API_KEY"),
        ("deepseek:deepseek-chat", "DEEPSEEK_API_KEY"),
        ("groq:llama-3.3-70b-versatile", "GROQ_API_KEY"),
    ],
)
async def test_live_stream(model: str, env: str) -> None:
    if not (LIVE and os.environ.get(env)):
        pytest.skip(f"live test: set LLMKIT_LIVE_TESTS=1 and {env}")
    result = stream_text(
        model=model, prompt="Reply with the single word: pong", max_output_tokens=20
    )
    assert "pong" in (await result.text).lower()
    usage = await result.usage
    assert usage.input_tokens and usage.output_tokens
    assert await result.finish_reason == "stop"
