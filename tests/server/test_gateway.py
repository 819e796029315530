"""The gateway end to end over real sockets: the app on uvicorn (a background thread), the
upstreams replaying recorded provider streams (Claude thinking + tool use, an OpenAI chat tool
call, Gemini), the official ``openai`` and ``anthropic`` SDKs as clients (and plain HTTP for the
AI SDK's UI message stream, whose own reader the codec's tests run)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from anthropic.types import MessageParam, ToolParam
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam

from llmkit.providers.registry import ProviderRegistry
from llmkit.reliability.ratelimit import RateLimit
from llmkit.server import BackgroundServer, GatewayConfig, KeysFile, create_app
from llmkit.testing import RecordedRequest, ReplayResponse, ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLAUDE_SSE = FIXTURES / "sse/anthropic-anthropic-messages-haiku45-thinking-tool-use.sse"
CLAUDE_JSON = FIXTURES / "json/anthropic-anthropic-messages-sonnet35-text-tool-use.json"
OPENAI_SSE = FIXTURES / "sse/openai-openai-chat-gpt4o-mini-tool-call.sse"
OPENAI_JSON = FIXTURES / "json/openai-openai-chat-gpt41-nano-parallel-tool-calls.json"
OPENAI_LONG = FIXTURES / "sse/openai-openai-chat-gpt35-long-text-many-chunks.sse"
GEMINI_SSE = FIXTURES / "sse/google/gemini-google-generative-20flash-text-3-chunks.sse"
GEMINI_JSON = FIXTURES / "json/google/gemini-google-generative-25flash-thinking.json"

CANARY_UPSTREAM_KEY = "sk-canary-upstream-key-5f1d0c9a7b"
TOOLS_OPENAI: list[ChatCompletionFunctionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply two numbers.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a", "b"],
            },
        },
    }
]
TOOLS_ANTHROPIC: list[ToolParam] = [
    {
        "name": "fixed_version",
        "description": "The version.",
        "input_schema": {"type": "object", "properties": {}},
    }
]
HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]
HI_ANTHROPIC: list[MessageParam] = [{"role": "user", "content": "Hi"}]
"""The same first user message, typed for each SDK."""


def _by_stream_flag(sse: Path, body: Path) -> Callable[[RecordedRequest], ReplayResponse]:
    """A replay handler: the SSE fixture for a streamed request, the JSON one otherwise."""

    def handle(request: RecordedRequest) -> ReplayResponse:
        data = json.loads(request.body or b"{}")
        if data.get("stream") is True or "streamGenerateContent" in request.path:
            return ReplayResponse.from_file(sse, chunking=97)
        return ReplayResponse.from_file(body)

    return handle


def _error(status: int, message: str) -> Callable[[RecordedRequest], ReplayResponse]:
    def handle(request: RecordedRequest) -> ReplayResponse:
        return ReplayResponse.json(
            {"error": {"message": message, "type": "server_error", "code": None}}, status=status
        )

    return handle


class Gateway:
    """The running gateway, its upstreams and its keys."""

    def __init__(self, tmp: Path, **config: Any) -> None:
        self.upstreams = {
            "claude": ReplayServer(handler=_by_stream_flag(CLAUDE_SSE, CLAUDE_JSON)).start(),
            "oai": ReplayServer(handler=_by_stream_flag(OPENAI_SSE, OPENAI_JSON)).start(),
            "gem": ReplayServer(handler=_by_stream_flag(GEMINI_SSE, GEMINI_JSON)).start(),
            "slow": ReplayServer(
                [ReplayResponse.from_file(OPENAI_LONG, chunking=40, delay=0.05)]
            ).start(),
            "cut": ReplayServer(
                [ReplayResponse.from_file(OPENAI_LONG, chunking=500, close_after=3000)]
            ).start(),
            "e429": ReplayServer(handler=_error(429, "rate limited upstream")).start(),
            "e500": ReplayServer(handler=_error(500, "upstream broke")).start(),
            "e401": ReplayServer(
                handler=_error(401, f"Incorrect API key provided: {CANARY_UPSTREAM_KEY}")
            ).start(),
        }
        no_retry = {"retry": {"max_retries": 0}}
        u = self.upstreams
        self.registry = ProviderRegistry(
            [
                u["claude"].provider("claude", "anthropic-messages"),
                u["oai"].provider(
                    "oai",
                    "openai-chat",
                    api_key_env="GATEWAY_TEST_UPSTREAM_KEY",
                    api_key_required=True,
                ),
                u["gem"].provider("gem", "google-generative"),
                u["slow"].provider("slow", "openai-chat"),
                u["cut"].provider("cut", "openai-chat", **no_retry),
                u["e429"].provider("e429", "openai-chat", **no_retry),
                u["e500"].provider("e500", "openai-chat", **no_retry),
                u["e401"].provider(
                    "e401",
                    "openai-chat",
                    api_key_env="GATEWAY_TEST_UPSTREAM_KEY",
                    api_key_required=True,
                    **no_retry,
                ),
            ]
        )
        self.keys = KeysFile(tmp / "keys.json")
        self.key, _ = self.keys.create(name="all")
        self.limited, self.limited_record = self.keys.create(models=("fast",), name="limited")
        self.slow_key, _ = self.keys.create(
            rate_limit=RateLimit(requests_per_minute=1), name="rpm1"
        )
        aliases = {
            "fast": ["oai:gpt-4o-mini", "claude:claude-haiku-4-5"],
            "claude": ["claude:claude-haiku-4-5"],
            "gemini": ["gem:gemini-2.0-flash"],
        }
        settings: dict[str, Any] = {
            "aliases": aliases,
            "rate_limit_wait": 0.2,
            "default_model": "gemini",
        }
        settings.update(config)
        app = create_app(
            GatewayConfig(**settings),
            registry=self.registry,
            keys=self.keys,
        )
        self.server = BackgroundServer(app).start()
        self.url = self.server.url

    def openai(self, key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.url}/v1", api_key=key or self.key, max_retries=0, timeout=30
        )

    def anthropic(self, key: str | None = None) -> anthropic.Anthropic:
        return anthropic.Anthropic(base_url=self.url, api_key=key or self.key, max_retries=0)

    def close(self) -> None:
        self.server.stop()
        for upstream in self.upstreams.values():
            upstream.stop()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    mp = pytest.MonkeyPatch()
    mp.setenv("GATEWAY_TEST_UPSTREAM_KEY", CANARY_UPSTREAM_KEY)
    running = Gateway(tmp_path_factory.mktemp("gateway"))
    yield running
    running.close()
    mp.undo()


@pytest.fixture(autouse=True)
def _upstream_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # the suite's conftest resets the environment per test: the upstream key stays set
    monkeypatch.setenv("GATEWAY_TEST_UPSTREAM_KEY", CANARY_UPSTREAM_KEY)


# ---------------------------------------------------------------------------- OpenAI SDK
def test_openai_sdk_streamed_tool_call(gateway: Gateway) -> None:
    client = gateway.openai()
    stream = client.chat.completions.create(
        model="oai:gpt-4o-mini", messages=HI, tools=TOOLS_OPENAI, stream=True
    )
    names, args, finish = [], "", None
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                if call.function and call.function.name:
                    names.append(call.function.name)
                if call.function and call.function.arguments:
                    args += call.function.arguments
            finish = choice.finish_reason or finish
    assert names == ["multiply"]
    assert isinstance(json.loads(args), dict)
    assert finish == "tool_calls"
    sent = gateway.upstreams["oai"].requests[-1].json()
    assert isinstance(sent, dict)
    assert sent["tools"][0]["function"]["name"] == "multiply"


def test_openai_sdk_non_streamed_tool_calls(gateway: Gateway) -> None:
    client = gateway.openai()
    completion = client.chat.completions.create(
        model="oai:gpt-4.1-nano", messages=HI, tools=TOOLS_OPENAI
    )
    calls = completion.choices[0].message.tool_calls
    assert calls
    assert all(c.type == "function" and json.loads(c.function.arguments) is not None for c in calls)
    assert completion.model


def test_openai_sdk_reads_a_claude_stream(gateway: Gateway) -> None:
    """Parse with OpenAI chat, call Anthropic, encode with OpenAI chat."""
    client = gateway.openai()
    stream = client.chat.completions.create(model="claude", messages=HI, stream=True)
    names = [
        call.function.name
        for chunk in stream
        for choice in chunk.choices
        for call in choice.delta.tool_calls or []
        if call.function and call.function.name
    ]
    assert names == ["fixed_version"]


def test_openai_sdk_reads_a_gemini_stream(gateway: Gateway) -> None:
    client = gateway.openai()
    stream = client.chat.completions.create(model="gemini", messages=HI, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text


def test_openai_sdk_non_streamed_gemini(gateway: Gateway) -> None:
    completion = gateway.openai().chat.completions.create(model="gemini", messages=HI)
    assert completion.choices[0].message.content


# ---------------------------------------------------------------------------- Anthropic SDK
def test_anthropic_sdk_stream_final_message(gateway: Gateway) -> None:
    client = gateway.anthropic()
    with client.messages.stream(
        model="claude", max_tokens=1024, messages=HI_ANTHROPIC, tools=TOOLS_ANTHROPIC
    ) as stream:
        for _ in stream:
            pass
        message = stream.get_final_message()
    kinds = [block.type for block in message.content]
    assert "tool_use" in kinds
    assert message.stop_reason == "tool_use"


def test_anthropic_sdk_reads_an_openai_stream(gateway: Gateway) -> None:
    client = gateway.anthropic()
    with client.messages.stream(
        model="oai:gpt-4o-mini", max_tokens=256, messages=HI_ANTHROPIC, tools=TOOLS_ANTHROPIC
    ) as stream:
        message = stream.get_final_message()
    tool_uses = [b for b in message.content if b.type == "tool_use"]
    assert [t.name for t in tool_uses] == ["multiply"]


def test_anthropic_sdk_create(gateway: Gateway) -> None:
    message = gateway.anthropic().messages.create(
        model="claude", max_tokens=256, messages=HI_ANTHROPIC, tools=TOOLS_ANTHROPIC
    )
    assert message.content
    assert message.role == "assistant"


# ---------------------------------------------------------------------------- keys
def test_missing_and_wrong_keys_are_refused(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        gateway.openai("llmkgw-not-a-key").chat.completions.create(model="fast", messages=HI)
    assert caught.value.status_code == 401
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions", json={"model": "fast", "messages": HI}
    )
    assert response.status_code == 401
    assert "error" in response.json()
    with pytest.raises(anthropic.AuthenticationError):
        gateway.anthropic("llmkgw-wrong").messages.create(
            model="claude", max_tokens=16, messages=HI_ANTHROPIC
        )
    assert httpx.get(f"{gateway.url}/v1/models").status_code == 401


def test_either_header_works_on_either_endpoint(gateway: Gateway) -> None:
    body = {"model": "claude", "max_tokens": 16, "messages": HI_ANTHROPIC}
    for headers in ({"x-api-key": gateway.key}, {"authorization": f"Bearer {gateway.key}"}):
        response = httpx.post(f"{gateway.url}/v1/messages", json=body, headers=headers)
        assert response.status_code == 200, response.text
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "claude", "messages": HI},
            headers=headers,
        )
        assert response.status_code == 200, response.text


def test_the_client_key_is_not_forwarded(gateway: Gateway) -> None:
    gateway.openai().chat.completions.create(model="oai:gpt-4o-mini", messages=HI)
    sent = gateway.upstreams["oai"].requests[-1]
    assert sent.headers["authorization"] == f"Bearer {CANARY_UPSTREAM_KEY}"
    assert gateway.key not in json.dumps(dict(sent.headers)) + sent.body.decode()
    claude = gateway.upstreams["claude"]
    gateway.anthropic().messages.create(model="claude", max_tokens=16, messages=HI_ANTHROPIC)
    assert gateway.key not in json.dumps(dict(claude.requests[-1].headers))


def test_model_restrictions(gateway: Gateway) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        gateway.openai(gateway.limited).chat.completions.create(model="claude", messages=HI)
    assert caught.value.status_code == 403
    with pytest.raises(anthropic.PermissionDeniedError):
        gateway.anthropic(gateway.limited).messages.create(
            model="oai:gpt-4o-mini", max_tokens=16, messages=HI_ANTHROPIC
        )
    completion = gateway.openai(gateway.limited).chat.completions.create(model="fast", messages=HI)
    assert completion.choices
    listed = [m.id for m in gateway.openai(gateway.limited).models.list()]
    assert listed == ["fast"]
    everything = [m.id for m in gateway.openai().models.list()]
    assert {"fast", "claude", "gemini"} <= set(everything)


def test_key_rate_limit(gateway: Gateway) -> None:
    client = gateway.openai(gateway.slow_key)
    client.chat.completions.create(model="claude", messages=HI)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="claude", messages=HI)
    assert caught.value.status_code == 429
    assert caught.value.response.headers.get("retry-after")


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("provider", "status"), [("e429", 429), ("e500", 500)])
def test_upstream_errors_keep_their_status(gateway: Gateway, provider: str, status: int) -> None:
    model = f"{provider}:m"
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.openai().chat.completions.create(model=model, messages=HI, stream=True)
    assert caught.value.status_code == status
    with pytest.raises(anthropic.APIStatusError) as caught_a:
        gateway.anthropic().messages.create(model=model, max_tokens=16, messages=HI_ANTHROPIC)
    assert caught_a.value.status_code == status
    body = caught_a.value.response.json()
    assert body["type"] == "error"
    assert body["error"]["message"]


def test_upstream_credential_refused_is_a_502_without_the_key(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    for streamed in (False, True):
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "e401:m", "messages": HI, "stream": streamed},
            headers={"authorization": f"Bearer {gateway.key}"},
        )
        assert response.status_code == 502
        texts.append(response.text)
    response = httpx.post(
        f"{gateway.url}/v1/messages",
        json={"model": "e401:m", "messages": HI_ANTHROPIC, "max_tokens": 8},
        headers={"x-api-key": gateway.key},
    )
    assert response.status_code == 502
    texts.append(response.text)
    texts += [r.getMessage() for r in caplog.records]
    assert not [t for t in texts if CANARY_UPSTREAM_KEY in t]
    assert not [t for t in texts if gateway.key in t]


def test_canary_never_in_a_response(gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    for streamed in (False, True):
        for path, body in (
            ("/v1/chat/completions", {"model": "oai:gpt-4o-mini", "messages": HI}),
            (
                "/v1/messages",
                {"model": "oai:gpt-4o-mini", "messages": HI_ANTHROPIC, "max_tokens": 8},
            ),
        ):
            response = httpx.post(
                f"{gateway.url}{path}",
                json={**body, "stream": streamed},
                headers={"authorization": f"Bearer {gateway.key}"},
            )
            assert response.status_code == 200, response.text
            texts.append(response.text + json.dumps(dict(response.headers)))
    texts += [r.getMessage() for r in caplog.records]
    assert not [t for t in texts if CANARY_UPSTREAM_KEY in t]


def test_malformed_request_names_the_field(gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.openai().chat.completions.create(model="fast", messages="nope")  # type: ignore[arg-type]
    assert caught.value.status_code == 400
    assert "messages" in str(caught.value.body)
    response = httpx.post(
        f"{gateway.url}/v1/messages",
        content=b"{not json",
        headers={"x-api-key": gateway.key, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "error"


def test_unknown_model_is_404(gateway: Gateway) -> None:
    with pytest.raises(openai.NotFoundError):
        gateway.openai().chat.completions.create(model="nosuch:model", messages=HI)
    with pytest.raises(openai.NotFoundError):
        gateway.openai().chat.completions.create(model="no-such-alias", messages=HI)


def test_body_cap(tmp_path: Path) -> None:
    small = Gateway(tmp_path, max_body_bytes=2_000)
    try:
        big: list[ChatCompletionMessageParam] = [{"role": "user", "content": "x" * 5_000}]
        big_anthropic: list[MessageParam] = [{"role": "user", "content": "x" * 5_000}]
        with pytest.raises(openai.APIStatusError) as caught:
            small.openai().chat.completions.create(model="claude", messages=big)
        assert caught.value.status_code == 413
        with pytest.raises(anthropic.APIStatusError) as caught_a:
            small.anthropic().messages.create(model="claude", max_tokens=8, messages=big_anthropic)
        assert caught_a.value.status_code == 413
        assert caught_a.value.response.json()["type"] == "error"
        # no content-length: the cap holds while reading
        chunks = (b'{"model": "claude", "messages": [', b" " * 3_000, b"]}")
        response = httpx.post(
            f"{small.url}/v1/chat/completions",
            content=iter(chunks),
            headers={"authorization": f"Bearer {small.key}"},
        )
        assert response.status_code == 413
        assert small.openai().chat.completions.create(model="claude", messages=HI).choices
    finally:
        small.close()


def test_client_disconnect_closes_the_upstream(gateway: Gateway) -> None:
    slow = gateway.upstreams["slow"]
    before = slow.disconnects
    with (
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST",
            f"{gateway.url}/v1/chat/completions",
            json={"model": "slow:gpt-3.5-turbo", "messages": HI, "stream": True},
            headers={"authorization": f"Bearer {gateway.key}"},
        ) as response,
    ):
        assert response.status_code == 200
        next(response.iter_raw())  # the stream has started
    deadline = time.monotonic() + 20  # a bound against hangs, not a timing window
    while slow.disconnects == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert slow.disconnects > before, "the upstream connection stayed open"


def test_open_gateway_without_keys(tmp_path: Path) -> None:
    with ReplayServer(handler=_by_stream_flag(OPENAI_SSE, OPENAI_JSON)) as upstream:
        registry = ProviderRegistry([upstream.provider("oai", "openai-chat")])
        app = create_app(
            GatewayConfig(keys_file=tmp_path / "none.json"),
            registry=registry,
        )
        with BackgroundServer(app) as server:
            client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="anything")
            completion = client.chat.completions.create(model="oai:gpt-4o-mini", messages=HI)
            assert completion.choices


# ---------------------------------------------------------------------------- /api/chat
def _ui_chunks(text: str) -> list[dict[str, Any]]:
    datas = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert datas[-1] == "[DONE]"
    return [json.loads(d) for d in datas[:-1]]


def test_ui_message_stream(gateway: Gateway) -> None:
    message = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}
    body = {"id": "chat1", "trigger": "submit-message", "messages": [message]}
    headers = {"authorization": f"Bearer {gateway.key}"}
    response = httpx.post(
        f"{gateway.url}/api/chat", json={**body, "model": "claude"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = _ui_chunks(response.text)
    assert chunks[0]["type"] == "start"
    tools = [c["toolName"] for c in chunks if c["type"] == "tool-input-available"]
    assert tools == ["fixed_version"]
    assert chunks[-1]["type"] == "finish"
    # no model in the body: the config's default_model (gemini)
    response = httpx.post(f"{gateway.url}/api/chat", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert any(c["type"] == "text-delta" for c in _ui_chunks(response.text))
    assert "streamGenerateContent" in gateway.upstreams["gem"].requests[-1].path
    refused = httpx.post(f"{gateway.url}/api/chat", json=body)
    assert refused.status_code == 401


def test_error_after_the_first_byte_is_in_band(gateway: Gateway) -> None:
    headers = {"authorization": f"Bearer {gateway.key}"}
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json={"model": "cut:gpt-3.5-turbo", "messages": HI, "stream": True},
        headers=headers,
    )
    assert response.status_code == 200
    events = [line for line in response.text.splitlines() if line.startswith("data: ")]
    assert '"error"' in events[-1] or '"error"' in events[-2]
    with pytest.raises(openai.APIError):
        for _ in gateway.openai().chat.completions.create(
            model="cut:gpt-3.5-turbo", messages=HI, stream=True
        ):
            pass
    with (
        pytest.raises(anthropic.APIError),
        gateway.anthropic().messages.stream(
            model="cut:gpt-3.5-turbo", max_tokens=64, messages=HI_ANTHROPIC
        ) as stream,
    ):
        stream.get_final_message()
