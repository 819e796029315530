"""A tool starts as soon as its call is complete, while the model's stream is still open.

docs/tools.md promises it; on openai-chat a call is complete when the next call's ``index``
starts (tests/protocols/test_openai_chat_tool_timing.py). Here a scripted stream sends call 0,
then call 1, then *holds* until tool 0 has started; only then does it send the finish reason
and ``[DONE]``. If tool 0 could only start after the end of the stream, the stream would never
end (the deadlock guard below turns that into a failure): the proof is the order of events,
not a clock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from llmkit import stream_text
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.tools import Tool
from llmkit.types.events import ToolCallEvent, ToolResultEvent

DEADLOCK_GUARD = 20.0  # seconds; reached only if tool 0 never starts while the stream is open


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + json.dumps({"id": "c", "model": "m", "choices": [choice]}).encode() + b"\n\n"


def _call(index: int, args: str, **first: str) -> dict[str, Any]:
    function: dict[str, str] = {"arguments": args}
    if "name" in first:
        function["name"] = first["name"]
    entry: dict[str, Any] = {"index": index, "function": function}
    if "id" in first:
        entry["id"] = first["id"]
    return {"tool_calls": [entry]}


async def test_first_tool_starts_before_the_stream_ends() -> None:
    log: list[str] = []
    tool0_started = asyncio.Event()

    class Recorder(Tool):
        @property
        def executable(self) -> bool:
            return True

        async def execute(self, args: Mapping[str, object]) -> object:
            log.append(f"tool {args['n']} started")
            if args["n"] == 0:
                tool0_started.set()
            return args["n"]

    async def body() -> AsyncIterator[bytes]:
        yield _chunk(_call(0, "", id="call_0", name="f"))
        yield _chunk(_call(0, '{"n": 0}'))
        yield _chunk(_call(1, '{"n": 1}', id="call_1", name="f"))
        log.append("stream holding")
        await asyncio.wait_for(tool0_started.wait(), DEADLOCK_GUARD)
        log.append("stream finishing")
        yield _chunk({}, "tool_calls")
        yield b"data: [DONE]\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    provider = ProviderConfig(
        id="mem", protocol="openai-chat", base_url="http://127.0.0.1:9/v1", auth="none"
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = stream_text(
            model="mem:m",
            prompt="hi",
            registry=ProviderRegistry([provider]),
            http_client=client,
            tools=[Recorder(name="f")],
            retry=0,
        )
        async for event in result:
            if isinstance(event, ToolCallEvent):
                log.append(f"tool_call {event.tool_call_id}")
            elif isinstance(event, ToolResultEvent):
                log.append(f"tool_result {event.tool_call_id}")
            elif event.type == "finish":
                log.append("finish")

    assert log.index("tool_call call_0") < log.index("stream holding")
    assert log.index("tool 0 started") < log.index("stream finishing")
    assert log.index("stream finishing") < log.index("tool_call call_1")
    assert log[-1] == "finish"
    assert {"tool_result call_0", "tool_result call_1", "tool 1 started"} <= set(log)
