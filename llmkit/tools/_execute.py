"""Run one tool call: validate, execute, and turn the outcome into a ``tool_result`` event.

Nothing here raises for a failure the model caused or the tool hit: an unknown tool name,
unparsable or invalid arguments, and an exception from the function all become an error result
(``is_error=True``) whose text tells the model what went wrong, so the loop can continue and the
model can correct itself (the AI SDK's ``tool-error`` parts behave the same way). Only
cancellation (and other ``BaseException``\\ s) propagates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from pydantic import JsonValue, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from llmkit.tools._tool import Tool, ToolArgumentsError
from llmkit.types.events import ToolCallEvent, ToolExecutionEndEvent, ToolResultEvent

__all__ = [
    "argument_problem",
    "denied_result",
    "execute_tool_call",
    "run_tool_call",
    "to_json_value",
]

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


def _error(call: ToolCallEvent, message: str, kind: str) -> tuple[ToolResultEvent, str]:
    return ToolResultEvent(call.tool_call_id, call.tool_name, message, is_error=True), kind


def argument_problem(call: ToolCallEvent, tools: Mapping[str, Tool]) -> tuple[str, str] | None:
    """What keeps ``call`` from running as it is, before it runs: ``(message for the model,
    kind)`` with kind ``no_such_tool``, ``invalid_json`` or ``invalid_arguments`` (the tool
    validates its arguments itself: :meth:`Tool.check_arguments`), or None."""
    name = call.tool_name
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "none"
        return f"Error: there is no tool named {name!r}. Available tools: {known}.", "no_such_tool"
    if call.args_error is not None:
        return (
            f"Error: the arguments for tool {name!r} could not be read ({call.args_error}). "
            "Call the tool again with a JSON object that matches its schema.",
            "invalid_json",
        )
    try:
        tool.check_arguments(call.args)
    except ValidationError as exc:
        return _invalid(name, _validation_message(exc)), "invalid_arguments"
    except ToolArgumentsError as exc:
        return _invalid(name, _problems(exc)), "invalid_arguments"
    return None


def _problems(exc: ToolArgumentsError) -> str:
    return "; ".join(exc.problems) or str(exc)


def _invalid(name: str, problems: str) -> str:
    return (
        f"Error: invalid arguments for tool {name!r}: {problems}. "
        "Call the tool again with arguments that match its schema."
    )


_KINDS = {
    "no_such_tool": "NoSuchToolError",
    "invalid_json": "InvalidToolArgumentsError",
    "invalid_arguments": "ValidationError",
}
"""The ``error_type`` of a ``tool_execution_end`` for each :func:`argument_problem` kind."""


async def _run(
    call: ToolCallEvent, tools: Mapping[str, Tool]
) -> tuple[ToolResultEvent, str | None]:
    name = call.tool_name
    problem = argument_problem(call, tools)
    if problem is not None:
        return _error(call, problem[0], _KINDS[problem[1]])
    tool = tools[name]
    if not tool.executable:
        return _error(call, f"Error: tool {name!r} cannot be run here.", "NotExecutableError")
    try:
        if tool.timeout is None:
            value = await tool.execute(call.args)
        else:
            value = await asyncio.wait_for(tool.execute(call.args), tool.timeout)
    except ValidationError as exc:
        return _error(call, _invalid(name, _validation_message(exc)), "ValidationError")
    except ToolArgumentsError as exc:
        return _error(call, _invalid(name, _problems(exc)), "ValidationError")
    except asyncio.TimeoutError:  # the builtin TimeoutError on 3.11+
        return _error(
            call,
            f"Error: tool {name!r} did not finish within its time limit of {tool.timeout:g} s.",
            "TimeoutError",
        )
    except Exception as exc:
        logger.debug("tool %r raised", name, exc_info=True)
        return _error(
            call, f"Error: tool {name!r} failed: {type(exc).__name__}: {exc}", type(exc).__name__
        )
    return ToolResultEvent(call.tool_call_id, name, to_json_value(value)), None


async def run_tool_call(call: ToolCallEvent, tools: Mapping[str, Tool]) -> ToolResultEvent:
    """Run ``call`` with the tool of its name.

    Args:
        call: the model's tool call.
        tools: the tools by name.

    Returns:
        A ``tool_result`` event: the function's return value as JSON-compatible data, or an
        error result (``is_error=True``, ``result`` a message for the model) for an unknown
        tool, a tool without a function, unparsable or invalid arguments, a run past the
        tool's ``timeout``, or an exception.
    """
    return (await execute_tool_call(call, tools))[1]


async def execute_tool_call(
    call: ToolCallEvent, tools: Mapping[str, Tool]
) -> tuple[ToolExecutionEndEvent, ToolResultEvent]:
    """:func:`run_tool_call`, with the ``tool_execution_end`` event of the run (duration in
    seconds, monotonic clock; the error and its type) before the ``tool_result``."""
    started = time.monotonic()
    result, error_type = await _run(call, tools)
    error = str(result.result) if result.is_error else None
    duration = time.monotonic() - started
    end = ToolExecutionEndEvent(call.tool_call_id, call.tool_name, duration, error, error_type)
    return end, result


def denied_result(call: ToolCallEvent, reason: str | None) -> ToolResultEvent:
    """The error result a call gets when the application denied its approval."""
    why = f": {reason}" if reason else ""
    message = f"Error: the user denied running tool {call.tool_name!r}{why}. Do not retry it."
    return ToolResultEvent(call.tool_call_id, call.tool_name, message, is_error=True)
