"""Helpers for the fault-matrix tests: a fake clock for backoff sleeps, a provider
pointing at a :class:`FaultServer`, and SSE bodies."""

from __future__ import annotations

import asyncio
import json

from llmkit.providers.config import ProtocolName, ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.reliability import RetryPolicy, Timeouts
from llmkit.testing.mock import MockTurn, anthropic_messages_sse, openai_chat_sse

FAST = Timeouts(connect=1.0, first_event=0.5, idle=0.5)
"""Scaled-down limits for the rows that test a timeout: the stalls last tenths of seconds, not
minutes. A busy machine only makes them fire later, never earlier."""

PATIENT = Timeouts(connect=30.0, first_event=60.0, idle=60.0)
"""Limits no loaded machine reaches, for the rows that must not time out (a 0.5 s first-event
limit made a healthy retry time out once under a CPU hog)."""

TEXT = "Hello from a flaky network"


class FakeSleep:
    """An async sleep that records the delays (seconds) and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


def policy(sleep: FakeSleep, **kwargs: object) -> RetryPolicy:
    return RetryPolicy(sleep=sleep, **kwargs)


def registry_for(
    url: str, protocol: ProtocolName = "openai-chat", **fields: object
) -> ProviderRegistry:
    config = ProviderConfig.model_validate(
        {
            "id": "flaky",
            "protocol": protocol,
            "base_url": f"{url}/v1",
            "auth": "none",
            "api_key_required": False,
            **fields,
        }
    )
    return ProviderRegistry([config])


def events_of(body: bytes) -> list[bytes]:
    """An SSE body cut into its events (each a separate write)."""
    return [e + b"\n\n" for e in body.split(b"\n\n") if e.strip()]


def openai_events(text: str = TEXT) -> list[bytes]:
    return events_of(openai_chat_sse(MockTurn(text=text, piece=5)))


def anthropic_events(text: str = TEXT) -> list[bytes]:
    return events_of(anthropic_messages_sse(MockTurn(text=text, piece=5)))


def anthropic_error(kind: str = "overloaded_error", message: str = "Overloaded") -> bytes:
    data = json.dumps({"type": "error", "error": {"type": kind, "message": message}})
    return f"event: error\ndata: {data}\n\n".encode()
