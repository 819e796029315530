"""openai-responses request building: the JSON body, URL, headers and warnings, compared with
bodies written by hand from the OpenAI API reference (Responses, create: ``input`` items,
``tools``, ``reasoning``, ``text.format``, ``store``, ``include``) and the "Sign in with
ChatGPT" preview limitations."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from llmkit.errors import UnsupportedFeatureError
from llmkit.protocols import get_protocol
from llmkit.protocols.openai_responses.convert_messages import TOOL_CALL_ID_FORMAT
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
    JsonSchemaFormat,
    NamedToolChoice,
    ReasoningOptions,
    ToolDefinition,
)

PROTOCOL = get_protocol("openai-responses")
OPENAI = next(p for p in BUILTIN_PROVIDERS if p.id == "openai-responses")
CHATGPT = next(p for p in BUILTIN_PROVIDERS if p.id == "chatgpt")
PLAIN = ProviderConfig(id="plain", protocol="openai-responses", base_url="https://r.example/v1/")
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
PNG = b"\x89PNG\r\n\x1a\n fake"
PNG64 = base64.b64encode(PNG).decode()


def ask(**settings: Any) -> CallOptions:
    return CallOptions(messages=[UserMessage(content="x")], **settings)


def body_of(call: CallOptions, provider: ProviderConfig = PLAIN, **kw: Any) -> dict[str, Any]:
    return dict(PROTOCOL.build_request(call, provider, "gpt-5", **kw).body)


def test_a_minimal_streamed_request() -> None:
    request = PROTOCOL.build_request(ask(system="Be brief."), PLAIN, "gpt-5")
    assert request.url == "https://r.example/v1/responses"
    assert request.headers["accept"] == "text/event-stream"
    assert request.stream and request.warnings == ()
    assert request.body == {
        "model": "gpt-5",
        "input": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "x"}],
        "store": False,
        "stream": True,
    }


def test_a_non_streamed_request_has_no_stream_field() -> None:
    request = PROTOCOL.build_request(ask(), PLAIN, "gpt-5", stream=False)
    assert "stream" not in request.body and "accept" not in request.headers


def test_sampling_and_settings_without_a_responses_field() -> None:
    request = PROTOCOL.build_request(
        ask(
            max_output_tokens=50,
            temperature=0.2,
            top_p=0.9,
            top_k=5,
            seed=1,
            presence_penalty=0.1,
            frequency_penalty=0.1,
            stop_sequences=["END"],
        ),
        PLAIN,
        "gpt-4.1",
    )
    assert {k: request.body[k] for k in ("max_output_tokens", "temperature", "top_p")} == {
        "max_output_tokens": 50,
        "temperature": 0.2,
        "top_p": 0.9,
    }
    for name in (
        "top_k",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "stop",
        "stop_sequences",
    ):
        assert name not in request.body
    assert [(w.type, w.setting) for w in request.warnings] == [
        ("unsupported_setting", "top_k"),
        ("unsupported_setting", "seed"),
        ("unsupported_setting", "presence_penalty"),
        ("unsupported_setting", "frequency_penalty"),
        ("unsupported_setting", "stop_sequences"),
    ]


def test_reasoning_asks_for_a_summary_and_encrypted_reasoning() -> None:
    body = body_of(ask(reasoning=ReasoningOptions(effort="high")))
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]


def test_no_encrypted_reasoning_without_reasoning_or_with_store() -> None:
    assert "include" not in body_of(ask())  # gpt-4o would answer 400
    stored = body_of(ask(reasoning={"effort": "low"}, provider_options={"openai": {"store": True}}))
    assert stored["store"] is True and "include" not in stored


def test_a_budget_has_no_responses_field() -> None:
    request = PROTOCOL.build_request(ask(reasoning={"budget_tokens": 2048}), PLAIN, "o3")
    assert request.body["reasoning"] == {"summary": "auto"}
    assert [(w.type, w.setting) for w in request.warnings] == [("unsupported_setting", "reasoning")]


def test_function_tools_are_flat_and_not_strict_unless_asked() -> None:
    tools = [
        ToolDefinition(name="weather", description="Weather.", parameters=SCHEMA),
        ToolDefinition(name="strict_one", parameters=SCHEMA, strict=True),
    ]
    body = body_of(ask(tools=tools, tool_choice=NamedToolChoice(tool_name="weather")))
    assert body["tools"] == [
        {
            "type": "function",
            "name": "weather",
            "description": "Weather.",
            "parameters": SCHEMA,
            "strict": False,
        },
        {"type": "function", "name": "strict_one", "parameters": SCHEMA, "strict": True},
    ]
    assert body["tool_choice"] == {"type": "function", "name": "weather"}
    assert body_of(ask(tools=tools, tool_choice="required"))["tool_choice"] == "required"


def test_hosted_tools_and_options_from_provider_options() -> None:
    options = {
        "openai": {
            "tools": [{"type": "web_search"}],
            "include": ["web_search_call.action.sources"],
            "reasoning": {"summary": "detailed"},
            "service_tier": "flex",
        }
    }
    body = body_of(ask(reasoning={"effort": "low"}, provider_options=options))
    assert body["tools"] == [{"type": "web_search"}]
    assert body["include"] == ["reasoning.encrypted_content", "web_search_call.action.sources"]
    assert body["reasoning"] == {"effort": "low", "summary": "detailed"}  # nested objects merge
    assert body["service_tier"] == "flex"


def test_response_format_is_text_format_with_a_strict_schema() -> None:
    fmt = JsonSchemaFormat(name="city", json_schema=SCHEMA, description="A city.")
    body = body_of(ask(response_format=fmt))
    assert body["text"] == {
        "format": {
            "type": "json_schema",
            "name": "city",
            "description": "A city.",
            "schema": {**SCHEMA, "additionalProperties": False},
            "strict": True,
        }
    }


def test_the_openai_builtin_sends_system_as_developer() -> None:
    body = body_of(ask(system="Rules."), OPENAI)
    assert body["input"][0] == {"role": "developer", "content": "Rules."}


def test_a_chatgpt_plan_request_follows_the_preview_limitations() -> None:
    call = ask(
        max_output_tokens=100,
        temperature=0.5,
        top_p=0.5,
        provider_options={
            "openai": {"tools": [{"type": "web_search"}], "previous_response_id": "resp_1"}
        },
    )
    request = PROTOCOL.build_request(call, CHATGPT, "gpt-5.5", stream=False)
    body = request.body
    assert body["store"] is False and body["stream"] is True  # streamed even for generate_text
    assert request.headers["accept"] == "text/event-stream"
    assert body["include"] == ["reasoning.encrypted_content"]
    for name in ("max_output_tokens", "temperature", "top_p", "previous_response_id", "tools"):
        assert name not in body
    assert sorted(w.setting or "" for w in request.warnings) == [
        "max_output_tokens",
        "previous_response_id",
        "provider_options",
        "temperature",
        "top_p",
    ]


def conversation() -> list[Any]:
    return [
        UserMessage(content="Weather in Paris?"),
        AssistantMessage(
            content=[
                ReasoningPart(
                    text="Need the tool.",
                    provider_options={
                        "openai": {
                            "item_id": "rs_1",
                            "encrypted_content": "gAAA=",
                            "summary": ["Need the tool."],
                        }
                    },
                ),
                TextPart(
                    text="Checking.",
                    provider_options={"openai": {"item_id": "msg_1", "phase": "commentary"}},
                ),
                ToolCallPart(
                    tool_call_id="call_1",
                    tool_name="weather",
                    args={"city": "Paris"},
                    provider_options={"openai": {"item_id": "fc_1"}},
                ),
            ]
        ),
        ToolMessage(
            content=[ToolResultPart(tool_call_id="call_1", tool_name="weather", result={"c": 21})]
        ),
    ]


def test_an_answer_goes_back_as_its_items() -> None:
    request = PROTOCOL.build_request(CallOptions(messages=conversation()), PLAIN, "gpt-5")
    assert request.body["input"] == [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Need the tool."}],
            "encrypted_content": "gAAA=",
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Checking."}],
            "id": "msg_1",
            "phase": "commentary",
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "weather",
            "arguments": '{"city": "Paris"}',
            "id": "fc_1",
        },
        {"type": "function_call_output", "call_id": "call_1", "output": '{"c": 21}'},
    ]
    assert request.warnings == ()


def test_reasoning_that_cannot_be_replayed_is_dropped_with_a_warning() -> None:
    messages = [
        UserMessage(content="q"),
        AssistantMessage(
            content=[
                ReasoningPart(text="thinking", signature="sig"),  # Anthropic's
                ReasoningPart(text="summary", provider_options={"openai": {"item_id": "rs_2"}}),
                TextPart(text="a"),
            ]
        ),
    ]
    request = PROTOCOL.build_request(CallOptions(messages=messages), PLAIN, "gpt-5")
    items = request.body["input"]
    assert isinstance(items, list)
    assert items[1:] == [
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "a"}]}
    ]
    assert [(w.type, w.setting) for w in request.warnings] == [
        ("other", "messages"),
        ("other", "messages"),
    ]
    # with store: true the server has the item, so the id alone is enough
    stored = PROTOCOL.build_request(
        CallOptions(messages=messages, provider_options={"openai": {"store": True}}), PLAIN, "gpt-5"
    )
    stored_items = stored.body["input"]
    assert isinstance(stored_items, list)
    assert stored_items[1] == {
        "type": "reasoning",
        "id": "rs_2",
        "summary": [{"type": "summary_text", "text": "summary"}],
    }


def test_long_tool_call_ids_are_mapped_the_same_way_in_call_and_result() -> None:
    long_id = "functions.get_weather:0-" + "x" * 80
    messages = [
        UserMessage(content="q"),
        AssistantMessage(
            content=[ToolCallPart(tool_call_id=long_id, tool_name="get_weather", args={})]
        ),
        ToolMessage(
            content=[ToolResultPart(tool_call_id=long_id, tool_name="get_weather", result="sunny")]
        ),
    ]
    body = body_of(CallOptions(messages=messages))
    call, output = body["input"][1], body["input"][2]
    assert call["call_id"] == output["call_id"] == TOOL_CALL_ID_FORMAT.map(long_id)
    assert len(call["call_id"]) <= 64
    short = "call_abc"
    assert TOOL_CALL_ID_FORMAT.map(short) == short  # the provider's own ids go back unchanged


def test_user_parts() -> None:
    parts = [
        TextPart(text="Look:"),
        ImagePart(
            image=PNG, media_type="image/png", provider_options={"openai": {"detail": "low"}}
        ),
        ImagePart(image="https://example.com/a.jpg"),
        FilePart(data=b"%PDF-1.4", media_type="application/pdf", filename="a.pdf"),
        FilePart(data="https://example.com/b.pdf", media_type="application/pdf"),
    ]
    body = body_of(CallOptions(messages=[SystemMessage(content="S"), UserMessage(content=parts)]))
    assert body["input"] == [
        {"role": "system", "content": "S"},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look:"},
                {
                    "type": "input_image",
                    "image_url": f"data:image/png;base64,{PNG64}",
                    "detail": "low",
                },
                {"type": "input_image", "image_url": "https://example.com/a.jpg", "detail": "auto"},
                {
                    "type": "input_file",
                    "filename": "a.pdf",
                    "file_data": "data:application/pdf;base64,JVBERi0xLjQ=",
                },
                {"type": "input_file", "file_url": "https://example.com/b.pdf"},
            ],
        },
    ]


def test_unsupported_file_parts_are_refused_with_the_part_named() -> None:
    call = CallOptions(
        messages=[UserMessage(content=[FilePart(data=b"a,b", media_type="text/csv")])]
    )
    with pytest.raises(
        UnsupportedFeatureError, match=r"'plain'.*messages\[0\]\.content\[0\].*text/csv"
    ):
        PROTOCOL.build_request(call, PLAIN, "gpt-5")


def test_models_request() -> None:
    request = PROTOCOL.build_models_request(PLAIN)
    assert (request.method, request.url) == ("GET", "https://r.example/v1/models")
