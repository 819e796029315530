"""Test helpers for code built on llmkit: a loopback replay server and a scripted mock model."""

from llmkit.testing.mock import (
    MockModel,
    MockTurn,
    anthropic_messages_json,
    anthropic_messages_sse,
    openai_chat_json,
    openai_chat_sse,
)
from llmkit.testing.replay import (
    RecordedRequest,
    ReplayResponse,
    ReplayServer,
    random_chunks,
    split_chunks,
)

__all__ = [
    "MockModel",
    "MockTurn",
    "RecordedRequest",
    "ReplayResponse",
    "ReplayServer",
    "anthropic_messages_json",
    "anthropic_messages_sse",
    "openai_chat_json",
    "openai_chat_sse",
    "random_chunks",
    "split_chunks",
]
