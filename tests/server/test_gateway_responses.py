"""``POST /v1/responses`` end to end over real sockets: the gateway on uvicorn (a background
thread), a Claude upstream replaying a recorded thinking + tool-use stream, and the official
``openai`` SDK's ``client.responses`` as the client (streamed, the stream helper, and not
streamed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai.types.responses import FunctionToolParam

from llmkit.providers.registry import ProviderRegistry
from llmkit.server import BackgroundServer, GatewayConfig, KeysFile, create_app
from llmkit.testing import RecordedRequest, ReplayResponse, ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLAUDE_SSE = FIXTURES / "sse/anthropic-anthropic-messages-haiku45-thinking-tool-use.sse"
CLAUDE_JSON = FIXTURES / "json/anthropic-anthropic-messages-sonnet35-text-tool-use.json"
TOOLS: list[FunctionToolParam] = [
    {
        "type": "function",
        "name": "fixed_version",
        "description": "The version.",
        "parameters": {"type": "object", "properties": {}},
        "strict": False,
    }
]


def _claude(request: RecordedRequest) -> ReplayResponse:
    if json.loads(request.body or b"{}").get("stream") is True:
        return ReplayResponse.from_file(CLAUDE_SSE, chunking=97)
    return ReplayResponse.from_file(CLAUDE_JSON)


class _Running:
    def __init__(self, tmp: Path) -> None:
        self.upstream = ReplayServer(handler=_claude).start()
        registry = ProviderRegistry([self.upstream.provider("claude", "anthropic-messages")])
        keys = KeysFile(tmp / "keys.json")
        self.key, _ = keys.create(name="responses")
        config = GatewayConfig(aliases={"claude": ["claude:claude-haiku-4-5"]})
        self.server = BackgroundServer(create_app(config, registry=registry, keys=keys)).start()
        self.client = openai.OpenAI(
            base_url=f"{self.server.url}/v1", api_key=self.key, max_retries=0, timeout=30
        )

    def close(self) -> None:
        self.client.close()
        self.server.stop()
        self.upstream.stop()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Running]:
    running = _Running(tmp_path_factory.mktemp("gateway-responses"))
    yield running
    running.close()


def test_openai_sdk_streams_claude_thinking_and_tool_use(gateway: _Running) -> None:
    stream = gateway.client.responses.create(
        model="claude",
        input=[{"role": "user", "content": "What version is it?"}],
        tools=TOOLS,
        reasoning={"effort": "low"},
        stream=True,
    )
    kinds: list[str] = []
    reasoning: list[str] = []
    calls: list[tuple[str, str, str]] = []
    final = None
    for event in stream:
        kinds.append(event.type)
        if event.type == "response.reasoning_summary_text.delta":
            reasoning.append(event.delta)
        elif event.type == "response.output_item.done" and event.item.type == "function_call":
            calls.append((event.item.call_id, event.item.name, event.item.arguments))
        elif event.type == "response.completed":
            final = event.response
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert "".join(reasoning).strip()
    assert [(name, json.loads(args)) for _, name, args in calls] == [("fixed_version", {})]
    assert calls[0][0].startswith("toolu_")  # the upstream's call id is the call_id
    assert final is not None and final.status == "completed"
    assert final.model == "claude"
    assert [item.type for item in final.output] == ["reasoning", "function_call"]
    assert final.usage is not None and final.usage.output_tokens > 0
    sent = gateway.upstream.requests[-1].json()
    assert isinstance(sent, dict)
    assert sent["tools"][0]["name"] == "fixed_version"  # the Anthropic request the gateway built
    assert sent["thinking"]["type"] == "enabled"


def test_stream_helper_final_response(gateway: _Running) -> None:
    with gateway.client.responses.stream(
        model="claude",
        input="What version is it?",
        tools=TOOLS,
    ) as stream:
        response = stream.get_final_response()
    calls = [item for item in response.output if item.type == "function_call"]
    assert [c.name for c in calls] == ["fixed_version"]


def test_not_streamed(gateway: _Running) -> None:
    response = gateway.client.responses.create(model="claude", input="Hi", tools=TOOLS)
    assert response.object == "response" and response.status == "completed"
    assert any(item.type == "function_call" for item in response.output)


def test_previous_response_id_is_a_400_naming_the_field(gateway: _Running) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client.responses.create(model="claude", input="Hi", previous_response_id="resp_123")
    assert caught.value.param == "previous_response_id"
    response = httpx.post(f"{gateway.server.url}/v1/responses", json={"model": "claude"})
    assert response.status_code == 401  # no key: refused before the body is read
