"""Traced calls end to end (127.0.0.1): a call without tools, generate_text, a provider error,
a stream stopped early, a tool that raises, and the process-wide ``instrument()``."""

from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import llmkit._instrument
from llmkit import (
    AuthenticationError,
    ProviderRegistry,
    generate_text,
    generate_text_sync,
    stream_text,
    stream_text_sync,
    tool,
)
from llmkit.errors import InvalidArgumentError
from llmkit.telemetry import Telemetry, instrument, uninstrument
from llmkit.telemetry import _semconv as sc
from llmkit.testing import MockModel, MockTurn, ReplayResponse, ReplayServer

from .conftest import Recorded, attrs, cancel_consumer_after
from .test_agent_run import CANARY, parent_id, span_id, with_canary_header


async def test_a_call_without_tools_is_one_chat_span(otel: Recorded) -> None:
    registry = ProviderRegistry()
    outer = otel.tracer_provider.get_tracer("app")
    mock = MockModel(["Hello there."], provider_id="anthropic", registry=registry)
    with outer.start_as_current_span("app") as app, mock:
        result = stream_text(
            model="anthropic:mock-model",
            prompt="Hi",
            top_p=0.9,
            top_k=40,
            stop_sequences=["END"],
            telemetry=otel.telemetry(),
            registry=registry,
        )
        assert await result.text == "Hello there."
        port = int(mock.server.url.rsplit(":", 1)[1])
    (chat,) = [s for s in otel.spans() if s.name != "app"]
    assert chat.name == "chat mock-model"
    assert chat.kind is SpanKind.CLIENT
    assert parent_id(chat) == app.get_span_context().span_id
    attributes = dict(chat.attributes or {})
    assert isinstance(attributes.pop(sc.RESPONSE_TIME_TO_FIRST_CHUNK), float)
    assert attributes == {
        sc.OPERATION_NAME: "chat",
        sc.PROVIDER_NAME: "anthropic",
        sc.REQUEST_MODEL: "mock-model",
        sc.SERVER_ADDRESS: "127.0.0.1",
        sc.SERVER_PORT: port,
        sc.REQUEST_TOP_P: 0.9,
        sc.REQUEST_TOP_K: 40.0,
        sc.REQUEST_STOP_SEQUENCES: ("END",),
        sc.REQUEST_STREAM: True,
        sc.RESPONSE_ID: "chatcmpl-mock",
        sc.RESPONSE_MODEL: "mock-model",
        sc.RESPONSE_FINISH_REASONS: ("stop",),
        sc.USAGE_INPUT_TOKENS: 10,
        sc.USAGE_OUTPUT_TOKENS: 20,
    }
    (duration,) = otel.points(sc.OPERATION_DURATION)
    assert attrs(duration)[sc.OPERATION_NAME] == "chat"
    assert duration.count == 1


async def test_generate_text_is_not_a_streaming_request(otel: Recorded) -> None:
    with MockModel(["Hello."]) as mock:
        result = await generate_text(model=mock.model, prompt="Hi", telemetry=otel.telemetry())
        assert result.text == "Hello."
    (chat,) = otel.spans()
    assert chat.name == "chat mock-model"
    attributes = chat.attributes or {}
    assert sc.REQUEST_STREAM not in attributes
    assert sc.RESPONSE_TIME_TO_FIRST_CHUNK not in attributes
    assert attributes[sc.PROVIDER_NAME] == "mock"  # not a well-known provider: its llmkit id
    assert attributes[sc.USAGE_OUTPUT_TOKENS] == 20
    assert otel.points(sc.TIME_TO_FIRST_CHUNK) == []  # streaming calls only
    assert [attrs(p)[sc.TOKEN_TYPE] for p in otel.points(sc.TOKEN_USAGE)] == [
        "input",
        "output",
    ]


@pytest.mark.parametrize("record_content", [False, True])
async def test_a_provider_error_sets_error_type(otel: Recorded, record_content: bool) -> None:
    # OpenAI's 401 quotes (part of) the key it refused; llmkit cleans it from the error
    body = {
        "error": {
            "message": f"Incorrect API key provided: {CANARY}.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    with ReplayServer([ReplayResponse.json(body, status=401)]) as server:
        registry = ProviderRegistry([server.provider("openai", "openai-chat")])
        with_canary_header(registry)
        result = stream_text(
            model="openai:gpt-4o",
            prompt="Hi",
            tools=[_boom],
            telemetry=otel.telemetry(record_content=record_content),
            api_key=CANARY,
            registry=registry,
        )
        with pytest.raises(AuthenticationError):
            await result.text
    chat = otel.span("chat gpt-4o")
    root = otel.span("invoke_agent")
    assert parent_id(chat) == span_id(root)
    for span in (chat, root):
        assert (span.attributes or {})[sc.ERROR_TYPE] == "AuthenticationError"
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description  # llmkit's own message, credential-free
    durations = {attrs(p)[sc.OPERATION_NAME]: p for p in otel.points(sc.OPERATION_DURATION)}
    assert {op: attrs(p)[sc.ERROR_TYPE] for op, p in durations.items()} == {
        "chat": "AuthenticationError",
        "invoke_agent": "AuthenticationError",
    }
    assert otel.points(sc.TOKEN_USAGE) == []
    assert CANARY not in otel.everything()


@tool
def _boom(city: str) -> str:
    """Always fails."""
    raise ValueError(f"no weather station in {city}")


@pytest.mark.parametrize("record_content", [False, True])
async def test_a_tool_that_raises_gives_an_error_span(otel: Recorded, record_content: bool) -> None:
    turns: list[MockTurn | str] = [MockTurn(tool_calls=[("_boom", {"city": "Atlantis"})]), "Sorry."]
    with MockModel(turns) as mock:
        result = stream_text(
            model=mock.model,
            prompt="Weather?",
            tools=[_boom],
            max_steps=2,
            telemetry=otel.telemetry(record_content=record_content),
        )
        assert await result.text == "Sorry."
    span = otel.span("execute_tool _boom")
    attributes = span.attributes or {}
    assert attributes[sc.ERROR_TYPE] == "ValueError"
    assert sc.TOOL_CALL_RESULT not in attributes  # a result only for a run that succeeded
    assert span.status.status_code is StatusCode.ERROR
    if record_content:
        assert "no weather station in Atlantis" in (span.status.description or "")
    else:
        assert span.status.description is None  # the tool's message may quote anything
    # the run itself went on and succeeded
    root = otel.span("invoke_agent")
    assert root.status.status_code is StatusCode.UNSET
    assert sc.ERROR_TYPE not in (root.attributes or {})


async def test_a_stream_stopped_early_ends_its_spans(otel: Recorded) -> None:
    with MockModel([MockTurn(text="word " * 200, piece=5)]) as mock:
        result = stream_text(
            model=mock.model, prompt="Talk", tools=[_boom], telemetry=otel.telemetry()
        )
        async for event in result:
            if event.type == "text_delta":
                break
    chat, root = otel.span("chat mock-model"), otel.span("invoke_agent")
    for span in (chat, root):
        assert span.end_time is not None
        assert (span.attributes or {})[sc.STOP_REASON] == "closed"
        assert span.status.status_code is StatusCode.UNSET  # stopping is not a failure
        assert sc.ERROR_TYPE not in (span.attributes or {})
    assert parent_id(chat) == span_id(root)
    assert otel.points(sc.OPERATION_DURATION) == []  # no duration for an operation cut short


async def test_a_cancelled_stream_ends_its_spans(otel: Recorded) -> None:
    with MockModel([MockTurn(text="word " * 200, piece=5)]) as mock:
        result = stream_text(model=mock.model, prompt="Talk", telemetry=otel.telemetry())
        await cancel_consumer_after(
            result, lambda event: getattr(event, "type", None) == "text_delta"
        )
    chat = otel.span("chat mock-model")
    assert chat.end_time is not None
    # cancelled while the consumer, not the stream, was waiting: the stream is then closed
    assert (chat.attributes or {})[sc.STOP_REASON] in ("closed", "cancelled")
    assert chat.status.status_code is StatusCode.UNSET


async def test_instrument_traces_every_call_until_uninstrument(otel: Recorded) -> None:
    try:
        chosen = instrument(otel.telemetry(function_id="everywhere"))
        assert llmkit._instrument.default_telemetry is chosen
        with MockModel(["One.", "Two.", "Three."]) as mock:
            assert await stream_text(model=mock.model, prompt="1").text == "One."
            untraced = stream_text(model=mock.model, prompt="2", telemetry=False)
            assert await untraced.text == "Two."
            uninstrument()
            assert await stream_text(model=mock.model, prompt="3").text == "Three."
    finally:
        uninstrument()
    (only,) = otel.spans()
    assert (only.attributes or {})[sc.FUNCTION_ID] == "everywhere"
    assert llmkit._instrument.default_telemetry is None


def test_instrument_without_settings_uses_the_global_providers() -> None:
    try:
        chosen = instrument()
        assert chosen == Telemetry()
        assert chosen.tracer_provider is None and not chosen.record_content
    finally:
        uninstrument()


def test_wrong_settings_are_refused_at_once() -> None:
    with pytest.raises(InvalidArgumentError, match="telemetry= takes True, False, None"):
        stream_text(model="openai:gpt-4o", prompt="Hi", telemetry="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"'app\.user'"):
        Telemetry(attributes={"app.user": {"id": 1}})  # type: ignore[dict-item]
    with pytest.raises(InvalidArgumentError, match="instrument"):
        instrument("on")  # type: ignore[arg-type]


def test_the_sync_forms_nest_under_the_callers_span(otel: Recorded) -> None:
    app = otel.tracer_provider.get_tracer("app")
    mock = MockModel(["One.", "Two."])
    with app.start_as_current_span("script") as script, mock:
        telemetry = otel.telemetry()
        assert stream_text_sync(model=mock.model, prompt="1", telemetry=telemetry).text == "One."
        assert generate_text_sync(model=mock.model, prompt="2", telemetry=telemetry).text == "Two."
    chats = [s for s in otel.spans() if s.name == "chat mock-model"]
    assert len(chats) == 2
    for chat in chats:  # the calls ran on llmkit's loop thread, under the caller's span
        assert parent_id(chat) == script.get_span_context().span_id
