"""Recording responses into fixture files and replaying them: a loopback MockModel / ReplayServer
stands in for the live provider (never the internet); the replayed events equal the recorded
call's; no credential reaches the file; binary bodies, broken streams and bad files."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import httpx
import pytest

import llmkit
from llmkit import generate_text, stream_text, tool
from llmkit.errors import APIConnectionError, BadRequestError, InvalidArgumentError
from llmkit.testing import (
    FIXTURE_FORMAT,
    Fixture,
    MockModel,
    MockTurn,
    ReplayResponse,
    ReplayServer,
    load_fixture,
    random_chunks,
    record_or_replay,
    record_responses,
    replay_model,
)
from llmkit.types.events import StreamEvent, ToolExecutionEndEvent

CANARY = "sk-canary-5f1c0d9e7b3a4c2e8f6d1b0a9c8e7f6d"
"""A fake key that must never be written to a fixture (also a well-known key shape)."""
CANARY_PLAIN = "canary-token-4e2b9d7c1a0f3e5d"
"""A fake credential without a well-known key shape (only its exact value can catch it)."""


def assert_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for secret in (CANARY, CANARY_PLAIN):
        assert secret not in text
        assert secret[10:30] not in text  # no piece of it either


def timeless(events: list[StreamEvent]) -> list[StreamEvent]:
    """The events with tool run durations zeroed (wall-clock time differs between runs)."""
    return [
        dataclasses.replace(e, duration=0.0) if isinstance(e, ToolExecutionEndEvent) else e
        for e in events
    ]


async def events_of(
    model: llmkit.Model | str,
    http_client: httpx.AsyncClient | None = None,
    *,
    tools: list[llmkit.Tool] | None = None,
) -> list[StreamEvent]:
    result = stream_text(
        model=model,
        prompt="What is the weather?",
        http_client=http_client,
        tools=tools,
        max_steps=3 if tools else 1,
    )
    return [event async for event in result]


# ------------------------------------------------------------------ streamed openai-chat
async def test_streamed_openai_chat_records_then_replays_identical_events(tmp_path: Path) -> None:
    path = tmp_path / "fixtures" / "weather.json"
    with MockModel(["It is sunny in Paris, 24 degrees."], chunking=5) as live:
        model = llmkit.provider("openai", base_url=f"{live.server.url}/v1", api_key=CANARY)(
            "gpt-4o-mini"
        )
        async with record_or_replay(path, model=model) as tape:
            assert tape.mode == "record" and tape.model is model
            assert tape.http_client is not None
            recorded = await events_of(tape.model, tape.http_client)
        assert live.requests[0].headers["authorization"] == f"Bearer {CANARY}"
        assert live.requests[0].headers["accept-encoding"] == "identity"
    assert path.is_file()
    assert_no_secret(path)
    data = json.loads(path.read_text())
    assert data["format"] == FIXTURE_FORMAT
    assert data["model"] == "openai:gpt-4o-mini" and data["protocol"] == "openai-chat"
    [exchange] = data["exchanges"]
    assert exchange["request"]["method"] == "POST"
    assert exchange["request"]["path"] == "/v1/chat/completions"
    assert exchange["request"]["body"]["model"] == "gpt-4o-mini"
    assert exchange["request"]["body"]["stream"] is True
    assert exchange["response"]["status"] == 200
    assert exchange["response"]["headers"]["content-type"].startswith("text/event-stream")
    assert "transfer-encoding" not in exchange["response"]["headers"]
    assert exchange["response"]["body"].startswith("data: ")
    assert exchange["response"]["complete"] is True

    # the live server is gone: replay from the file, in any chunking
    for chunking in (None, 1, random_chunks(seed=3, max_size=40)):
        async with record_or_replay(path, model="openai:gpt-4o-mini", chunking=chunking) as tape:
            assert tape.mode == "replay" and tape.http_client is None and tape.recorder is None
            replayed = await events_of(tape.model)
        assert replayed == recorded
    assert any(e.type == "text_delta" for e in recorded)
    assert recorded[0].type == "stream_start" and recorded[0].model == "openai:gpt-4o-mini"


# ------------------------------------------------------------------ non-streamed anthropic
async def test_non_streamed_anthropic_records_then_replays(tmp_path: Path) -> None:
    path = tmp_path / "anthropic.json"
    turn = MockTurn(text="Bonjour!", reasoning="The user wants French.", input_tokens=7)
    with MockModel([turn], protocol="anthropic-messages") as live:
        model = llmkit.provider("anthropic", base_url=f"{live.server.url}/v1", api_key=CANARY)(
            "claude-haiku-4-5"
        )
        async with record_responses(path, model=model) as recorder:
            live_result = await generate_text(
                model=model, prompt="Say hi in French", http_client=recorder.http_client
            )
            [exchange] = recorder.exchanges
        assert live.requests[0].headers["x-api-key"] == CANARY
    assert exchange.status == 200 and exchange.complete and exchange.error is None
    assert isinstance(exchange.request_body, dict) and "stream" not in exchange.request_body
    assert json.loads(exchange.body)["content"][0]["type"] == "thinking"
    assert_no_secret(path)

    with replay_model(path) as replayed_model:  # the model comes from the file
        assert replayed_model.name == "anthropic:claude-haiku-4-5"
        replayed = await generate_text(model=replayed_model, prompt="Say hi in French")
    assert replayed.events == live_result.events
    assert (replayed.text, replayed.reasoning_text) == ("Bonjour!", "The user wants French.")
    assert replayed.usage.input_tokens == 7
    # and the sync form replays the same file
    with replay_model(path, model="anthropic:claude-haiku-4-5") as again:
        assert llmkit.generate_text_sync(model=again, prompt="hi").events == live_result.events


# ------------------------------------------------------------------ a tool loop: two exchanges
@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


async def test_a_tool_loop_records_every_request_and_replays_in_order(tmp_path: Path) -> None:
    path = tmp_path / "loop.json"
    turns: list[MockTurn | str] = [
        MockTurn(tool_calls=[("get_weather", {"city": "Paris"})]),
        "Sunny in Paris.",
    ]
    with MockModel(turns, provider_id="live") as live:
        async with record_or_replay(path, model=live.model) as tape:
            recorded = await events_of(tape.model, tape.http_client, tools=[get_weather])
    fixture = Fixture.load(path)
    assert len(fixture.exchanges) == 2 and fixture.model == "live:mock-model"
    second = fixture.exchanges[1].request_body
    assert isinstance(second, dict) and second["messages"][-1]["role"] == "tool"

    # the provider "live" is no longer registered: the file's protocol builds it
    with replay_model(path) as model:
        replayed = await events_of(model, tools=[get_weather])
        assert timeless(replayed) == timeless(recorded)
        assert any(isinstance(e, ToolExecutionEndEvent) for e in recorded)
        # a request past the recording gets a clear, non-retried error
        with pytest.raises(BadRequestError, match="has 2 recorded response"):
            await stream_text(model=model, prompt="again").text


# ------------------------------------------------------------------ secrets
async def test_no_credential_is_written(tmp_path: Path) -> None:
    """A canary key in every place a credential travels: headers, query, a response that echoes
    it (body and header), cookies; none of it reaches the file."""
    echo = json.dumps({"error": {"message": f"Invalid API key {CANARY} / {CANARY_PLAIN}"}})
    live = ReplayServer(
        [
            ReplayResponse(
                echo.encode(),
                status=401,
                content_type="application/json",
                headers={
                    "set-cookie": f"session={CANARY_PLAIN}",
                    "x-echo": f"key={CANARY_PLAIN}",
                    "x-request-id": "req_123",
                    "openai-organization": "user-abc",
                },
            )
        ]
    )
    path = tmp_path / "secret.json"
    with live:
        async with record_responses(path) as recorder:
            response = await recorder.http_client.post(
                f"{live.url}/v1beta/models/gemini:streamGenerateContent",
                params={"alt": "sse", "key": CANARY_PLAIN, "api_key": CANARY, "token": CANARY},
                headers={
                    "authorization": f"Bearer {CANARY}",
                    "x-api-key": CANARY,
                    "api-key": CANARY_PLAIN,
                    "x-goog-api-key": CANARY_PLAIN,
                    "cookie": f"sid={CANARY_PLAIN}",
                    "x-custom-auth": CANARY_PLAIN,
                },
                json={"contents": [{"parts": [{"text": f"my key is {CANARY_PLAIN}"}]}]},
            )
            assert response.status_code == 401 and CANARY in response.text  # the caller sees it
        sent = live.requests[0]
        assert f"key={CANARY_PLAIN}" in sent.path and sent.headers["x-api-key"] == CANARY
    assert_no_secret(path)
    [exchange] = Fixture.load(path).exchanges
    assert exchange.path == "/v1beta/models/gemini:streamGenerateContent?alt=sse"
    assert exchange.status == 401
    assert exchange.headers["x-request-id"] == "req_123"
    assert exchange.headers["x-echo"] == "key=***"
    assert "set-cookie" not in exchange.headers and "openai-organization" not in exchange.headers
    # the replay server sends its own: a second copy breaks strict HTTP parsers
    assert not {"server", "date", "content-length", "transfer-encoding"} & set(exchange.headers)
    assert b"Invalid API key" in exchange.body and b"***" in exchange.body
    assert exchange.request_body == {"contents": [{"parts": [{"text": "my key is ***"}]}]}


# ------------------------------------------------------------------ binary bodies
async def test_binary_body_round_trips_byte_exact(tmp_path: Path) -> None:
    audio = bytes(range(256)) * 3 + b"\xff\xfe\x00"
    path = tmp_path / "speech.json"
    with ReplayServer([ReplayResponse(audio, content_type="audio/mpeg", chunking=17)]) as live:
        async with record_responses(path) as recorder:
            response = await recorder.http_client.post(
                f"{live.url}/v1/audio/speech", content=b"\xff\x00binary request"
            )
            assert response.content == audio
    stored = json.loads(path.read_text())["exchanges"][0]
    assert base64.b64decode(stored["response"]["body_base64"]) == audio
    assert base64.b64decode(stored["request"]["body_base64"]) == b"\xff\x00binary request"
    [served] = load_fixture(path)
    assert served.body == audio and served.content_type == "audio/mpeg"
    for chunking in (None, 7):
        with ReplayServer.from_fixture(path, chunking=chunking) as server:
            async with httpx.AsyncClient() as client:
                again = await client.post(f"{server.url}/v1/audio/speech", content=b"x")
        assert again.content == audio
        assert again.headers["content-type"] == "audio/mpeg"


async def test_text_request_body_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "form.json"
    with ReplayServer([ReplayResponse.json({"ok": True})]) as live:
        async with record_responses(path) as recorder:
            await recorder.http_client.post(f"{live.url}/v1/form", content=b"a=1&b=2")
    stored = json.loads(path.read_text())["exchanges"][0]
    assert stored["request"]["body_text"] == "a=1&b=2"
    assert stored["response"]["body"] == '{"ok": true}'
    assert Fixture.load(path).exchanges[0].request_body == "a=1&b=2"


# ------------------------------------------------------------------ broken and unfinished streams
async def test_a_stream_cut_mid_body_replays_as_the_same_failure(tmp_path: Path) -> None:
    from llmkit.testing import openai_chat_sse

    body = openai_chat_sse(MockTurn(text="A long answer that is cut off in the middle."))
    path = tmp_path / "cut.json"
    cut = ReplayResponse(body, chunking=20, close_after=len(body) // 2)
    live_config = llmkit.provider("openai", base_url="http://127.0.0.1:1/v1")
    with ReplayServer([cut]) as live:
        model = llmkit.provider(live_config.config, base_url=f"{live.url}/v1", api_key=CANARY)("m")
        recorded: list[StreamEvent] = []
        async with record_responses(path, model=model) as recorder:
            with pytest.raises(APIConnectionError) as live_error:
                async for event in stream_text(
                    model=model, prompt="hi", retry=None, http_client=recorder.http_client
                ):
                    recorded.append(event)
    [exchange] = Fixture.load(path).exchanges
    assert exchange.complete is False and exchange.error is not None
    assert exchange.body == body[: len(body) // 2]
    replayed: list[StreamEvent] = []
    with replay_model(path) as replay, pytest.raises(APIConnectionError) as replay_error:
        async for event in stream_text(model=replay, prompt="hi", retry=None):
            replayed.append(event)
    assert replayed == recorded and any(e.type == "text_delta" for e in recorded)
    assert type(replay_error.value) is type(live_error.value)


async def test_a_reader_that_stops_early_keeps_what_it_read(tmp_path: Path) -> None:
    path = tmp_path / "early.json"
    with MockModel(["one two three four five six seven"], chunking=8) as live:
        async with record_or_replay(path, model=live.model) as tape:
            async for event in stream_text(
                model=tape.model, prompt="hi", http_client=tape.http_client
            ):
                if event.type == "text_delta":
                    break
    [exchange] = Fixture.load(path).exchanges
    assert exchange.complete is False and exchange.error is None
    assert exchange.body.startswith(b"data: ")


async def test_nothing_is_written_when_the_block_fails(tmp_path: Path) -> None:
    path = tmp_path / "failed.json"
    with MockModel(["hi"]) as live, pytest.raises(RuntimeError, match="test failed"):
        async with record_or_replay(path, model=live.model) as tape:
            await stream_text(model=tape.model, prompt="hi", http_client=tape.http_client).text
            raise RuntimeError("test failed")
    assert not path.exists()


async def test_a_client_of_your_own_is_recorded_and_left_open(tmp_path: Path) -> None:
    path = tmp_path / "own.json"
    async with httpx.AsyncClient() as client:
        with MockModel(["hi"]) as live:
            async with record_responses(path, http_client=client) as recorder:
                assert recorder.http_client is client
                await stream_text(model=live.model, prompt="hi", http_client=client).text
        assert not client.is_closed
        assert client.event_hooks == {"request": [], "response": []}  # hooks taken off
    assert len(Fixture.load(path).exchanges) == 1


# ------------------------------------------------------------------ modes
async def test_the_mode_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "modes.json"
    with MockModel(["first", "second"]) as live:
        async with record_or_replay(path, model=live.model) as tape:
            assert tape.mode == "record"
            assert (
                await stream_text(model=tape.model, prompt="hi", http_client=tape.http_client).text
                == "first"
            )
        async with record_or_replay(path, model=live.model) as tape:
            assert tape.mode == "replay"
            assert await stream_text(model=tape.model, prompt="hi").text == "first"
        monkeypatch.setenv("LLMKIT_RECORD", "all")  # force re-recording
        async with record_or_replay(path, model=live.model) as tape:
            assert tape.mode == "record"
            assert (
                await stream_text(model=tape.model, prompt="hi", http_client=tape.http_client).text
                == "second"
            )
        monkeypatch.setenv("LLMKIT_RECORD", "none")
        async with record_or_replay(path, model=live.model) as tape:
            assert tape.mode == "replay"
            assert await stream_text(model=tape.model, prompt="hi").text == "second"
        async with record_or_replay(path, model=live.model, mode="all") as tape:
            assert tape.mode == "record"  # the argument wins over the environment
            await stream_text(model=tape.model, prompt="hi", http_client=tape.http_client).text
        with pytest.raises(InvalidArgumentError, match="LLMKIT_RECORD=none"):
            async with record_or_replay(tmp_path / "missing.json", model=live.model):
                pass
        monkeypatch.setenv("LLMKIT_RECORD", "sometimes")
        with pytest.raises(InvalidArgumentError, match=r"\$LLMKIT_RECORD is 'sometimes'"):
            async with record_or_replay(path, model=live.model):
                pass
        with pytest.raises(InvalidArgumentError, match="mode= is 'always'"):
            async with record_or_replay(path, model=live.model, mode="always"):  # type: ignore[arg-type]
                pass


# ------------------------------------------------------------------ bad files
BAD_FILES = [
    ("{not json", "not JSON"),
    ("[1, 2]", "no 'format' field: not an llmkit fixture"),
    ('{"exchanges": []}', "no 'format' field"),
    ('{"format": "llmkit.fixture/99", "exchanges": []}', "format 'llmkit.fixture/99' is not"),
    ('{"format": "llmkit.fixture/1"}', "malformed"),
    ('{"format": "llmkit.fixture/1", "exchanges": [{"request": {}}]}', "malformed"),
    (
        '{"format": "llmkit.fixture/1", "exchanges": [{"request": {"method": "GET", "path": "/"},'
        ' "response": {"status": 200, "body_base64": "!!"}}]}',
        "malformed",
    ),
    (
        '{"format": "llmkit.fixture/1", "exchanges": [{"request": {"method": "GET", "path": "/"},'
        ' "response": {"status": 1000, "body": ""}}]}',
        "not an HTTP status",
    ),
    ('{"format": "llmkit.fixture/1", "model": 5, "exchanges": []}', "model is 5"),
]


@pytest.mark.parametrize(("text", "problem"), BAD_FILES)
def test_a_bad_fixture_file_is_a_clear_error(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    for load in (load_fixture, ReplayServer.from_fixture, Fixture.load):
        with pytest.raises(InvalidArgumentError, match=problem) as info:
            load(path)
        assert str(path) in str(info.value)
    with pytest.raises(InvalidArgumentError, match=problem), replay_model(path, model="x:y"):
        pass


def test_a_missing_file_and_a_file_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="does not exist; record it first"):
        load_fixture(tmp_path / "nope.json")
    path = tmp_path / "anonymous.json"
    Fixture(()).save(path)
    with pytest.raises(InvalidArgumentError, match="names no model"), replay_model(path):
        pass


# ------------------------------------------------------------------ other kinds of calls
async def test_an_embedding_call_records_and_replays(tmp_path: Path) -> None:
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -0.5, 1.0]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    }
    path = tmp_path / "embed.json"
    with ReplayServer([ReplayResponse.json(body)]) as live:
        model = llmkit.provider("openai", base_url=f"{live.url}/v1", api_key=CANARY)(
            "text-embedding-3-small"
        )
        async with record_or_replay(path, model=model) as tape:
            recorded = await llmkit.embed(
                model=tape.model, value="hello", encoding="float", http_client=tape.http_client
            )
    assert_no_secret(path)
    assert Fixture.load(path).exchanges[0].path == "/v1/embeddings"
    async with record_or_replay(path, model="openai:text-embedding-3-small") as tape:
        assert tape.mode == "replay"
        replayed = await llmkit.embed(model=tape.model, value="hello", encoding="float")
    assert list(replayed.embedding) == list(recorded.embedding) == [0.25, -0.5, 1.0]
    assert replayed.usage == recorded.usage


# ------------------------------------------------------------------ which response answers which
async def test_each_request_gets_the_response_recorded_for_it(tmp_path: Path) -> None:
    """Requests replayed in another order (concurrent calls) still get their own responses;
    a request that matches none gets the next one in recorded order."""
    path = tmp_path / "two.json"
    with MockModel(["Answer to one", "Answer to two"]) as live:
        async with record_or_replay(path, model=live.model) as tape:
            one = stream_text(model=tape.model, prompt="one", http_client=tape.http_client)
            assert await one.text == "Answer to one"
            two = stream_text(model=tape.model, prompt="two", http_client=tape.http_client)
            assert await two.text == "Answer to two"
    with replay_model(path) as model:
        assert await stream_text(model=model, prompt="two").text == "Answer to two"
        assert await stream_text(model=model, prompt="one").text == "Answer to one"
    with replay_model(path) as model:  # changed prompts: recorded order
        assert await stream_text(model=model, prompt="uno").text == "Answer to one"
        assert await stream_text(model=model, prompt="dos").text == "Answer to two"
        with pytest.raises(BadRequestError, match="has 2 recorded response"):
            await stream_text(model=model, prompt="tres").text


async def test_a_retried_error_is_recorded_and_replayed(tmp_path: Path) -> None:
    from llmkit.testing import openai_chat_sse

    rate_limited = ReplayResponse.json(
        {"error": {"type": "rate_limit_error", "message": "slow down"}},
        status=429,
        headers={"retry-after": "0"},
    )
    answer = ReplayResponse(openai_chat_sse(MockTurn(text="after the retry")))
    path = tmp_path / "retry.json"
    with ReplayServer([rate_limited, answer]) as live:
        model = llmkit.provider("openai", base_url=f"{live.url}/v1", api_key=CANARY)("gpt-4o")
        async with record_or_replay(path, model=model) as tape:
            recorded = await events_of(tape.model, tape.http_client)
        assert len(live.requests) == 2
    exchanges = Fixture.load(path).exchanges
    assert [x.status for x in exchanges] == [429, 200]
    assert exchanges[0].headers["retry-after"] == "0"
    with ReplayServer.from_fixture(path) as server:
        replay = llmkit.provider(
            "openai", base_url=f"{server.url}/v1", api_key_required=False, auth="none"
        )("gpt-4o")
        replayed = await events_of(replay)
        assert len(server.requests) == 2  # the 429 was served again, and retried
    assert replayed == recorded
    assert recorded[0].type == "stream_start" and recorded[0].attempts == 2
