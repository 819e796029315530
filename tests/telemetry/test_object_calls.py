"""Traced structured-output calls end to end (127.0.0.1): ``stream_object`` and
``generate_object`` (and their sync forms) record one ``chat`` span each, in both strategies
(a JSON Schema response format, a forced tool), with the metrics of text calls; a provider
error, a stream stopped early, ``agent_name``, content capture and ``instrument()``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from llmkit import (
    AuthenticationError,
    NoObjectGeneratedError,
    ProviderRegistry,
    StreamObjectResult,
    generate_object,
    generate_object_sync,
    stream_object,
    stream_object_sync,
)
from llmkit.errors import InvalidArgumentError
from llmkit.providers.config import ProtocolName
from llmkit.telemetry import _semconv as sc
from llmkit.telemetry import instrument, uninstrument
from llmkit.testing import MockModel, MockTurn, ReplayResponse, ReplayServer

from .conftest import Recorded, attrs, cancel_consumer_after
from .test_agent_run import CANARY, parent_id, span_id, with_canary_header


class City(BaseModel):
    name: str
    population: int


OSLO: dict[str, object] = {"name": "Oslo", "population": 709037}


def _turn(protocol: ProtocolName) -> MockTurn:
    """The object as the response text (response format) or the forced tool's input."""
    if protocol == "openai-chat":
        return MockTurn(text=json.dumps(OSLO), piece=4)
    return MockTurn(tool_calls=[("City", OSLO)], args_piece=4)


FINISH = {"openai-chat": ("stop",), "anthropic-messages": ("tool_call",)}
"""The finish reason recorded: a forced tool call finishes with ``tool_calls``."""


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
async def test_stream_object_is_one_chat_span(otel: Recorded, protocol: ProtocolName) -> None:
    registry = ProviderRegistry()
    app = otel.tracer_provider.get_tracer("app")
    mock = MockModel([_turn(protocol)], protocol=protocol, registry=registry)
    with app.start_as_current_span("app") as outer, mock:
        result = stream_object(
            model=mock.model,
            schema=City,
            prompt="The capital of Norway?",
            temperature=0.2,
            max_output_tokens=200,
            telemetry=otel.telemetry(),
            registry=registry,
        )
        partials = [p async for p in result.partial_object_stream]
        assert partials[-1] == OSLO
        assert await result.object == City(name="Oslo", population=709037)
        port = int(mock.server.url.rsplit(":", 1)[1])
    (chat,) = [s for s in otel.spans() if s.name != "app"]  # no invoke_agent for the tool
    assert chat.name == "chat mock-model"
    assert chat.kind is SpanKind.CLIENT
    assert parent_id(chat) == outer.get_span_context().span_id
    assert chat.status.status_code is StatusCode.UNSET
    attributes = dict(chat.attributes or {})
    assert isinstance(attributes.pop(sc.RESPONSE_TIME_TO_FIRST_CHUNK), float)
    assert isinstance(attributes.pop(sc.RESPONSE_ID), str)
    assert attributes == {
        sc.OPERATION_NAME: "chat",
        sc.PROVIDER_NAME: "mock",
        sc.REQUEST_MODEL: "mock-model",
        sc.SERVER_ADDRESS: "127.0.0.1",
        sc.SERVER_PORT: port,
        sc.REQUEST_TEMPERATURE: 0.2,
        sc.REQUEST_MAX_TOKENS: 200,
        sc.OUTPUT_TYPE: "json",  # whichever strategy sent the schema
        sc.REQUEST_STREAM: True,
        sc.RESPONSE_MODEL: "mock-model",
        sc.RESPONSE_FINISH_REASONS: FINISH[protocol],
        sc.USAGE_INPUT_TOKENS: 10,
        sc.USAGE_OUTPUT_TOKENS: 20,
    }
    (duration,) = otel.points(sc.OPERATION_DURATION)
    assert attrs(duration) == {
        sc.OPERATION_NAME: "chat",
        sc.PROVIDER_NAME: "mock",
        sc.REQUEST_MODEL: "mock-model",
        sc.SERVER_ADDRESS: "127.0.0.1",
        sc.SERVER_PORT: port,
        sc.RESPONSE_MODEL: "mock-model",
    }
    assert duration.count == 1
    usage = {attrs(p)[sc.TOKEN_TYPE]: p.sum for p in otel.points(sc.TOKEN_USAGE)}
    assert usage == {"input": 10, "output": 20}
    (first_chunk,) = otel.points(sc.TIME_TO_FIRST_CHUNK)
    assert first_chunk.count == 1


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
async def test_generate_object_is_one_chat_span(otel: Recorded, protocol: ProtocolName) -> None:
    registry = ProviderRegistry()
    with MockModel([_turn(protocol)], protocol=protocol, registry=registry) as mock:
        result = await generate_object(
            model=mock.model,
            schema=City,
            prompt="The capital of Norway?",
            telemetry=otel.telemetry(function_id="cities.lookup"),
            registry=registry,
        )
        assert result.object == City(name="Oslo", population=709037)
    (chat,) = otel.spans()
    assert chat.name == "chat mock-model"
    assert chat.kind is SpanKind.CLIENT
    assert chat.parent is None
    attributes = chat.attributes or {}
    assert attributes[sc.OPERATION_NAME] == "chat"
    assert attributes[sc.REQUEST_MODEL] == "mock-model"
    assert attributes[sc.OUTPUT_TYPE] == "json"
    assert attributes[sc.RESPONSE_FINISH_REASONS] == FINISH[protocol]
    assert attributes[sc.USAGE_INPUT_TOKENS] == 10
    assert attributes[sc.USAGE_OUTPUT_TOKENS] == 20
    assert attributes[sc.FUNCTION_ID] == "cities.lookup"
    assert sc.REQUEST_STREAM not in attributes  # not a streamed request
    assert sc.RESPONSE_TIME_TO_FIRST_CHUNK not in attributes
    assert otel.points(sc.TIME_TO_FIRST_CHUNK) == []
    (duration,) = otel.points(sc.OPERATION_DURATION)
    assert attrs(duration)[sc.OPERATION_NAME] == "chat"
    assert sc.ERROR_TYPE not in attrs(duration)
    assert sorted(str(attrs(p)[sc.TOKEN_TYPE]) for p in otel.points(sc.TOKEN_USAGE)) == [
        "input",
        "output",
    ]


async def test_agent_name_makes_an_invoke_agent_span(otel: Recorded) -> None:
    with MockModel([_turn("openai-chat")]) as mock:
        result = stream_object(
            model=mock.model,
            schema=City,
            prompt="The capital of Norway?",
            telemetry=otel.telemetry(agent_name="Geographer"),
        )
        assert await result.object == City(name="Oslo", population=709037)
    chat, root = otel.span("chat mock-model"), otel.span("invoke_agent Geographer")
    assert root.kind is SpanKind.INTERNAL
    assert root.parent is None
    assert parent_id(chat) == span_id(root)
    root_attributes = root.attributes or {}
    assert root_attributes[sc.OPERATION_NAME] == "invoke_agent"
    assert root_attributes[sc.AGENT_NAME] == "Geographer"
    assert root_attributes[sc.REQUEST_MODEL] == "mock-model"
    assert root_attributes[sc.OUTPUT_TYPE] == "json"
    assert root_attributes[sc.RESPONSE_FINISH_REASONS] == ("stop",)
    assert root_attributes[sc.USAGE_INPUT_TOKENS] == 10
    assert root_attributes[sc.USAGE_OUTPUT_TOKENS] == 20
    durations = sorted(str(attrs(p)[sc.OPERATION_NAME]) for p in otel.points(sc.OPERATION_DURATION))
    assert durations == ["chat", "invoke_agent"]
    assert len(otel.points(sc.TOKEN_USAGE)) == 2  # per request only: input and output, once


def _unauthorized() -> ReplayResponse:
    body = {
        "error": {
            "message": f"Incorrect API key provided: {CANARY}.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    return ReplayResponse.json(body, status=401)


@pytest.mark.parametrize("streamed", [True, False], ids=["stream_object", "generate_object"])
async def test_a_provider_error_sets_error_status(otel: Recorded, streamed: bool) -> None:
    with ReplayServer([_unauthorized()]) as server:
        registry = ProviderRegistry([server.provider("openai", "openai-chat")])
        with_canary_header(registry)
        settings: dict[str, Any] = {
            "model": "openai:gpt-4o",
            "schema": City,
            "prompt": "The capital of Norway?",
            "telemetry": otel.telemetry(),
            "api_key": CANARY,
            "registry": registry,
        }
        with pytest.raises(AuthenticationError):
            if streamed:
                await stream_object(**settings).object
            else:
                await generate_object(**settings)
    (chat,) = otel.spans()
    assert chat.name == "chat gpt-4o"
    attributes = chat.attributes or {}
    assert attributes[sc.OPERATION_NAME] == "chat"
    assert attributes[sc.REQUEST_MODEL] == "gpt-4o"
    assert attributes[sc.PROVIDER_NAME] == "openai"
    assert attributes[sc.ERROR_TYPE] == "AuthenticationError"
    assert chat.status.status_code is StatusCode.ERROR
    assert chat.status.description  # llmkit's own message, credential-free
    assert sc.USAGE_INPUT_TOKENS not in attributes
    (duration,) = otel.points(sc.OPERATION_DURATION)
    assert attrs(duration)[sc.ERROR_TYPE] == "AuthenticationError"
    assert otel.points(sc.TOKEN_USAGE) == []
    assert CANARY not in otel.everything()


async def test_an_object_that_does_not_match_is_not_a_failed_request(otel: Recorded) -> None:
    with MockModel(['{"name": "Oslo"}']) as mock, pytest.raises(NoObjectGeneratedError):
        await generate_object(
            model=mock.model, schema=City, prompt="Oslo?", telemetry=otel.telemetry()
        )
    (chat,) = otel.spans()  # the request succeeded: validation is the caller's side
    assert chat.status.status_code is StatusCode.UNSET
    assert (chat.attributes or {})[sc.USAGE_OUTPUT_TOKENS] == 20


async def test_a_stream_stopped_early_ends_its_span(otel: Recorded) -> None:
    long = {"name": "x" * 2000, "population": 1}
    with MockModel([MockTurn(text=json.dumps(long), piece=5)]) as mock:
        result = stream_object(
            model=mock.model, schema=City, prompt="Talk", telemetry=otel.telemetry()
        )
        async for partial in result.partial_object_stream:
            if partial.get("name"):
                break
    (chat,) = otel.spans()
    assert chat.name == "chat mock-model"
    assert chat.end_time is not None
    attributes = chat.attributes or {}
    assert attributes[sc.STOP_REASON] == "closed"
    assert chat.status.status_code is StatusCode.UNSET  # stopping is not a failure
    assert sc.ERROR_TYPE not in attributes
    assert sc.RESPONSE_FINISH_REASONS not in attributes
    assert otel.points(sc.OPERATION_DURATION) == []  # no duration for an operation cut short
    assert otel.points(sc.TOKEN_USAGE) == []


async def test_a_cancelled_stream_ends_its_span(otel: Recorded) -> None:
    long = {"name": "x" * 2000, "population": 1}
    with MockModel([MockTurn(text=json.dumps(long), piece=5)]) as mock:
        result = stream_object(
            model=mock.model, schema=City, prompt="Talk", telemetry=otel.telemetry()
        )
        await cancel_consumer_after(result.partial_object_stream)
        await result.aclose()
    (chat,) = otel.spans()
    assert chat.end_time is not None
    # cancelled while the consumer, not the stream, was waiting: the stream is then closed
    assert (chat.attributes or {})[sc.STOP_REASON] in ("closed", "cancelled")
    assert chat.status.status_code is StatusCode.UNSET
    assert otel.points(sc.OPERATION_DURATION) == []


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
async def test_content_is_recorded_only_when_asked(otel: Recorded, protocol: ProtocolName) -> None:
    registry = ProviderRegistry()
    with MockModel([_turn(protocol)] * 2, protocol=protocol, registry=registry) as mock:
        for record_content in (False, True):
            result = await generate_object(
                model=mock.model,
                schema=City,
                system="Be exact.",
                prompt="The capital of Norway?",
                telemetry=otel.telemetry(record_content=record_content),
                registry=registry,
            )
            assert result.object.name == "Oslo"
    plain, recorded = otel.spans()
    for key in (sc.INPUT_MESSAGES, sc.OUTPUT_MESSAGES, sc.SYSTEM_INSTRUCTIONS):
        assert key not in (plain.attributes or {})
    attributes = recorded.attributes or {}
    (sent,) = json.loads(str(attributes[sc.INPUT_MESSAGES]))
    assert sent == {
        "role": "user",
        "parts": [{"type": "text", "content": "The capital of Norway?"}],
    }
    assert "Be exact." in str(attributes[sc.SYSTEM_INSTRUCTIONS])
    (answer,) = json.loads(str(attributes[sc.OUTPUT_MESSAGES]))
    assert answer["role"] == "assistant"
    (part,) = answer["parts"]
    if protocol == "openai-chat":
        assert part["type"] == "text"
        assert json.loads(part["content"]) == OSLO
        assert sc.TOOL_DEFINITIONS not in attributes
    else:  # the forced tool: offered, and called with the object
        assert part["type"] == "tool_call"
        assert part["name"] == "City"
        assert part["arguments"] == OSLO
        (definition,) = json.loads(str(attributes[sc.TOOL_DEFINITIONS]))
        assert definition["name"] == "City"


def test_the_sync_forms_nest_under_the_callers_span(otel: Recorded) -> None:
    app = otel.tracer_provider.get_tracer("app")
    mock = MockModel([_turn("openai-chat")] * 2)
    with app.start_as_current_span("script") as script, mock:
        telemetry = otel.telemetry()
        streamed = stream_object_sync(
            model=mock.model, schema=City, prompt="1", telemetry=telemetry
        )
        assert streamed.object.name == "Oslo"
        generated = generate_object_sync(
            model=mock.model, schema=City, prompt="2", telemetry=telemetry
        )
        assert generated.object.name == "Oslo"
    chats = [s for s in otel.spans() if s.name == "chat mock-model"]
    assert len(chats) == 2
    streams = sorted(bool((c.attributes or {}).get(sc.REQUEST_STREAM)) for c in chats)
    assert streams == [False, True]
    for chat in chats:  # the calls ran on llmkit's loop thread, under the caller's span
        assert parent_id(chat) == script.get_span_context().span_id
        assert (chat.attributes or {})[sc.USAGE_OUTPUT_TOKENS] == 20


async def test_instrument_traces_object_calls_unless_they_opt_out(otel: Recorded) -> None:
    try:
        instrument(otel.telemetry(function_id="everywhere"))
        with MockModel([_turn("openai-chat")] * 3) as mock:
            traced = stream_object(model=mock.model, schema=City, prompt="1")
            assert (await traced.object).name == "Oslo"
            assert (await generate_object(model=mock.model, schema=City, prompt="2")).object
            untraced: StreamObjectResult[City] = stream_object(
                model=mock.model, schema=City, prompt="3", telemetry=False
            )
            assert (await untraced.object).name == "Oslo"
    finally:
        uninstrument()
    spans = otel.spans()
    assert [s.name for s in spans] == ["chat mock-model"] * 2
    assert [(s.attributes or {})[sc.FUNCTION_ID] for s in spans] == ["everywhere"] * 2


async def test_wrong_settings_are_refused_at_once() -> None:
    with pytest.raises(InvalidArgumentError, match="telemetry= takes True, False, None"):
        stream_object(model="openai:gpt-4o", schema=City, prompt="Hi", telemetry="yes")  # type: ignore[call-overload]
    with pytest.raises(InvalidArgumentError, match="telemetry= takes True, False, None"):
        await generate_object(model="openai:gpt-4o", schema=City, prompt="Hi", telemetry=1)  # type: ignore[call-overload]
