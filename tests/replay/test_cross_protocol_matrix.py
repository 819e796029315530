"""Every built-in protocol's ``response_messages`` is a valid request for every other one: a step
with reasoning and a tool call, produced by a MockModel of protocol A, then replayed through the
request builder of protocol B. Tool call ids stay paired (call and result carry the same id in
B's format), and reasoning B cannot take is dropped with a warning, never sent in A's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit import CallOptions, ProviderConfig, ProviderRegistry, get_protocol, stream_text, tool
from llmkit.testing import MockModel, MockTurn
from llmkit.types.messages import UserMessage

PROTOCOLS = ["openai-chat", "anthropic-messages", "openai-responses", "google-generative"]


@tool
def lookup(query: str) -> str:
    """Look something up."""
    return f"found {query}"


def _pairs(protocol: str, body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(tool call ids in the assistant turns, tool call ids in the results) of a request body."""
    calls: list[str] = []
    results: list[str] = []
    if protocol == "openai-chat":
        for message in body["messages"]:
            calls += [c["id"] for c in message.get("tool_calls") or ()]
            if message["role"] == "tool":
                results.append(message["tool_call_id"])
    elif protocol == "anthropic-messages":
        for message in body["messages"]:
            for block in message["content"] if isinstance(message["content"], list) else ():
                if block["type"] == "tool_use":
                    calls.append(block["id"])
                elif block["type"] == "tool_result":
                    results.append(block["tool_use_id"])
    elif protocol == "openai-responses":
        for item in body["input"]:
            if item.get("type") == "function_call":
                calls.append(item["call_id"])
            elif item.get("type") == "function_call_output":
                results.append(item["call_id"])
    else:
        for content in body["contents"]:
            for part in content["parts"]:
                if "functionCall" in part:
                    calls.append(part["functionCall"].get("id") or part["functionCall"]["name"])
                elif "functionResponse" in part:
                    response = part["functionResponse"]
                    results.append(response.get("id") or response["name"])
    return calls, results


async def _history(source: str) -> list[Any]:
    """A two-step conversation from a MockModel speaking ``source``: reasoning + a tool call,
    the tool's result, then the answer."""
    registry = ProviderRegistry()
    turns = [
        MockTurn(reasoning="I should look it up.", tool_calls=[("lookup", {"query": "x"})]),
        MockTurn(text="It is x."),
    ]
    with MockModel(turns, protocol=source, registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            prompt="What is x?",
            tools=[lookup],
            max_steps=2,
            reasoning={"budget_tokens": 1024},
            registry=registry,
        )
        assert await result.text == "It is x."
        return [{"role": "user", "content": "What is x?"}, *await result.response_messages]


@pytest.mark.parametrize("target", PROTOCOLS)
@pytest.mark.parametrize("source", PROTOCOLS)
async def test_response_messages_replay_on_every_protocol(source: str, target: str) -> None:
    history = await _history(source)
    call = CallOptions.model_validate(
        {"messages": [*history, UserMessage(content="And y?")], "tools": [lookup.definition]}
    )
    provider = ProviderConfig(id="t", protocol=target, base_url="https://llm.example/v1")
    request = get_protocol(target).build_request(call, provider, "m", stream=True)
    body = json.loads(json.dumps(request.body))  # a JSON body, nothing that does not serialise
    calls, results = _pairs(target, body)
    assert len(calls) == 1
    assert calls == results  # the call and its result carry the same id in the target's format
    text = json.dumps(body)
    assert "It is x." in text and "found x" in text
    if source != target and "I should look it up." not in text:
        assert any(w.setting == "messages" for w in request.warnings), request.warnings
