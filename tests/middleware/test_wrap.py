"""wrap_model end to end through MockModel / ReplayServer on loopback: composition order,
options reaching the request body, wrap_generate, the tool loop, fallbacks, structured output,
closing, and the driver's path without middleware left as it was."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import generate_object, generate_text, stream_object, stream_text, tool
from llmkit._driver import Connection, build_stream_request, resolve_target
from llmkit._driver import stream_step as driver_stream_step
from llmkit._model_call import stream_step
from llmkit.errors import InvalidArgumentError, OverloadedError
from llmkit.middleware import (
    CallKind,
    ExtractReasoningMiddleware,
    GenerateNext,
    Middleware,
    StreamNext,
    WrappedModel,
    extract_reasoning,
    wrap_model,
)
from llmkit.testing import MockModel, MockTurn, ReplayResponse, ReplayServer
from llmkit.types.events import SourceEvent, StreamEvent, TextDeltaEvent
from llmkit.types.options import CallOptions


def body(mock: MockModel, index: int = 0) -> dict[str, Any]:
    """The JSON body of a request the mock received."""
    sent = mock.requests[index].json()
    assert isinstance(sent, dict)
    return sent


class Recorder(Middleware):
    """Records what it sees in ``log``; adds its name to the system prompt and to each text
    delta, so the order of the layers shows in the request and in the answer."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def transform_options(self, call: CallOptions, *, kind: CallKind, model: str) -> CallOptions:
        self.log.append(f"{self.name}.transform({kind}, {model})")
        return call.model_copy(update={"system": (call.system or "") + self.name})

    async def wrap_stream(
        self, do_stream: StreamNext, call: CallOptions, *, model: str, do_generate: GenerateNext
    ) -> AsyncIterator[StreamEvent]:
        self.log.append(f"{self.name}.stream")
        try:
            async for event in do_stream(call):
                if isinstance(event, TextDeltaEvent):
                    event = TextDeltaEvent(event.id, event.delta + self.name)
                yield event
        finally:
            self.log.append(f"{self.name}.closed")

    async def wrap_generate(
        self, do_generate: GenerateNext, call: CallOptions, *, model: str, do_stream: StreamNext
    ) -> list[StreamEvent]:
        self.log.append(f"{self.name}.generate")
        events = await do_generate(call)
        return [
            TextDeltaEvent(e.id, e.delta + self.name) if isinstance(e, TextDeltaEvent) else e
            for e in events
        ]


async def test_composition_order_is_vercels() -> None:
    log: list[str] = []
    with MockModel([MockTurn(text="x", piece=1)]) as mock:
        model = wrap_model(mock.model, [Recorder("a", log), Recorder("b", log)])
        result = stream_text(model=model, prompt="hi", system="S")
        assert await result.text == "xba"  # b (inner) saw the events first
        assert body(mock)["messages"][0] == {"role": "system", "content": "Sab"}
    assert log == [
        "a.transform(stream, mock:mock-model)",
        "a.stream",
        "b.transform(stream, mock:mock-model)",
        "b.stream",
        "b.closed",
        "a.closed",
    ]


async def test_nesting_is_flattened_outer_first() -> None:
    log: list[str] = []
    inner = wrap_model("mock:mock-model", Recorder("b", log))
    outer = wrap_model(inner, Recorder("a", log))
    assert outer == WrappedModel("mock:mock-model", (outer.middleware[0], inner.middleware[0]))
    assert [m.name for m in outer.middleware] == ["a", "b"]  # type: ignore[attr-defined]
    with MockModel(["x"]) as mock:
        result = await generate_text(model=outer, prompt="hi")
        assert result.text == "xba"
        assert body(mock)["messages"][0]["content"] == "ab"
    assert log[:4] == [
        "a.transform(generate, mock:mock-model)",
        "a.generate",
        "b.transform(generate, mock:mock-model)",
        "b.generate",
    ]


class Settings(Middleware):
    """An async transform that sets sampling and provider options."""

    async def transform_options(
        self, call: CallOptions, *, kind: CallKind, model: str
    ) -> CallOptions:
        await asyncio.sleep(0)
        return call.model_copy(
            update={
                "temperature": 0.25,
                "max_output_tokens": 7,
                "provider_options": {"openai": {"user": f"{kind}-user"}},
            }
        )


@pytest.mark.parametrize("kind", ["stream", "generate"])
async def test_transformed_options_reach_the_request_body(kind: str) -> None:
    with MockModel(["ok"]) as mock:
        model = wrap_model(mock.model, Settings())
        if kind == "stream":
            assert await stream_text(model=model, prompt="hi").text == "ok"
        else:
            assert (await generate_text(model=model, prompt="hi")).text == "ok"
        sent = body(mock)
    assert sent["temperature"] == 0.25
    assert sent.get("max_tokens", sent.get("max_completion_tokens")) == 7
    assert sent["user"] == f"{kind}-user"


async def test_every_step_of_the_tool_loop_goes_through_the_middleware() -> None:
    log: list[str] = []

    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    turns: list[MockTurn | str] = [
        MockTurn(tool_calls=[("weather", {"city": "Paris"})]),
        "It is sunny.",
    ]
    with MockModel(turns) as mock:
        model = wrap_model(mock.model, Recorder("m", log))
        result = stream_text(model=model, prompt="Weather?", tools=[weather], max_steps=3)
        assert await result.text == "It ims sumnny.m"  # each 4-character delta marked
        second = body(mock, 1)["messages"]
        assert second[0] == {"role": "system", "content": "m"}
        assert any(m["role"] == "tool" for m in second)
    assert log.count("m.stream") == 2


class AddSource(Middleware):
    """Only wrap_generate: adds a source event before the finish."""

    async def wrap_generate(
        self, do_generate: GenerateNext, call: CallOptions, *, model: str, do_stream: StreamNext
    ) -> list[StreamEvent]:
        events = await do_generate(call)
        source = SourceEvent("s1", "url", url="https://example.org", title="Example")
        return [*events[:-1], source, events[-1]]


async def test_wrap_generate_changes_the_non_streamed_answer_only() -> None:
    with MockModel(["ok"]) as mock:
        model = wrap_model(mock.model, AddSource())
        result = await generate_text(model=model, prompt="hi")
        assert [s.url for s in result.sources] == ["https://example.org"]
        streamed = stream_text(model=model, prompt="hi")
        assert await streamed.sources == []


async def test_a_wrapped_model_as_a_fallback() -> None:
    down = ReplayServer([ReplayResponse.json({"error": {"message": "busy"}}, status=503)])
    with down, MockModel(["<think>plan</think>Answer"]) as mock:
        registry = llmkit.registry
        registry.register(down.provider("down", "openai-chat"))
        try:
            fallbacks: list[Any] = [wrap_model(mock.model, extract_reasoning())]
            result = stream_text(model="down:m", prompt="hi", fallback_models=fallbacks, retry=0)
            events = [event async for event in result]
            assert await result.text == "Answer"
            assert await result.reasoning_text == "plan"
            start = events[0]
            assert start.type == "stream_start"
            assert (start.model, start.attempts) == ("mock:mock-model", 2)
            answer = await generate_text(
                model="down:m", prompt="hi", fallback_models=fallbacks, retry=0
            )
            assert (answer.text, answer.reasoning_text) == ("Answer", "plan")
        finally:
            registry.unregister("down")


async def test_the_primary_middleware_wraps_its_plain_fallbacks() -> None:
    down = ReplayServer([ReplayResponse.json({"error": {"message": "busy"}}, status=503)])
    with down, MockModel(["<think>plan</think>Answer"]) as mock:
        llmkit.registry.register(down.provider("down", "openai-chat"))
        try:
            model = wrap_model("down:m", extract_reasoning())
            result = stream_text(model=model, prompt="hi", fallback_models=[mock.model], retry=0)
            assert (await result.text, await result.reasoning_text) == ("Answer", "plan")
        finally:
            llmkit.registry.unregister("down")


async def test_when_every_candidate_fails_the_error_counts_every_request() -> None:
    down = ReplayServer([ReplayResponse.json({"error": {"message": "busy"}}, status=503)])
    with down:
        llmkit.registry.register(down.provider("down", "openai-chat"))
        try:
            fallbacks: list[Any] = [wrap_model("down:other", extract_reasoning())]
            result = stream_text(model="down:m", prompt="hi", fallback_models=fallbacks, retry=0)
            with pytest.raises(OverloadedError) as caught:
                await result.text
            assert caught.value.attempts == 2
            assert caught.value.model_id == "other"
        finally:
            llmkit.registry.unregister("down")


class Book(BaseModel):
    title: str


async def test_objects_from_a_model_that_thinks_first() -> None:
    with MockModel(['<think>The user wants a book.</think>\n{"title": "Dune"}']) as mock:
        model = wrap_model(mock.model, extract_reasoning())
        streamed = stream_object(model=model, schema=Book, prompt="A book?")
        assert await streamed.object == Book(title="Dune")
        generated = await generate_object(model=model, schema=Book, prompt="A book?")
        assert generated.object == Book(title="Dune")
        assert generated.reasoning_text == "The user wants a book."


class Tracker(Middleware):
    def __init__(self) -> None:
        self.closed = False

    async def wrap_stream(
        self, do_stream: StreamNext, call: CallOptions, *, model: str, do_generate: GenerateNext
    ) -> AsyncIterator[StreamEvent]:
        try:
            async for event in do_stream(call):
                yield event
        finally:
            self.closed = True


async def test_breaking_out_closes_every_layer_at_once() -> None:
    tracker = Tracker()
    with MockModel([MockTurn(text="a long answer " * 50, piece=3)]) as mock:
        result = stream_text(model=wrap_model(mock.model, tracker), prompt="hi")
        async for _ in result:
            break
        assert tracker.closed


class Forgetful(Middleware):
    """Opens the inner stream but never closes it: the layer closes it."""

    def __init__(self) -> None:
        self.inner: AsyncIterator[StreamEvent] | None = None

    async def wrap_stream(
        self, do_stream: StreamNext, call: CallOptions, *, model: str, do_generate: GenerateNext
    ) -> AsyncIterator[StreamEvent]:
        self.inner = do_stream(call)
        yield await self.inner.__anext__()


async def test_a_stream_a_middleware_left_open_is_closed() -> None:
    forgetful = Forgetful()
    with MockModel(["never read"]) as mock:
        events = stream_step(
            resolve_target(wrap_model(mock.model, forgetful), None),
            CallOptions.model_validate({"prompt": "hi"}),
            Connection(),
        )
        assert [e.type async for e in events] == ["stream_start"]
        inner = forgetful.inner
        assert inner is not None and inner.ag_frame is None  # type: ignore[attr-defined]


async def test_without_middleware_stream_step_is_the_drivers_generator() -> None:
    with MockModel(["ok"]) as mock:
        target = resolve_target(mock.model, None)
        assert target.middleware == ()
        events = stream_step(target, CallOptions.model_validate({"prompt": "hi"}), Connection())
        assert events.ag_code is driver_stream_step.__code__  # type: ignore[attr-defined]
        await events.aclose()  # type: ignore[attr-defined]


async def test_a_prebuilt_request_is_not_sent_when_middleware_changes_the_options() -> None:
    with MockModel(["ok"]) as mock:
        target = resolve_target(wrap_model(mock.model, Settings()), None)
        call = CallOptions.model_validate({"prompt": "hi", "temperature": 1.0})
        prebuilt = build_stream_request(target, call)
        events = [e async for e in stream_step(target, call, Connection(), prebuilt)]
        assert events[-1].type == "finish"
        assert body(mock)["temperature"] == 0.25


class BadTransform(Middleware):
    def transform_options(  # type: ignore[override]
        self, call: CallOptions, *, kind: CallKind, model: str
    ) -> dict[str, object]:
        return {"temperature": 1}


async def test_a_transform_that_returns_no_call_options_is_refused() -> None:
    with MockModel(["ok"]) as mock:
        result = stream_text(model=wrap_model(mock.model, BadTransform()), prompt="hi")
        with pytest.raises(InvalidArgumentError, match="returned dict, not CallOptions"):
            await result.text


@pytest.mark.parametrize(
    ("model", "middleware", "message"),
    [
        ("mock:m", ExtractReasoningMiddleware, "pass ExtractReasoningMiddleware"),
        ("mock:m", [object()], "not object"),
        ("mock:m", "extract_reasoning", "not str"),
        (3, extract_reasoning(), "must be a 'provider:model' string"),
    ],
)
def test_wrong_arguments_are_refused(model: object, middleware: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        wrap_model(model, middleware)  # type: ignore[arg-type]


def test_a_wrapped_model_resolves_to_a_target_with_its_middleware() -> None:
    layer = extract_reasoning()
    target = resolve_target(wrap_model("openai:gpt-4o", layer), None)
    assert (target.name, target.middleware) == ("openai:gpt-4o", (layer,))
    inline = llmkit.provider("http://127.0.0.1:9/v1")("qwen3")
    wrapped = wrap_model(inline, layer)
    assert wrapped.name == "127.0.0.1-9:qwen3"
    assert resolve_target(wrapped, None).middleware == (layer,)
    assert repr(wrapped).startswith("WrappedModel(Model('127.0.0.1-9:qwen3'")


def test_the_sync_forms_take_a_wrapped_model() -> None:
    with MockModel(["<think>r</think>t"]) as mock:
        model = wrap_model(mock.model, extract_reasoning())
        result = llmkit.generate_text_sync(model=model, prompt="hi")
        assert (result.reasoning_text, result.text) == ("r", "t")
        streamed = llmkit.stream_text_sync(model=model, prompt="hi")
        assert [e.type for e in streamed if e.type.startswith("reasoning")] == [
            "reasoning_start",
            "reasoning_delta",
            "reasoning_end",
        ]


def test_importing_llmkit_middleware_stays_light() -> None:
    """No pydantic, asyncio or HTTP stack: the built-ins import them when used."""
    import subprocess
    import sys

    code = (
        "import sys, llmkit.middleware; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pydantic', 'asyncio', 'httpx', 'aiohttp', 'anyio', 'keyring', 'tenacity'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


async def test_other_kinds_refuse_a_wrapped_model() -> None:
    """Middleware wraps language-model calls: an embedding request with a wrapped model (or a
    wrapped fallback) is refused at once rather than sent without it."""
    from llmkit.middleware import Middleware, wrap_model

    wrapped = wrap_model("openai:text-embedding-3-small", Middleware())
    with pytest.raises(InvalidArgumentError, match=r"pass the model itself \(wrapped\.model\)"):
        await llmkit.embed(model=wrapped, value="hi", api_key="sk-test")
