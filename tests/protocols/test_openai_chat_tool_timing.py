"""openai-chat completes a tool call as soon as it is complete, not at the end of the stream.

A call is complete when a call with a new ``index`` starts (the official SDK closes a call the
same way) or when the choice's ``finish_reason`` arrives; its ``tool_input_end`` and
``tool_call`` events come out of that chunk's :meth:`parse_event`, so the tool loop can start
the tool while the stream goes on (the loop-level proof is tests/e2e/test_tool_start.py).
"""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import pytest
from httpx_sse import ServerSentEvent

from llmkit.errors import InvalidResponseError
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import StreamEvent, ToolCallEvent

PROTOCOL = OpenAIChatProtocol()
PROVIDER = ProviderConfig(id="t", protocol="openai-chat", base_url="https://x.invalid/v1")


def chunk(calls: list[dict[str, Any]] | None = None, finish: str | None = None) -> ServerSentEvent:
    delta = {"tool_calls": calls} if calls else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return ServerSentEvent(data=json.dumps({"id": "c", "model": "m", "choices": [choice]}))


def call(index: int, name: str | None = None, args: str = "", **extra: Any) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": args}
    if name is not None:
        function["name"] = name
    return {"index": index, **extra, "function": function}


def per_chunk(events: list[ServerSentEvent]) -> list[list[str]]:
    """The event kinds each server-sent event produced, then those of ``finish``."""
    state = PROTOCOL.new_state(PROVIDER)
    out: list[list[str]] = [[e.type for e in PROTOCOL.parse_event(state, sse)] for sse in events]
    return [*out, [e.type for e in PROTOCOL.finish(state)]]


def test_a_call_completes_when_the_next_index_starts() -> None:
    kinds = per_chunk(
        [
            chunk([call(0, "f", id="call_a")]),
            chunk([call(0, args='{"x": 1}')]),
            chunk([call(1, "g", '{"y"', id="call_b")]),
            chunk([call(1, args=": 2}")]),
            chunk(finish="tool_calls"),
            ServerSentEvent(data="[DONE]"),
        ]
    )
    assert kinds == [
        ["response_metadata", "tool_input_start"],
        ["tool_input_delta"],
        # call 0 is complete before call 1 opens
        ["tool_input_end", "tool_call", "tool_input_start", "tool_input_delta"],
        ["tool_input_delta"],
        ["tool_input_end", "tool_call"],  # the finish reason completes the last call
        [],
        ["finish"],
    ]


def test_a_call_completes_when_the_finish_reason_arrives_in_the_same_chunk() -> None:
    kinds = per_chunk([chunk([call(0, "f", "{}", id="a")], "tool_calls")])
    assert kinds == [
        [
            "response_metadata",
            "tool_input_start",
            "tool_input_delta",
            "tool_input_end",
            "tool_call",
        ],
        ["finish"],
    ]


def test_calls_without_an_index_wait_for_the_finish_reason() -> None:
    # Mistral-style entries matched by id: not closed by the next id (positional continuation
    # could still refer to them), only by the finish reason
    first = {"id": "a", "function": {"name": "f", "arguments": "{}"}}
    second = {"id": "b", "function": {"name": "g", "arguments": "{}"}}
    kinds = per_chunk([chunk([first]), chunk([second]), chunk(finish="tool_calls")])
    assert kinds[1] == ["tool_input_start", "tool_input_delta"]
    assert kinds[2] == ["tool_input_end", "tool_call", "tool_input_end", "tool_call"]


def test_a_nameless_call_is_still_reported_at_the_finish_reason() -> None:
    kinds = per_chunk([chunk([call(0, args="{}")]), chunk(finish="stop")])
    assert kinds[1] == ["tool_input_start", "tool_input_delta", "tool_input_end", "tool_call"]


def test_arguments_for_a_completed_call_are_invalid() -> None:
    state = PROTOCOL.new_state(PROVIDER)
    PROTOCOL.parse_event(state, chunk([call(0, "f", "{}", id="a")]))
    PROTOCOL.parse_event(state, chunk([call(1, "g", "{}", id="b")]))
    # a repeated name or id without arguments is harmless
    assert PROTOCOL.parse_event(state, chunk([call(0, "f", id="a")])) == []
    with pytest.raises(InvalidResponseError, match="after the call was complete"):
        PROTOCOL.parse_event(state, chunk([call(0, args='{"late": 1}')]))


def _tool_events(events: list[StreamEvent]) -> list[tuple[str, str]]:
    return [
        (e.type, e.tool_call_id if isinstance(e, ToolCallEvent) else e.id)
        for e in events
        if e.type in ("tool_input_start", "tool_input_end", "tool_call")
    ]


PARALLEL = [
    e
    for e in fixture_util.entries("openai-chat", "sse")
    if "parallel-tool-calls" in e["file"] and not e["file"].startswith("sse/mistral")
]


@pytest.mark.parametrize("entry", PARALLEL, ids=fixture_util.fixture_id)
def test_recorded_parallel_calls_complete_one_after_the_other(entry: dict[str, Any]) -> None:
    state = PROTOCOL.new_state(fixture_util.provider_for(entry))
    events: list[StreamEvent] = []
    for sse in fixture_util.decode_sse(fixture_util.body(entry)):
        events.extend(PROTOCOL.parse_event(state, sse))
    at_end = PROTOCOL.finish(state)
    assert [e.type for e in at_end] == ["finish"]  # every call completed before the end
    (first, second) = [e.tool_call_id for e in events if isinstance(e, ToolCallEvent)]
    assert _tool_events(events) == [
        ("tool_input_start", first),
        ("tool_input_end", first),
        ("tool_call", first),
        ("tool_input_start", second),
        ("tool_input_end", second),
        ("tool_call", second),
    ]
    expected = [c["id"] for c in entry["expected"]["tool_calls"]]
    assert [first, second] == expected
