"""A conversation produced by one protocol, sent to the other: reasoning the target cannot take
is dropped with a warning (never sent in a shape that causes a 400); everything else maps."""

from __future__ import annotations

from typing import Any

import fixture_util

from llmkit import stream_text, tool
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer
from llmkit.testing.mock import anthropic_messages_sse, openai_chat_sse


@tool
def fixed_version() -> str:
    """The fixed version."""
    return "1.2.3"


@tool
def get_date() -> str:
    """Today's date."""
    return "2026-05-07"


async def test_anthropic_thinking_conversation_continued_on_openai_chat() -> None:
    file = "sse/anthropic-anthropic-messages-haiku45-thinking-tool-use.sse"
    responses = [
        ReplayResponse.from_file(fixture_util.FIXTURES / file),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="Version 1.2.3."))),
        ReplayResponse(openai_chat_sse(MockTurn(text="It was 1.2.3."))),
    ]
    with ReplayServer(responses) as server:
        registry = ProviderRegistry(
            [
                server.provider("claude", "anthropic-messages"),
                server.provider("gpt", "openai-chat"),
            ]
        )
        first = stream_text(
            model="claude:claude-haiku-4-5",
            prompt="Version?",
            tools=[fixed_version],
            reasoning={"budget_tokens": 1024},
            max_steps=2,
            registry=registry,
        )
        history: list[Any] = [{"role": "user", "content": "Version?"}]
        history += await first.response_messages
        history.append({"role": "user", "content": "Repeat it."})
        second = stream_text(model="gpt:gpt-4o", messages=history, registry=registry)
        assert await second.text == "It was 1.2.3."
        warnings = await second.warnings
        body = server.requests[2].json()
    assert isinstance(body, dict)
    (call,) = body["messages"][1]["tool_calls"]
    assert body["messages"][1:] == [
        {"role": "assistant", "tool_calls": [call]},  # the signed thinking is not sent
        {"role": "tool", "tool_call_id": call["id"], "content": "1.2.3"},
        {"role": "assistant", "content": "Version 1.2.3."},
        {"role": "user", "content": "Repeat it."},
    ]
    assert [(w.type, w.setting) for w in warnings] == [("other", "messages")]


async def test_deepseek_reasoning_continued_on_anthropic() -> None:
    file = "sse/deepseek-openai-chat-reasoning-content-tool-call.sse"
    responses = [
        ReplayResponse.from_file(fixture_util.FIXTURES / file),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="May 7."))),
    ]
    with ReplayServer(responses) as server:
        registry = ProviderRegistry(
            [
                server.provider("ds", "openai-chat"),
                server.provider("claude", "anthropic-messages"),
            ]
        )
        first = stream_text(model="ds:deepseek-v4-flash", prompt="Date?", registry=registry)
        calls = await first.tool_calls
        history: list[Any] = [{"role": "user", "content": "Date?"}]
        history += await first.response_messages  # reasoning (unsigned) + the tool call
        history.append(
            {
                "role": "tool",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_call_id": calls[0].tool_call_id,
                        "tool_name": "get_date",
                        "result": "2026-05-07",
                    }
                ],
            }
        )
        second = stream_text(model="claude:claude-sonnet-4-5", messages=history, registry=registry)
        assert await second.text == "May 7."
        warnings = await second.warnings
        body = server.requests[1].json()
    assert isinstance(body, dict)
    call_id = calls[0].tool_call_id
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": call_id, "name": "get_date", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call_id, "content": "2026-05-07"}],
        },
    ]
    assert [(w.type, w.setting) for w in warnings] == [("unsupported_setting", "messages")]
