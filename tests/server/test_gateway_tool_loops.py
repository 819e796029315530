"""Tool loops through the gateway, driven by the official SDKs: the client runs the tool and
sends the result back; the gateway translates the whole conversation (assistant tool calls and
tool results) into the upstream's protocol and the answer back into the client's. Also the
Anthropic SDK reading a Gemini stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from server.test_gateway import (
    CANARY_UPSTREAM_KEY,
    HI,
    HI_ANTHROPIC,
    TOOLS_ANTHROPIC,
    TOOLS_OPENAI,
    Gateway,
)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    mp = pytest.MonkeyPatch()
    mp.setenv("GATEWAY_TEST_UPSTREAM_KEY", CANARY_UPSTREAM_KEY)
    running = Gateway(tmp_path_factory.mktemp("gateway-loops"))
    yield running
    running.close()
    mp.undo()


@pytest.fixture(autouse=True)
def _upstream_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TEST_UPSTREAM_KEY", CANARY_UPSTREAM_KEY)


def test_anthropic_sdk_reads_a_gemini_stream(gateway: Gateway) -> None:
    client = gateway.anthropic()
    with client.messages.stream(model="gemini", max_tokens=256, messages=HI_ANTHROPIC) as stream:
        message = stream.get_final_message()
    text = "".join(b.text for b in message.content if b.type == "text")
    assert text
    assert message.stop_reason == "end_turn"


def test_openai_sdk_tool_loop_against_claude(gateway: Gateway) -> None:
    """Turn 1: Claude (recorded thinking + tool_use) streams a tool call to an OpenAI client.
    Turn 2: the client sends the call and its result; Claude gets them as tool_use and
    tool_result blocks with the same id."""
    client = gateway.openai()
    calls: dict[int, dict[str, str]] = {}
    for chunk in client.chat.completions.create(
        model="claude", messages=HI, tools=TOOLS_OPENAI, stream=True
    ):
        for choice in chunk.choices:
            for piece in choice.delta.tool_calls or []:
                entry = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] = piece.id or entry["id"]
                if piece.function is not None:
                    entry["name"] = piece.function.name or entry["name"]
                    entry["arguments"] += piece.function.arguments or ""
    (call,) = calls.values()
    assert call["name"] == "fixed_version" and call["id"]
    second = client.chat.completions.create(
        model="claude",
        tools=TOOLS_OPENAI,
        messages=[
            *HI,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": call["arguments"]},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call["id"], "content": "1.2.3"},
        ],
    )
    assert second.choices[0].message is not None
    sent = gateway.upstreams["claude"].requests[-1].json()
    assert isinstance(sent, dict)
    blocks = [b for m in sent["messages"] for b in m["content"] if isinstance(m["content"], list)]
    uses = [b for b in blocks if b["type"] == "tool_use"]
    results = [b for b in blocks if b["type"] == "tool_result"]
    assert [u["id"] for u in uses] == [call["id"]]
    assert [r["tool_use_id"] for r in results] == [call["id"]]
    assert "1.2.3" in json.dumps(results[0]["content"])


def test_anthropic_sdk_tool_loop_against_openai(gateway: Gateway) -> None:
    """Turn 1: an OpenAI model streams a tool call to an Anthropic client (messages.stream).
    Turn 2: the client sends the tool_use and its tool_result; the OpenAI upstream gets an
    assistant message with tool_calls and a tool message with the same id."""
    client = gateway.anthropic()
    with client.messages.stream(
        model="oai:gpt-4o-mini", max_tokens=256, messages=HI_ANTHROPIC, tools=TOOLS_ANTHROPIC
    ) as stream:
        first = stream.get_final_message()
    (use,) = [b for b in first.content if b.type == "tool_use"]
    assert first.stop_reason == "tool_use"
    dumped: list[Any] = [b.model_dump() for b in first.content]  # the blocks as JSON objects
    with client.messages.stream(
        model="oai:gpt-4o-mini",
        max_tokens=256,
        tools=TOOLS_ANTHROPIC,
        messages=[
            *HI_ANTHROPIC,
            {"role": "assistant", "content": dumped},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "42"}],
            },
        ],
    ) as stream:
        second = stream.get_final_message()
    assert second.content
    sent = gateway.upstreams["oai"].requests[-1].json()
    assert isinstance(sent, dict)
    assistant = [m for m in sent["messages"] if m["role"] == "assistant"]
    tool = [m for m in sent["messages"] if m["role"] == "tool"]
    assert [c["id"] for c in assistant[-1]["tool_calls"]] == [use.id]
    assert [m["tool_call_id"] for m in tool] == [use.id]
    assert "42" in json.dumps(tool[0]["content"])
