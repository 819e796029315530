"""The exact request bodies structured output sends, per protocol, over a loopback server.

OpenAI (API reference, Chat Completions, create, ``response_format``; "Structured Outputs"
guide): ``{"type": "json_schema", "json_schema": {"name", "description"?, "schema",
"strict": true}}``, and with ``strict`` every object has ``additionalProperties: false`` and all
its properties ``required``. Anthropic (API reference, Messages, ``tools`` / ``tool_choice``;
"Tool use" guide, "Forcing tool use"): one tool ``{"name", "description", "input_schema"}``
and ``tool_choice: {"type": "tool", "name": ...}``.
"""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from llmkit import generate_object, stream_object
from llmkit.errors import ConfigurationError, UnsupportedFeatureError
from llmkit.protocols.openai_chat.quirks import OpenAIChatQuirks
from llmkit.protocols.openai_chat.response_format import strict_json_schema
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.testing.replay import ReplayResponse, ReplayServer


class Author(BaseModel):
    first_name: str
    last_name: str


class Book(BaseModel):
    """A book and its rating."""

    title: str
    author: Author = Field(description="Who wrote it")
    rating: int | None = None


BOOK_JSON = (
    '{"title": "Dune", "author": {"first_name": "Frank", "last_name": "Herbert"}, "rating": 9}'
)
BOOK_ARGS = json.loads(BOOK_JSON)

AUTHOR_SCHEMA = {
    "properties": {
        "first_name": {"title": "First Name", "type": "string"},
        "last_name": {"title": "Last Name", "type": "string"},
    },
    "required": ["first_name", "last_name"],
    "title": "Author",
    "type": "object",
}

# Book.model_json_schema(), as pydantic writes it and as Anthropic receives it.
BOOK_SCHEMA = {
    "$defs": {"Author": AUTHOR_SCHEMA},
    "description": "A book and its rating.",
    "properties": {
        "title": {"title": "Title", "type": "string"},
        "author": {"$ref": "#/$defs/Author", "description": "Who wrote it"},
        "rating": {
            "anyOf": [{"type": "integer"}, {"type": "null"}],
            "default": None,
            "title": "Rating",
        },
    },
    "required": ["title", "author"],
    "title": "Book",
    "type": "object",
}

STRICT_AUTHOR = {**AUTHOR_SCHEMA, "additionalProperties": False}

# The same schema in OpenAI's strict subset.
BOOK_SCHEMA_STRICT = {
    "$defs": {"Author": STRICT_AUTHOR},
    "description": "A book and its rating.",
    "properties": {
        "title": {"title": "Title", "type": "string"},
        "author": {**STRICT_AUTHOR, "description": "Who wrote it"},
        "rating": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Rating"},
    },
    "required": ["title", "author", "rating"],
    "title": "Book",
    "type": "object",
    "additionalProperties": False,
}

RAW_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temp_c": {"type": "number"}},
    "required": ["city"],
}


def test_pydantic_writes_the_schema_the_tests_expect() -> None:
    assert Book.model_json_schema() == BOOK_SCHEMA


def test_strict_json_schema() -> None:
    assert strict_json_schema(BOOK_SCHEMA) == BOOK_SCHEMA_STRICT
    assert BOOK_SCHEMA["required"] == ["title", "author"]  # the input is not changed
    # an explicit additionalProperties is kept (OpenAI then rejects a non-false one itself)
    free = {"type": "object", "additionalProperties": {"type": "string"}}
    assert strict_json_schema(free) == free
    # a single allOf is merged; arrays and anyOf members are processed
    nested = {
        "type": "object",
        "properties": {
            "xs": {"type": "array", "items": {"type": "object", "properties": {"a": {}}}},
            "y": {"allOf": [{"type": "object", "properties": {"b": {"default": 1}}}]},
        },
    }
    assert strict_json_schema(nested) == {
        "type": "object",
        "properties": {
            "xs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"a": {}},
                    "additionalProperties": False,
                    "required": ["a"],
                },
            },
            "y": {
                "type": "object",
                "properties": {"b": {}},
                "additionalProperties": False,
                "required": ["b"],
            },
        },
        "additionalProperties": False,
        "required": ["xs", "y"],
    }


async def test_openai_chat_sends_a_strict_json_schema_response_format() -> None:
    registry = ProviderRegistry()
    with MockModel([BOOK_JSON], registry=registry) as mock:
        result = stream_object(
            model=mock.model,
            schema=Book,
            prompt="Your favourite book?",
            system="Be brief.",
            max_output_tokens=200,
            registry=registry,
        )
        assert await result.object == Book.model_validate(BOOK_ARGS)
        assert mock.requests[0].json() == {
            "model": "mock-model",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Your favourite book?"},
            ],
            "max_tokens": 200,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "Book", "schema": BOOK_SCHEMA_STRICT, "strict": True},
            },
            "stream": True,
            "stream_options": {"include_usage": True},
        }


async def test_openai_chat_non_streamed_with_name_and_description() -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": '{"city": "Oslo"}'},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11},
    }
    with ReplayServer([ReplayResponse.json(completion)]) as server:
        registry = ProviderRegistry([server.provider("srv", "openai-chat")])
        result = await generate_object(
            model="srv:gpt-4o",
            schema=RAW_SCHEMA,
            schema_name="weather",
            schema_description="The weather in a city.",
            prompt="Weather?",
            registry=registry,
        )
        assert result.object == {"city": "Oslo"}
        assert server.requests[0].json() == {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Weather?"}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "weather",
                    "description": "The weather in a city.",
                    "schema": {
                        **RAW_SCHEMA,
                        "required": ["city", "temp_c"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                },
            },
        }


async def test_json_object_quirk_puts_the_schema_in_the_system_prompt() -> None:
    """DeepSeek API docs, "JSON Output": ``response_format: {"type": "json_object"}`` and a
    prompt that says what JSON to produce."""
    registry = ProviderRegistry()
    with MockModel(['{"city": "Oslo"}'], registry=registry, provider_id="jsonmode") as mock:
        base = registry.get("jsonmode")
        assert isinstance(base.quirks, OpenAIChatQuirks)
        quirks = base.quirks.model_copy(update={"json_output": "json_object"})
        registry.register(base.model_copy(update={"quirks": quirks}), replace=True)
        result = stream_object(
            model=mock.model, schema=RAW_SCHEMA, system="Be brief.", prompt="hi", registry=registry
        )
        assert await result.object == {"city": "Oslo"}
        body = mock.requests[0].json()
        assert isinstance(body, dict)
        assert body["response_format"] == {"type": "json_object"}
        assert body["messages"][0] == {
            "role": "system",
            "content": "Be brief.\n\nJSON schema:\n"
            + json.dumps(RAW_SCHEMA, separators=(",", ":"))
            + "\nYou MUST answer with a JSON object that matches the JSON schema above.",
        }


def test_builtin_json_mode_providers() -> None:
    modes: dict[str, str] = {}
    for p in BUILTIN_PROVIDERS:
        if p.protocol == "openai-chat":
            assert isinstance(p.quirks, OpenAIChatQuirks)
            modes[p.id] = p.quirks.json_output
    assert modes["openai"] == "json_schema"
    assert {k for k, v in modes.items() if v == "json_object"} == {"deepseek", "moonshot", "zhipu"}


async def test_anthropic_forces_a_tool_whose_input_schema_is_the_schema() -> None:
    registry = ProviderRegistry()
    turn = MockTurn(tool_calls=[("Book", BOOK_ARGS)])
    with MockModel([turn], protocol="anthropic-messages", registry=registry) as mock:
        result = stream_object(
            model=mock.model,
            schema=Book,
            prompt="Your favourite book?",
            system="Be brief.",
            registry=registry,
        )
        assert await result.object == Book.model_validate(BOOK_ARGS)
        assert await result.finish_reason == "tool_calls"
        assert mock.requests[0].json() == {
            "model": "mock-model",
            "max_tokens": 4096,
            "system": "Be brief.",
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Your favourite book?"}]}
            ],
            "tools": [
                {
                    "name": "Book",
                    "description": "Respond with a JSON object.",
                    "input_schema": BOOK_SCHEMA,
                }
            ],
            "tool_choice": {"type": "tool", "name": "Book"},
            "stream": True,
        }


async def test_tool_mode_with_reasoning_does_not_force_the_tool() -> None:
    """Anthropic "Extended thinking with tool use": only tool_choice auto or none."""
    registry = ProviderRegistry()
    turn = MockTurn(reasoning="Let me think.", tool_calls=[("answer", {"city": "Oslo"})])
    with MockModel([turn], protocol="anthropic-messages", registry=registry) as mock:
        result = stream_object(
            model=mock.model,
            schema=RAW_SCHEMA,
            schema_name="answer",
            prompt="hi",
            reasoning={"budget_tokens": 1024},
            registry=registry,
        )
        assert await result.object == {"city": "Oslo"}
        assert await result.reasoning_text == "Let me think."
        body = mock.requests[0].json()
        assert isinstance(body, dict)
        assert body["tool_choice"] == {"type": "auto"}
        assert body["system"] == "Give your answer by calling the tool 'answer'."
        assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


async def test_openai_tool_mode() -> None:
    registry = ProviderRegistry()
    turn = MockTurn(tool_calls=[("weather", {"city": "Oslo", "temp_c": -3.5})])
    with MockModel([turn], registry=registry) as mock:
        result = stream_object(
            model=mock.model,
            schema=RAW_SCHEMA,
            schema_name="weather",
            mode="tool",
            prompt="hi",
            registry=registry,
        )
        assert await result.object == {"city": "Oslo", "temp_c": -3.5}
        body = mock.requests[0].json()
        assert isinstance(body, dict)
        assert "response_format" not in body
        assert body["tools"] == [
            {
                "type": "function",
                "function": {
                    "name": "weather",
                    "description": "Respond with a JSON object.",
                    "parameters": RAW_SCHEMA,
                },
            }
        ]
        assert body["tool_choice"] == {"type": "function", "function": {"name": "weather"}}


def test_json_mode_on_anthropic_is_refused_at_once() -> None:
    registry = ProviderRegistry()
    with MockModel([""], protocol="anthropic-messages", registry=registry) as mock:
        with pytest.raises(UnsupportedFeatureError, match=r"mode=.auto. or mode=.tool."):
            stream_object(
                model=mock.model, schema=RAW_SCHEMA, mode="json", prompt="hi", registry=registry
            )
        assert mock.requests == []


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "array", "items": {"type": "string"}}, r"must describe an object.*Output\.array"),
        ({"type": "object", "properties": {"a": {"type": "no-such-type"}}}, "invalid JSON Schema"),
        (type("NotDescribable", (), {}), "cannot build a JSON Schema"),
        (lambda: None, "cannot be an output"),
        ("a string", "cannot be an output"),
        (None, "cannot be an output"),
    ],
)
def test_unusable_schemas_are_refused_at_once(schema: object, message: str) -> None:
    registry = ProviderRegistry()
    with MockModel([""], registry=registry) as mock:
        with pytest.raises(ConfigurationError, match=message):
            stream_object(model=mock.model, schema=schema, prompt="hi", registry=registry)  # type: ignore[call-overload]
        assert mock.requests == []


def test_schema_names_are_sanitised() -> None:
    registry = ProviderRegistry()
    with MockModel([""], registry=registry) as mock:
        result = stream_object(
            model=mock.model,
            schema={**RAW_SCHEMA, "title": "City weather (today)"},
            prompt="hi",
            registry=registry,
        )
        assert result._output.name == "City_weather_today"


def test_anthropic_protocol_refuses_a_response_format() -> None:
    """Sans-IO: the protocol itself never drops a response format silently."""
    from llmkit.protocols import get_protocol
    from llmkit.types.messages import UserMessage
    from llmkit.types.options import CallOptions, JsonSchemaFormat

    call = CallOptions(
        messages=[UserMessage(content="hi")],
        response_format=JsonSchemaFormat(json_schema=RAW_SCHEMA),
    )
    provider = next(p for p in BUILTIN_PROVIDERS if p.id == "anthropic")
    protocol = get_protocol("anthropic-messages")
    assert not protocol.supports_response_format
    with pytest.raises(UnsupportedFeatureError, match="no JSON schema response format"):
        protocol.build_request(call, provider, "claude-sonnet-4-5")
    openai = next(p for p in BUILTIN_PROVIDERS if p.id == "openai")
    body = get_protocol("openai-chat").build_request(call, openai, "gpt-4o", stream=False).body
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "response",
            "schema": strict_json_schema(RAW_SCHEMA),
            "strict": True,
        },
    }
