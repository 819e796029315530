"""The anthropic-messages serving codec's requests: bodies built by the official ``anthropic``
SDK → ``parse_request`` → unified call options → llmkit's own ``build_request`` give the same
JSON fields back; malformed bodies raise ``RequestFieldError`` naming the field; errors are
encoded in Anthropic's shape."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import MessageParam
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InBandOverloadedError,
    LLMKitError,
    OverloadedError,
    RateLimitError,
    UnsupportedFeatureError,
)
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.anthropic_messages.serve import Codec
from llmkit.protocols.serving import RequestFieldError, get_codec
from llmkit.providers.config import ProviderConfig
from llmkit.types.messages import ReasoningPart, ToolMessage, ToolResultPart, UserMessage
from server._serving_helpers import PDF, PNG, anthropic_client, anthropic_replying

CODEC = Codec()
PROTOCOL = AnthropicMessagesProtocol()
PROVIDER = ProviderConfig(
    id="anthropic-up", protocol="anthropic-messages", base_url="https://x.invalid/v1"
)
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def sdk_body(**kwargs: Any) -> bytes:
    """The body the official SDK sends for ``messages.create(**kwargs)``."""
    captured: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        captured.append(request.read())
        return httpx2.Response(
            200,
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "m",
                "content": [],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            },
        )

    with anthropic_client(handler) as client:
        client.messages.create(**kwargs)
    return captured[0]


def normalized(body: dict[str, Any]) -> dict[str, Any]:
    """Anthropic-equivalent spellings made equal: string content as one text block,
    ``is_error: false`` left out, ``stream: false`` left out."""
    out = dict(body)
    messages = []
    for message in out["messages"]:
        content = message["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        blocks = []
        for block in content:
            block = dict(block)
            if block.get("is_error") is False:
                del block["is_error"]
            blocks.append(block)
        messages.append({"role": message["role"], "content": blocks})
    out["messages"] = messages
    if out.get("stream") is False:
        del out["stream"]
    return out


def round_trip(**kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the SDK's body, llmkit's rebuilt body), both normalized."""
    raw = sdk_body(**kwargs)
    served = CODEC.parse_request(raw)
    built = PROTOCOL.build_request(served.call, PROVIDER, served.model, stream=served.stream)
    return normalized(json.loads(raw)), normalized(dict(built.body))


HI: list[MessageParam] = [{"role": "user", "content": "Hi"}]
TOOL_TURNS = [
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
            {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "boom", "is_error": True},
            {"type": "text", "text": "Thanks", "cache_control": {"type": "ephemeral"}},
        ],
    },
]
CASES: dict[str, dict[str, Any]] = {
    "plain": {"messages": HI},
    "system-string-sampling": {
        "messages": HI,
        "system": "Be brief.",
        # this SDK version's create() has no sampling arguments: sent as extra_body
        "extra_body": {"temperature": 0.3, "top_p": 0.9, "top_k": 40},
        "stop_sequences": ["END", "\n\n"],
    },
    "system-blocks-cache": {
        "messages": HI,
        "system": [
            {"type": "text", "text": "Rules.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "More rules."},
        ],
    },
    "images-and-document": {
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://e.x/cat.jpg"}},
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
                        "title": "report.pdf",
                        "citations": {"enabled": True},
                    },
                    {"type": "document", "source": {"type": "url", "url": "https://e.x/a.pdf"}},
                    {"type": "text", "text": "Describe these."},
                ],
            }
        ]
    },
    "tools-auto-and-tool-turns": {
        "messages": TOOL_TURNS,
        "tools": [WEATHER, {**WEATHER, "name": "noop", "cache_control": {"type": "ephemeral"}}],
        "tool_choice": {"type": "auto"},
    },
    "tool-choice-any-no-parallel": {
        "messages": HI,
        "tools": [WEATHER],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    },
    "tool-choice-named": {
        "messages": HI,
        "tools": [WEATHER],
        "tool_choice": {"type": "tool", "name": "get_weather"},
    },
    "tool-choice-none": {"messages": HI, "tools": [WEATHER], "tool_choice": {"type": "none"}},
    "thinking-replayed": {
        "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [
            {"role": "user", "content": "2+2?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Simple.", "signature": "c2ln"},
                    {"type": "redacted_thinking", "data": "EncRypted=="},
                    {"type": "text", "text": "4"},
                ],
            },
            {"role": "user", "content": "And 3+3?"},
        ],
    },
    "metadata-stream": {"messages": HI, "metadata": {"user_id": "u-1"}, "stream": True},
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_sdk_request_round_trip(case: str) -> None:
    kwargs = {"model": "claude-x", "max_tokens": 256} | CASES[case]
    if kwargs.get("stream"):
        kwargs.pop("stream")
        raw = sdk_body(**kwargs)
        body = {**json.loads(raw), "stream": True}
        served = CODEC.parse_request(json.dumps(body).encode())
        assert served.stream is True
        built = PROTOCOL.build_request(served.call, PROVIDER, served.model, stream=True)
        assert normalized(dict(built.body)) == normalized(body)
        return
    original, rebuilt = round_trip(**kwargs)
    if case == "system-blocks-cache":
        assert rebuilt["system"] == [
            {"type": "text", "text": "Rules.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "More rules."},
        ]
    assert rebuilt == original


def test_served_request_fields() -> None:
    served = CODEC.parse_request(sdk_body(model="claude-x", **CASES["thinking-replayed"]))
    assert served.model == "claude-x" and served.stream is False
    assert served.call.max_output_tokens == 4096
    assert served.call.reasoning is not None and served.call.reasoning.budget_tokens == 2048
    parts = served.call.messages[1].content
    assert isinstance(parts, list)
    assert [p for p in parts if isinstance(p, ReasoningPart)] == [
        ReasoningPart(text="Simple.", signature="c2ln"),
        ReasoningPart(redacted_data="EncRypted=="),
    ]
    assert get_codec("anthropic-messages").parse_request(
        sdk_body(model="m", max_tokens=1, messages=HI)
    )


def test_tool_result_blocks_and_hoisted_image() -> None:
    body = {
        "model": "m",
        "max_tokens": 10,
        "messages": [
            *TOOL_TURNS[:2],
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [
                            {"type": "text", "text": "18C"},
                            {
                                "type": "image",
                                "source": {
                                    "type": "base64",
                                    "media_type": "image/png",
                                    "data": PNG,
                                },
                            },
                        ],
                    },
                    {"type": "tool_result", "tool_use_id": "toolu_2", "content": []},
                ],
            },
        ],
    }
    served = CODEC.parse_request(json.dumps(body).encode())
    tool_message, user_message = served.call.messages[2:]
    assert isinstance(tool_message, ToolMessage) and isinstance(user_message, UserMessage)
    results = [p for p in tool_message.content if isinstance(p, ToolResultPart)]
    assert results == tool_message.content  # tool results only
    assert [(p.tool_call_id, p.tool_name, p.result) for p in results] == [
        ("toolu_1", "get_weather", "18C"),
        ("toolu_2", "get_weather", ""),
    ]
    assert isinstance(user_message.content, list)
    assert [p.type for p in user_message.content] == ["image"]
    assert any(w.type == "changed_setting" for w in served.warnings)


def test_unknown_fields_are_warnings() -> None:
    body = {"model": "m", "max_tokens": 10, "messages": HI, "service_tier": "auto", "foo": 1}
    served = CODEC.parse_request(json.dumps(body).encode())
    dropped = sorted(w.message.split()[0] for w in served.warnings)
    assert dropped == ["foo", "service_tier"]


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5),
    system=st.none() | st.text(min_size=1, max_size=20),
    temperature=st.none() | st.floats(0, 1, allow_nan=False),
    top_k=st.none() | st.integers(0, 500),
    stops=st.none() | st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3),
    max_tokens=st.integers(1, 100_000),
)
def test_any_text_request_round_trips(
    texts: list[str],
    system: str | None,
    temperature: float | None,
    top_k: int | None,
    stops: list[str] | None,
    max_tokens: int,
) -> None:
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": text}
        for i, text in enumerate(texts)
    ]
    body: dict[str, Any] = {"model": "m", "max_tokens": max_tokens, "messages": messages}
    for key, value in (
        ("system", system),
        ("temperature", temperature),
        ("top_k", top_k),
        ("stop_sequences", stops),
    ):
        if value is not None:
            body[key] = value
    served = CODEC.parse_request(json.dumps(body).encode())
    built = PROTOCOL.build_request(served.call, PROVIDER, served.model, stream=False)
    assert normalized(dict(built.body)) == normalized(body)


# ---------------------------------------------------------------------------- malformed
MALFORMED: dict[str, tuple[bytes, str]] = {
    "not-json": (b"{not json", ""),
    "not-object": (b"[1, 2]", ""),
    "model-missing": (json.dumps({"max_tokens": 1, "messages": HI}).encode(), "model"),
    "max-tokens-missing": (json.dumps({"model": "m", "messages": HI}).encode(), "max_tokens"),
    "max-tokens-string": (
        json.dumps({"model": "m", "max_tokens": "9", "messages": HI}).encode(),
        "max_tokens",
    ),
    "messages-missing": (json.dumps({"model": "m", "max_tokens": 1}).encode(), "messages"),
    "messages-empty": (
        json.dumps({"model": "m", "max_tokens": 1, "messages": []}).encode(),
        "messages",
    ),
    "bad-role": (
        json.dumps(
            {"model": "m", "max_tokens": 1, "messages": [{"role": "system", "content": "x"}]}
        ).encode(),
        "messages[0].role",
    ),
    "unknown-block": (
        json.dumps(
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [{"role": "user", "content": [{"type": "video", "url": "x"}]}],
            }
        ).encode(),
        "messages[0].content[0].type",
    ),
    "tool-result-without-id": (
        json.dumps(
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "content": "x"}]}
                ],
            }
        ).encode(),
        "messages[0].content[0].tool_use_id",
    ),
    "tool-result-unknown-id": (
        json.dumps(
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t9"}]}
                ],
            }
        ).encode(),
        "messages[0].content[0].tool_use_id",
    ),
    "file-url-image": (
        json.dumps(
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "image",
                                "source": {"type": "url", "url": "file:///etc/passwd"},
                            }
                        ],
                    }
                ],
            }
        ).encode(),
        "messages[0].content[0].source.url",
    ),
    "bad-base64": (
        json.dumps(
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "image",
                                "source": {
                                    "type": "base64",
                                    "media_type": "image/png",
                                    "data": "@@",
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode(),
        "messages[0].content[0].source.data",
    ),
    "temperature-too-high": (
        json.dumps({"model": "m", "max_tokens": 1, "messages": HI, "temperature": 1.5}).encode(),
        "temperature",
    ),
    "tool-without-schema": (
        json.dumps(
            {"model": "m", "max_tokens": 1, "messages": HI, "tools": [{"name": "t"}]}
        ).encode(),
        "tools[0].input_schema",
    ),
    "bad-tool-choice": (
        json.dumps(
            {"model": "m", "max_tokens": 1, "messages": HI, "tool_choice": {"type": "x"}}
        ).encode(),
        "tool_choice.type",
    ),
    "thinking-without-budget": (
        json.dumps(
            {"model": "m", "max_tokens": 1, "messages": HI, "thinking": {"type": "enabled"}}
        ).encode(),
        "thinking.budget_tokens",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_request_names_the_field(case: str) -> None:
    body, field = MALFORMED[case]
    with pytest.raises(RequestFieldError) as caught:
        CODEC.parse_request(body)
    assert caught.value.field == field
    assert caught.value.message
    status, payload = CODEC.encode_error(caught.value)
    assert status == 400
    error = json.loads(payload)
    assert error == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": str(caught.value)},
    }
    if field:
        assert error["error"]["message"].startswith(field)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (
            BadRequestError("bad", status_code=400, error_type="invalid_request_error"),
            400,
            "invalid_request_error",
        ),
        (
            RateLimitError("slow down", status_code=429, error_type="rate_limit_exceeded"),
            429,
            "rate_limit_error",
        ),
        (
            OverloadedError("busy", status_code=529, error_type="overloaded_error"),
            529,
            "overloaded_error",
        ),
        (OverloadedError("busy", status_code=503), 503, "overloaded_error"),
        (
            InBandOverloadedError("busy", status_code=529, error_type="overloaded_error"),
            529,
            "overloaded_error",
        ),
        (BadRequestError("nope", status_code=422), 422, "invalid_request_error"),
        (APITimeoutError("slow"), 504, "timeout_error"),
        (APIConnectionError("refused"), 502, "api_error"),
        (UnsupportedFeatureError("no PDFs here"), 400, "invalid_request_error"),
    ],
)
def test_encode_error(error: LLMKitError, status: int, kind: str) -> None:
    got_status, body = CODEC.encode_error(error)
    assert got_status == status
    payload = json.loads(body)
    assert payload["type"] == "error" and payload["error"]["type"] == kind
    assert payload["error"]["message"]
    # the official SDK reads it as the exception of that status, with the message
    sdk = anthropic_replying(body, "application/json", status)
    with sdk, pytest.raises(anthropic.APIStatusError) as caught:
        sdk.messages.create(model="m", max_tokens=1, messages=HI)
    assert caught.value.status_code == status
    assert caught.value.body == payload
