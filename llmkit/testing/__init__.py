"""Test helpers for code built on llmkit: a loopback replay server, a scripted mock model, and a
recorder that turns live provider responses into fixture files the replay server plays."""

from llmkit.testing.fixture import FIXTURE_FORMAT, Fixture, RecordedExchange, load_fixture
from llmkit.testing.mock import (
    MockModel,
    MockTurn,
    anthropic_messages_json,
    anthropic_messages_sse,
    openai_chat_json,
    openai_chat_sse,
)
from llmkit.testing.record import (
    RECORD_ENV,
    Recorder,
    Tape,
    record_or_replay,
    record_responses,
)
from llmkit.testing.replay import (
    RecordedRequest,
    ReplayResponse,
    ReplayServer,
    random_chunks,
    replay_model,
    split_chunks,
)

__all__ = [
    "FIXTURE_FORMAT",
    "RECORD_ENV",
    "Fixture",
    "MockModel",
    "MockTurn",
    "RecordedExchange",
    "RecordedRequest",
    "Recorder",
    "ReplayResponse",
    "ReplayServer",
    "Tape",
    "anthropic_messages_json",
    "anthropic_messages_sse",
    "load_fixture",
    "openai_chat_json",
    "openai_chat_sse",
    "random_chunks",
    "record_or_replay",
    "record_responses",
    "replay_model",
    "split_chunks",
]
