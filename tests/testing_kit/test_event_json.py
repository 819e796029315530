"""Stream events to JSON and back: ``event_from_dict(json.loads(event_to_json(e))) == e`` for
every event type (hypothesis), with the exact types restored (datetime, Decimal cost, tuples,
Usage, CallWarning); every recorded fixture's events survive the round trip; bad input gets an
InvalidArgumentError naming the field."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import fixture_util
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import InvalidArgumentError
from llmkit.protocols.registry import BUILTIN, get_protocol
from llmkit.types import events as ev
from llmkit.types.event_json import event_from_dict, event_from_json
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

# ------------------------------------------------------------------ strategies
TEXT = st.text(max_size=12)
OPT_TEXT = st.none() | TEXT
JSON_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    JSON_SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
JSON_OBJECT = st.dictionaries(TEXT, JSON, max_size=3)
METADATA = st.none() | st.dictionaries(st.sampled_from(["openai", "anthropic"]), JSON_OBJECT)
COUNT = st.none() | st.integers(min_value=0, max_value=10**9)
COST = st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=8)
USAGE = st.builds(
    Usage,
    input_tokens=COUNT,
    output_tokens=COUNT,
    cache_read_tokens=COUNT,
    cache_write_tokens=COUNT,
    reasoning_tokens=COUNT,
    total_tokens=COUNT,
    raw=st.none() | JSON_OBJECT,
    cost=COST,
)
WARNING = st.builds(
    CallWarning,
    type=st.sampled_from(["unsupported_setting", "changed_setting", "other"]),
    setting=OPT_TEXT,
    message=TEXT,
)
ZONES = st.sampled_from(
    [None, timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
CREATED = st.none() | st.datetimes(timezones=ZONES)
FINISH = st.sampled_from(["stop", "length", "tool_calls", "content_filter", "error", "other"])
DURATION = st.floats(min_value=0, max_value=1e6, allow_nan=False) | st.integers(0, 100).map(float)

STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    ev.StreamStartEvent: st.builds(
        ev.StreamStartEvent,
        warnings=st.lists(WARNING, max_size=3).map(tuple),
        model=OPT_TEXT,
        attempts=st.integers(1, 10),
    ),
    ev.ResponseMetadataEvent: st.builds(
        ev.ResponseMetadataEvent, response_id=OPT_TEXT, model_id=OPT_TEXT, created=CREATED
    ),
    ev.TextStartEvent: st.builds(ev.TextStartEvent, id=TEXT),
    ev.TextDeltaEvent: st.builds(ev.TextDeltaEvent, id=TEXT, delta=st.text()),
    ev.TextEndEvent: st.builds(ev.TextEndEvent, id=TEXT, provider_metadata=METADATA),
    ev.ReasoningStartEvent: st.builds(ev.ReasoningStartEvent, id=TEXT, redacted_data=OPT_TEXT),
    ev.ReasoningDeltaEvent: st.builds(ev.ReasoningDeltaEvent, id=TEXT, delta=st.text()),
    ev.ReasoningEndEvent: st.builds(
        ev.ReasoningEndEvent,
        id=TEXT,
        signature=OPT_TEXT,
        redacted_data=OPT_TEXT,
        provider_metadata=METADATA,
    ),
    ev.ToolInputStartEvent: st.builds(
        ev.ToolInputStartEvent, id=TEXT, tool_name=TEXT, provider_executed=st.booleans()
    ),
    ev.ToolInputDeltaEvent: st.builds(ev.ToolInputDeltaEvent, id=TEXT, delta=st.text()),
    ev.ToolInputEndEvent: st.builds(ev.ToolInputEndEvent, id=TEXT),
    ev.ToolCallEvent: st.builds(
        ev.ToolCallEvent,
        tool_call_id=TEXT,
        tool_name=TEXT,
        args=JSON_OBJECT,
        args_json=st.text(),
        args_error=OPT_TEXT,
        provider_executed=st.booleans(),
        provider_metadata=METADATA,
    ),
    ev.ToolResultEvent: st.builds(
        ev.ToolResultEvent,
        tool_call_id=TEXT,
        tool_name=TEXT,
        result=JSON,
        is_error=st.booleans(),
        provider_executed=st.booleans(),
    ),
    ev.ToolExecutionStartEvent: st.builds(
        ev.ToolExecutionStartEvent, tool_call_id=TEXT, tool_name=TEXT, args=JSON_OBJECT
    ),
    ev.ToolExecutionEndEvent: st.builds(
        ev.ToolExecutionEndEvent,
        tool_call_id=TEXT,
        tool_name=TEXT,
        duration=DURATION,
        error=OPT_TEXT,
        error_type=OPT_TEXT,
    ),
    ev.ToolApprovalRequestEvent: st.builds(
        ev.ToolApprovalRequestEvent, tool_call_id=TEXT, tool_name=TEXT, args=JSON_OBJECT
    ),
    ev.SourceEvent: st.builds(
        ev.SourceEvent,
        id=TEXT,
        source_type=st.sampled_from(["url", "document"]),
        url=OPT_TEXT,
        title=OPT_TEXT,
        cited_text=OPT_TEXT,
    ),
    ev.StepFinishEvent: st.builds(
        ev.StepFinishEvent,
        finish_reason=FINISH,
        raw_finish_reason=OPT_TEXT,
        usage=USAGE,
        provider_metadata=METADATA,
    ),
    ev.FinishEvent: st.builds(
        ev.FinishEvent,
        finish_reason=FINISH,
        raw_finish_reason=OPT_TEXT,
        usage=USAGE,
        provider_metadata=METADATA,
    ),
    ev.AbortEvent: st.builds(
        ev.AbortEvent,
        reason=st.sampled_from(["closed", "cancelled"]),
        text=st.text(),
        reasoning_text=st.none() | st.text(),
        usage=USAGE,
    ),
}
EVENT_CLASSES = typing.get_args(ev.StreamEvent)


def assert_identical(a: object, b: object, where: str = "event") -> None:
    """``a == b`` and every nested value has the same type (tuple stays tuple, Decimal stays
    Decimal, an aware datetime keeps its offset), cost included (Usage leaves it out of ==)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            assert_identical(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert_identical(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, datetime):
        assert isinstance(b, datetime)
        assert (a, a.utcoffset()) == (b, b.utcoffset()), where
    else:
        assert a == b, where


def test_every_event_type_has_a_strategy() -> None:
    # a new event class in the union must be added here, so the round trip covers it
    assert set(STRATEGIES) == set(EVENT_CLASSES)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip_through_json(cls: type, data: st.DataObject) -> None:
    event = data.draw(STRATEGIES[cls])
    text = ev.event_to_json(event)
    back = event_from_dict(json.loads(text))
    assert back == event
    assert_identical(back, event)
    assert_identical(event_from_json(text), event)
    assert_identical(event_from_json(text.encode()), event)


def test_exact_types_are_restored() -> None:
    created = datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=timezone.utc)
    finish = ev.FinishEvent(
        "stop",
        "end_turn",
        Usage(10, 20, raw={"input_tokens": 10}, cost=Decimal("0.000123")),
        {"anthropic": {"container": None}},
    )
    back = event_from_json(ev.event_to_json(finish))
    assert isinstance(back, ev.FinishEvent)
    assert isinstance(back.usage, Usage) and back.usage.cost == Decimal("0.000123")
    assert isinstance(back.usage.cost, Decimal)
    meta = event_from_json(ev.event_to_json(ev.ResponseMetadataEvent("r", "m", created)))
    assert isinstance(meta, ev.ResponseMetadataEvent) and meta.created == created
    assert meta.created is not None and meta.created.utcoffset() == timedelta(0)
    start = ev.StreamStartEvent((CallWarning("unsupported_setting", "seed", "dropped"),), "a:b")
    back_start = event_from_json(ev.event_to_json(start))
    assert isinstance(back_start, ev.StreamStartEvent)
    assert back_start.warnings == (CallWarning("unsupported_setting", "seed", "dropped"),)
    assert isinstance(back_start.warnings, tuple)
    end = event_from_dict(
        {"type": "tool_execution_end", "tool_call_id": "c", "tool_name": "t", "duration": 2}
    )
    assert isinstance(end, ev.ToolExecutionEndEvent) and type(end.duration) is float


def test_fields_with_defaults_may_be_left_out() -> None:
    assert event_from_dict({"type": "stream_start"}) == ev.StreamStartEvent()
    assert event_from_dict(
        {"type": "finish", "finish_reason": "stop", "raw_finish_reason": None, "usage": {}}
    ) == ev.FinishEvent("stop", None, Usage())
    assert event_from_dict(
        {"type": "response_metadata", "created": "2025-01-01T00:00:00Z"}
    ) == ev.ResponseMetadataEvent(created=datetime(2025, 1, 1, tzinfo=timezone.utc))


def test_the_loader_is_exported_from_llmkit() -> None:
    import llmkit

    assert llmkit.event_from_dict is event_from_dict
    assert llmkit.event_from_json is event_from_json
    assert llmkit.event_to_json is ev.event_to_json


BAD: list[tuple[object, str]] = [
    ({"id": "t"}, "type: is missing"),
    ({"type": "text_delta_v2", "id": "t"}, "type: is 'text_delta_v2', which names no event"),
    ({"type": 3}, "type: is 3, which names no event"),
    ({"type": "text_delta", "id": "t"}, "text_delta.delta: is missing"),
    (
        {"type": "text_delta", "id": "t", "delta": 5},
        "text_delta.delta: is an integer, expected a string",
    ),
    (
        {"type": "text_delta", "id": "t", "delta": "x", "colour": 1},
        "text_delta.colour: is not a field of TextDeltaEvent",
    ),
    (
        {"type": "finish", "finish_reason": "done", "raw_finish_reason": None, "usage": {}},
        "finish.finish_reason: is 'done', expected one of 'stop'",
    ),
    (
        {
            "type": "finish",
            "finish_reason": "stop",
            "raw_finish_reason": None,
            "usage": {"cost": "cheap"},
        },
        "finish.usage.cost: is 'cheap', not a decimal number",
    ),
    (
        {
            "type": "finish",
            "finish_reason": "stop",
            "raw_finish_reason": None,
            "usage": {"cost": 0.1},
        },
        "finish.usage.cost: is a number, expected an exact decimal string",
    ),
    (
        {
            "type": "finish",
            "finish_reason": "stop",
            "raw_finish_reason": None,
            "usage": {"input_tokens": "10"},
        },
        "finish.usage.input_tokens: is a string, expected an integer",
    ),
    (
        {"type": "finish", "finish_reason": "stop", "raw_finish_reason": None, "usage": []},
        "finish.usage: is an array, expected an object",
    ),
    (
        {"type": "response_metadata", "created": "yesterday"},
        "response_metadata.created: is 'yesterday', not an ISO 8601 date-time",
    ),
    (
        {"type": "stream_start", "warnings": [{"type": "loud", "setting": None, "message": "m"}]},
        "stream_start.warnings[0].type: is 'loud'",
    ),
    (
        {"type": "stream_start", "attempts": True},
        "stream_start.attempts: is a boolean, expected an integer",
    ),
    (
        {
            "type": "tool_call",
            "tool_call_id": "c",
            "tool_name": "t",
            "args": [1],
            "args_json": "[1]",
        },
        "tool_call.args: is an array, expected an object",
    ),
    (
        {"type": "text_end", "id": "t", "provider_metadata": {"openai": "x"}},
        "text_end.provider_metadata.openai: is a string, expected an object",
    ),
    (
        {"type": "tool_input_start", "id": "t", "tool_name": "x", "provider_executed": "yes"},
        "tool_input_start.provider_executed: is a string, expected true or false",
    ),
    ([1, 2], "event: is an array, expected an object"),
]


@pytest.mark.parametrize(("data", "problem"), BAD)
def test_bad_input_names_the_field(data: Any, problem: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        event_from_dict(data)
    assert problem in info.value.problems[0]
    assert problem in str(info.value)
    assert "event_to_dict" in str(info.value)  # what to do


def test_text_that_is_not_json() -> None:
    with pytest.raises(InvalidArgumentError, match="not JSON") as info:
        event_from_json('{"type": "text_delta", ')
    assert isinstance(info.value.__cause__, json.JSONDecodeError)
    with pytest.raises(InvalidArgumentError, match="not JSON"):
        event_from_json(b"\xff\xfe")


# ------------------------------------------------------------------ recorded fixtures
def _recorded_events(entry: dict[str, Any]) -> list[ev.StreamEvent]:
    """A recorded stream or body through its own protocol (events before an error kept)."""
    protocol = get_protocol(entry["protocol"])
    provider = fixture_util.provider_for(entry)
    if entry["kind"] == "json":
        return protocol.parse_response(fixture_util.body(entry), provider)
    state = protocol.new_state(provider)
    out: list[ev.StreamEvent] = []
    try:
        for sse in fixture_util.decode_sse(fixture_util.body(entry)):
            out.extend(protocol.parse_event(state, sse))
        out.extend(protocol.finish(state))
    except Exception:  # a recorded failing stream: its events before the error still count
        pass
    return out


RECORDED = [
    e for name in BUILTIN for kind in ("sse", "json") for e in fixture_util.entries(name, kind)
]


@pytest.mark.parametrize("entry", RECORDED, ids=fixture_util.fixture_id)
def test_recorded_events_round_trip(entry: dict[str, Any]) -> None:
    events = _recorded_events(entry)
    assert events, "every recorded answer gives events"
    for event in events:
        back = event_from_json(ev.event_to_json(event))
        assert back == event
        assert_identical(back, event)
