"""A conversation stored as JSON (``model_dump(mode="json")``) and loaded back with
``to_messages`` is sent exactly as the original: signatures, tool ids, inline image bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit import stream_text, tool
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.types.messages import ImagePart, TextPart, UserMessage, to_messages
from llmkit.types.options import CallOptions

PROVIDERS = {p.id: p for p in BUILTIN_PROVIDERS}


@tool
def add(a: int, b: int) -> int:
    """Add."""
    return a + b


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
async def test_stored_conversation_replays_identically(protocol: str) -> None:
    registry = ProviderRegistry()
    script = [
        MockTurn(reasoning="sum", signature="c2ln", tool_calls=[("add", {"a": 1, "b": 2})]),
        MockTurn(text="3"),
    ]
    with MockModel(script, protocol=protocol, registry=registry) as mock:
        result = stream_text(
            model=mock.model, prompt="1+2", tools=[add], max_steps=2, registry=registry
        )
        produced = await result.response_messages
    history: list[Any] = [
        UserMessage(
            content=[
                TextPart(text="1+2, and what is this?"),
                ImagePart(image=b"\x89PNG\r\n\x1a\n\x00\xff", media_type="image/png"),
            ]
        ),
        *produced,
    ]
    stored = json.dumps([m.model_dump(mode="json") for m in history])
    loaded = to_messages(json.loads(stored))
    if protocol == "openai-chat":
        build: Any = OpenAIChatProtocol().build_request
        provider = PROVIDERS["openai"]
    else:
        build = AnthropicMessagesProtocol().build_request
        provider = PROVIDERS["anthropic"]
    original = build(CallOptions(messages=history), provider, "m").body
    again = build(CallOptions(messages=loaded), provider, "m").body
    assert again == original
    if protocol == "anthropic-messages":
        assert original["messages"][1]["content"][0] == {
            "type": "thinking",
            "thinking": "sum",
            "signature": "c2ln",
        }
