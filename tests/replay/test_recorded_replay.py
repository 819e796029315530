"""Lossless replay of recorded provider answers: a real stream is step 1 of the tool loop (or
the first call of a conversation), and the request llmkit sends next is checked field by field.

The expected thinking text, signatures and redacted data are read straight from the fixture's
SSE events here (not from llmkit's output): Anthropic requires them back byte-exact
("Extended thinking" → "Preserving thinking blocks"), and a signed thinking block must precede
the ``tool_use`` block of the same assistant turn.
"""

from __future__ import annotations

import json
from typing import Any

import fixture_util

from llmkit import stream_text, tool
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer
from llmkit.testing.mock import anthropic_messages_sse, openai_chat_sse

DEEPSEEK = next(p for p in BUILTIN_PROVIDERS if p.id == "deepseek")


def fixture(file: str, **kwargs: Any) -> ReplayResponse:
    return ReplayResponse.from_file(fixture_util.FIXTURES / file, chunking=37, **kwargs)


def anthropic_blocks(file: str) -> list[dict[str, Any]]:
    """The content blocks of a recorded Anthropic stream, accumulated plainly."""
    blocks: dict[int, dict[str, Any]] = {}
    for sse in fixture_util.decode_sse((fixture_util.FIXTURES / file).read_bytes()):
        data = json.loads(sse.data)
        if data["type"] == "content_block_start":
            blocks[data["index"]] = dict(data["content_block"])
        elif data["type"] == "content_block_delta":
            block, delta = blocks[data["index"]], data["delta"]
            if delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = block.get("signature", "") + delta["signature"]
            elif delta["type"] == "text_delta":
                block["text"] += delta["text"]
    return [blocks[i] for i in sorted(blocks)]


@tool
def fixed_version() -> str:
    """The fixed version."""
    return "1.2.3"


async def test_anthropic_thinking_and_signature_go_back_before_tool_use() -> None:
    file = "sse/anthropic-anthropic-messages-haiku45-thinking-tool-use.sse"
    thinking, tool_use = anthropic_blocks(file)
    assert thinking["type"] == "thinking" and tool_use["type"] == "tool_use"
    follow_up = ReplayResponse(anthropic_messages_sse(MockTurn(text="Version 1.2.3.")))
    with ReplayServer([fixture(file), follow_up]) as server:
        registry = ProviderRegistry([server.provider("anthropic-replay", "anthropic-messages")])
        result = stream_text(
            model="anthropic-replay:claude-haiku-4-5",
            prompt="Use fixed_version and tell me the version.",
            tools=[fixed_version],
            reasoning={"budget_tokens": 1024},
            max_steps=2,
            registry=registry,
        )
        assert await result.text == "Version 1.2.3."
        second = server.requests[1].json()
    assert isinstance(second, dict)
    assert second["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "thinking",
                    "thinking": thinking["thinking"],
                    "signature": thinking["signature"],
                },
                {"type": "tool_use", "id": tool_use["id"], "name": "fixed_version", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": "1.2.3"}],
        },
    ]
    assert thinking["signature"].startswith("EoQDCm0IDhgCKkCDzGs2")  # the real, long signature


async def test_anthropic_redacted_thinking_is_replayed_unchanged() -> None:
    file = "sse/anthropic-anthropic-messages-sonnet45-redacted-thinking.sse"
    recorded = anthropic_blocks(file)
    redacted = [b["data"] for b in recorded if b["type"] == "redacted_thinking"]
    text = "".join(b["text"] for b in recorded if b["type"] == "text")
    assert redacted
    follow_up = ReplayResponse(anthropic_messages_sse(MockTurn(text="ok")))
    with ReplayServer([fixture(file), follow_up]) as server:
        registry = ProviderRegistry([server.provider("anthropic-replay", "anthropic-messages")])
        first = stream_text(model="anthropic-replay:m", prompt="magic string", registry=registry)
        history: list[Any] = [{"role": "user", "content": "magic string"}]
        history += await first.response_messages
        history.append({"role": "user", "content": "And now?"})
        second = stream_text(model="anthropic-replay:m", messages=history, registry=registry)
        await second.text
        body = server.requests[1].json()
    assert isinstance(body, dict)
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            *({"type": "redacted_thinking", "data": data} for data in redacted),
            {"type": "text", "text": text},
        ],
    }


@tool
def get_date() -> str:
    """Today's date."""
    return "2026-05-07"


async def test_deepseek_reasoning_content_goes_back_on_the_tool_call_turn() -> None:
    file = "sse/deepseek-openai-chat-reasoning-content-tool-call.sse"
    entry = next(e for e in fixture_util.manifest() if e["file"] == file)
    (call,) = entry["expected"]["tool_calls"]
    follow_up = ReplayResponse(openai_chat_sse(MockTurn(reasoning="Now answer.", text="May 7.")))
    third = ReplayResponse(openai_chat_sse(MockTurn(text="You asked the date.")))
    with ReplayServer([fixture(file), follow_up, third]) as server:
        provider = server.provider("deepseek-replay", "openai-chat", quirks=DEEPSEEK.quirks)
        registry = ProviderRegistry([provider])
        result = stream_text(
            model="deepseek-replay:deepseek-v4-flash",
            prompt="What is the date?",
            tools=[get_date],
            max_steps=3,
            registry=registry,
        )
        assert await result.text == "May 7."
        history: list[Any] = [{"role": "user", "content": "What is the date?"}]
        history += await result.response_messages
        history.append({"role": "user", "content": "What did I ask?"})
        again = stream_text(model="deepseek-replay:m", messages=history, registry=registry)
        await again.text
        step2, step3 = server.requests[1].json(), server.requests[2].json()
    assert isinstance(step2, dict) and isinstance(step3, dict)
    assert step2["messages"][1:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": "get_date", "arguments": "{}"},
                }
            ],
            "reasoning_content": entry["expected"]["reasoning"],
        },
        {"role": "tool", "tool_call_id": call["id"], "content": "2026-05-07"},
    ]
    # DeepSeek ignores reasoning on turns without tool calls: it is not sent, and no warning
    assert step3["messages"][3] == {"role": "assistant", "content": "May 7."}
    assert (await again.warnings) == ()


async def test_generated_ids_stay_unique_across_steps() -> None:
    # Gemini's OpenAI endpoint sends tool calls without ids: llmkit numbers them call_<n> per
    # response, and renames a repeat in a later step so the conversation stays consistent.
    file = "sse/gemini-openai-chat-tool-call-empty-id-finish-stop.sse"

    @tool
    def return_bool(value: bool) -> bool:
        return value

    final = ReplayResponse(openai_chat_sse(MockTurn(text="done")))
    with ReplayServer([fixture(file), fixture(file), final]) as server:
        registry = ProviderRegistry([server.provider("gemini-replay", "openai-chat")])
        result = stream_text(
            model="gemini-replay:gemini-2.5-flash",
            prompt="go",
            tools=[return_bool],
            max_steps=3,
            registry=registry,
        )
        events = [e async for e in result]
        third = server.requests[2].json()
    assert isinstance(third, dict)
    ids = [e.tool_call_id for e in events if e.type == "tool_call"]
    assert ids == ["call_0", "call_0-s1"]
    sent_calls = [m["tool_calls"][0]["id"] for m in third["messages"] if "tool_calls" in m]
    sent_results = [m["tool_call_id"] for m in third["messages"] if m["role"] == "tool"]
    assert sent_calls == sent_results == ["call_0", "call_0-s1"]


async def test_openai_recorded_tool_call_then_result() -> None:
    file = "sse/openai-openai-chat-gpt4o-mini-tool-call.sse"
    entry = next(e for e in fixture_util.manifest() if e["file"] == file)
    (call,) = entry["expected"]["tool_calls"]

    @tool
    def multiply(a: int, b: int) -> int:
        return a * b

    final = ReplayResponse(openai_chat_sse(MockTurn(text="2869461")))
    with ReplayServer([fixture(file), final]) as server:
        registry = ProviderRegistry([server.provider("openai-replay", "openai-chat")])
        result = stream_text(
            model="openai-replay:gpt-4o-mini",
            prompt="1231 * 2331?",
            tools=[multiply],
            max_steps=2,
            registry=registry,
        )
        assert await result.text == "2869461"
        second = server.requests[1].json()
    assert isinstance(second, dict)
    assistant, tool_message = second["messages"][1:]
    assert assistant["role"] == "assistant" and "content" not in assistant
    (sent,) = assistant["tool_calls"]
    assert sent["id"] == call["id"] and sent["type"] == "function"
    assert sent["function"]["name"] == "multiply"
    assert json.loads(sent["function"]["arguments"]) == call["arguments"]
    assert tool_message == {"role": "tool", "tool_call_id": call["id"], "content": "2869461"}
