"""google-generative requests, errors and model lists, field by field against the Gemini API
reference ("Generating content", "Function calling", "Thinking", "Structured output", "Models",
"Troubleshooting"), and the recorded google.rpc error bodies."""

from __future__ import annotations

import base64
import json
from typing import Any

import fixture_util
import pytest

from llmkit.errors import (
    BadRequestError,
    ConfigurationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    UnsupportedFeatureError,
)
from llmkit.protocols import get_protocol
from llmkit.protocols.google_generative import model_path
from llmkit.protocols.google_generative.convert_messages import SKIP_SIGNATURE
from llmkit.providers.builtin import BUILTIN_PROVIDERS
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
from llmkit.types.options import CallOptions

PROTOCOL = get_protocol("google-generative")
GOOGLE = next(p for p in BUILTIN_PROVIDERS if p.id == "google")
PNG = b"\x89PNG\r\n\x1a\nnot-really"


def build(stream: bool = True, **options: Any) -> tuple[str, dict[str, Any], Any]:
    request = PROTOCOL.build_request(
        CallOptions.model_validate(options), GOOGLE, "gemini-2.5-flash", stream=stream
    )
    return request.url, dict(request.body), request


def test_the_built_in_provider() -> None:
    assert GOOGLE.protocol == "google-generative"
    assert GOOGLE.base_url == "https://generativelanguage.googleapis.com/v1beta"
    assert (GOOGLE.api_key_env, GOOGLE.api_key_env_fallbacks) == (
        "GEMINI_API_KEY",
        ("GOOGLE_API_KEY",),
    )
    assert GOOGLE.auth == "x-goog-api-key"
    compat = next(p for p in BUILTIN_PROVIDERS if p.id == "gemini-openai")
    assert compat.protocol == "openai-chat"
    assert compat.base_url == "https://generativelanguage.googleapis.com/v1beta/openai"


def test_url_depends_on_model_and_streaming() -> None:
    url, body, request = build(prompt="Hi")
    assert url == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"
        ":streamGenerateContent?alt=sse"
    )
    assert request.headers["accept"] == "text/event-stream"
    url, body2, request = build(stream=False, prompt="Hi")
    assert url.endswith("/models/gemini-2.5-flash:generateContent")
    assert "accept" not in request.headers
    assert body == body2 == {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
    assert "stream" not in body  # streaming is the URL's, not the body's
    assert model_path("tunedModels/my-model") == "tunedModels/my-model"
    assert model_path("models/gemini-2.5-pro") == "models/gemini-2.5-pro"
    assert model_path("a b?") == "models/a%20b%3F"


def test_generation_config_and_system_instruction() -> None:
    _, body, request = build(
        messages=[{"role": "system", "content": "Second."}, {"role": "user", "content": "Hi"}],
        system="First.",
        max_output_tokens=100,
        temperature=0.2,
        top_p=0.9,
        top_k=40,
        stop_sequences=["END"],
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.3,
    )
    assert body["systemInstruction"] == {"parts": [{"text": "First."}, {"text": "Second."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert body["generationConfig"] == {
        "maxOutputTokens": 100,
        "temperature": 0.2,
        "topP": 0.9,
        "topK": 40,
        "seed": 7,
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.3,
        "stopSequences": ["END"],
    }
    assert request.warnings == ()


@pytest.mark.parametrize(
    ("reasoning", "thinking", "warned"),
    [
        ({"budget_tokens": 2048}, {"includeThoughts": True, "thinkingBudget": 2048}, False),
        ({"effort": "low"}, {"includeThoughts": True, "thinkingLevel": "low"}, False),
        (
            {"effort": "high", "budget_tokens": 512},
            {"includeThoughts": True, "thinkingBudget": 512},
            True,
        ),
    ],
)
def test_reasoning_is_thinking_config(
    reasoning: dict[str, Any], thinking: dict[str, Any], warned: bool
) -> None:
    _, body, request = build(prompt="Hi", reasoning=reasoning)
    assert body["generationConfig"] == {"thinkingConfig": thinking}
    assert [w.setting for w in request.warnings] == (["reasoning"] if warned else [])


def test_structured_output_is_response_json_schema() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    _, body, _ = build(prompt="Who?", response_format={"json_schema": schema, "name": "person"})
    assert body["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": schema,
    }


def test_tools_and_tool_config() -> None:
    tools = [
        {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object"}},
        {"name": "now", "strict": True},
    ]
    _, body, request = build(prompt="Hi", tools=tools, tool_choice="required")
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather.",
                    "parametersJsonSchema": {"type": "object"},
                },
                {"name": "now", "parametersJsonSchema": {"type": "object", "properties": {}}},
            ]
        }
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert [w.setting for w in request.warnings] == ["tools"]  # strict has no Gemini field
    for choice, config in [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ({"tool_name": "now"}, {"mode": "ANY", "allowedFunctionNames": ["now"]}),
    ]:
        _, body, _ = build(prompt="Hi", tools=tools, tool_choice=choice)
        assert body["toolConfig"] == {"functionCallingConfig": config}
    with pytest.raises(UnsupportedFeatureError):
        build(prompt="Hi", tool_choice="required")


def test_provider_options_merge_last() -> None:
    _, body, _ = build(
        prompt="Hi",
        tools=[{"name": "f"}],
        max_output_tokens=10,
        provider_options={
            "google": {
                "tools": [{"googleSearch": {}}],
                "generationConfig": {"responseModalities": ["TEXT"]},
                "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "OFF"}],
            }
        },
    )
    assert body["tools"][1:] == [{"googleSearch": {}}]
    assert body["generationConfig"] == {"maxOutputTokens": 10, "responseModalities": ["TEXT"]}
    assert body["safetySettings"][0]["threshold"] == "OFF"


def test_user_parts() -> None:
    content = [
        TextPart(text="Look:"),
        TextPart(text=""),
        ImagePart(image=PNG, media_type="image/png"),
        ImagePart(image="https://example.com/cat.jpg"),
        FilePart(data=b"%PDF-1.4", media_type="application/pdf"),
        FilePart(
            data="https://generativelanguage.googleapis.com/v1beta/files/abc",
            media_type="video/mp4",
        ),
    ]
    _, body, _ = build(messages=[UserMessage(content=content)])
    assert body["contents"][0]["parts"] == [
        {"text": "Look:"},
        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/cat.jpg"}},
        {
            "inlineData": {
                "mimeType": "application/pdf",
                "data": base64.b64encode(b"%PDF-1.4").decode(),
            }
        },
        {
            "fileData": {
                "mimeType": "video/mp4",
                "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc",
            }
        },
    ]
    with pytest.raises(ConfigurationError, match="media_type"):
        build(messages=[UserMessage(content=[ImagePart(image="https://example.com/pic")])])


def test_assistant_and_tool_turns() -> None:
    messages = [
        UserMessage(content="Weather in Paris and London?"),
        AssistantMessage(
            content=[
                ReasoningPart(text="summary", provider_options={"google": {"thought": True}}),
                ReasoningPart(
                    text="signed", provider_options={"google": {"thoughtSignature": "U0lH"}}
                ),
                TextPart(
                    text="Checking.", provider_options={"google": {"thoughtSignature": "VA=="}}
                ),
                ToolCallPart(
                    tool_call_id="a1",
                    tool_name="weather",
                    args={"city": "Paris"},
                    provider_options={"google": {"thoughtSignature": "Q0FMTA=="}},
                ),
                ToolCallPart(tool_call_id="a2", tool_name="weather", args={"city": "London"}),
                TextPart(text="", provider_options={"google": {"thoughtSignature": "RU5E"}}),
            ]
        ),
        ToolMessage(
            content=[
                ToolResultPart(tool_call_id="a1", tool_name="weather", result={"c": 21}),
                ToolResultPart(
                    tool_call_id="a2", tool_name="weather", result="down", is_error=True
                ),
            ]
        ),
    ]
    _, body, request = build(messages=messages)
    assert body["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {"text": "signed", "thought": True, "thoughtSignature": "U0lH"},
                {"text": "Checking.", "thoughtSignature": "VA=="},
                {
                    "functionCall": {"id": "a1", "name": "weather", "args": {"city": "Paris"}},
                    "thoughtSignature": "Q0FMTA==",
                },
                {"functionCall": {"id": "a2", "name": "weather", "args": {"city": "London"}}},
                {"text": "", "thoughtSignature": "RU5E"},
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": "a1",
                        "name": "weather",
                        "response": {"output": {"c": 21}},
                    }
                },
                {
                    "functionResponse": {
                        "id": "a2",
                        "name": "weather",
                        "response": {"error": "down"},
                    }
                },
            ],
        },
    ]
    assert request.warnings == ()  # Gemini's own unsigned summary is dropped silently


def test_foreign_reasoning_is_dropped_and_foreign_calls_get_the_placeholder() -> None:
    messages = [
        UserMessage(content="Date?"),
        AssistantMessage(
            content=[
                ReasoningPart(text="Let me think.", signature="anthropic-sig"),
                ToolCallPart(tool_call_id="toolu_1", tool_name="get_date"),
                ToolCallPart(tool_call_id="toolu_2", tool_name="get_time"),
            ]
        ),
        ToolMessage(
            content=[
                ToolResultPart(tool_call_id="toolu_1", tool_name="get_date", result="May 7"),
                ToolResultPart(tool_call_id="toolu_2", tool_name="get_time", result="noon"),
            ]
        ),
    ]
    _, body, request = build(messages=messages)
    model = body["contents"][1]
    assert model["parts"] == [
        {
            "functionCall": {"id": "toolu_1", "name": "get_date", "args": {}},
            "thoughtSignature": SKIP_SIGNATURE,
        },
        {"functionCall": {"id": "toolu_2", "name": "get_time", "args": {}}},
    ]
    assert [(w.type, w.setting) for w in request.warnings] == [
        ("other", "messages"),
        ("other", "messages"),
    ]
    assert "reasoning" in request.warnings[0].message
    assert SKIP_SIGNATURE in request.warnings[1].message
    # an earlier turn (before the last user message) is not validated: no placeholder
    _, body, request = build(messages=[*messages[1:], UserMessage(content="Thanks")])
    assert all("thoughtSignature" not in p for p in body["contents"][0]["parts"])


def test_consecutive_roles_merge_and_empty_contents_drop() -> None:
    _, body, _ = build(
        messages=[
            UserMessage(content="a"),
            UserMessage(content="b"),
            AssistantMessage(content=""),
            UserMessage(content="c"),
        ]
    )
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}, {"text": "c"}]}
    ]


# ---------------------------------------------------------------------------- errors
ERRORS = {
    fixture_util.fixture_id(e): e
    for e in fixture_util.entries("google-generative", "json", status=None)
    if e["http_status"] != 200
}


@pytest.mark.parametrize(
    ("stem", "cls", "status", "reason"),
    [
        (
            "gemini-google-generative-error-400-api-key-invalid-on-stream-request",
            BadRequestError,
            "INVALID_ARGUMENT",
            "API_KEY_INVALID",
        ),
        (
            "gemini-google-generative-error-404-model-not-found-on-stream-request",
            NotFoundError,
            "NOT_FOUND",
            None,
        ),
        ("gemini-google-generative-error-404-retired-model", NotFoundError, "NOT_FOUND", None),
        (
            "gemini-google-generative-error-429-resource-exhausted",
            RateLimitError,
            "RESOURCE_EXHAUSTED",
            None,
        ),
    ],
)
def test_recorded_error_bodies(stem: str, cls: type, status: str, reason: str | None) -> None:
    entry = ERRORS[stem]
    error = PROTOCOL.parse_error(entry["http_status"], {}, fixture_util.body(entry))
    assert type(error) is cls
    assert error.message == entry["expected"]["error"]["message"]
    assert (error.error_type, error.error_code) == (status, reason)
    assert error.body == json.loads(fixture_util.body(entry))


def test_retry_info_gives_retry_after() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "14.5s"},
            ],
        }
    }
    error = PROTOCOL.parse_error(429, {"x-request-id": "r-1"}, json.dumps(body).encode())
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 14.5 and error.is_retryable and error.request_id == "r-1"
    without = PROTOCOL.parse_error(429, {"Retry-After": "3"}, b'{"error": {"code": 429}}')
    assert without.retry_after == 3.0


def test_odd_error_bodies_never_raise() -> None:
    html = PROTOCOL.parse_error(502, {}, b"<html><body>Bad gateway</body></html>")
    assert "not JSON" in html.message and "Bad gateway" in html.message
    assert PROTOCOL.parse_error(500, {}, b"").message == "HTTP 500 with an empty body"
    wrapped = PROTOCOL.parse_error(400, {}, b'[{"error": {"code": 400, "message": "bad"}}]')
    assert wrapped.message == "bad"
    deep = PROTOCOL.parse_error(400, {}, b"[" * 5000 + b"]" * 5000)
    assert deep.status_code == 400


# ---------------------------------------------------------------------------- models
def test_model_list_pages() -> None:
    first = PROTOCOL.build_models_request(GOOGLE)
    assert first.method == "GET" and first.body == {}
    assert first.url == "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000"
    later = PROTOCOL.build_models_request(GOOGLE, cursor="tok/1")
    assert later.url.endswith("?pageSize=1000&pageToken=tok%2F1")
    page = {
        "models": [
            {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash"},
            {"displayName": "no name"},
        ],
        "nextPageToken": "next",
    }
    models, cursor = PROTOCOL.parse_models(json.dumps(page).encode())
    assert [(m.id, m.display_name) for m in models] == [("gemini-2.5-flash", "Gemini 2.5 Flash")]
    assert cursor == "next"
    assert PROTOCOL.parse_models(b'{"models": []}') == ([], None)
    with pytest.raises(InvalidResponseError):
        PROTOCOL.parse_models(b'{"models": 3}')
