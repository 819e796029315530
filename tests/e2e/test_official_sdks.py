"""The official ``openai`` and ``anthropic`` SDKs as independent clients of what llmkit's replay
server and mock model serve: they must read the same text and tool calls as llmkit does."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import fixture_util
import openai
import pytest

from e2e.conftest import replay_provider
from llmkit import stream_text
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.mock import MockModel, MockTurn
from llmkit.testing.replay import ReplayServer

OPENAI = [e for e in fixture_util.entries("openai-chat", "sse") if "errors" not in e["expected"]]
ANTHROPIC = fixture_util.entries("anthropic-messages", "sse")


async def _llmkit(server: ReplayServer, entry: dict[str, Any]) -> tuple[str, list[Any]]:
    registry = ProviderRegistry([replay_provider(server, entry)])
    result = stream_text(model="replay:m", prompt="hi", registry=registry)
    calls = [(c.tool_name, dict(c.args)) for c in await result.tool_calls]
    return await result.text, calls


@pytest.mark.version_independent
@pytest.mark.parametrize("entry", OPENAI, ids=fixture_util.fixture_id)
async def test_openai_sdk_reads_what_llmkit_reads(
    fixture_server: ReplayServer, entry: dict[str, Any]
) -> None:
    base_url = replay_provider(fixture_server, entry).base_url
    client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    async with client:
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                text.append(choice.delta.content or "")
                for position, call in enumerate(choice.delta.tool_calls or []):
                    index = call.index if call.index is not None else position
                    slot = calls.setdefault(index, {"name": "", "args": ""})
                    if call.function and call.function.name:
                        slot["name"] = call.function.name
                    if call.function and call.function.arguments:
                        slot["args"] += call.function.arguments
    ours_text, ours_calls = await _llmkit(fixture_server, entry)
    assert ours_text == "".join(text)
    if "tool-call-no-index" not in entry["features"]:  # the SDK cannot order those
        sdk_calls = [(c["name"], json.loads(c["args"] or "{}")) for _, c in sorted(calls.items())]
        assert ours_calls == sdk_calls


@pytest.mark.version_independent
@pytest.mark.parametrize("entry", ANTHROPIC, ids=fixture_util.fixture_id)
async def test_anthropic_sdk_reads_what_llmkit_reads(
    fixture_server: ReplayServer, entry: dict[str, Any]
) -> None:
    base_url = replay_provider(fixture_server, entry).base_url.removesuffix("/v1")
    client = anthropic.AsyncAnthropic(base_url=base_url, api_key="x", max_retries=0)
    async with (
        client,
        client.messages.stream(
            model="m", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        message = await stream.get_final_message()
    text = "".join(b.text for b in message.content if b.type == "text")
    calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
    ours_text, ours_calls = await _llmkit(fixture_server, entry)
    assert ours_text == text
    assert ours_calls == calls


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
async def test_mock_model_streams_are_valid_for_the_official_sdks(protocol: str) -> None:
    turn = MockTurn(text="Hello there, friend.", tool_calls=[("get_weather", {"city": "Paris"})])
    registry = ProviderRegistry()
    with MockModel([turn], protocol=protocol, registry=registry) as mock:
        base = f"{mock.server.url}/v1"
        if protocol == "openai-chat":
            client = openai.AsyncOpenAI(base_url=base, api_key="x", max_retries=0)
            async with client:
                stream = await client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "hi"}], stream=True
                )
                pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
            assert "".join(pieces) == turn.text
        else:
            aclient = anthropic.AsyncAnthropic(base_url=mock.server.url, api_key="x", max_retries=0)
            async with (
                aclient,
                aclient.messages.stream(
                    model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
                ) as astream,
            ):
                message = await astream.get_final_message()
            assert [b.input for b in message.content if b.type == "tool_use"] == [{"city": "Paris"}]
        result = stream_text(model=mock.model, prompt="hi", registry=registry)
        assert await result.text == turn.text
        assert [(c.tool_name, dict(c.args)) for c in await result.tool_calls] == [
            ("get_weather", {"city": "Paris"})
        ]


RESPONSES = [
    e for e in fixture_util.entries("openai-responses", "sse") if "errors" not in e["expected"]
]


@pytest.mark.version_independent
@pytest.mark.parametrize("entry", RESPONSES, ids=fixture_util.fixture_id)
async def test_openai_sdk_reads_responses_as_llmkit_does(
    fixture_server: ReplayServer, entry: dict[str, Any]
) -> None:
    """The official SDK's Responses stream and llmkit agree on text, function calls and
    usage."""
    base_url = replay_provider(fixture_server, entry).base_url
    client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    final = None
    async with client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async for event in stream:
            if event.type in ("response.completed", "response.incomplete"):
                final = event.response
    assert final is not None and final.usage is not None
    sdk_calls = [
        (item.name, json.loads(item.arguments or "{}"))
        for item in final.output
        if item.type == "function_call"
    ]
    registry = ProviderRegistry([replay_provider(fixture_server, entry)])
    result = stream_text(model="replay:m", prompt="hi", registry=registry)
    assert await result.text == final.output_text
    assert [(c.tool_name, dict(c.args)) for c in await result.tool_calls] == sdk_calls
    usage = await result.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (
        final.usage.input_tokens,
        final.usage.output_tokens,
        final.usage.total_tokens,
    )
    assert usage.cache_read_tokens == final.usage.input_tokens_details.cached_tokens
    assert usage.reasoning_tokens == final.usage.output_tokens_details.reasoning_tokens


async def test_mock_model_responses_are_valid_for_the_official_sdk() -> None:
    turn = MockTurn(
        text="Hello there, friend.",
        reasoning="Be nice.",
        tool_calls=[("get_weather", {"city": "Paris"})],
    )
    registry = ProviderRegistry()
    with MockModel([turn], protocol="openai-responses", registry=registry) as mock:
        client = openai.AsyncOpenAI(base_url=f"{mock.server.url}/v1", api_key="x", max_retries=0)
        async with client:
            stream = await client.responses.create(model="m", input="hi", stream=True)
            deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
            body = await client.responses.create(model="m", input="hi")
        assert "".join(deltas) == turn.text == body.output_text
        calls = [
            (i.name, json.loads(i.arguments)) for i in body.output if i.type == "function_call"
        ]
        assert calls == [("get_weather", {"city": "Paris"})]
        (reasoning,) = [i for i in body.output if i.type == "reasoning"]
        assert reasoning.summary[0].text == "Be nice."
