"""The openai-responses serving codec's request half: bodies written by the official ``openai``
SDK (``client.responses.create(...)``) are parsed into unified call options and rebuilt by
llmkit's own openai-responses ``build_request`` with the same fields (modulo the documented
equivalences); malformed bodies raise ``RequestFieldError`` naming the field, and
``encode_error`` answers in OpenAI's error shape, which the SDK raises as its usual class."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import openai
import pytest

from llmkit.errors import NoSuchProviderError, RateLimitError
from llmkit.protocols.openai_responses import OpenAIResponsesProtocol
from llmkit.protocols.openai_responses.serve import Codec
from llmkit.protocols.serving import RequestFieldError
from llmkit.providers.config import ProviderConfig
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    ReasoningPart,
    SystemMessage,
    ToolMessage,
    ToolResultPart,
)
from llmkit.types.options import NamedToolChoice
from server._serving_helpers import PDF, PNG, SCHEMA, openai_client, openai_request, replying

CODEC = Codec()
PROTOCOL = OpenAIResponsesProtocol()
TARGET = ProviderConfig(id="target", protocol="openai-responses", base_url="http://127.0.0.1/v1")

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather by city",
    "parameters": SCHEMA,
    "strict": True,
}
LOOKUP = {
    "type": "function",
    "name": "lookup",
    "parameters": {"type": "object", "properties": {}},
    "strict": False,
}
HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": "Weather in Paris?"},
    {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "Need the tool."}],
        "encrypted_content": "gAAAA-opaque",
    },
    {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city": "Paris", "days": 2}',
    },
    {"type": "function_call", "call_id": "call_2", "name": "lookup", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
    {"type": "function_call_output", "call_id": "call_2", "output": '{"ok": true}'},
    {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Sunny."}],
    },
    {"role": "system", "content": "Answer in French now."},
    {"role": "user", "content": [{"type": "input_text", "text": "Et demain ?"}]},
]
MEDIA: list[dict[str, Any]] = [
    {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is in these?"},
            {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}", "detail": "high"},
            {
                "type": "input_file",
                "filename": "a.pdf",
                "file_data": f"data:application/pdf;base64,{PDF}",
            },
            {"type": "input_file", "file_url": "https://example.com/b.pdf"},
        ],
    }
]

CASES: dict[str, dict[str, Any]] = {
    "plain-string": {"input": "Hi"},
    "sampling": {
        "instructions": "Terse.",
        "input": [{"role": "user", "content": "Hi"}],
        "temperature": 0.3,
        "top_p": 0.9,
        "max_output_tokens": 50,
    },
    "developer-first": {
        "input": [{"role": "developer", "content": "Terse."}, {"role": "user", "content": "Hi"}]
    },
    "tools-auto": {"input": HISTORY, "tools": [WEATHER, LOOKUP], "tool_choice": "auto"},
    "tools-required": {"input": HISTORY, "tools": [WEATHER], "tool_choice": "required"},
    "tools-none": {"input": HISTORY, "tools": [WEATHER], "tool_choice": "none"},
    "tools-named": {
        "input": "Paris",
        "tools": [WEATHER, LOOKUP],
        "tool_choice": {"type": "function", "name": "lookup"},
    },
    "media": {"input": MEDIA},
    "json-schema": {
        "input": "Plan a trip",
        "text": {
            "format": {
                "type": "json_schema",
                "name": "trip",
                "description": "A trip",
                "schema": SCHEMA,
                "strict": True,
            }
        },
    },
    "json-schema-loose": {
        "input": "Plan a trip",
        "text": {
            "format": {
                "type": "json_schema",
                "name": "trip",
                "schema": {"type": "object"},
                "strict": False,
            }
        },
    },
    "reasoning": {"input": "Think", "reasoning": {"effort": "low", "summary": "auto"}},
    "reasoning-replay-encrypted": {
        "input": HISTORY,
        "tools": [WEATHER, LOOKUP],
        "reasoning": {"effort": "high"},
        "store": False,
        "include": ["reasoning.encrypted_content"],
    },
    "stream": {"input": "Hi", "stream": True},
}


def _sse_empty() -> bytes:
    encoder = CODEC.stream_encoder("m")
    return encoder.end()


def sdk_request(kwargs: dict[str, Any]) -> bytes:
    """The body the official SDK sends for ``client.responses.create(**kwargs)``."""
    return openai_request(
        lambda client: client.responses.create(model="gpt-test", **kwargs),
        stream=bool(kwargs.get("stream")),
        stream_body=_sse_empty(),
        body=CODEC.encode_response([], "m"),
    )


def normalise(body: Mapping[str, object]) -> dict[str, Any]:
    """The documented equivalences: ``instructions`` and a first ``developer`` message are the
    first ``system`` input message; a string ``input`` is one user message; ``type: message``
    is implied; user ``input_text`` parts of a single text are a string only when sent so;
    image ``detail`` defaults to ``auto``; function arguments compare as JSON; ``store``,
    ``include`` and ``reasoning.summary`` are llmkit's own choices (``false``, encrypted
    reasoning, ``auto``)."""
    out: dict[str, Any] = json.loads(json.dumps(body))
    items: Any = out.get("input")  # JSON: a string or a list of items
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    instructions = out.pop("instructions", None)
    if instructions is not None:
        items = [{"role": "system", "content": instructions}, *items]
    for item in items:
        if item.get("type") == "message":
            del item["type"]
        if item.get("role") == "developer":
            item["role"] = "system"
        if item.get("type") == "function_call":
            item["arguments"] = json.loads(item["arguments"])
        for part in item.get("content") if isinstance(item.get("content"), list) else ():
            if part.get("type") == "input_image":
                part.setdefault("detail", "auto")
    out["input"] = items
    out.pop("store", None)
    out.pop("include", None)
    if "reasoning" in out:
        out["reasoning"].setdefault("summary", "auto")
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
    served = CODEC.parse_request(json.dumps({"model": "m", "input": MEDIA}).encode())
    parts = served.call.messages[0].content
    assert isinstance(parts, list)
    assert isinstance(parts[1], ImagePart) and parts[1].url() == "https://example.com/a.png"
    assert parts[1].provider_options is None  # detail "auto" is the default
    assert isinstance(parts[2], ImagePart)
    assert parts[2].base64_data() == ("image/png", PNG)
    assert parts[2].provider_options == {"openai": {"detail": "high"}}
    assert isinstance(parts[3], FilePart)
    assert (parts[3].media_type, parts[3].filename) == ("application/pdf", "a.pdf")
    assert isinstance(parts[4], FilePart) and parts[4].url() == "https://example.com/b.pdf"


def test_history_is_unified() -> None:
    body = {"model": "m", "instructions": "Be brief.", "input": HISTORY}
    call = CODEC.parse_request(json.dumps(body).encode()).call
    assert call.system == "Be brief."
    roles = [m.role for m in call.messages]
    assert roles == ["user", "assistant", "tool", "assistant", "system", "user"]
    assistant = call.messages[1]
    assert isinstance(assistant, AssistantMessage) and isinstance(assistant.content, list)
    assert [p.type for p in assistant.content] == ["reasoning", "tool_call", "tool_call"]
    reasoning = assistant.content[0]
    assert isinstance(reasoning, ReasoningPart) and reasoning.text == "Need the tool."
    assert reasoning.provider_options == {
        "openai": {
            "item_id": "rs_1",
            "summary": ["Need the tool."],
            "encrypted_content": "gAAAA-opaque",
        }
    }
    tools = call.messages[2]
    assert isinstance(tools, ToolMessage)  # consecutive outputs merged
    results = [p for p in tools.content if isinstance(p, ToolResultPart)]
    assert results == tools.content  # tool results only
    assert [(p.tool_call_id, p.tool_name, p.result) for p in results] == [
        ("call_1", "get_weather", "sunny"),
        ("call_2", "lookup", '{"ok": true}'),
    ]
    assert isinstance(call.messages[4], SystemMessage)


def test_options() -> None:
    body = {
        "model": "m",
        "input": "Hi",
        "tools": [WEATHER, {"type": "web_search"}],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "reasoning": {"effort": "xhigh", "summary": "detailed"},
        "text": {"format": {"type": "json_object"}, "verbosity": "low"},
        "store": True,
        "include": ["reasoning.encrypted_content", "web_search_call.action.sources"],
        "parallel_tool_calls": False,
        "metadata": {"a": "b"},
        "user": "u-1",
        "stream": True,
    }
    served = CODEC.parse_request(json.dumps(body).encode())
    call = served.call
    assert served.stream is True
    assert [t.name for t in call.tools or []] == ["get_weather"]
    assert call.tool_choice == NamedToolChoice(tool_name="get_weather")
    assert call.reasoning is not None and call.reasoning.effort == "high"
    assert call.response_format is not None
    assert call.response_format.json_schema == {"type": "object"}
    settings = {w.setting for w in served.warnings}
    assert {
        "tools[1]",
        "reasoning.effort",
        "reasoning.summary",
        "text.format",
        "text.verbosity",
        "store",
        "include",
        "parallel_tool_calls",
        "metadata",
        "user",
    } == settings


def test_item_ids_of_messages_and_calls_are_not_kept() -> None:
    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": "x"},
            {
                "type": "message",
                "id": "msg_gw",
                "role": "assistant",
                "phase": "final_answer",
                "content": [{"type": "output_text", "text": "y"}],
            },
            {"type": "function_call", "id": "fc_gw", "call_id": "c", "name": "f", "arguments": ""},
        ],
    }
    call = CODEC.parse_request(json.dumps(body).encode()).call
    rebuilt = PROTOCOL.build_request(call, TARGET, "m").body
    items = rebuilt["input"]
    assert isinstance(items, list)
    assert "id" not in items[1] and items[1]["phase"] == "final_answer"
    assert "id" not in items[2] and items[2]["arguments"] == "{}"


def test_reasoning_without_effort_still_asks_for_reasoning() -> None:
    served = CODEC.parse_request(b'{"model": "m", "input": "x", "reasoning": {}}')
    assert served.call.reasoning is not None and served.call.reasoning.effort is None
    none = CODEC.parse_request(b'{"model": "m", "input": "x", "reasoning": {"effort": "none"}}')
    assert none.call.reasoning is None
    assert [w.setting for w in none.warnings] == ["reasoning.effort"]


def test_other_items_are_dropped_with_a_warning() -> None:
    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": "x"},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        ],
    }
    served = CODEC.parse_request(json.dumps(body).encode())
    assert len(served.call.messages) == 1
    assert [w.setting for w in served.warnings] == ["input[1]"]


def _in(items: list[Any], **fields: Any) -> dict[str, Any]:
    return {"model": "m", "input": items, **fields}


USER = {"role": "user", "content": "x"}
BAD: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("not-json", b"{model: m", ""),
    ("not-object", b"[1, 2]", ""),
    ("no-model", {"input": "x"}, "model"),
    ("no-input", {"model": "m"}, "input"),
    ("empty-input", _in([]), "input"),
    ("input-number", {"model": "m", "input": 5}, "input"),
    ("item-not-object", _in(["hi"]), "input[0]"),
    ("no-role", _in([{"content": "x"}]), "input[0].role"),
    ("bad-role", _in([{"role": "bot", "content": "x"}]), "input[0].role"),
    ("no-content", _in([{"role": "user"}]), "input[0].content"),
    ("content-number", _in([{"role": "user", "content": 5}]), "input[0].content"),
    (
        "part-type",
        _in([{"role": "user", "content": [{"type": "video"}]}]),
        "input[0].content[0].type",
    ),
    (
        "text-not-string",
        _in([{"role": "user", "content": [{"type": "input_text", "text": 1}]}]),
        "input[0].content[0].text",
    ),
    (
        "image-bad-url",
        _in([{"role": "user", "content": [{"type": "input_image", "image_url": "ftp://x"}]}]),
        "input[0].content[0].image_url",
    ),
    (
        "image-file-id",
        _in([{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}]),
        "input[0].content[0].file_id",
    ),
    (
        "file-id",
        _in([{"role": "user", "content": [{"type": "input_file", "file_id": "file_1"}]}]),
        "input[0].content[0].file_id",
    ),
    (
        "file-bad-base64",
        _in([{"role": "user", "content": [{"type": "input_file", "file_data": "!!"}]}]),
        "input[0].content[0].file_data",
    ),
    (
        "assistant-input-part",
        _in([{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]),
        "input[0].content[0].type",
    ),
    ("call-no-id", _in([{"type": "function_call", "name": "f"}]), "input[0].call_id"),
    ("call-no-name", _in([{"type": "function_call", "call_id": "c"}]), "input[0].name"),
    (
        "call-args-object",
        _in([{"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}]),
        "input[0].arguments",
    ),
    ("output-no-id", _in([{"type": "function_call_output", "output": "x"}]), "input[0].call_id"),
    (
        "output-number",
        _in([{"type": "function_call_output", "call_id": "c", "output": 3}]),
        "input[0].output",
    ),
    (
        "reasoning-summary",
        _in([{"type": "reasoning", "id": "rs", "summary": "x"}]),
        "input[0].summary",
    ),
    ("item-reference", _in([{"type": "item_reference", "id": "msg_1"}]), "input[0].type"),
    ("previous-response", _in([USER], previous_response_id="resp_1"), "previous_response_id"),
    ("conversation", _in([USER], conversation="conv_1"), "conversation"),
    ("instructions-number", _in([USER], instructions=3), "instructions"),
    ("tools-object", _in([USER], tools={}), "tools"),
    ("tool-no-name", _in([USER], tools=[{"type": "function"}]), "tools[0].name"),
    (
        "tool-params-array",
        _in([USER], tools=[{"type": "function", "name": "f", "parameters": {"type": "array"}}]),
        "tools[0].parameters.type",
    ),
    ("tool-choice-bad", _in([USER], tool_choice="sometimes"), "tool_choice"),
    (
        "tool-choice-unknown",
        _in([USER], tools=[WEATHER], tool_choice={"type": "function", "name": "nope"}),
        "tool_choice.name",
    ),
    ("reasoning-string", _in([USER], reasoning="high"), "reasoning"),
    ("effort-bad", _in([USER], reasoning={"effort": "max"}), "reasoning.effort"),
    ("temperature-range", _in([USER], temperature=3), "temperature"),
    ("top-p-string", _in([USER], top_p="0.5"), "top_p"),
    ("max-tokens-zero", _in([USER], max_output_tokens=0), "max_output_tokens"),
    ("text-format-type", _in([USER], text={"format": {"type": "yaml"}}), "text.format.type"),
    (
        "schema-no-name",
        _in([USER], text={"format": {"type": "json_schema", "schema": {}}}),
        "text.format.name",
    ),
    (
        "schema-bad-name",
        _in([USER], text={"format": {"type": "json_schema", "name": "a b"}}),
        "text.format.name",
    ),
    ("stream-string", _in([USER], stream="yes"), "stream"),
    ("store-string", _in([USER], store="no"), "store"),
    ("include-string", _in([USER], include="x"), "include"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in BAD], ids=[n for n, _, _ in BAD])
def test_malformed_requests_name_their_field(body: bytes | dict[str, Any], field: str) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(RequestFieldError) as info:
        CODEC.parse_request(raw)
    assert info.value.field == field
    assert info.value.message
    status, payload = CODEC.encode_error(info.value)
    assert status == 400
    error = json.loads(payload)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == (field or None)


def test_previous_response_id_says_to_send_the_full_input() -> None:
    with pytest.raises(RequestFieldError) as info:
        CODEC.parse_request(json.dumps(_in([USER], previous_response_id="resp_1")).encode())
    assert "stateless" in info.value.message and "input" in info.value.message


def _sdk_error(status: int, body: bytes) -> openai.APIStatusError:
    client = openai_client(replying(body, "application/json", status))
    with client, pytest.raises(openai.APIStatusError) as info:
        client.responses.create(model="m", input="hi")
    return info.value


def test_errors_are_read_by_the_sdk() -> None:
    caught = _sdk_error(*CODEC.encode_error(RequestFieldError("input[0].role", "unknown role")))
    assert isinstance(caught, openai.BadRequestError)
    assert caught.param == "input[0].role"
    limited = RateLimitError("slow down", status_code=429, error_code="rate_limit_exceeded")
    caught = _sdk_error(*CODEC.encode_error(limited))
    assert isinstance(caught, openai.RateLimitError) and caught.code == "rate_limit_exceeded"
    caught = _sdk_error(*CODEC.encode_error(NoSuchProviderError("nope", ["openai"])))
    assert isinstance(caught, openai.NotFoundError)
