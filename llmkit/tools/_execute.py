"""Run one tool call: validate, execute, and turn the outcome into a ``tool_result`` event.

Nothing here raises for a failure the model caused or the tool hit: an unknown tool name,
unparsable or invalid arguments, and an exception from the function all become an error result
(``is_error=True``) whose text tells the model what went wrong, so the loop can continue and the
model can correct itself (the AI SDK's ``tool-error`` parts behave the same way). Only
cancellation (and other ``BaseException``\\ s) propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import JsonValue, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from llmkit.tools._tool import Tool
from llmkit.types.events import ToolCallEvent, ToolResultEvent

__all__ = ["run_tool_call", "to_json_value"]

logger = logging.getLogger("llmkit.tools")


def to_json_value(value: object) -> JsonValue:
    """A tool's return value as JSON-compatible data (pydantic models, dataclasses, dates...
    are converted; anything pydantic cannot serialise becomes its ``str()``)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        out: JsonValue = to_jsonable_python(value)
    except (PydanticSerializationError, TypeError, ValueError):
        return str(value)
    return out


def _validation_message(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "(arguments)"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _error(call: ToolCallEvent, message: str) -> ToolResultEvent:
    return ToolResultEvent(call.tool_call_id, call.tool_name, message, is_error=True)


async def run_tool_call(call: ToolCallEvent, tools: Mapping[str, Tool]) -> ToolResultEvent:
    """Run ``call`` with the tool of its name.

    Args:
        call: the model's tool call.
        tools: the tools by name.

    Returns:
        A ``tool_result`` event: the function's return value as JSON-compatible data, or an
        error result (``is_error=True``, ``result`` a message for the model) for an unknown
        tool, a tool without a function, unparsable or invalid arguments, or an exception.
    """
    name = call.tool_name
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "none"
        return _error(call, f"Error: there is no tool named {name!r}. Available tools: {known}.")
    if not tool.executable:
        return _error(call, f"Error: tool {name!r} cannot be run here.")
    if call.args_error is not None:
        return _error(
            call,
            f"Error: the arguments for tool {name!r} could not be read ({call.args_error}). "
            "Call the tool again with a JSON object that matches its schema.",
        )
    try:
        value = await tool.execute(call.args)
    except ValidationError as exc:
        return _error(
            call,
            f"Error: invalid arguments for tool {name!r}: {_validation_message(exc)}. "
            "Call the tool again with arguments that match its schema.",
        )
    except Exception as exc:
        logger.debug("tool %r raised", name, exc_info=True)
        return _error(call, f"Error: tool {name!r} failed: {type(exc).__name__}: {exc}")
    return ToolResultEvent(call.tool_call_id, name, to_json_value(value))
