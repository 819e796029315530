"""Request building: the JSON body, URL, headers and warnings, compared field by field with
bodies written by hand from the OpenAI API reference (Chat Completions, create)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from llmkit.errors import ConfigurationError, UnsupportedFeatureError
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.protocols.openai_chat.quirks import Quirks
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.config import ProviderConfig
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    UserMessage,
)
from llmkit.types.options import (
    CallOptions,
    NamedToolChoice,
    ReasoningOptions,
    ToolDefinition,
)
from llmkit.types.warnings import CallWarning

PROTOCOL = OpenAIChatProtocol()
PNG = b"\x89PNG\r\n\x1a\n fake image"
PNG_B64 = base64.b64encode(PNG).decode()
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def ask(**settings: Any) -> CallOptions:
    """A one-question call with the given settings."""
    return CallOptions(messages=[UserMessage(content="x")], **settings)


def provider(**quirks: object) -> ProviderConfig:
    return ProviderConfig(
        id="test",
        protocol="openai-chat",
        base_url="https://api.example.com/v1/",
        headers={"x-provider": "p"},
        quirks=Quirks(**quirks),
    )


def conversation() -> CallOptions:
    return CallOptions(
        system="Be brief.",
        messages=[
            UserMessage(
                content=[
                    TextPart(text="What is in these images, and what is the weather?"),
                    ImagePart(
                        image="https://example.com/cat.jpg",
                        provider_options={"openai": {"detail": "low"}},
                    ),
                    ImagePart(image=PNG, media_type="image/png"),
                ]
            ),
            AssistantMessage(
                content=[
                    ReasoningPart(text="The user wants the weather.", signature="sig"),
                    TextPart(text="A cat. Let me check the weather."),
                    ToolCallPart(tool_call_id="call_1", tool_name="weather", args={"city": "Oslo"}),
                ]
            ),
            ToolMessage(
                content=[
                    ToolResultPart(
                        tool_call_id="call_1", tool_name="weather", result={"temp_c": -3}
                    ),
                ]
            ),
            AssistantMessage(
                content=[ToolCallPart(tool_call_id="call_2", tool_name="weather", args={})]
            ),
            ToolMessage(
                content=[ToolResultPart(tool_call_id="call_2", tool_name="weather", result="n/a")]
            ),
            {"role": "user", "content": "Thanks"},
        ],
        max_output_tokens=256,
        temperature=0.2,
        top_p=0.9,
        stop_sequences=["END"],
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=-0.1,
        tools=[
            ToolDefinition(
                name="weather",
                description="Current weather",
                parameters=WEATHER_SCHEMA,
                strict=True,
            ),
            ToolDefinition(name="noop"),
        ],
        tool_choice=NamedToolChoice(tool_name="weather"),
        reasoning=ReasoningOptions(effort="low"),
        headers={"x-call": "c"},
    )


def test_full_conversation_body() -> None:
    request = PROTOCOL.build_request(conversation(), provider(), "gpt-test")
    assert request.url == "https://api.example.com/v1/chat/completions"
    assert request.method == "POST"
    assert request.stream is True
    assert dict(request.headers) == {
        "content-type": "application/json",
        "accept": "text/event-stream",
        "x-provider": "p",
        "x-call": "c",
    }
    assert not any(k.lower() == "authorization" for k in request.headers)
    expected_messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in these images, and what is the weather?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"},
                },
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
            ],
        },
        {
            "role": "assistant",
            "content": "A cat. Let me check the weather.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": -3}'},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_2", "content": "n/a"},
        {"role": "user", "content": "Thanks"},
    ]
    body = dict(request.body)
    assert body.pop("messages") == expected_messages
    assert body == {
        "model": "gpt-test",
        "max_tokens": 256,
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["END"],
        "seed": 7,
        "presence_penalty": 0.1,
        "frequency_penalty": -0.1,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "weather",
                    "description": "Current weather",
                    "parameters": WEATHER_SCHEMA,
                    "strict": True,
                },
            },
            {
                "type": "function",
                "function": {"name": "noop", "parameters": {"type": "object", "properties": {}}},
            },
        ],
        "tool_choice": {"type": "function", "function": {"name": "weather"}},
        "reasoning_effort": "low",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert request.warnings == (
        CallWarning(
            "other",
            "messages",
            "reasoning parts of assistant messages cannot be sent with the OpenAI chat "
            "protocol and were dropped",
        ),
    )


def test_minimal_request_omits_unset_fields() -> None:
    request = PROTOCOL.build_request(
        CallOptions.model_validate({"prompt": "Hi"}), provider(), "m", stream=False
    )
    assert request.body == {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
    assert request.stream is False
    assert "accept" not in request.headers
    assert request.warnings == ()


def test_developer_role_and_max_completion_tokens() -> None:
    call = CallOptions(
        system="Rules.",
        messages=[{"role": "system", "content": "More rules."}, {"role": "user", "content": "x"}],
        max_output_tokens=100,
    )
    body = PROTOCOL.build_request(
        call, provider(system_role="developer", max_tokens_field="max_completion_tokens"), "o3"
    ).body
    assert body["messages"] == [
        {"role": "developer", "content": "Rules."},
        {"role": "developer", "content": "More rules."},
        {"role": "user", "content": "x"},
    ]
    assert body["max_completion_tokens"] == 100
    assert "max_tokens" not in body


def test_builtin_openai_uses_max_completion_tokens() -> None:
    openai = next(p for p in BUILTIN_PROVIDERS if p.id == "openai")
    request = PROTOCOL.build_request(ask(max_output_tokens=5), openai, "gpt-5")
    assert request.url == "https://api.openai.com/v1/chat/completions"
    assert request.body["max_completion_tokens"] == 5


def test_stream_options_off() -> None:
    body = PROTOCOL.build_request(ask(), provider(stream_usage=False), "m").body
    assert body["stream"] is True
    assert "stream_options" not in body


def test_top_k_dropped_with_warning_or_sent() -> None:
    call = ask(top_k=40)
    dropped = PROTOCOL.build_request(call, provider(), "m")
    assert "top_k" not in dropped.body
    assert [(w.type, w.setting) for w in dropped.warnings] == [("unsupported_setting", "top_k")]
    sent = PROTOCOL.build_request(call, provider(top_k=True), "m")
    assert sent.body["top_k"] == 40
    assert sent.warnings == ()


def test_reasoning_effort_and_budget_warnings() -> None:
    call = ask(reasoning=ReasoningOptions(effort="high", budget_tokens=2048))
    request = PROTOCOL.build_request(call, provider(reasoning_effort=False), "m")
    assert "reasoning_effort" not in request.body
    assert [(w.type, w.setting) for w in request.warnings] == [
        ("unsupported_setting", "reasoning"),
        ("unsupported_setting", "reasoning"),
    ]
    assert "budget_tokens" in request.warnings[1].message


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_string_tool_choices(choice: str) -> None:
    call = ask(tools=[ToolDefinition(name="t")], tool_choice=choice)
    assert PROTOCOL.build_request(call, provider(), "m").body["tool_choice"] == choice


def test_tool_choice_without_tools_follows_the_shared_policy() -> None:
    request = PROTOCOL.build_request(ask(tool_choice="auto"), provider(), "m")
    assert "tool_choice" not in request.body
    assert "tools" not in request.body
    with pytest.raises(UnsupportedFeatureError, match="needs tools"):
        PROTOCOL.build_request(ask(tool_choice="required"), provider(), "m")


def test_pdf_file_part_and_filename() -> None:
    pdf = b"%PDF-1.4 fake"
    call = CallOptions(
        messages=[
            UserMessage(
                content=[
                    FilePart(data=pdf, media_type="application/pdf", filename="a.pdf"),
                    FilePart(data=pdf, media_type="application/pdf"),
                ]
            )
        ]
    )
    content = PROTOCOL.build_request(call, provider(), "m").body["messages"][0]["content"]  # type: ignore[index]
    data_url = "data:application/pdf;base64," + base64.b64encode(pdf).decode()
    assert content == [
        {"type": "file", "file": {"filename": "a.pdf", "file_data": data_url}},
        {"type": "file", "file": {"filename": "part-1.pdf", "file_data": data_url}},
    ]


def test_file_by_url_or_unknown_type_is_unsupported() -> None:
    by_url = CallOptions(
        messages=[
            UserMessage(
                content=[FilePart(data="https://example.com/a.pdf", media_type="application/pdf")]
            )
        ]
    )
    with pytest.raises(UnsupportedFeatureError, match="inline data"):
        PROTOCOL.build_request(by_url, provider(), "m")
    zip_file = CallOptions(
        messages=[UserMessage(content=[FilePart(data=b"PK", media_type="application/zip")])]
    )
    with pytest.raises(UnsupportedFeatureError, match="application/zip"):
        PROTOCOL.build_request(zip_file, provider(), "m")


def test_invalid_inline_image_is_a_configuration_error() -> None:
    call = CallOptions(messages=[UserMessage(content=[ImagePart(image="not base64!!")])])
    with pytest.raises(ConfigurationError):
        PROTOCOL.build_request(call, provider(), "m")


def test_provider_options_are_merged_last() -> None:
    call = ask(
        temperature=0.5,
        provider_options={
            "openai": {"temperature": 1.0, "stream_options": {"extra": 1}, "user": "u1"},
            "anthropic": {"ignored": True},
        },
    )
    body = PROTOCOL.build_request(call, provider(), "m").body
    assert body["temperature"] == 1.0
    assert body["stream_options"] == {"include_usage": True, "extra": 1}
    assert body["user"] == "u1"
    assert "ignored" not in body
