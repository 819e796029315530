"""Non-streamed responses: every recorded openai-chat JSON fixture with status 200, plus edge
cases of parse_response."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import fixture_util
import pytest

from llmkit.errors import InvalidResponseError, StreamError
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.protocols.openai_chat.quirks import Quirks
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import FinishEvent, ResponseMetadataEvent
from protocols._openai_chat_checks import check_conformance, check_expected, joined, tool_calls

PROTOCOL = OpenAIChatProtocol()
JSON_ENTRIES = fixture_util.entries("openai-chat", "json")
LEGACY = "openai-openai-chat-gpt35-legacy-function-call"
GENERIC = ProviderConfig(id="generic", protocol="openai-chat", base_url="https://x.invalid/v1")


def test_manifest_has_openai_chat_bodies() -> None:
    assert len(JSON_ENTRIES) >= 15


@pytest.mark.parametrize("entry", JSON_ENTRIES, ids=fixture_util.fixture_id)
def test_fixture_response(entry: dict[str, Any]) -> None:
    events = PROTOCOL.parse_response(fixture_util.body(entry), fixture_util.provider_for(entry))
    check_conformance(events)
    assert isinstance(events[0], ResponseMetadataEvent)
    expected = entry["expected"]
    if fixture_util.fixture_id(entry) == LEGACY:
        # The manifest's accumulator reads only `tool_calls`; llmkit also turns the deprecated
        # `message.function_call` into a tool call (checked in test_legacy_function_call).
        expected = {**expected, "tool_calls": []}
        events = [e for e in events if not e.type.startswith("tool_")]
        finish = events[-1]
        assert isinstance(finish, FinishEvent)
        assert finish.finish_reason == "tool_calls"
        assert finish.raw_finish_reason == expected["finish_reason"]
        return
    check_expected(events, expected)


def test_legacy_function_call() -> None:
    entry = next(e for e in JSON_ENTRIES if fixture_util.fixture_id(e) == LEGACY)
    raw = json.loads(fixture_util.body(entry))["choices"][0]["message"]["function_call"]
    events = PROTOCOL.parse_response(fixture_util.body(entry), fixture_util.provider_for(entry))
    (call,) = tool_calls(events)
    assert call.tool_name == raw["name"] == "Joke"
    assert call.args_json == raw["arguments"]
    assert dict(call.args) == json.loads(raw["arguments"])
    assert call.tool_call_id == "call_0"


def test_metadata_of_a_response() -> None:
    entry = next(e for e in JSON_ENTRIES if "gpt35-n2-multiple-choices" in e["file"])
    meta = PROTOCOL.parse_response(fixture_util.body(entry), fixture_util.provider_for(entry))[0]
    assert meta == ResponseMetadataEvent(
        "chatcmpl-DPTDqDcFFhEEjZnmRxja2ksWJXzQK",
        "gpt-3.5-turbo-0125",
        datetime.fromtimestamp(1774962902, tz=timezone.utc),
    )


def test_reasoning_field_of_a_message() -> None:
    provider = ProviderConfig(
        id="ds",
        protocol="openai-chat",
        base_url="https://x.invalid/v1",
        quirks=Quirks(reasoning_fields=("reasoning_content",)),
    )
    body = {
        "id": "r",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "4", "reasoning_content": "2+2"},
                "finish_reason": "stop",
            }
        ],
    }
    events = PROTOCOL.parse_response(json.dumps(body).encode(), provider)
    check_conformance(events)
    assert [e.type for e in events] == [
        "response_metadata",
        "reasoning_start",
        "reasoning_delta",
        "reasoning_end",
        "text_start",
        "text_delta",
        "text_end",
        "finish",
    ]
    assert joined(events, "reasoning_delta") == "2+2"


def test_tool_call_with_stop_reason_is_tool_calls() -> None:
    body = {
        "choices": [
            {
                "message": {
                    "tool_calls": [
                        {"id": "x", "type": "function", "function": {"name": "f", "arguments": {}}}
                    ]
                },
                "finish_reason": "stop",
            }
        ]
    }
    events = PROTOCOL.parse_response(json.dumps(body).encode(), GENERIC)
    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert (finish.finish_reason, finish.raw_finish_reason) == ("tool_calls", "stop")
    (call,) = tool_calls(events)
    assert call.args_json == "{}"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"<html>Bad gateway</html>", "not JSON"),
        (b'{"object": "list", "data": []}', "no choices"),
        (b'{"choices": []}', "no choices"),
        (b"[1, 2]", "no choices"),
        (b'{"choices": [{"message": "text"}]}', "unexpected shape"),
    ],
)
def test_unusable_bodies(body: bytes, needle: str) -> None:
    with pytest.raises(InvalidResponseError, match=needle) as info:
        PROTOCOL.parse_response(body, GENERIC)
    assert info.value.raw == body


def test_error_in_a_200_body() -> None:
    body = b'{"error": {"message": "upstream exploded", "type": "server_error"}}'
    with pytest.raises(StreamError, match="upstream exploded") as info:
        PROTOCOL.parse_response(body, GENERIC)
    assert info.value.error_type == "server_error"
    assert not isinstance(info.value, InvalidResponseError)


def test_mistral_thinking_parts_in_a_message() -> None:
    content = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "let me see"}]},
        {"type": "text", "text": "Paris"},
    ]
    body = {"choices": [{"message": {"content": content}, "finish_reason": "stop"}]}
    events = PROTOCOL.parse_response(json.dumps(body).encode(), GENERIC)
    check_conformance(events)
    assert joined(events, "reasoning_delta") == "let me see"
    assert joined(events, "text_delta") == "Paris"
