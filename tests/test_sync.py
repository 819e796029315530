"""The sync forms (``*_sync``): results read without await, in plain code, in worker threads,
and inside a running event loop (as in Jupyter); breaking out closes the connection; errors
keep their types; an interrupt cancels the call; a call from the loop thread itself fails
clearly. Also the notebook harness: cells compiled with top-level await run in a live loop."""

from __future__ import annotations

import _thread
import ast
import asyncio
import inspect
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import (
    APIStatusError,
    GenerateObjectResult,
    GenerateTextResult,
    NoObjectGeneratedError,
    NoSuchProviderError,
    ProviderRegistry,
    SyncStreamObjectResult,
    SyncStreamTextResult,
    generate_object_sync,
    generate_text_sync,
    list_models_sync,
    stream_object,
    stream_object_sync,
    stream_text,
    stream_text_sync,
)
from llmkit._sync import run_sync, sync_loop
from llmkit.testing import MockModel
from llmkit.testing.mock import MockTurn, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer

TEXT = "The quick brown fox jumps over the lazy dog. " * 40


class City(BaseModel):
    name: str
    population: int


CITY_JSON = '{"name": "Paris", "population": 2100000}'

REG = ProviderRegistry()
"""The tests' own registry (not the process-wide one, whose providers file is the user's)."""


@pytest.fixture
def mock() -> Iterator[MockModel]:
    with MockModel(["Hello, sync world!"], provider_id="syncmock", registry=REG) as model:
        yield model


@pytest.fixture
def slow_server() -> Iterator[ReplayServer]:
    """~450 small deltas, 300 bytes every 20 ms (~10 s in all): a stream still running."""
    body = openai_chat_sse(MockTurn(text=TEXT, piece=4))
    with ReplayServer([ReplayResponse(body, chunking=300, delay=0.02)]) as server:
        yield server


def _registry(server: ReplayServer) -> ProviderRegistry:
    return ProviderRegistry([server.provider("local", "openai-chat")])


def _wait_for_disconnect(server: ReplayServer, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while server.disconnects == 0:
        assert time.monotonic() < deadline, "the server never saw the client close"
        time.sleep(0.01)


def _all_forms(model: str) -> dict[str, Any]:
    """Call each sync form once; what each returned."""
    out: dict[str, Any] = {
        "generate_text": generate_text_sync(model=model, prompt="Hi", registry=REG)
    }
    stream = stream_text_sync(model=model, prompt="Hi", registry=REG)
    out["stream_text"] = ("".join(stream.text_stream), stream.usage.total_tokens)
    return out


# ---------------------------------------------------------------------------- plain code


def test_generate_text_sync_returns_the_async_result_type(mock: MockModel) -> None:
    result = generate_text_sync(model=mock.model, registry=REG, prompt="Hi")
    assert isinstance(result, GenerateTextResult)
    assert result.text == "Hello, sync world!"
    assert result.finish_reason == "stop"


def test_stream_text_sync_events_and_fields(mock: MockModel) -> None:
    result = stream_text_sync(model=mock.model, registry=REG, prompt="Hi")
    assert isinstance(result, SyncStreamTextResult)
    types = [event.type for event in result]
    assert types[0] == "stream_start" and types[-1] == "finish"
    assert result.text == "Hello, sync world!"
    assert result.usage.total_tokens == 30
    assert result.finish_reason == "stop"
    assert result.reasoning_text is None
    assert result.tool_calls == []
    assert result.abort is None
    assert result.warnings == ()


def test_fields_without_iterating_consume_the_stream(mock: MockModel) -> None:
    result = stream_text_sync(model=mock.model, registry=REG, prompt="Hi")
    assert result.text == "Hello, sync world!"
    assert len(mock.requests) == 1


def test_text_stream_and_single_iteration(mock: MockModel) -> None:
    result = stream_text_sync(model=mock.model, registry=REG, prompt="Hi")
    assert "".join(result.text_stream) == "Hello, sync world!"
    with pytest.raises(RuntimeError, match="only once"):
        iter(result)


def test_nothing_is_sent_until_read(mock: MockModel) -> None:
    with stream_text_sync(model=mock.model, registry=REG, prompt="Hi"):
        pass
    assert mock.requests == []


def test_break_closes_the_connection_before_the_next_line(slow_server: ReplayServer) -> None:
    result = stream_text_sync(model="local:m", prompt="hi", registry=_registry(slow_server))
    for event in result:
        if event.type == "text_delta":
            break
    assert result.abort is not None and result.abort.reason == "closed"
    assert result.abort.text
    assert result.text == result.abort.text  # what arrived before the break
    _wait_for_disconnect(slow_server)


def test_break_out_of_text_stream_and_with_block_close(slow_server: ReplayServer) -> None:
    registry = _registry(slow_server)
    with stream_text_sync(model="local:m", prompt="hi", registry=registry) as result:
        for _piece in result.text_stream:
            break
        assert result.abort is not None
    _wait_for_disconnect(slow_server)


def test_close_mid_stream(slow_server: ReplayServer) -> None:
    result = stream_text_sync(model="local:m", prompt="hi", registry=_registry(slow_server))
    events = iter(result)
    next(events)
    result.close()
    assert result.abort is not None
    _wait_for_disconnect(slow_server)
    result.close()  # twice is fine


def test_errors_keep_their_types(mock: MockModel) -> None:
    with pytest.raises(NoSuchProviderError):
        stream_text_sync(model="nope:m", prompt="Hi", registry=REG)  # at once, as stream_text
    with pytest.raises(NoSuchProviderError):
        generate_text_sync(model="nope:m", prompt="Hi", registry=REG)
    with pytest.raises(TypeError):
        generate_text_sync(model=mock.model, registry=REG, prompt="Hi", temprature=0.2)  # type: ignore[call-arg]
    body = b'{"error": {"message": "boom", "type": "server_error"}}'
    with ReplayServer([ReplayResponse(body, status=500, content_type="application/json")]) as s:
        settings: dict[str, Any] = {"registry": _registry(s), "retry": False}
        with pytest.raises(APIStatusError) as info:
            generate_text_sync(model="local:m", prompt="Hi", **settings)
        assert info.value.status_code == 500
        result = stream_text_sync(model="local:m", prompt="Hi", **settings)
        with pytest.raises(APIStatusError):
            list(result)
        with pytest.raises(APIStatusError):
            _ = result.text  # again from each field, as awaiting does


def test_objects(mock: MockModel) -> None:
    with MockModel([CITY_JSON], provider_id="syncobj", registry=REG) as objects:
        done = generate_object_sync(model=objects.model, registry=REG, schema=City, prompt="Paris")
        assert isinstance(done, GenerateObjectResult)
        assert done.object == City(name="Paris", population=2100000)
        stream = stream_object_sync(model=objects.model, registry=REG, schema=City, prompt="Paris")
        assert isinstance(stream, SyncStreamObjectResult)
        partials = list(stream.partial_object_stream)
        assert partials and partials[-1] == {"name": "Paris", "population": 2100000}
        assert stream.object.name == "Paris"
        assert stream.usage.total_tokens == 30
    with pytest.raises(NoObjectGeneratedError):
        generate_object_sync(model=mock.model, registry=REG, schema=City, prompt="x")  # not JSON


def test_list_models_sync() -> None:
    body = b'{"object": "list", "data": [{"id": "m1", "object": "model"}]}'
    with ReplayServer([ReplayResponse(body, content_type="application/json")]) as server:
        models = list_models_sync("local", registry=_registry(server), cache=False)
    assert [m.id for m in models] == ["m1"]


# ---------------------------------------------------------------------------- threads, loops


def test_worker_threads_call_concurrently(mock: MockModel) -> None:
    def work(i: int) -> str:
        if i % 2:
            return generate_text_sync(model=mock.model, registry=REG, prompt=f"Hi {i}").text
        return "".join(
            stream_text_sync(model=mock.model, registry=REG, prompt=f"Hi {i}").text_stream
        )

    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(work, range(24)))
    assert texts == ["Hello, sync world!"] * 24
    assert len(mock.requests) == 24


async def test_each_form_runs_inside_a_running_loop(mock: MockModel) -> None:
    """As in a Jupyter cell: the caller's thread runs a loop, and the sync forms block it."""
    asyncio.get_running_loop()
    out = _all_forms(mock.model)
    assert out["generate_text"].text == "Hello, sync world!"
    assert out["stream_text"] == ("Hello, sync world!", 30)
    with MockModel([CITY_JSON], provider_id="syncobj2", registry=REG) as objects:
        assert generate_object_sync(
            model=objects.model, registry=REG, schema=City, prompt="x"
        ).object
        assert stream_object_sync(model=objects.model, registry=REG, schema=City, prompt="x").object


async def test_each_form_runs_from_a_thread_while_another_loop_runs(mock: MockModel) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    try:
        out = await asyncio.to_thread(_all_forms, mock.model)
        with MockModel([CITY_JSON], provider_id="syncobj3", registry=REG) as objects:
            done = await asyncio.to_thread(
                lambda: generate_object_sync(
                    model=objects.model, registry=REG, schema=City, prompt="x"
                )
            )
            streamed = await asyncio.to_thread(
                lambda: (
                    stream_object_sync(
                        model=objects.model, registry=REG, schema=City, prompt="x"
                    ).object
                )
            )
    finally:
        task.cancel()
    assert out["generate_text"].text == "Hello, sync world!"
    assert out["stream_text"] == ("Hello, sync world!", 30)
    assert done.object == streamed
    assert ticks > 0  # the caller's loop kept running meanwhile
    assert sync_loop() is not asyncio.get_running_loop()


def test_calling_from_the_loop_thread_raises_instead_of_deadlocking(mock: MockModel) -> None:
    async def nested() -> None:
        generate_text_sync(model=mock.model, registry=REG, prompt="Hi")

    with pytest.raises(RuntimeError, match="own sync event-loop thread"):
        run_sync(nested())

    async def nested_stream() -> None:
        stream_text_sync(model=mock.model, registry=REG, prompt="Hi")

    with pytest.raises(RuntimeError, match="own sync event-loop thread"):
        run_sync(nested_stream())


def test_one_daemon_loop_thread() -> None:
    loop = sync_loop()
    assert sync_loop() is loop
    threads = [t for t in threading.enumerate() if t.name == "llmkit-sync-loop"]
    assert len(threads) == 1 and threads[0].daemon


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="needs the main thread"
)
def test_keyboard_interrupt_cancels_the_call() -> None:
    # an answer that cannot finish first, however busy the machine: 1 s between its writes
    body = openai_chat_sse(MockTurn(text=TEXT, piece=4))
    with ReplayServer([ReplayResponse(body, chunking=300, delay=1.0)]) as server:
        registry = _registry(server)

        def interrupt_once_sent() -> None:  # as Ctrl-C while the answer streams in
            deadline = time.monotonic() + 60
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.01)
            _thread.interrupt_main()

        # Ctrl-C raises KeyboardInterrupt even where this process was started with SIGINT
        # ignored (a background job of a script, as in .ci/run): interrupt_main needs a handler
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        interrupter = threading.Thread(target=interrupt_once_sent)
        interrupter.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                generate_text_sync(model="local:m", prompt="hi", registry=registry, retry=False)
        finally:
            interrupter.join()
            signal.signal(signal.SIGINT, previous)
        _wait_for_disconnect(server, 60.0)  # the call was cancelled and its connection closed


# ---------------------------------------------------------------------------- async misuse


def test_iterating_an_async_stream_synchronously_says_what_to_do(mock: MockModel) -> None:
    with pytest.raises(TypeError, match=r"async for.*stream_text_sync"):
        list(stream_text(model=mock.model, registry=REG, prompt="Hi"))
    with pytest.raises(TypeError, match=r"async for.*stream_object_sync"):
        iter(stream_object(model=mock.model, registry=REG, schema=City, prompt="Hi"))


# ---------------------------------------------------------------------------- notebooks

CELLS = [
    "from llmkit import generate_text, generate_text_sync, stream_text, stream_text_sync\n"
    "from llmkit import ProviderRegistry\n"
    "from llmkit.testing import MockModel\n"
    "reg = ProviderRegistry()\n"
    "mock = MockModel(['Hi from the notebook!'], registry=reg).__enter__()",
    # top-level await, as IPython runs it
    "result = await generate_text(model=mock.model, registry=reg, prompt='Hi')\n"
    "await_text = result.text",
    "pieces = []\n"
    "async for piece in stream_text(model=mock.model, registry=reg, prompt='Hi').text_stream:\n"
    "    pieces.append(piece)",
    # the sync forms inside the kernel's running loop: no deadlock, no 'loop is running'
    "sync_text = generate_text_sync(model=mock.model, registry=reg, prompt='Hi').text",
    "stream = stream_text_sync(model=mock.model, registry=reg, prompt='Hi')\n"
    "sync_pieces = list(stream.text_stream)",
    "for event in stream_text_sync(model=mock.model, registry=reg, prompt='Hi'):\n    break",
    "mock.__exit__(None, None, None)",
]


async def _run_cell(source: str, namespace: dict[str, Any]) -> None:
    """Run one cell as IPython's kernel does: compiled with top-level await, awaited in the
    kernel's running event loop when it is a coroutine."""
    code = compile(source, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    value = eval(code, namespace)  # the harness runs the cells above, nothing else
    if inspect.iscoroutine(value):
        await value


async def test_notebook_cells_run_in_a_running_loop() -> None:
    namespace: dict[str, Any] = {}
    for cell in CELLS:
        await _run_cell(cell, namespace)
    expected = "Hi from the notebook!"
    assert namespace["await_text"] == expected
    assert "".join(namespace["pieces"]) == expected
    assert namespace["sync_text"] == expected
    assert "".join(namespace["sync_pieces"]) == expected
