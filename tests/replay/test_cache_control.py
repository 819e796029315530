"""Anthropic prompt caching: ``cache_control`` breakpoints on tools, system, messages and parts
(Anthropic API reference, "Prompt caching"), and cache usage reported from a recorded stream."""

from __future__ import annotations

from typing import Any

import fixture_util
import pytest
from pydantic import JsonValue

from llmkit import stream_text, tool
from llmkit.errors import UnsupportedFeatureError
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import ReplayResponse, ReplayServer
from llmkit.types.messages import (
    AssistantMessage,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    UserMessage,
)
from llmkit.types.options import CallOptions

ANTHROPIC = next(p for p in BUILTIN_PROVIDERS if p.id == "anthropic")
OPENAI = next(p for p in BUILTIN_PROVIDERS if p.id == "openai")
EPHEMERAL = {"type": "ephemeral"}
HOUR: dict[str, JsonValue] = {"type": "ephemeral", "ttl": "1h"}
CACHE = {"anthropic": {"cache_control": EPHEMERAL}}


@tool(provider_options={"anthropic": {"cache_control": HOUR}})
def search(query: str) -> str:
    """Search the docs."""
    return query


def build(**kwargs: Any) -> dict[str, Any]:
    call = CallOptions(**kwargs)
    body = AnthropicMessagesProtocol().build_request(call, ANTHROPIC, "claude-sonnet-4-5").body
    return body  # type: ignore[return-value]


def test_breakpoints_on_tools_system_messages_and_parts() -> None:
    body = build(
        system="You answer from the docs.",
        tools=[search.definition],
        messages=[
            SystemMessage(content="<docs>...long...</docs>", provider_options=CACHE),
            UserMessage(content="Find caching.", provider_options=CACHE),
            AssistantMessage(
                content=[
                    ToolCallPart(tool_call_id="t1", tool_name="search", args={"query": "cache"})
                ]
            ),
            ToolMessage(
                content=[
                    ToolResultPart(
                        tool_call_id="t1", tool_name="search", result="...", provider_options=CACHE
                    )
                ]
            ),
        ],
    )
    assert body["tools"] == [
        {
            "name": "search",
            "description": "Search the docs.",
            "input_schema": search.parameters,
            "cache_control": HOUR,
        }
    ]
    assert body["system"] == [
        {"type": "text", "text": "You answer from the docs."},
        {"type": "text", "text": "<docs>...long...</docs>", "cache_control": EPHEMERAL},
    ]
    assert body["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Find caching.", "cache_control": EPHEMERAL}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "search", "input": {"query": "cache"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": "...",
                    "cache_control": EPHEMERAL,
                }
            ],
        },
    ]


def test_system_stays_a_string_without_options() -> None:
    body = build(system="A", messages=[SystemMessage(content="B"), UserMessage(content="hi")])
    assert body["system"] == "A\n\nB"


def test_call_level_breakpoint_goes_on_the_last_block() -> None:
    body = build(
        messages=[
            UserMessage(content=[TextPart(text="one"), TextPart(text="two")]),
        ],
        provider_options=CACHE,
    )
    assert "cache_control" not in body  # not a top-level field
    assert body["messages"][-1]["content"] == [
        {"type": "text", "text": "one"},
        {"type": "text", "text": "two", "cache_control": EPHEMERAL},
    ]


def test_more_than_four_breakpoints_are_refused() -> None:
    marked = [UserMessage(content=f"m{i}", provider_options=CACHE) for i in range(4)]
    with pytest.raises(UnsupportedFeatureError, match="at most 4"):
        build(tools=[search.definition], messages=marked)
    build(messages=marked)  # four are fine


def test_openai_chat_ignores_anthropic_options() -> None:
    call = CallOptions(
        tools=[search.definition],
        messages=[UserMessage(content=[TextPart(text="hi", provider_options=CACHE)])],
        provider_options=CACHE,
    )
    body = OpenAIChatProtocol().build_request(call, OPENAI, "gpt-4o").body
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert "cache_control" not in body["tools"][0]["function"]  # type: ignore[index]
    assert "cache_control" not in body


async def test_cache_usage_is_reported() -> None:
    file = "sse/anthropic-anthropic-messages-haiku45-cache-read-and-creation.sse"
    entry = next(e for e in fixture_util.manifest() if e["file"] == file)
    raw = entry["expected"]["usage"]
    with ReplayServer([ReplayResponse.from_file(fixture_util.FIXTURES / file)]) as server:
        registry = ProviderRegistry([server.provider("anthropic-replay", "anthropic-messages")])
        result = stream_text(
            model="anthropic-replay:claude-haiku-4-5",
            messages=[UserMessage(content="When was that?", provider_options=CACHE)],
            registry=registry,
        )
        usage = await result.usage
        sent = server.requests[0].json()
    assert isinstance(sent, dict)
    assert sent["messages"][0]["content"][-1]["cache_control"] == EPHEMERAL
    assert usage.cache_read_tokens == raw["cache_read_input_tokens"]
    assert usage.cache_write_tokens == raw["cache_creation_input_tokens"]
    # llmkit's input_tokens include cache reads and writes (Anthropic's exclude them)
    assert usage.input_tokens == (
        raw["input_tokens"] + raw["cache_read_input_tokens"] + raw["cache_creation_input_tokens"]
    )
