"""Running one tool call: every failure becomes an error result for the model, never an
exception; return values become JSON-compatible data."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from pydantic import BaseModel

from llmkit import Tool, tool
from llmkit.tools import run_tool_call, to_json_value
from llmkit.types.events import ToolCallEvent


class Reading(BaseModel):
    city: str
    at: dt.datetime


@tool
def read(city: str, hour: int) -> Reading:
    """A reading."""
    return Reading(city=city, at=dt.datetime(2025, 1, 2, hour, tzinfo=dt.timezone.utc))


@tool
async def boom(reason: str) -> None:
    raise RuntimeError(reason)


TOOLS = {t.name: t for t in (read, boom, Tool(name="client_side"))}


def call(name: str, args: dict[str, object], args_error: str | None = None) -> ToolCallEvent:
    return ToolCallEvent("call_1", name, args, json.dumps(args), args_error)


async def test_success_is_json_compatible() -> None:
    result = await run_tool_call(call("read", {"city": "Oslo", "hour": 9}), TOOLS)
    assert (result.tool_call_id, result.tool_name, result.is_error) == ("call_1", "read", False)
    assert result.result == {"city": "Oslo", "at": "2025-01-02T09:00:00Z"}
    json.dumps(result.result)  # serialisable as is


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            call("read", {"city": "Oslo", "hour": "nine"}),
            "Error: invalid arguments for tool 'read': hour: Input should be a valid integer, "
            "unable to parse string as an integer. Call the tool again with arguments that match "
            "its schema.",
        ),
        (
            call("read", {"city": "Oslo"}),
            "Error: invalid arguments for tool 'read': hour: Field required. Call the tool again "
            "with arguments that match its schema.",
        ),
        (
            call("nope", {}),
            "Error: there is no tool named 'nope'. Available tools: boom, client_side, read.",
        ),
        (
            call("read", {}, args_error="arguments are not valid JSON: Expecting value"),
            "Error: the arguments for tool 'read' could not be read (arguments are not valid "
            "JSON: Expecting value). Call the tool again with a JSON object that matches its "
            "schema.",
        ),
        (
            call("boom", {"reason": "disk full"}),
            "Error: tool 'boom' failed: RuntimeError: disk full",
        ),
        (call("client_side", {}), "Error: tool 'client_side' cannot be run here."),
    ],
)
async def test_failures_become_error_results(event: ToolCallEvent, expected: str) -> None:
    result = await run_tool_call(event, TOOLS)
    assert result.is_error
    assert result.result == expected


async def test_cancellation_propagates() -> None:
    started = asyncio.Event()

    @tool
    async def slow() -> None:
        started.set()
        await asyncio.sleep(10)

    task = asyncio.ensure_future(run_tool_call(call("slow", {}), {"slow": slow}))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_to_json_value() -> None:
    assert to_json_value("x") == "x"
    assert to_json_value(None) is None
    assert to_json_value((1, dt.date(2025, 1, 2))) == [1, "2025-01-02"]
    assert to_json_value({1, 2}) in ([1, 2], [2, 1])

    class Opaque:
        def __str__(self) -> str:
            return "opaque!"

    assert to_json_value(Opaque()) == "opaque!"
