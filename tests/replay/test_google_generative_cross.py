"""Conversations that cross google-generative and the other protocols: ``response_messages`` of
one is a valid request for the other. Reasoning the target cannot take is dropped with a
warning; tool-call ids pair up the same way on the call and on its result; Gemini's
``thoughtSignature`` never leaks into another protocol's body; calls Gemini did not make get the
documented placeholder signature when they are in Gemini's current turn."""

from __future__ import annotations

from typing import Any

import fixture_util

from llmkit import stream_text, tool
from llmkit.protocols.google_generative.convert_messages import SKIP_SIGNATURE
from llmkit.protocols.google_generative.fake import google_generative_sse
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer
from llmkit.testing.mock import anthropic_messages_sse, openai_chat_sse

ANTHROPIC_THINKING = "sse/anthropic-anthropic-messages-haiku45-thinking-tool-use.sse"
GEMINI_CALL = "sse/google/gemini-google-generative-3pro-function-call-signature.sse"
GEMINI_THINKING = "sse/google/gemini-google-generative-25pro-thinking-many-chunks.sse"


@tool
def fixed_version() -> str:
    """The fixed version."""
    return "1.2.3"


@tool
def get_country() -> str:
    """The user's country."""
    return "Ireland"


def recorded(file: str) -> ReplayResponse:
    return ReplayResponse.from_file(fixture_util.FIXTURES / file, chunking=41)


def gemini(text: str) -> ReplayResponse:
    return ReplayResponse(google_generative_sse(MockTurn(text=text)))


def registry_for(server: ReplayServer) -> ProviderRegistry:
    return ProviderRegistry(
        [
            server.provider("claude", "anthropic-messages"),
            server.provider("gpt", "openai-chat"),
            server.provider("gem", "google-generative"),
        ]
    )


async def test_anthropic_thinking_conversation_continued_on_gemini() -> None:
    responses = [
        recorded(ANTHROPIC_THINKING),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="Version 1.2.3."))),
        gemini("It was 1.2.3."),
    ]
    with ReplayServer(responses) as server:
        registry = registry_for(server)
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
        second = stream_text(model="gem:gemini-2.5-flash", messages=history, registry=registry)
        assert await second.text == "It was 1.2.3."
        warnings = await second.warnings
        body = server.requests[2].json()
    assert isinstance(body, dict)
    call = body["contents"][1]["parts"][0]["functionCall"]
    assert call["id"].startswith("toolu_") and call["name"] == "fixed_version"
    assert body["contents"][1:] == [
        # the signed Anthropic thinking cannot cross; the call is from an earlier turn, so no
        # placeholder signature is needed
        {"role": "model", "parts": [{"functionCall": call}]},
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": call["id"],
                        "name": "fixed_version",
                        "response": {"output": "1.2.3"},
                    }
                }
            ],
        },
        {"role": "model", "parts": [{"text": "Version 1.2.3."}]},
        {"role": "user", "parts": [{"text": "Repeat it."}]},
    ]
    assert [(w.type, w.setting) for w in warnings] == [("other", "messages")]


async def test_a_tool_turn_from_openai_chat_finished_on_gemini_gets_the_placeholder() -> None:
    responses = [
        ReplayResponse(openai_chat_sse(MockTurn(tool_calls=[("get_country", {})]))),
        gemini("You are in Ireland."),
    ]
    with ReplayServer(responses) as server:
        registry = registry_for(server)
        first = stream_text(model="gpt:gpt-4o", prompt="Where am I?", registry=registry)
        (call,) = await first.tool_calls
        history: list[Any] = [{"role": "user", "content": "Where am I?"}]
        history += await first.response_messages
        history.append(
            {
                "role": "tool",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_call_id": call.tool_call_id,
                        "tool_name": "get_country",
                        "result": "Ireland",
                    }
                ],
            }
        )
        second = stream_text(model="gem:gemini-3-pro-preview", messages=history, registry=registry)
        assert await second.text == "You are in Ireland."
        warnings = await second.warnings
        body = server.requests[1].json()
    assert isinstance(body, dict)
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            {
                "functionCall": {"id": call.tool_call_id, "name": "get_country", "args": {}},
                "thoughtSignature": SKIP_SIGNATURE,
            }
        ],
    }
    assert body["contents"][2]["parts"][0]["functionResponse"]["id"] == call.tool_call_id
    assert [(w.type, w.setting) for w in warnings] == [("other", "messages")]


async def test_gemini_tool_turn_continued_on_anthropic_and_openai_chat() -> None:
    responses = [
        recorded(GEMINI_CALL),
        gemini("You are in Ireland."),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="Ireland, yes."))),
        ReplayResponse(openai_chat_sse(MockTurn(text="Still Ireland."))),
    ]
    with ReplayServer(responses) as server:
        registry = registry_for(server)
        first = stream_text(
            model="gem:gemini-3-pro-preview",
            prompt="Where am I?",
            tools=[get_country],
            max_steps=2,
            registry=registry,
        )
        assert await first.text == "You are in Ireland."
        (call,) = (await first.steps)[0].tool_calls
        history: list[Any] = [{"role": "user", "content": "Where am I?"}]
        history += await first.response_messages
        history.append({"role": "user", "content": "Sure?"})
        claude = stream_text(model="claude:claude-sonnet-4-5", messages=history, registry=registry)
        assert await claude.text == "Ireland, yes."
        assert await claude.warnings == ()
        gpt = stream_text(model="gpt:gpt-4o", messages=history, registry=registry)
        assert await gpt.text == "Still Ireland."
        assert await gpt.warnings == ()
        anthropic_body, openai_body = server.requests[2].json(), server.requests[3].json()
    assert isinstance(anthropic_body, dict) and isinstance(openai_body, dict)
    assert "thoughtSignature" not in str(anthropic_body) + str(openai_body)
    assert anthropic_body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": call.tool_call_id, "name": "get_country", "input": {}}
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call.tool_call_id, "content": "Ireland"}
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "You are in Ireland."}]},
        {"role": "user", "content": [{"type": "text", "text": "Sure?"}]},
    ]
    tool_calls = openai_body["messages"][1]["tool_calls"]
    assert [c["id"] for c in tool_calls] == [call.tool_call_id]
    assert openai_body["messages"][2] == {
        "role": "tool",
        "tool_call_id": call.tool_call_id,
        "content": "Ireland",
    }


async def test_gemini_thoughts_do_not_cross_to_anthropic() -> None:
    responses = [
        recorded(GEMINI_THINKING),
        ReplayResponse(anthropic_messages_sse(MockTurn(text="Yes."))),
    ]
    with ReplayServer(responses) as server:
        registry = registry_for(server)
        first = stream_text(model="gem:gemini-2.5-pro", prompt="Cross?", registry=registry)
        answer = await first.text
        history: list[Any] = [{"role": "user", "content": "Cross?"}]
        history += await first.response_messages
        history.append({"role": "user", "content": "Safe?"})
        second = stream_text(model="claude:claude-sonnet-4-5", messages=history, registry=registry)
        assert await second.text == "Yes."
        warnings = await second.warnings
        body = server.requests[1].json()
    assert isinstance(body, dict)
    assistant = body["messages"][1]
    assert assistant["role"] == "assistant"
    assert all(block["type"] == "text" for block in assistant["content"])
    assert "".join(block["text"] for block in assistant["content"]) == answer
    assert [(w.type, w.setting) for w in warnings] == [("unsupported_setting", "messages")]
