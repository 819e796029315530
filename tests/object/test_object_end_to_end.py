"""generate_object and stream_object end to end over loopback, both protocols, pydantic models
and raw JSON schemas; recorded structured-output streams; invalid output."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import fixture_util
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from llmkit import (
    GenerateObjectResult,
    NoObjectGeneratedError,
    StreamObjectResult,
    generate_object,
    stream_object,
)
from llmkit.errors import APIConnectionError
from llmkit.providers.config import ProtocolName
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.testing.replay import ReplayResponse, ReplayServer, split_chunks

from .test_partial_objects import grows


class Person(BaseModel):
    name: str
    age: int
    hobbies: list[str]


PERSON = {"name": "Ada Lovelace", "age": 36, "hobbies": ["mathematics", "poetry"]}
PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "hobbies": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age", "hobbies"],
    "additionalProperties": False,
}


def _entry(file: str) -> dict[str, Any]:
    return next(e for e in fixture_util.manifest() if e["file"] == file)


def _check_partials(partials: list[dict[str, object]], final: object) -> None:
    assert len(partials) >= 2
    for before, after in itertools.pairwise(partials):
        assert grows(before, after), (before, after)
    assert partials[-1] == final


def _turn(protocol: ProtocolName, obj: dict[str, object], name: str) -> MockTurn:
    text = json.dumps(obj)
    if protocol == "openai-chat":
        return MockTurn(text=text, piece=3)
    return MockTurn(tool_calls=[(name, obj)], args_piece=3)


# ---------------------------------------------------------------------------- stream_object
@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
@pytest.mark.parametrize("raw", [False, True], ids=["pydantic", "json-schema"])
async def test_stream_object(protocol: ProtocolName, raw: bool) -> None:
    registry = ProviderRegistry()
    name = "response" if raw else "Person"
    with MockModel(
        [_turn(protocol, PERSON, name)], protocol=protocol, registry=registry, chunking=7
    ) as mock:
        result: StreamObjectResult[Any]
        if raw:
            result = stream_object(
                model=mock.model, schema=PERSON_SCHEMA, prompt="Who?", registry=registry
            )
        else:
            result = stream_object(
                model=mock.model, schema=Person, prompt="Who?", registry=registry
            )
        partials = [p async for p in result.partial_object_stream]
        _check_partials(partials, PERSON)
        obj = await result.object
        assert obj == (PERSON if raw else Person(**PERSON))
        assert json.loads(await result.text) == PERSON
        assert (await result.usage).input_tokens == 10
        assert await result.finish_reason == ("stop" if protocol == "openai-chat" else "tool_calls")
        assert (await result.response) is not None
        assert await result.warnings == ()
        assert await result.provider_metadata is None


async def test_stream_object_partials_grow_one_delta_at_a_time() -> None:
    """A text stream cut in 3-character deltas shows every step of the object forming."""
    registry = ProviderRegistry()
    with MockModel([_turn("openai-chat", PERSON, "")], registry=registry) as mock:
        result = stream_object(model=mock.model, schema=Person, prompt="Who?", registry=registry)
        partials = [p async for p in result.partial_object_stream]
    _check_partials(partials, PERSON)
    assert partials[:3] == [{}, {"name": "Ad"}, {"name": "Ada L"}]
    assert any(p.get("hobbies") == ["mathematics"] for p in partials)


async def test_text_stream_and_events() -> None:
    registry = ProviderRegistry()
    with MockModel(
        [_turn("anthropic-messages", PERSON, "Person")] * 2,
        protocol="anthropic-messages",
        registry=registry,
    ) as mock:
        result = stream_object(model=mock.model, schema=Person, prompt="Who?", registry=registry)
        assert json.loads("".join([d async for d in result.text_stream])) == PERSON
        with pytest.raises(RuntimeError, match="only once"):
            result.__aiter__()
        again = stream_object(model=mock.model, schema=Person, prompt="Who?", registry=registry)
        types = [event.type async for event in again]
        assert types[0] == "stream_start" and types[-1] == "finish"
        assert "tool_input_delta" in types
        assert await again.object == Person(**PERSON)


async def test_aclose_before_start_sends_nothing() -> None:
    registry = ProviderRegistry()
    with MockModel(['{"a": 1}'], registry=registry) as mock:
        async with stream_object(
            model=mock.model, schema=PERSON_SCHEMA, prompt="x", registry=registry
        ) as result:
            pass
        await result.aclose()
        assert mock.requests == []


# ---------------------------------------------------------------------------- generate_object
def _completion(content: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 20, "total_tokens": 32},
    }


def _message(name: str, args: dict[str, object]) -> dict[str, object]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": args}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 20},
    }


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
@pytest.mark.parametrize("raw", [False, True], ids=["pydantic", "json-schema"])
async def test_generate_object(protocol: ProtocolName, raw: bool) -> None:
    name = "response" if raw else "Person"
    body = _completion(json.dumps(PERSON)) if protocol == "openai-chat" else _message(name, PERSON)
    with ReplayServer([ReplayResponse.json(body)]) as server:
        registry = ProviderRegistry([server.provider("srv", protocol)])
        if raw:
            result_raw = await generate_object(
                model="srv:m", schema=PERSON_SCHEMA, prompt="Who?", registry=registry
            )
            assert result_raw.object == PERSON
            result: GenerateObjectResult[Any] = result_raw
        else:
            result_typed = await generate_object(
                model="srv:m", schema=Person, prompt="Who?", registry=registry
            )
            person: Person = result_typed.object  # typed as Person for type checkers
            assert person == Person(**PERSON)
            result = result_typed
        assert json.loads(result.text) == PERSON
        assert result.usage.input_tokens == 12
        assert result.usage.output_tokens == 20
        assert result.finish_reason == ("stop" if protocol == "openai-chat" else "tool_calls")
        assert result.response is not None
        request = server.requests[0].json()
        assert isinstance(request, dict)
        assert "stream" not in request
        if protocol == "openai-chat":
            assert request["response_format"]["json_schema"]["name"] == name
        else:
            assert request["tool_choice"] == {"type": "tool", "name": name}


# ---------------------------------------------------------------------------- recorded streams
async def test_recorded_cloudflare_json_object_content() -> None:
    """Cloudflare answered a structured-output request with ``message.content`` as an object."""
    entry = _entry("json/cloudflare-openai-chat-llama33-text.json")
    schema = {
        "type": "object",
        "properties": {"title": {"type": "string"}, "author": {"type": "string"}},
        "required": ["title", "author"],
    }
    with ReplayServer(
        [ReplayResponse(fixture_util.body(entry), content_type="application/json")]
    ) as server:
        registry = ProviderRegistry([server.provider("cf", "openai-chat")])
        result = await generate_object(
            model="cf:llama", schema=schema, prompt="Extract", registry=registry
        )
    assert result.object == entry["expected"]["text"]
    assert result.finish_reason == "stop"


class _Name(BaseModel):
    first_name: str
    last_name: str


class RecordedBook(BaseModel):
    title: str
    author: _Name
    rating: int


RECORDED = [
    # (fixture, protocol, schema, tool name, mode)
    (
        "sse/openai-openai-chat-gpt4o-forced-tool-finish-stop.sse",
        "openai-chat",
        RecordedBook,
        "__mirascope_formatted_output_tool__",
        "tool",
    ),
    (
        "sse/anthropic-anthropic-messages-haiku3-forced-tool-use.sse",
        "anthropic-messages",
        {"type": "object", "properties": {"value": {"type": "boolean"}}, "required": ["value"]},
        "return_bool",
        "auto",
    ),
]


async def _stream_recorded(
    file: str, protocol: ProtocolName, schema: Any, name: str, mode: Any, chunks: list[bytes]
) -> tuple[list[dict[str, object]], object]:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    provider = fixture_util.provider_for(_entry(file)).model_copy(
        update={"id": "mem", "base_url": "http://127.0.0.1:9/v1", "auth": "none"}
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = stream_object(
            model="mem:m",
            schema=schema,
            schema_name=name,
            mode=mode,
            prompt="hi",
            registry=ProviderRegistry([provider]),
            http_client=client,
        )
        partials = [p async for p in result.partial_object_stream]
        return partials, await result.object


@pytest.mark.parametrize("case", RECORDED, ids=[c[0].split("/")[1] for c in RECORDED])
async def test_recorded_structured_output_streams(case: tuple[Any, ...]) -> None:
    file, _protocol, schema, name, mode = case
    data = fixture_util.body(_entry(file))
    expected = _entry(file)["expected"]["tool_calls"][0]["arguments"]
    with ReplayServer([ReplayResponse(data, chunking=11)]) as server:
        provider = fixture_util.provider_for(_entry(file)).model_copy(
            update={"id": "rec", "base_url": f"{server.url}/v1", "auth": "none"}
        )
        registry = ProviderRegistry([provider])
        result = stream_object(
            model="rec:m",
            schema=schema,
            schema_name=name,
            mode=mode,
            prompt="hi",
            registry=registry,
        )
        partials = [p async for p in result.partial_object_stream]
        obj = await result.object
    _check_partials(partials, expected)
    assert (obj.model_dump() if isinstance(obj, BaseModel) else obj) == expected


@settings(max_examples=40, deadline=None)
@given(data=st.data())
async def test_recorded_streams_any_network_chunking(data: st.DataObject) -> None:
    file, protocol, schema, name, mode = data.draw(st.sampled_from(RECORDED), label="fixture")
    raw = fixture_util.body(_entry(file))
    points = data.draw(st.lists(st.integers(1, len(raw) - 1), max_size=50), label="cuts")
    expected = _entry(file)["expected"]["tool_calls"][0]["arguments"]
    partials, obj = await _stream_recorded(
        file, protocol, schema, name, mode, split_chunks(raw, points)
    )
    for before, after in itertools.pairwise(partials):
        assert grows(before, after)
    assert partials[-1] == expected
    assert (obj.model_dump() if isinstance(obj, BaseModel) else obj) == expected


# ---------------------------------------------------------------------------- invalid output
@pytest.mark.parametrize("raw", [False, True], ids=["pydantic", "json-schema"])
async def test_schema_mismatch_raises_with_raw_text_and_errors(raw: bool) -> None:
    text = '{"name": "Ada", "age": -1, "hobbies": "maths"}'
    registry = ProviderRegistry()
    with MockModel([text], registry=registry) as mock:
        schema: Any = PERSON_SCHEMA if raw else Person
        result = stream_object(model=mock.model, schema=schema, prompt="Who?", registry=registry)
        partials = [p async for p in result.partial_object_stream]  # does not raise
        assert partials[-1] == json.loads(text)
        with pytest.raises(NoObjectGeneratedError) as info:
            await result.object
    error = info.value
    assert error.text == text
    assert error.finish_reason == "stop"
    assert error.usage is not None and error.usage.output_tokens == 20
    locs = {(e["loc"], e["type"]) for e in error.errors}
    if raw:
        assert locs == {(("age",), "minimum"), (("hobbies",), "type")}
    else:
        assert locs == {(("hobbies",), "list_type")}
    assert "hobbies" in str(error)


@pytest.mark.parametrize("raw", [False, True], ids=["pydantic", "json-schema"])
async def test_invalid_json_raises(raw: bool) -> None:
    text = 'Sure! {"name": "Ada"'
    registry = ProviderRegistry()
    with MockModel([text], registry=registry) as mock:
        schema: Any = PERSON_SCHEMA if raw else Person
        with pytest.raises(NoObjectGeneratedError) as info:
            await generate_object_over_stream(mock.model, schema, registry)
    assert info.value.text == text
    assert [e["type"] for e in info.value.errors] == ["json_invalid"]


async def generate_object_over_stream(
    model: str, schema: Any, registry: ProviderRegistry
) -> object:
    result = stream_object(model=model, schema=schema, prompt="Who?", registry=registry)
    return await result.object


async def test_no_tool_call_raises_with_the_text_the_model_wrote() -> None:
    registry = ProviderRegistry()
    with (
        MockModel(
            ["I would rather not."], protocol="anthropic-messages", registry=registry
        ) as mock,
        pytest.raises(NoObjectGeneratedError, match="no call of the tool 'Person'") as info,
    ):
        await generate_object_over_stream(mock.model, Person, registry)
    assert info.value.text == "I would rather not."
    assert info.value.errors[0]["type"] == "no_output"


async def test_generate_object_invalid_raises() -> None:
    body = _message("Person", {"name": "Ada"})
    with ReplayServer([ReplayResponse.json(body)]) as server:
        registry = ProviderRegistry([server.provider("srv", "anthropic-messages")])
        with pytest.raises(NoObjectGeneratedError) as info:
            await generate_object(model="srv:m", schema=Person, prompt="Who?", registry=registry)
    assert json.loads(info.value.text) == {"name": "Ada"}
    assert {e["loc"] for e in info.value.errors} == {("age",), ("hobbies",)}
    assert info.value.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("sse/openai-openai-chat-gpt4o-finish-length.sse", "cut at the token limit"),
        ("sse/openai-openai-chat-gpt4o-refusal.sse", "the model refused: I'm sorry"),
    ],
)
async def test_recorded_cut_and_refused_outputs(file: str, message: str) -> None:
    with ReplayServer.from_file(fixture_util.FIXTURES / file) as server:
        registry = ProviderRegistry([server.provider("rec", "openai-chat")])
        with pytest.raises(NoObjectGeneratedError, match=message) as info:
            await generate_object_over_stream("rec:gpt-4o", PERSON_SCHEMA, registry)
    assert info.value.text == _entry(file)["expected"]["text"]


async def test_a_broken_stream_raises_from_the_partial_stream() -> None:
    data = fixture_util.body(_entry("sse/openai-openai-chat-gpt4o-forced-tool-finish-stop.sse"))
    with ReplayServer([ReplayResponse(data, close_after=len(data) // 2)]) as server:
        registry = ProviderRegistry([server.provider("rec", "openai-chat")])
        result = stream_object(
            model="rec:gpt-4o",
            schema=RecordedBook,
            schema_name="__mirascope_formatted_output_tool__",
            mode="tool",
            prompt="hi",
            registry=registry,
        )
        partials: list[dict[str, object]] = []
        with pytest.raises(APIConnectionError):
            async for partial in result.partial_object_stream:
                partials.append(partial)
        assert partials and partials[-1]["title"] == "THE NAME OF THE WIND"
        assert result._acc.finish_reason == "error"
        with pytest.raises(APIConnectionError):  # not NoObjectGeneratedError
            await result.object


# ---------------------------------------------------------------------------- reliability options
async def test_retry_and_cache_reach_the_driver() -> None:
    """A 503 before the answer is retried; the same call again is answered from the cache."""
    from llmkit import ResponseCache, RetryPolicy

    overloaded = ReplayResponse.json({"error": {"message": "busy", "type": "overloaded"}}, 503)
    with ReplayServer([overloaded, ReplayResponse.json(_completion(json.dumps(PERSON)))]) as server:
        registry = ProviderRegistry([server.provider("srv", "openai-chat")])
        cache = ResponseCache()
        for _ in range(2):
            result = await generate_object(
                model="srv:m",
                schema=Person,
                prompt="Who?",
                registry=registry,
                retry=RetryPolicy(max_retries=1, initial_delay=0.0),
                cache=cache,
            )
            assert result.object == Person(**PERSON)
        assert len(server.requests) == 2  # the 503, the retry; the second call: from the cache
        assert cache.hits == 1
