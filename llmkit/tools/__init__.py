"""Tools the model can call: the :func:`tool` decorator, :class:`Tool`, and running calls.

A decorated function becomes a :class:`FunctionTool` whose JSON Schema pydantic generates from
the type hints, with descriptions from the docstring (Google-style ``Args:``); pass it in
``tools=[...]`` with ``max_steps`` > 1 and llmkit runs it when the model calls it. See the
"Tools and agents" guide.
"""

from llmkit.tools._execute import run_tool_call, to_json_value
from llmkit.tools._schema import function_schema, parse_docstring
from llmkit.tools._tool import FunctionTool, Tool, ToolArgumentsError, ToolLike, tool, tool_map

__all__ = [
    "FunctionTool",
    "Tool",
    "ToolArgumentsError",
    "ToolLike",
    "function_schema",
    "parse_docstring",
    "run_tool_call",
    "to_json_value",
    "tool",
    "tool_map",
]
