"""openai-responses round trips: a recorded Responses answer is step 1 of the tool loop and the
next request is checked field by field (OpenAI "Reasoning models" guide: with ``store: false``
the reasoning item goes back with its id and ``encrypted_content`` unchanged, before the
``function_call`` it led to; each ``function_call`` is answered by a ``function_call_output``
with the same ``call_id``). Then conversations cross between openai-responses, openai-chat and
anthropic-messages: reasoning that cannot cross is dropped with a warning, the rest maps.

The expected items are read straight from the fixture's SSE events, not from llmkit's output.
"""

from __future__ import annotations

import json
from typing import Any

import fixture_util

from llmkit import stream_text, tool
from llmkit.protocols.openai_responses.fake import openai_responses_sse
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer
from llmkit.testing.mock import anthropic_messages_sse, openai_chat_sse


def fixture(file: str) -> ReplayResponse:
    return ReplayResponse.from_file(fixture_util.FIXTURES / file, chunking=41)


def done_items(file: str) -> list[dict[str, Any]]:
    """The output items of a recorded Responses stream, from its output_item.done events."""
    return [
        json.loads(sse.data)["item"]
        for sse in fixture_util.decode_sse((fixture_util.FIXTURES / file).read_bytes())
        if sse.data.startswith("{") and json.loads(sse.data)["type"] == "response.output_item.done"
    ]


@tool
def final_result(result: int) -> str:
    """Report the final result."""
    return f"noted {result}"


@tool
def get_capital(country: str) -> str:
    """The capital of a country."""
    return "Spudville"


async def test_encrypted_reasoning_and_function_call_go_back_byte_exact() -> None:
    file = "sse/responses/openai-openai-responses-gpt5-encrypted-reasoning-function-call.sse"
    reasoning, call = done_items(file)
    assert reasoning["type"] == "reasoning" and call["type"] == "function_call"
    follow_up = ReplayResponse(openai_responses_sse(MockTurn(text="Done: 6666.")))
    with ReplayServer([fixture(file), follow_up]) as server:
        registry = ProviderRegistry([server.provider("oai", "openai-responses")])
        result = stream_text(
            model="oai:gpt-5",
            prompt="Compute and report.",
            tools=[final_result],
            reasoning={"effort": "low"},
            max_steps=2,
            registry=registry,
        )
        assert await result.text == "Done: 6666."
        first, second = (r.json() for r in server.requests)
    assert isinstance(first, dict) and isinstance(second, dict)
    assert first["store"] is False and first["include"] == ["reasoning.encrypted_content"]
    assert second["input"] == [
        {"role": "user", "content": "Compute and report."},
        {
            "type": "reasoning",
            "id": reasoning["id"],
            "summary": [],
            "encrypted_content": reasoning["encrypted_content"],  # byte for byte
        },
        {
            "type": "function_call",
            "call_id": call["call_id"],
            "name": "final_result",
            "arguments": json.dumps(json.loads(call["arguments"])),
            "id": call["id"],
        },
        {"type": "function_call_output", "call_id": call["call_id"], "output": "noted 6666"},
    ]
    assert second["store"] is False and second["include"] == ["reasoning.encrypted_content"]


async def test_commentary_text_keeps_its_item_id_and_phase() -> None:
    file = "sse/responses/openai-openai-responses-gpt55-phase-function-call.sse"
    reasoning, message, call = done_items(file)
    follow_up = ReplayResponse(openai_responses_sse(MockTurn(text="Spudville.")))
    with ReplayServer([fixture(file), follow_up]) as server:
        registry = ProviderRegistry([server.provider("oai", "openai-responses")])
        result = stream_text(
            model="oai:gpt-5.5",
            prompt="Capital of PotatoLand?",
            tools=[get_capital],
            reasoning={"effort": "low"},
            max_steps=2,
            registry=registry,
        )
        assert await result.text == "Spudville."
        second = server.requests[1].json()
    assert isinstance(second, dict)
    assert second["input"][1:4] == [
        {
            "type": "reasoning",
            "id": reasoning["id"],
            "summary": [],
            "encrypted_content": reasoning["encrypted_content"],
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": message["content"][0]["text"]}],
            "id": message["id"],
            "phase": "commentary",
        },
        {
            "type": "function_call",
            "call_id": call["call_id"],
            "name": "get_capital",
            "arguments": '{"country": "PotatoLand"}',
            "id": call["id"],
        },
    ]
    assert second["input"][4] == {
        "type": "function_call_output",
        "call_id": call["call_id"],
        "output": "Spudville",
    }


async def test_raw_reasoning_text_goes_back_as_content() -> None:
    """DeepSeek streams reasoning_text (not a summary): it goes back as the item's content."""
    file = "sse/responses/deepseek-openai-responses-v4-flash-reasoning-text-function-call.sse"
    reasoning, _call = done_items(file)
    follow_up = ReplayResponse(openai_responses_sse(MockTurn(text="21 C.")))
    with ReplayServer([fixture(file), follow_up]) as server:
        registry = ProviderRegistry(
            [server.provider("ds", "openai-responses", quirks={"store": None})]
        )

        @tool
        def get_temperature(city: str) -> str:
            """Temperature."""
            return "21"

        result = stream_text(
            model="ds:deepseek-v4-flash",
            prompt="Tokyo?",
            tools=[get_temperature],
            max_steps=2,
            registry=registry,
        )
        assert await result.text == "21 C."
        second = server.requests[1].json()
    assert isinstance(second, dict) and "store" not in second
    assert second["input"][1] == {
        "type": "reasoning",
        "id": reasoning["id"],
        "summary": [],
        "content": [{"type": "reasoning_text", "text": reasoning["content"][0]["text"]}],
    }


async def test_responses_conversation_continued_on_openai_chat_and_anthropic() -> None:
    file = "sse/responses/openai-openai-responses-gpt5-encrypted-reasoning-function-call.sse"
    _reasoning, call = done_items(file)
    responses = [
        fixture(file),
        ReplayResponse(openai_responses_sse(MockTurn(text="6666."))),
        ReplayResponse(openai_chat_sse(MockTurn(text="It was 6666."))),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="6666 it was."))),
    ]
    with ReplayServer(responses) as server:
        registry = ProviderRegistry(
            [
                server.provider("oai", "openai-responses"),
                server.provider("gpt", "openai-chat"),
                server.provider("claude", "anthropic-messages"),
            ]
        )
        first = stream_text(
            model="oai:gpt-5",
            prompt="Result?",
            tools=[final_result],
            reasoning={"effort": "low"},
            max_steps=2,
            registry=registry,
        )
        history: list[Any] = [{"role": "user", "content": "Result?"}]
        history += await first.response_messages
        history.append({"role": "user", "content": "Repeat it."})
        chat = stream_text(model="gpt:gpt-4o", messages=history, registry=registry)
        assert await chat.text == "It was 6666."
        chat_warnings = await chat.warnings
        claude = stream_text(model="claude:claude-sonnet-4-5", messages=history, registry=registry)
        assert await claude.text == "6666 it was."
        claude_warnings = await claude.warnings
        chat_body, claude_body = server.requests[2].json(), server.requests[3].json()
    assert isinstance(chat_body, dict) and isinstance(claude_body, dict)
    call_id = call["call_id"]
    assert chat_body["messages"][1:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "final_result", "arguments": '{"result": 6666}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": "noted 6666"},
        {"role": "assistant", "content": "6666."},
        {"role": "user", "content": "Repeat it."},
    ]
    assert [(w.type, w.setting) for w in chat_warnings] == [("other", "messages")]
    # Anthropic: the encrypted OpenAI reasoning (no Anthropic signature) is not sent
    assert claude_body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": call_id, "name": "final_result", "input": {"result": 6666}}
        ],
    }
    assert [(w.type, w.setting) for w in claude_warnings] == [("unsupported_setting", "messages")]


async def test_chat_and_anthropic_conversations_continued_on_responses() -> None:
    chat_file = "sse/deepseek-openai-chat-reasoning-content-tool-call.sse"
    claude_file = "sse/anthropic-anthropic-messages-haiku45-thinking-tool-use.sse"
    responses = [
        fixture(chat_file),
        fixture(claude_file),
        ReplayResponse(openai_responses_sse(MockTurn(text="May 7."))),
        ReplayResponse(openai_responses_sse(MockTurn(text="1.2.3."))),
    ]

    @tool
    def get_date() -> str:
        """Today's date."""
        return "2026-05-07"

    @tool
    def fixed_version() -> str:
        """The fixed version."""
        return "1.2.3"

    with ReplayServer(responses) as server:
        registry = ProviderRegistry(
            [
                server.provider("ds", "openai-chat"),
                server.provider("claude", "anthropic-messages"),
                server.provider("oai", "openai-responses"),
            ]
        )
        ds = stream_text(model="ds:deepseek-v4-flash", prompt="Date?", registry=registry)
        ds_calls = await ds.tool_calls
        ds_history: list[Any] = [{"role": "user", "content": "Date?"}]
        ds_history += await ds.response_messages
        ds_history.append(
            {
                "role": "tool",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_call_id": ds_calls[0].tool_call_id,
                        "tool_name": "get_date",
                        "result": "2026-05-07",
                    }
                ],
            }
        )
        claude = stream_text(
            model="claude:claude-haiku-4-5",
            prompt="Version?",
            tools=[fixed_version],
            reasoning={"budget_tokens": 1024},
            registry=registry,
        )
        claude_calls = await claude.tool_calls
        claude_history: list[Any] = [{"role": "user", "content": "Version?"}]
        claude_history += await claude.response_messages  # the tool ran in that step
        first = stream_text(model="oai:gpt-5", messages=ds_history, registry=registry)
        assert await first.text == "May 7."
        first_warnings = await first.warnings
        second = stream_text(model="oai:gpt-5", messages=claude_history, registry=registry)
        assert await second.text == "1.2.3."
        second_warnings = await second.warnings
        ds_body, claude_body = server.requests[2].json(), server.requests[3].json()
    assert isinstance(ds_body, dict) and isinstance(claude_body, dict)
    ds_id = ds_calls[0].tool_call_id
    assert ds_body["input"][1:] == [
        {"type": "function_call", "call_id": ds_id, "name": "get_date", "arguments": "{}"},
        {"type": "function_call_output", "call_id": ds_id, "output": "2026-05-07"},
    ]
    claude_id = claude_calls[0].tool_call_id
    assert claude_body["input"][1:] == [
        {"type": "function_call", "call_id": claude_id, "name": "fixed_version", "arguments": "{}"},
        {"type": "function_call_output", "call_id": claude_id, "output": "1.2.3"},
    ]
    for warnings in (first_warnings, second_warnings):
        assert [(w.type, w.setting) for w in warnings] == [("other", "messages")]
