"""Tool definitions: the JSON Schema pydantic generates from type hints and docstrings, the
definition sent per protocol, argument validation, and what ``tools=`` accepts."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from llmkit import FunctionTool, Tool, tool
from llmkit.errors import ConfigurationError
from llmkit.tools import parse_docstring, tool_map
from llmkit.types.options import ToolDefinition


class Place(BaseModel):
    lat: float
    lon: float


@tool
def forecast(
    city: str,
    days: Annotated[int, Field(ge=1, le=7)] = 1,
    unit: Literal["C", "F"] = "C",
    near: Place | None = None,
) -> dict[str, object]:
    """The weather forecast for a city.

    Uses the national weather service.

    Args:
        city: the city's name,
            e.g. "Paris".
        days (int): how many days ahead.
        unit: the temperature unit.

    Returns:
        The forecast.
    """
    return {"city": city, "days": days, "unit": unit, "near": near}


def test_schema_is_generated_from_hints_and_docstring() -> None:
    # JSON Schema (2020-12) as pydantic writes it, minus its generated titles.
    assert forecast.name == "forecast"
    assert (
        forecast.description
        == "The weather forecast for a city.\n\nUses the national weather service."
    )
    assert forecast.parameters == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "city": {"type": "string", "description": 'the city\'s name, e.g. "Paris".'},
            "days": {
                "type": "integer",
                "minimum": 1,
                "maximum": 7,
                "default": 1,
                "description": "how many days ahead.",
            },
            "unit": {
                "type": "string",
                "enum": ["C", "F"],
                "default": "C",
                "description": "the temperature unit.",
            },
            "near": {"anyOf": [{"$ref": "#/$defs/Place"}, {"type": "null"}], "default": None},
        },
        "required": ["city"],
        "$defs": {
            "Place": {
                "type": "object",
                "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                "required": ["lat", "lon"],
            }
        },
    }


def test_a_property_named_title_is_kept() -> None:
    @tool
    def rename(title: str) -> str:
        return title

    assert rename.parameters["properties"] == {"title": {"type": "string"}}


def test_definition_sent_to_providers() -> None:
    cached = tool(provider_options={"anthropic": {"cache_control": {"type": "ephemeral"}}})(
        forecast.function
    )
    definition = cached.definition
    assert isinstance(definition, ToolDefinition)
    assert definition.name == "forecast"
    assert definition.parameters == forecast.parameters
    assert definition.provider_options == {"anthropic": {"cache_control": {"type": "ephemeral"}}}


def test_decorator_with_options_and_direct_call() -> None:
    @tool(name="add-numbers", description="Adds.", strict=True)
    def add(a: int, b: int = 2) -> int:
        return a + b

    assert isinstance(add, FunctionTool)
    assert (add.name, add.description, add.strict) == ("add-numbers", "Adds.", True)
    assert add(1) == 3  # still callable like the function, unvalidated


def test_validation_converts_and_rejects() -> None:
    kwargs = forecast.validate_arguments(
        {"city": "Oslo", "days": "3", "near": {"lat": 1, "lon": 2}}
    )
    assert kwargs == {"city": "Oslo", "days": 3, "unit": "C", "near": Place(lat=1, lon=2)}
    with pytest.raises(ValidationError):
        forecast.validate_arguments({"city": "Oslo", "days": 9})
    with pytest.raises(ValidationError):
        forecast.validate_arguments({"town": "Oslo"})  # unknown field, missing city


async def test_execute_sync_in_a_thread_and_async_awaited() -> None:
    import threading

    main = threading.get_ident()

    @tool
    def where() -> bool:
        return threading.get_ident() != main

    @tool
    async def later(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"

    @tool(run_in_thread=False)
    def inline() -> bool:
        return threading.get_ident() == main

    assert await where.execute({}) is True
    assert await later.execute({"seconds": 0}) == "done"
    assert await inline.execute({}) is True


def test_plain_tool_without_function() -> None:
    raw = Tool(name="lookup", description="Look up.", parameters={"type": "object"})
    assert not raw.executable
    assert raw.definition.parameters == {"type": "object"}
    assert Tool(name="ping").parameters == {"type": "object", "properties": {}}
    with pytest.raises(ConfigurationError):
        asyncio.run(raw.execute({}))


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda x: x, "needs a type hint"),
        (lambda *args: 0, "ordinary or keyword-only"),
        (lambda **kw: 0, "ordinary or keyword-only"),
    ],
)
def test_unusable_signatures(fn: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        FunctionTool(fn, name="bad")


def test_positional_only_is_refused() -> None:
    def f(a: int, /) -> int:
        return a

    with pytest.raises(ConfigurationError, match="ordinary or keyword-only"):
        tool(f)


def test_invalid_names() -> None:
    with pytest.raises(ConfigurationError, match="not valid"):
        Tool(name="has space")
    with pytest.raises(ConfigurationError, match="not valid"):
        Tool(name="x" * 65)


def test_tool_map_accepts_every_form() -> None:
    def plain(when: dt.date) -> str:
        """Format a date."""
        return when.isoformat()

    tools = tool_map(
        [
            forecast,
            plain,
            ToolDefinition(name="defined", parameters={"type": "object"}),
            {"name": "as_dict", "description": "A dict.", "parameters": {"type": "object"}},
        ]
    )
    assert list(tools) == ["forecast", "plain", "defined", "as_dict"]
    assert tools["plain"].executable and tools["plain"].description == "Format a date."
    assert tools["plain"].parameters["properties"] == {"when": {"type": "string", "format": "date"}}
    assert not tools["defined"].executable and not tools["as_dict"].executable
    assert tools["as_dict"].description == "A dict."


def test_tool_map_errors() -> None:
    with pytest.raises(ConfigurationError, match="two tools are named"):
        tool_map([forecast, forecast])
    with pytest.raises(ConfigurationError, match="invalid tool definition"):
        tool_map([{"description": "no name"}])
    with pytest.raises(ConfigurationError, match="must be a Tool"):
        tool_map([42])  # type: ignore[list-item]


def test_parse_docstring_sections() -> None:
    doc = """Summary line.

    Args:
        a: first
            continued.
        *rest: ignored star.
        b (int, optional): second.

    Raises:
        ValueError: never.
    """
    assert parse_docstring(doc) == (
        "Summary line.",
        {"a": "first continued.", "rest": "ignored star.", "b": "second."},
    )
    assert parse_docstring(None) == (None, {})
