"""Anthropic Messages request building, checked against hand-written bodies from the API
reference ("Messages", "Vision", "PDF support", "Tool use", "Extended thinking")."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from llmkit.errors import ConfigurationError, UnsupportedFeatureError
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.config import ProviderConfig
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    ReasoningPart,
    SystemMessage,
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

PROTOCOL = AnthropicMessagesProtocol()
ANTHROPIC = next(p for p in BUILTIN_PROVIDERS if p.id == "anthropic")
PNG = b"\x89PNG\r\n\x1a\nfake-png-bytes"
PNG_B64 = base64.b64encode(PNG).decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 fake").decode()
WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def build(**kwargs: Any) -> Any:
    return PROTOCOL.build_request(CallOptions(**kwargs), ANTHROPIC, "claude-sonnet-4-5")


def test_full_conversation_body() -> None:
    call = CallOptions(
        system="Be brief.",
        messages=[
            SystemMessage(content="Answer in English."),
            UserMessage(
                content=[
                    TextPart(
                        text="Look at these.",
                        provider_options={"anthropic": {"cache_control": {"type": "ephemeral"}}},
                    ),
                    ImagePart(image="https://example.com/a.jpg"),
                    ImagePart(image=PNG, media_type="image/png"),
                    FilePart(data=PDF_B64, media_type="application/pdf", filename="report.pdf"),
                    FilePart(data="https://example.com/b.pdf", media_type="application/pdf"),
                ]
            ),
            AssistantMessage(
                content=[
                    ReasoningPart(text="Need the weather.", signature="sig-123"),
                    ReasoningPart(redacted_data="opaque=="),
                    TextPart(text="Checking."),
                    ToolCallPart(
                        tool_call_id="toolu_1", tool_name="weather", args={"city": "Oslo"}
                    ),
                ]
            ),
            ToolMessage(
                content=[
                    ToolResultPart(tool_call_id="toolu_1", tool_name="weather", result="4°C"),
                    ToolResultPart(
                        tool_call_id="toolu_2",
                        tool_name="weather",
                        result={"error": "x"},
                        is_error=True,
                    ),
                ]
            ),
            UserMessage(content="Thanks, and tomorrow?"),
        ],
        max_output_tokens=20000,
        temperature=1.0,
        top_p=0.9,
        top_k=40,
        stop_sequences=["\n\nHuman:"],
        tools=[
            ToolDefinition(
                name="weather", description="Weather by city", parameters=WEATHER_SCHEMA
            ),
            ToolDefinition(name="noop"),
        ],
        tool_choice="auto",
        reasoning=ReasoningOptions(budget_tokens=2048),
        headers={"x-trace": "1"},
    )
    request = PROTOCOL.build_request(call, ANTHROPIC, "claude-sonnet-4-5")

    assert request.url == "https://api.anthropic.com/v1/messages"
    assert request.method == "POST"
    assert request.stream is True
    assert dict(request.headers) == {
        "content-type": "application/json",
        "accept": "text/event-stream",
        "anthropic-version": "2023-06-01",
        "x-trace": "1",
    }
    assert request.warnings == ()
    expected: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 20000,
        "system": "Be brief.\n\nAnswer in English.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "Look at these.",
                        "cache_control": {"type": "ephemeral"},
                    },
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://example.com/a.jpg"},
                    },
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
                    },
                    {
                        "type": "document",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": PDF_B64,
                        },
                        "title": "report.pdf",
                    },
                    {
                        "type": "document",
                        "source": {"type": "url", "url": "https://example.com/b.pdf"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Need the weather.", "signature": "sig-123"},
                    {"type": "redacted_thinking", "data": "opaque=="},
                    {"type": "text", "text": "Checking."},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "weather",
                        "input": {"city": "Oslo"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "4°C"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": '{"error": "x"}',
                        "is_error": True,
                    },
                    {"type": "text", "text": "Thanks, and tomorrow?"},
                ],
            },
        ],
        "temperature": 1.0,
        "top_p": 0.9,
        "top_k": 40,
        "stop_sequences": ["\n\nHuman:"],
        "tools": [
            {"name": "weather", "description": "Weather by city", "input_schema": WEATHER_SCHEMA},
            {"name": "noop", "input_schema": {"type": "object", "properties": {}}},
        ],
        "tool_choice": {"type": "auto"},
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "stream": True,
    }
    body = dict(request.body)
    for key in expected:
        assert body.get(key) == expected[key], key
    assert body == expected


def test_minimal_non_streamed_body_omits_unset_fields() -> None:
    request = PROTOCOL.build_request(
        CallOptions(messages=[UserMessage(content="Hi")]),
        ANTHROPIC,
        "claude-haiku-4-5",
        stream=False,
    )
    assert request.stream is False
    assert dict(request.body) == {
        "model": "claude-haiku-4-5",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }
    assert "accept" not in request.headers


def test_anthropic_version_default_and_provider_override() -> None:
    custom = ProviderConfig(
        id="proxy", protocol="anthropic-messages", base_url="https://proxy.example/v1/"
    )
    request = PROTOCOL.build_request(CallOptions(messages=[UserMessage(content="x")]), custom, "m")
    assert request.url == "https://proxy.example/v1/messages"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert not any(k.lower() in ("x-api-key", "authorization") for k in request.headers)

    pinned = ProviderConfig(
        id="pinned",
        protocol="anthropic-messages",
        base_url="https://p.example/v1",
        headers={"Anthropic-Version": "2024-01-01"},
    )
    headers = PROTOCOL.build_request(
        CallOptions(messages=[UserMessage(content="x")]), pinned, "m"
    ).headers
    assert headers["Anthropic-Version"] == "2024-01-01"
    assert "anthropic-version" not in headers


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        (NamedToolChoice(tool_name="weather"), {"type": "tool", "name": "weather"}),
    ],
)
def test_tool_choice(choice: Any, expected: dict[str, str]) -> None:
    body = build(prompt="x", tools=[ToolDefinition(name="weather")], tool_choice=choice).body
    assert body["tool_choice"] == expected


def test_tool_choice_without_tools() -> None:
    assert "tool_choice" not in build(prompt="x", tool_choice="auto").body
    with pytest.raises(UnsupportedFeatureError, match="needs tools"):
        build(prompt="x", tool_choice="required")


def test_strict_tool_is_dropped_with_warning() -> None:
    request = build(prompt="x", tools=[ToolDefinition(name="t", strict=True)])
    assert request.body["tools"] == [
        {"name": "t", "input_schema": {"type": "object", "properties": {}}}
    ]
    assert [(w.type, w.setting) for w in request.warnings] == [("unsupported_setting", "tools")]


def test_role_alternation_merges_consecutive_same_role_messages() -> None:
    request = build(
        messages=[
            UserMessage(content="a"),
            UserMessage(content=[TextPart(text="b"), TextPart(text="")]),
            AssistantMessage(content="c"),
            AssistantMessage(content=[TextPart(text="d")]),
            AssistantMessage(content=""),
            UserMessage(content="e"),
            ToolMessage(content=[ToolResultPart(tool_call_id="t1", tool_name="f", result=[1, 2])]),
        ]
    )
    assert request.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "c"}, {"type": "text", "text": "d"}],
        },
        {
            "role": "user",
            "content": [
                # tool results must come first in a user turn
                {"type": "tool_result", "tool_use_id": "t1", "content": "[1, 2]"},
                {"type": "text", "text": "e"},
            ],
        },
    ]


def test_unsupported_settings_warn_and_are_dropped() -> None:
    request = build(prompt="x", seed=1, presence_penalty=0.5, frequency_penalty=0.1)
    assert [(w.type, w.setting) for w in request.warnings] == [
        ("unsupported_setting", "seed"),
        ("unsupported_setting", "presence_penalty"),
        ("unsupported_setting", "frequency_penalty"),
    ]
    for key in ("seed", "presence_penalty", "frequency_penalty"):
        assert key not in request.body


def test_unsigned_reasoning_is_dropped_with_warning() -> None:
    request = build(
        messages=[
            UserMessage(content="q"),
            AssistantMessage(content=[ReasoningPart(text="hmm"), TextPart(text="a")]),
            UserMessage(content="q2"),
        ]
    )
    assert request.body["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "a"}],
    }
    (warning,) = request.warnings
    assert warning.type == "unsupported_setting"
    assert warning.setting == "messages"
    assert "messages[1].content[0]" in warning.message
    assert "signature" in warning.message


def test_non_pdf_file_is_rejected_naming_the_part() -> None:
    with pytest.raises(UnsupportedFeatureError, match=r"messages\[0\]\.content\[1\].*text/csv"):
        build(
            messages=[
                UserMessage(
                    content=[TextPart(text="x"), FilePart(data="YQ==", media_type="text/csv")]
                )
            ]
        )


def test_unsupported_image_media_type_and_bad_base64() -> None:
    with pytest.raises(UnsupportedFeatureError, match="image/bmp"):
        build(messages=[UserMessage(content=[ImagePart(image=b"BM", media_type="image/bmp")])])
    with pytest.raises(ConfigurationError):
        build(
            messages=[UserMessage(content=[ImagePart(image="not base64!", media_type="image/png")])]
        )


def test_data_url_image() -> None:
    body = build(
        messages=[UserMessage(content=[ImagePart(image=f"data:image/png;base64,{PNG_B64}")])]
    ).body
    assert body["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}}
    ]


def test_thinking_budget_without_max_output_tokens_raises_max_tokens() -> None:
    body = build(prompt="x", reasoning=ReasoningOptions(budget_tokens=3000)).body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 3000}
    assert body["max_tokens"] == 3000 + 4096


def test_thinking_budget_not_below_max_output_tokens_is_an_error() -> None:
    with pytest.raises(UnsupportedFeatureError, match="max_output_tokens"):
        build(prompt="x", max_output_tokens=1024, reasoning=ReasoningOptions(budget_tokens=1024))


@pytest.mark.parametrize(
    ("effort", "budget"), [("minimal", 1024), ("low", 1024), ("medium", 4096), ("high", 16384)]
)
def test_reasoning_effort_maps_to_budget_with_warning(effort: str, budget: int) -> None:
    request = build(prompt="x", max_output_tokens=32000, reasoning=ReasoningOptions(effort=effort))
    assert request.body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert request.body["max_tokens"] == 32000
    (warning,) = request.warnings
    assert warning.type == "changed_setting"
    assert warning.setting == "reasoning"


def test_budget_wins_over_effort() -> None:
    request = build(prompt="x", reasoning=ReasoningOptions(effort="high", budget_tokens=2000))
    assert request.body["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert [w.setting for w in request.warnings] == ["reasoning"]


def test_provider_options_merge_last_and_betas_header() -> None:
    request = build(
        prompt="x",
        temperature=0.5,
        provider_options={
            "anthropic": {
                "metadata": {"user_id": "u1"},
                "temperature": 0.1,
                "thinking": {"type": "adaptive"},
                "betas": ["web-fetch-2025-09-10", "context-1m-2025-08-07"],
            },
            "openai": {"store": True},
        },
    )
    body = request.body
    assert body["metadata"] == {"user_id": "u1"}
    assert body["temperature"] == 0.1
    assert body["thinking"] == {"type": "adaptive"}
    assert "betas" not in body
    assert "store" not in body
    assert request.headers["anthropic-beta"] == "web-fetch-2025-09-10,context-1m-2025-08-07"


def test_part_cache_control_on_image_and_file() -> None:
    cache = {"anthropic": {"cache_control": {"type": "ephemeral", "ttl": "1h"}}}
    body = build(
        messages=[
            UserMessage(
                content=[
                    ImagePart(image="https://x.example/i.png", provider_options=cache),
                    FilePart(
                        data="https://x.example/d.pdf",
                        media_type="application/pdf",
                        provider_options=cache,
                    ),
                ]
            )
        ]
    ).body
    for block in body["messages"][0]["content"]:
        assert block["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_dict_messages_are_accepted() -> None:
    call = CallOptions.model_validate(
        {
            "messages": [
                {"role": "system", "content": "S"},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": "Bye"},
            ]
        }
    )
    body = PROTOCOL.build_request(call, ANTHROPIC, "m").body
    assert body["system"] == "S"
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]  # type: ignore[attr-defined]


def test_a_temperature_above_anthropics_range_is_sent_as_one_with_a_warning() -> None:
    request = build(prompt="x", temperature=1.5)
    assert request.body["temperature"] == 1.0
    assert [(w.type, w.setting) for w in request.warnings] == [
        ("unsupported_setting", "temperature")
    ]
    assert build(prompt="x", temperature=0.7).body["temperature"] == 0.7
