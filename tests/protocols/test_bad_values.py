"""Sans-IO regression tests: values of the wrong type or out of range, as the protocols see them.

One test per cause found by the mutation run (tests/e2e/test_mutations.py); the end-to-end
forms of the same inputs are in tests/e2e/test_bad_input.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import fixture_util
import pytest
from httpx_sse import ServerSentEvent

from llmkit.errors import InvalidResponseError, StreamError
from llmkit.protocols._blocks import MAX_TOOL_ARGS_DEPTH, parse_tool_args
from llmkit.protocols._common import loads
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.base import Protocol, run_sse
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.protocols.openai_chat.map_finish_reason import map_finish_reason
from llmkit.protocols.openai_chat.wire import created_at
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import ResponseMetadataEvent, StreamEvent, ToolCallEvent

OPENAI = OpenAIChatProtocol()
ANTHROPIC = AnthropicMessagesProtocol()
OPENAI_PROVIDER = ProviderConfig(id="t", protocol="openai-chat", base_url="https://x.invalid/v1")
ANTHROPIC_PROVIDER = ProviderConfig(
    id="t", protocol="anthropic-messages", base_url="https://x.invalid/v1"
)
DEEP = "[" * 100_000  # deep enough for a RecursionError on every Python (3.13: past 1,000)


def sse(payload: object) -> ServerSentEvent:
    return ServerSentEvent(data=payload if isinstance(payload, str) else json.dumps(payload))


def run(protocol: Protocol[Any], provider: ProviderConfig, *payloads: object) -> list[StreamEvent]:
    return run_sse(protocol, provider, [sse(p) for p in payloads])


def openai_chunk(delta: dict[str, Any], finish: object = None) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


# ---------------------------------------------------------------------------- 1. deep JSON
@pytest.mark.parametrize(
    ("protocol", "provider"),
    [(OPENAI, OPENAI_PROVIDER), (ANTHROPIC, ANTHROPIC_PROVIDER)],
    ids=["openai", "anthropic"],
)
def test_deeply_nested_json_is_an_invalid_response(
    protocol: Protocol[Any], provider: ProviderConfig
) -> None:
    with pytest.raises(InvalidResponseError, match="nested too deeply") as stream_info:
        run(protocol, provider, DEEP)
    assert isinstance(stream_info.value.__cause__, RecursionError)
    assert stream_info.value.raw == DEEP[:2000]
    with pytest.raises(InvalidResponseError, match="nested too deeply") as body_info:
        protocol.parse_response(DEEP.encode(), provider)
    assert isinstance(body_info.value.__cause__, RecursionError)


def test_json_boundary_maps_every_decode_failure() -> None:
    for raw in (b"{", b"\xff", DEEP, "1" * 5000):  # syntax, UTF-8, depth, int digits limit
        with pytest.raises(InvalidResponseError, match="it starts"):
            loads(raw, "the body is not JSON", "check it")


# ---------------------------------------------------------------------------- 2. created
def test_created_in_milliseconds_is_read_as_milliseconds() -> None:
    (meta, _finish) = run(
        OPENAI, OPENAI_PROVIDER, {"id": "x", "created": 1747148049000, "choices": []}, "[DONE]"
    )
    assert isinstance(meta, ResponseMetadataEvent)
    assert meta.created == datetime(2025, 5, 13, 14, 54, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [1e308, 1e20, float("inf"), float("nan"), -5, "1", True, 0])
def test_created_out_of_range_or_not_a_number_is_dropped(value: object) -> None:
    assert created_at(value) is None


def test_recorded_created_values_map_as_seconds() -> None:
    for entry in fixture_util.entries("openai-chat", "sse"):
        for event in fixture_util.decode_sse(fixture_util.body(entry)):
            try:
                created = json.loads(event.data).get("created")
            except (ValueError, AttributeError):
                continue
            if isinstance(created, int) and created > 0:
                expected = datetime.fromtimestamp(created, tz=timezone.utc)
                assert created_at(created) == expected
                assert 2020 <= expected.year <= 2030


# ---------------------------------------------------------------------------- 3. Anthropic deltas
@pytest.mark.parametrize("value", [1, 1.5, True, None, [], {"a": 1}])
@pytest.mark.parametrize(
    ("delta_type", "field"), [("text_delta", "text"), ("thinking_delta", "thinking")]
)
def test_anthropic_non_string_text_or_thinking_delta_is_invalid(
    delta_type: str, field: str, value: object
) -> None:
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": delta_type, field: value}}
    with pytest.raises(InvalidResponseError, match="not a string"):
        run(ANTHROPIC, ANTHROPIC_PROVIDER, delta, {"type": "message_stop"})


# ---------------------------------------------------------------------------- 4. finish order
def test_anthropic_non_string_signature_is_invalid_when_it_arrives() -> None:
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}}
    signature = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": 1},
    }
    with pytest.raises(InvalidResponseError, match="signature"):
        run(ANTHROPIC, ANTHROPIC_PROVIDER, start, signature)


def test_anthropic_truncation_is_checked_before_open_blocks_close() -> None:
    state = ANTHROPIC.new_state(ANTHROPIC_PROVIDER)
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
    ANTHROPIC.parse_event(state, sse(start))
    with pytest.raises(StreamError, match="before message_stop") as info:
        ANTHROPIC.finish(state)
    assert type(info.value) is StreamError
    assert state.blocks.is_open("0")  # nothing was closed: no text_end for a truncated block


def test_anthropic_block_started_twice_is_invalid() -> None:
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
    with pytest.raises(InvalidResponseError, match="started again"):
        run(ANTHROPIC, ANTHROPIC_PROVIDER, start, start)


# ---------------------------------------------------------------------------- 5. finish_reason
@pytest.mark.parametrize("value", [[1], {"a": 1}, 1, True])
def test_openai_non_string_finish_reason_is_invalid(value: object) -> None:
    with pytest.raises(InvalidResponseError, match="finish_reason"):
        run(OPENAI, OPENAI_PROVIDER, {"choices": [{"finish_reason": value}]})


def test_map_finish_reason_tolerates_any_value() -> None:
    assert map_finish_reason([1], has_tool_calls=False) == "other"  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- 6. tool calls
@pytest.mark.parametrize("name", [5, 1.5, True, {"a": 1}, ["f"]])
def test_openai_non_string_tool_name_is_invalid(name: object) -> None:
    call = {"index": 0, "id": "a", "function": {"name": name, "arguments": "{}"}}
    with pytest.raises(InvalidResponseError, match=r"function\.name"):
        run(OPENAI, OPENAI_PROVIDER, openai_chunk({"tool_calls": [call]}, "tool_calls"))
    body = {"choices": [{"message": {"tool_calls": [call]}, "finish_reason": "tool_calls"}]}
    with pytest.raises(InvalidResponseError, match=r"function\.name"):
        OPENAI.parse_response(json.dumps(body).encode(), OPENAI_PROVIDER)


@pytest.mark.parametrize("value", [5, None, ["x"]])
def test_anthropic_non_string_tool_id_or_name_is_invalid(value: object) -> None:
    for key in ("id", "name"):
        block = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}, key: value}
        start = {"type": "content_block_start", "index": 0, "content_block": block}
        with pytest.raises(InvalidResponseError, match="strings"):
            run(ANTHROPIC, ANTHROPIC_PROVIDER, start)


def test_anthropic_non_string_partial_json_is_invalid() -> None:
    block = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
    start = {"type": "content_block_start", "index": 0, "content_block": block}
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "input_json_delta", "partial_json": {"a": 1}},
    }
    with pytest.raises(InvalidResponseError, match="not a string"):
        run(ANTHROPIC, ANTHROPIC_PROVIDER, start, delta)


def _nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def test_tool_args_nested_too_deeply_are_an_args_error() -> None:
    assert parse_tool_args(_nested(MAX_TOOL_ARGS_DEPTH)) == (json.loads(_nested(128)), None)
    for text in (_nested(MAX_TOOL_ARGS_DEPTH + 1), _nested(256), '{"a":' + "[" * 100_000):
        args, error = parse_tool_args(text)
        assert args == {}
        assert error is not None and "nest deeper" in error
    call = {"index": 0, "id": "a", "function": {"name": "f", "arguments": _nested(256)}}
    events = run(OPENAI, OPENAI_PROVIDER, openai_chunk({"tool_calls": [call]}, "tool_calls"))
    (tool,) = [e for e in events if isinstance(e, ToolCallEvent)]
    assert tool.args == {} and tool.args_error is not None and tool.args_json == _nested(256)


@pytest.mark.parametrize(
    "block",
    [
        {"type": "text", "text": 5},
        {"type": "thinking", "thinking": ["x"]},
        {"type": "thinking", "thinking": "", "signature": 1},
    ],
)
def test_anthropic_non_string_initial_block_text_is_invalid(block: dict[str, Any]) -> None:
    start = {"type": "content_block_start", "index": 0, "content_block": block}
    with pytest.raises(InvalidResponseError, match="not a string"):
        run(ANTHROPIC, ANTHROPIC_PROVIDER, start)
    body = {"type": "message", "content": [block], "stop_reason": "end_turn"}
    with pytest.raises(InvalidResponseError, match="not a string"):
        ANTHROPIC.parse_response(json.dumps(body).encode(), ANTHROPIC_PROVIDER)


@pytest.mark.parametrize(
    ("protocol", "provider"),
    [(OPENAI, OPENAI_PROVIDER), (ANTHROPIC, ANTHROPIC_PROVIDER)],
    ids=["openai", "anthropic"],
)
def test_body_that_is_not_utf8_is_invalid(
    protocol: Protocol[Any], provider: ProviderConfig
) -> None:
    # json.loads(bytes) alone would accept UTF-8-encoded surrogates as lone surrogates
    for bad in (b"\xed\xa0\x80", b"\xff"):
        body = b'{"choices": [], "content": [], "x": "a' + bad + b'"}'
        with pytest.raises(InvalidResponseError, match=r"not (valid )?JSON.*utf-8"):
            protocol.parse_response(body, provider)
