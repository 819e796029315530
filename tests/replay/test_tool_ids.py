"""Tool-call ids minted by one provider, sent to a protocol with stricter rules: Anthropic takes
only ``^[a-zA-Z0-9_-]+$`` (a 400 "String should match pattern" otherwise), so an id such as
Moonshot Kimi's ``functions.get_weather:0`` is rewritten, identically in the ``tool_use`` block
and in the ``tool_result`` that answers it; valid ids are sent byte for byte."""

from __future__ import annotations

import re
from typing import Any

import fixture_util
import pytest

from llmkit import stream_text, tool
from llmkit.protocols._ids import ToolCallIdFormat
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.anthropic_messages.convert_messages import (
    TOOL_CALL_ID_FORMAT as ANTHROPIC_IDS,
)
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer
from llmkit.testing.mock import anthropic_messages_sse, openai_chat_sse
from llmkit.types.messages import (
    AssistantMessage,
    Message,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    UserMessage,
)
from llmkit.types.options import CallOptions

PROVIDERS = {p.id: p for p in BUILTIN_PROVIDERS}
ANTHROPIC_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")  # from Anthropic's 400 message

ODD_IDS = [
    "functions.get_weather:0",  # Moonshot Kimi
    "functions.get_weather:1",
    "call with spaces",
    "wetter/über:☀",  # unicode
    "call|42",
    "a.b",
    "a:b",  # sanitises like a.b
    "a_b",  # what both would become without the hash: already valid, kept
    "",
    "x" * 300,  # long
    "y" * 299 + ".",  # long and invalid
]


def conversation(ids: list[str]) -> list[Message]:
    return [
        UserMessage(content="Weather?"),
        AssistantMessage(
            content=[
                ToolCallPart(tool_call_id=i, tool_name="get_weather", args={"n": n})
                for n, i in enumerate(ids)
            ]
        ),
        ToolMessage(
            content=[
                ToolResultPart(tool_call_id=i, tool_name="get_weather", result=f"r{n}")
                for n, i in enumerate(ids)
            ]
        ),
    ]


def anthropic_body(messages: list[Message]) -> Any:
    call = CallOptions(messages=messages)
    return AnthropicMessagesProtocol().build_request(call, PROVIDERS["anthropic"], "m").body


def openai_body(messages: list[Message]) -> Any:
    call = CallOptions(messages=messages)
    return OpenAIChatProtocol().build_request(call, PROVIDERS["openai"], "m").body


def test_anthropic_gets_valid_distinct_and_paired_ids() -> None:
    body = anthropic_body(conversation(ODD_IDS))
    assistant, results = body["messages"][1]["content"], body["messages"][2]["content"]
    calls = [b["id"] for b in assistant]
    answered = [b["tool_use_id"] for b in results]
    assert calls == answered  # every result still names its call
    assert all(ANTHROPIC_PATTERN.match(i) for i in calls)
    assert len(set(calls)) == len(ODD_IDS)  # no two ids collapsed into one
    assert [b["input"]["n"] for b in assistant] == list(range(len(ODD_IDS)))
    assert [b["content"] for b in results] == [f"r{n}" for n in range(len(ODD_IDS))]


def test_the_mapping_is_deterministic_and_readable() -> None:
    kimi = ANTHROPIC_IDS.map("functions.get_weather:0")
    assert re.fullmatch(r"functions_get_weather_0_[0-9a-f]{12}", kimi)
    assert ANTHROPIC_IDS.map("functions.get_weather:0") == kimi  # same input, same output
    again = ToolCallIdFormat(allowed="a-zA-Z0-9_-")  # another instance, same rule
    assert again.map("functions.get_weather:0") == kimi
    assert ANTHROPIC_IDS.map("a.b") != ANTHROPIC_IDS.map("a:b")
    assert ANTHROPIC_IDS.map("a_b") == "a_b"
    assert ANTHROPIC_IDS.map("x" * 300) == "x" * 300  # no documented length limit
    assert ANTHROPIC_IDS.map("") != ""


@pytest.mark.parametrize(
    "valid",
    ["toolu_01A09q90qw90lq917835lq9", "call_abc-DEF_123", "x", "functions_get_weather_0"],
)
def test_valid_ids_are_sent_byte_for_byte(valid: str) -> None:
    body = anthropic_body(conversation([valid]))
    assert body["messages"][1]["content"][0]["id"] == valid
    assert body["messages"][2]["content"][0]["tool_use_id"] == valid


def test_openai_chat_sends_every_id_unchanged() -> None:
    body = openai_body(conversation(ODD_IDS))
    calls = [c["id"] for c in body["messages"][1]["tool_calls"]]
    answered = [m["tool_call_id"] for m in body["messages"][2:]]
    assert calls == answered == ODD_IDS


def test_a_length_limit_keeps_ids_distinct() -> None:
    limited = ToolCallIdFormat(allowed="a-zA-Z0-9_-", max_length=40)
    long_a, long_b = "call_" + "a" * 60 + "1", "call_" + "a" * 60 + "2"
    mapped = {limited.map(long_a), limited.map(long_b)}
    assert len(mapped) == 2
    assert all(len(i) == 40 and ANTHROPIC_PATTERN.match(i) for i in mapped)
    assert limited.map("call_" + "a" * 35) == "call_" + "a" * 35  # 40: unchanged
    with pytest.raises(ValueError, match="hash suffix"):
        ToolCallIdFormat(allowed="a-z")
    with pytest.raises(ValueError, match="max_length"):
        ToolCallIdFormat(max_length=8)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


async def test_a_kimi_conversation_continued_on_anthropic() -> None:
    kimi_turn = MockTurn(
        tool_calls=[("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})],
        tool_call_ids=["functions.get_weather:0", "functions.get_weather:1"],
    )
    responses = [
        ReplayResponse(openai_chat_sse(kimi_turn)),
        ReplayResponse(openai_chat_sse(MockTurn(text="Sunny in both."))),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="Still sunny."))),
    ]
    with ReplayServer(responses) as server:
        registry = ProviderRegistry(
            [
                server.provider("kimi", "openai-chat"),
                server.provider("claude", "anthropic-messages"),
            ]
        )
        first = stream_text(
            model="kimi:kimi-k2",
            prompt="Weather in Paris and Oslo?",
            tools=[get_weather],
            max_steps=2,
            registry=registry,
        )
        history: list[Any] = [{"role": "user", "content": "Weather in Paris and Oslo?"}]
        history += await first.response_messages
        history.append({"role": "user", "content": "And now?"})
        second = stream_text(model="claude:claude-haiku-4-5", messages=history, registry=registry)
        assert await second.text == "Still sunny."
        kimi_followup = server.requests[1].json()
        body = server.requests[2].json()
    assert isinstance(kimi_followup, dict)
    assert [c["id"] for c in kimi_followup["messages"][1]["tool_calls"]] == [
        "functions.get_weather:0",  # Kimi gets its own ids back unchanged
        "functions.get_weather:1",
    ]
    assert isinstance(body, dict)
    uses = [b for b in body["messages"][1]["content"] if b["type"] == "tool_use"]
    results = body["messages"][2]["content"]
    assert [b["id"] for b in uses] == [b["tool_use_id"] for b in results]
    assert [b["id"] for b in uses] == [
        ANTHROPIC_IDS.map("functions.get_weather:0"),
        ANTHROPIC_IDS.map("functions.get_weather:1"),
    ]
    assert all(ANTHROPIC_PATTERN.match(b["id"]) for b in uses)
    assert [b["content"] for b in results] == ["sunny in Paris", "sunny in Oslo"]
    # the conversation itself keeps the ids the provider minted
    calls = [p for m in history if isinstance(m, AssistantMessage) for p in m.content]
    assert [p.tool_call_id for p in calls if isinstance(p, ToolCallPart)] == [
        "functions.get_weather:0",
        "functions.get_weather:1",
    ]


async def test_anthropic_recorded_tool_ids_replay_byte_for_byte() -> None:
    file = "sse/anthropic-anthropic-messages-haiku45-thinking-tool-use.sse"
    responses = [
        ReplayResponse.from_file(fixture_util.FIXTURES / file),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="Done."))),
    ]

    @tool
    def fixed_version() -> str:
        """The fixed version."""
        return "1.2.3"

    with ReplayServer(responses) as server:
        registry = ProviderRegistry([server.provider("claude", "anthropic-messages")])
        result = stream_text(
            model="claude:claude-haiku-4-5",
            prompt="Version?",
            tools=[fixed_version],
            reasoning={"budget_tokens": 1024},
            max_steps=2,
            registry=registry,
        )
        await result.text
        recorded = [
            p.tool_call_id
            for m in await result.response_messages
            if isinstance(m, AssistantMessage)
            for p in m.content
            if isinstance(p, ToolCallPart)
        ]
        body = server.requests[1].json()
    assert recorded and all(i.startswith("toolu_") for i in recorded)
    assert isinstance(body, dict)
    sent = [
        b["id"]
        for m in body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "tool_use"
    ]
    assert sent == recorded
