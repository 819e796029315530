"""The openai-chat serving codec's request half: bodies written by the official ``openai`` SDK
are parsed into unified call options and rebuilt by llmkit's own openai-chat ``build_request``
with the same fields; malformed bodies raise ``RequestFieldError`` naming the field, and
``encode_error`` answers in OpenAI's error shape."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import openai
import pytest

from llmkit.errors import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    LLMKitError,
    MissingCredentialError,
    NoSuchProviderError,
    NotFoundError,
    StreamError,
    UnsupportedFeatureError,
)
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.protocols.openai_chat.serve import Codec, include_usage
from llmkit.protocols.serving import RequestFieldError
from llmkit.providers.config import ProviderConfig
from llmkit.types.messages import FilePart, ImagePart, ToolMessage, ToolResultPart
from llmkit.types.options import NamedToolChoice
from server._serving_helpers import PDF, PNG, SCHEMA, openai_client, openai_request, replying

CODEC = Codec()
PROTOCOL = OpenAIChatProtocol()
TARGET = ProviderConfig(id="target", protocol="openai-chat", base_url="http://127.0.0.1/v1")

WAV = base64.b64encode(b"RIFF....WAVEfmt ").decode()
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather by city", "parameters": SCHEMA},
}
LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {}},
        "strict": False,
    },
}
HISTORY: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris", "days": 2}'},
            },
            {"id": "call_2", "type": "function", "function": {"name": "lookup", "arguments": "{}"}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_2", "content": '{"ok": true}'},
    {"role": "assistant", "content": "Sunny."},
    {"role": "system", "content": "Answer in French now."},
    {"role": "user", "content": "Et demain ?"},
]
MEDIA: list[dict[str, Any]] = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in these?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            {
                "type": "image_url",
                "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"},
            },
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
            {
                "type": "file",
                "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
            },
        ],
    }
]

CASES: dict[str, dict[str, Any]] = {
    "plain": {"messages": [{"role": "user", "content": "Hi"}]},
    "sampling": {
        "messages": [{"role": "developer", "content": "Terse."}, {"role": "user", "content": "Hi"}],
        "temperature": 0.3,
        "top_p": 0.9,
        "max_tokens": 50,
        "stop": ["\n\n", "END"],
        "seed": 7,
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
    },
    "stop-string-completion-tokens": {
        "messages": [{"role": "user", "content": "Count"}],
        "stop": "5",
        "max_completion_tokens": 20,
    },
    "tools-auto": {"messages": HISTORY, "tools": [WEATHER, LOOKUP], "tool_choice": "auto"},
    "tools-required": {"messages": HISTORY, "tools": [WEATHER], "tool_choice": "required"},
    "tools-none": {"messages": HISTORY, "tools": [WEATHER], "tool_choice": "none"},
    "tools-named": {
        "messages": [{"role": "user", "content": "Paris"}],
        "tools": [WEATHER, LOOKUP],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
    },
    "media": {"messages": MEDIA},
    "json-schema": {
        "messages": [{"role": "user", "content": "Plan a trip"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "trip",
                "description": "A trip",
                "schema": SCHEMA,
                "strict": True,
            },
        },
    },
    "json-schema-loose": {
        "messages": [{"role": "user", "content": "Plan a trip"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "trip", "schema": {"type": "object"}, "strict": False},
        },
    },
    "reasoning": {"messages": [{"role": "user", "content": "Think"}], "reasoning_effort": "low"},
    "stream": {
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    },
}


def sdk_request(kwargs: dict[str, Any]) -> bytes:
    """The body the official SDK sends for ``client.chat.completions.create(**kwargs)``."""
    return openai_request(
        lambda client: client.chat.completions.create(model="gpt-test", **kwargs),
        stream=bool(kwargs.get("stream")),
        stream_body=b"data: [DONE]\n\n",
        body=CODEC.encode_response([], "m"),
    )


def normalise(body: Mapping[str, object]) -> dict[str, Any]:
    """The documented equivalences: ``developer`` is ``system``, a stop string is a one-item
    list, ``max_completion_tokens`` is ``max_tokens``, ``content: null`` beside tool calls is
    left out, tool arguments compare as JSON, a missing parameters schema is the empty one."""
    out: dict[str, Any] = json.loads(json.dumps(body))
    if isinstance(out.get("stop"), str):
        out["stop"] = [out["stop"]]
    if "max_completion_tokens" in out:
        out["max_tokens"] = out.pop("max_completion_tokens")
    for message in out["messages"]:
        if message["role"] == "developer":
            message["role"] = "system"
        if message.get("content") is None and message.get("tool_calls"):
            message.pop("content", None)
        for call in message.get("tool_calls") or []:
            call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_sdk_request_rebuilds_the_same(name: str) -> None:
    sent = json.loads(sdk_request(CASES[name]))
    served = CODEC.parse_request(json.dumps(sent).encode())
    assert served.model == "gpt-test"
    assert served.stream is bool(sent.get("stream"))
    assert served.warnings == ()
    rebuilt = PROTOCOL.build_request(served.call, TARGET, served.model, stream=served.stream).body
    assert normalise(rebuilt) == normalise(sent)


def test_parsed_parts() -> None:
    served = CODEC.parse_request(json.dumps({"model": "m", "messages": MEDIA}).encode())
    parts = served.call.messages[0].content
    assert isinstance(parts, list)
    assert isinstance(parts[1], ImagePart) and parts[1].url() == "https://example.com/a.png"
    assert isinstance(parts[2], ImagePart)
    assert parts[2].base64_data() == ("image/png", PNG)
    assert parts[2].provider_options == {"openai": {"detail": "high"}}
    assert isinstance(parts[3], FilePart) and parts[3].media_type == "audio/wav"
    assert isinstance(parts[4], FilePart)
    assert (parts[4].media_type, parts[4].filename) == ("application/pdf", "a.pdf")


def test_history_is_unified() -> None:
    served = CODEC.parse_request(json.dumps({"model": "m", "messages": HISTORY}).encode())
    call = served.call
    assert call.system == "Be brief."
    tool_message = call.messages[2]
    assert isinstance(tool_message, ToolMessage)  # consecutive tool messages merged
    results = [p for p in tool_message.content if isinstance(p, ToolResultPart)]
    assert results == tool_message.content  # tool results only
    assert [(p.tool_call_id, p.tool_name, p.result) for p in results] == [
        ("call_1", "get_weather", "sunny"),
        ("call_2", "lookup", '{"ok": true}'),
    ]
    assert [m.role for m in call.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "system",
        "user",
    ]


def test_reasoning_content_and_options() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4", "reasoning_content": "add them"},
            {"role": "user", "content": "and 3+3?"},
        ],
        "tools": [WEATHER],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "reasoning_effort": "high",
        "top_k": 40,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    served = CODEC.parse_request(json.dumps(body).encode())
    parts = served.call.messages[1].content
    assert isinstance(parts, list)
    assert [p.type for p in parts] == ["reasoning", "text"]
    assert served.call.tool_choice == NamedToolChoice(tool_name="get_weather")
    assert served.call.reasoning is not None and served.call.reasoning.effort == "high"
    assert served.call.top_k == 40
    assert include_usage(body) and not include_usage({"stream": True})


def test_unsupported_fields_are_warnings() -> None:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "Hi", "name": "ann"}],
        "n": 2,
        "logprobs": True,
        "user": "u-1",
        "parallel_tool_calls": False,
        "reasoning_effort": "xhigh",
        "response_format": {"type": "json_object"},
        "max_tokens": 5,
        "max_completion_tokens": 6,
    }
    served = CODEC.parse_request(json.dumps(body).encode())
    settings = {w.setting for w in served.warnings}
    assert {"n", "logprobs", "user", "parallel_tool_calls", "messages[0].name"} <= settings
    assert {"reasoning_effort", "response_format", "max_tokens"} <= settings
    assert served.call.max_output_tokens == 6
    assert served.call.reasoning is not None and served.call.reasoning.effort == "high"
    assert served.call.response_format is not None
    assert served.call.response_format.json_schema == {"type": "object"}


def test_broken_replayed_arguments_are_a_warning() -> None:
    body = {
        "model": "m",
        "messages": [
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
                ],
            }
        ],
    }
    served = CODEC.parse_request(json.dumps(body).encode())
    assert [w.setting for w in served.warnings] == ["messages[0].tool_calls[0].function.arguments"]


def _body(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "x"}], **fields}


def _msgs(messages: list[Any]) -> dict[str, Any]:
    return {"model": "m", "messages": messages}


BAD: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("not-json", b"{model: m", ""),
    ("not-object", b"[1, 2]", ""),
    ("no-model", {"messages": [{"role": "user", "content": "x"}]}, "model"),
    ("no-messages", {"model": "m"}, "messages"),
    ("empty-messages", _msgs([]), "messages"),
    ("messages-string", {"model": "m", "messages": "hi"}, "messages"),
    ("message-not-object", _msgs(["hi"]), "messages[0]"),
    ("no-role", _msgs([{"content": "x"}]), "messages[0].role"),
    ("bad-role", _msgs([{"role": "bot", "content": "x"}]), "messages[0].role"),
    ("content-number", _msgs([{"role": "user", "content": 5}]), "messages[0].content"),
    ("user-no-content", _msgs([{"role": "user"}]), "messages[0].content"),
    (
        "part-type",
        _msgs([{"role": "user", "content": [{"type": "video"}]}]),
        "messages[0].content[0].type",
    ),
    (
        "text-not-string",
        _msgs([{"role": "user", "content": [{"type": "text", "text": 1}]}]),
        "messages[0].content[0].text",
    ),
    (
        "image-url",
        _msgs(
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}]
        ),
        "messages[0].content[0].image_url.url",
    ),
    (
        "image-base64",
        _msgs(
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}
                    ],
                }
            ]
        ),
        "messages[0].content[0].image_url.url",
    ),
    (
        "audio-format",
        _msgs(
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_audio", "input_audio": {"data": WAV, "format": "ogg"}}
                    ],
                }
            ]
        ),
        "messages[0].content[0].input_audio.format",
    ),
    (
        "file-id",
        _msgs([{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}]),
        "messages[0].content[0].file.file_id",
    ),
    (
        "system-image",
        _msgs([{"role": "system", "content": [{"type": "image_url"}]}]),
        "messages[0].content[0].type",
    ),
    ("tool-no-id", _msgs([{"role": "tool", "content": "x"}]), "messages[0].tool_call_id"),
    (
        "call-no-function",
        _msgs([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}]),
        "messages[0].tool_calls[0].function",
    ),
    ("tools-object", _body(tools={"a": 1}), "tools"),
    ("tool-type", _body(tools=[{"type": "web_search"}]), "tools[0].type"),
    (
        "tool-no-name",
        _body(tools=[{"type": "function", "function": {"parameters": {}}}]),
        "tools[0].function.name",
    ),
    (
        "tool-schema-list",
        _body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]),
        "tools[0].function.parameters",
    ),
    (
        "tool-schema-type",
        _body(
            tools=[
                {"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}
            ]
        ),
        "tools[0].function.parameters.type",
    ),
    (
        "tool-choice-unknown",
        _body(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}}),
        "tool_choice.function.name",
    ),
    ("tool-choice-word", _body(tool_choice="any"), "tool_choice"),
    ("temperature", _body(temperature=3), "temperature"),
    ("top-p-string", _body(top_p="1"), "top_p"),
    ("max-tokens", _body(max_tokens=0), "max_tokens"),
    ("stop-number", _body(stop=5), "stop"),
    ("effort", _body(reasoning_effort="max"), "reasoning_effort"),
    ("format-type", _body(response_format={"type": "yaml"}), "response_format.type"),
    (
        "schema-name",
        _body(
            response_format={"type": "json_schema", "json_schema": {"name": "a b", "schema": {}}}
        ),
        "response_format.json_schema.name",
    ),
    ("stream-string", _body(stream="yes"), "stream"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in BAD], ids=[n for n, _, _ in BAD])
def test_malformed_request(body: bytes | dict[str, Any], field: str) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(RequestFieldError) as info:
        CODEC.parse_request(raw)
    assert info.value.field == field
    assert info.value.message
    status, payload = CODEC.encode_error(info.value)
    assert status == 400
    error = json.loads(payload)["error"]
    assert error == {
        "message": info.value.message,
        "type": "invalid_request_error",
        "param": field or None,
        "code": None,
    }


def test_error_read_by_the_sdk() -> None:
    status, payload = CODEC.encode_error(RequestFieldError("messages[0].role", "missing"))
    client = openai_client(replying(payload, status=status))
    with client, pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "messages[0].role"
    assert info.value.type == "invalid_request_error"


@pytest.mark.parametrize(
    ("error", "status", "kind", "code"),
    [
        (
            NotFoundError("no model", status_code=404, error_code="model_not_found"),
            404,
            "not_found_error",
            "model_not_found",
        ),
        (
            InternalServerError("boom", status_code=500, error_type="api_error"),
            500,
            "server_error",
            "api_error",
        ),
        (InternalServerError("bad gw", status_code=502), 502, "server_error", None),
        (NoSuchProviderError("nope", ["openai"]), 404, "invalid_request_error", "model_not_found"),
        (UnsupportedFeatureError("no pdf by URL"), 400, "invalid_request_error", None),
        (APITimeoutError("slow"), 504, "server_error", "timeout"),
        (APIConnectionError("refused"), 502, "server_error", "bad_gateway"),
        (StreamError("cut"), 502, "server_error", "upstream_error"),
        (MissingCredentialError("openai", "OPENAI_API_KEY"), 500, "server_error", None),
    ],
)
def test_encode_error_statuses(
    error: LLMKitError, status: int, kind: str, code: str | None
) -> None:
    got_status, payload = CODEC.encode_error(error)
    assert got_status == status
    body = json.loads(payload)["error"]
    assert (body["type"], body["code"]) == (kind, code)
    assert body["message"]
    assert set(body) == {"message", "type", "param", "code"}
