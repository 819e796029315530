"""A traced agent run end to end, through MockModel on 127.0.0.1: two steps, the first calling
two tools that run at the same time. Every span is checked by name, kind, parent and attribute,
both metrics by data point, and nothing exported holds the API key."""

from __future__ import annotations

import asyncio
import json

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from llmkit import ProviderRegistry, stream_text, tool
from llmkit.telemetry import _semconv as sc
from llmkit.testing import MockModel, MockTurn

from .conftest import Recorded, attrs

CANARY = "sk-canary-5b1f0c9e7d3a2468"
"""The API key: passed as ``api_key=`` and in a provider header; never exported."""


def with_canary_header(registry: ProviderRegistry, provider_id: str = "openai") -> None:
    config = registry.get(provider_id)
    registry.register(config.model_copy(update={"headers": {"x-org-key": CANARY}}))


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    return span.get_span_context().span_id  # type: ignore[union-attr]


TURNS = [
    MockTurn(
        tool_calls=[("get_weather", {"city": "Oslo"}), ("get_time", {"city": "Oslo"})],
        input_tokens=100,
        output_tokens=20,
        cache_read_tokens=40,
    ),
    MockTurn(text="Sunny at noon.", input_tokens=150, output_tokens=30),
]


@pytest.mark.parametrize("record_content", [False, True])
async def test_a_two_step_agent_run_with_parallel_tools(
    otel: Recorded, record_content: bool
) -> None:
    app = otel.tracer_provider.get_tracer("app")
    started: list[str] = []
    both_running = asyncio.Event()

    async def lookup(name: str) -> None:
        started.append(name)
        if len(started) == 2:
            both_running.set()
        # returns only once both tools run at the same time (the guard only ends a hang)
        await asyncio.wait_for(both_running.wait(), 30)
        with app.start_as_current_span(f"lookup {name}"):  # nests under execute_tool
            pass

    @tool
    async def get_weather(city: str) -> str:
        """The weather in a city."""
        await lookup("weather")
        return f"sunny in {city}"

    @tool
    async def get_time(city: str) -> str:
        """The local time in a city."""
        await lookup("time")
        return "noon"

    registry = ProviderRegistry()
    telemetry = otel.telemetry(
        agent_name="Weather bot", function_id="weather-page", record_content=record_content
    )
    mock = MockModel(TURNS, provider_id="openai", registry=registry)
    with app.start_as_current_span("request handler"), mock:
        with_canary_header(registry)
        result = stream_text(
            model="openai:mock-model",
            prompt="Weather in Oslo?",
            system="Be brief.",
            tools=[get_weather, get_time],
            max_steps=3,
            temperature=0.2,
            max_output_tokens=200,
            seed=7,
            telemetry=telemetry,
            api_key=CANARY,
            registry=registry,
        )
        assert await result.text == "Sunny at noon."
        port = int(mock.server.url.rsplit(":", 1)[1])
        sent = mock.requests[0].headers
    # the key was really sent, in both places
    assert sent["authorization"] == f"Bearer {CANARY}"
    assert sent["x-org-key"] == CANARY

    spans = sorted(otel.spans(), key=lambda s: s.start_time or 0)
    names = [s.name for s in spans]
    assert sorted(names) == sorted(
        [
            "request handler",
            "invoke_agent Weather bot",
            "chat mock-model",
            "chat mock-model",
            "execute_tool get_weather",
            "execute_tool get_time",
            "lookup weather",
            "lookup time",
        ]
    )
    handler = otel.span("request handler")
    root = otel.span("invoke_agent Weather bot")
    chat0, chat1 = [s for s in spans if s.name == "chat mock-model"]
    weather = otel.span("execute_tool get_weather")
    clock = otel.span("execute_tool get_time")

    server = {sc.SERVER_ADDRESS: "127.0.0.1", sc.SERVER_PORT: port}
    model = {sc.PROVIDER_NAME: "openai", sc.REQUEST_MODEL: "mock-model", **server}
    request = {sc.REQUEST_TEMPERATURE: 0.2, sc.REQUEST_MAX_TOKENS: 200, sc.REQUEST_SEED: 7}
    tool_definitions = [
        {
            "type": "function",
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": get_weather.definition.parameters,
        },
        {
            "type": "function",
            "name": "get_time",
            "description": "The local time in a city.",
            "parameters": get_time.definition.parameters,
        },
    ]
    question = {"role": "user", "parts": [{"type": "text", "content": "Weather in Oslo?"}]}
    calls = [
        {
            "type": "tool_call",
            "id": "call_0_0",
            "name": "get_weather",
            "arguments": {"city": "Oslo"},
        },
        {"type": "tool_call", "id": "call_0_1", "name": "get_time", "arguments": {"city": "Oslo"}},
    ]
    answer = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Sunny at noon."}],
            "finish_reason": "stop",
        }
    ]

    # invoke_agent: the whole run, under the application's span
    assert root.kind is SpanKind.INTERNAL
    assert parent_id(root) == span_id(handler)
    assert root.status.status_code is StatusCode.UNSET
    expected_root: dict[str, object] = {
        sc.OPERATION_NAME: "invoke_agent",
        **model,
        sc.AGENT_NAME: "Weather bot",
        **request,
        sc.FUNCTION_ID: "weather-page",
        sc.RESPONSE_FINISH_REASONS: ("stop",),
        sc.USAGE_INPUT_TOKENS: 250,
        sc.USAGE_OUTPUT_TOKENS: 50,
        sc.USAGE_CACHE_READ_INPUT_TOKENS: 40,
    }
    if record_content:
        expected_root[sc.INPUT_MESSAGES] = [question]
        expected_root[sc.SYSTEM_INSTRUCTIONS] = [{"type": "text", "content": "Be brief."}]
        expected_root[sc.TOOL_DEFINITIONS] = tool_definitions
        expected_root[sc.OUTPUT_MESSAGES] = answer
    assert decoded(root) == expected_root

    # chat: one per step, CLIENT, children of the run
    for chat, reason, usage in (
        (chat0, "tool_call", {sc.USAGE_INPUT_TOKENS: 100, sc.USAGE_OUTPUT_TOKENS: 20}),
        (chat1, "stop", {sc.USAGE_INPUT_TOKENS: 150, sc.USAGE_OUTPUT_TOKENS: 30}),
    ):
        assert chat.kind is SpanKind.CLIENT
        assert parent_id(chat) == span_id(root)
        assert chat.status.status_code is StatusCode.UNSET
        attributes = decoded(chat)
        first_chunk = attributes.pop(sc.RESPONSE_TIME_TO_FIRST_CHUNK)
        assert isinstance(first_chunk, float) and first_chunk >= 0
        expected: dict[str, object] = {
            sc.OPERATION_NAME: "chat",
            **model,
            **request,
            sc.REQUEST_STREAM: True,
            sc.FUNCTION_ID: "weather-page",
            sc.RESPONSE_ID: "chatcmpl-mock",
            sc.RESPONSE_MODEL: "mock-model",
            sc.RESPONSE_FINISH_REASONS: (reason,),
            **usage,
        }
        if chat is chat0:
            expected[sc.USAGE_CACHE_READ_INPUT_TOKENS] = 40
        if record_content:
            expected[sc.SYSTEM_INSTRUCTIONS] = [{"type": "text", "content": "Be brief."}]
            expected[sc.TOOL_DEFINITIONS] = tool_definitions
            if chat is chat0:
                expected[sc.INPUT_MESSAGES] = [question]
                expected[sc.OUTPUT_MESSAGES] = [
                    {"role": "assistant", "parts": calls, "finish_reason": "tool_call"}
                ]
            else:
                expected[sc.INPUT_MESSAGES] = [
                    question,
                    {"role": "assistant", "parts": calls},
                    {
                        "role": "tool",
                        "parts": [
                            {
                                "type": "tool_call_response",
                                "id": "call_0_0",
                                "response": "sunny in Oslo",
                            },
                            {"type": "tool_call_response", "id": "call_0_1", "response": "noon"},
                        ],
                    },
                ]
                expected[sc.OUTPUT_MESSAGES] = answer
        assert attributes == expected

    # execute_tool: one per run of a tool, children of the run, current while the tool runs
    for span, name, call_id, description, returned in (
        (weather, "get_weather", "call_0_0", "The weather in a city.", "sunny in Oslo"),
        (clock, "get_time", "call_0_1", "The local time in a city.", "noon"),
    ):
        assert span.kind is SpanKind.INTERNAL
        assert parent_id(span) == span_id(root)
        assert span.status.status_code is StatusCode.UNSET
        expected_tool: dict[str, object] = {
            sc.OPERATION_NAME: "execute_tool",
            sc.TOOL_NAME: name,
            sc.TOOL_CALL_ID: call_id,
            sc.TOOL_TYPE: "function",
            sc.TOOL_DESCRIPTION: description,
            sc.FUNCTION_ID: "weather-page",
        }
        if record_content:
            expected_tool[sc.TOOL_CALL_ARGUMENTS] = {"city": "Oslo"}
            expected_tool[sc.TOOL_CALL_RESULT] = returned
        assert decoded(span) == expected_tool
    assert parent_id(otel.span("lookup weather")) == span_id(weather)
    assert parent_id(otel.span("lookup time")) == span_id(clock)

    # metrics
    chat_metric = {sc.OPERATION_NAME: "chat", **model, sc.RESPONSE_MODEL: "mock-model"}
    tokens = {attrs(p)[sc.TOKEN_TYPE]: p for p in otel.points(sc.TOKEN_USAGE)}
    assert set(tokens) == {"input", "output"}
    for token_type, total in (("input", 250), ("output", 50)):
        point = tokens[token_type]
        assert attrs(point) == {**chat_metric, sc.TOKEN_TYPE: token_type}
        assert (point.count, point.sum) == (2, total)
        assert tuple(point.explicit_bounds) == sc.TOKEN_BUCKETS
    durations = {attrs(p)[sc.OPERATION_NAME]: p for p in otel.points(sc.OPERATION_DURATION)}
    assert set(durations) == {"chat", "invoke_agent"}
    assert attrs(durations["chat"]) == chat_metric
    assert durations["chat"].count == 2
    assert attrs(durations["invoke_agent"]) == {
        sc.OPERATION_NAME: "invoke_agent",
        **model,
        sc.RESPONSE_MODEL: "mock-model",
    }
    assert durations["invoke_agent"].count == 1
    for point in durations.values():
        assert tuple(point.explicit_bounds) == sc.SECONDS_BUCKETS
        assert point.sum >= 0
    (first_chunk_point,) = otel.points(sc.TIME_TO_FIRST_CHUNK)
    assert attrs(first_chunk_point) == chat_metric
    assert first_chunk_point.count == 2

    # and never the key
    assert CANARY not in otel.everything()


def decoded(span: ReadableSpan) -> dict[str, object]:
    """A span's attributes, with the JSON text of the content attributes parsed."""
    out: dict[str, object] = dict(span.attributes or {})
    for key in (
        sc.INPUT_MESSAGES,
        sc.OUTPUT_MESSAGES,
        sc.SYSTEM_INSTRUCTIONS,
        sc.TOOL_DEFINITIONS,
        sc.TOOL_CALL_ARGUMENTS,
        sc.TOOL_CALL_RESULT,
    ):
        if key in out:
            out[key] = json.loads(str(out[key]))
    return out
