"""Tools the model can call: the :func:`tool` decorator, :class:`Tool`, and running calls.

    from llmkit import generate_text, tool

    @tool
    def add(a: int, b: int) -> int:
        \"\"\"Add two integers.

        Args:
            a: the first addend.
            b: the second addend.
        \"\"\"
        return a + b

    result = await generate_text(model=..., prompt="2+3?", tools=[add], max_steps=3)
"""

from llmkit.tools._execute import run_tool_call, to_json_value
from llmkit.tools._schema import function_schema, parse_docstring
from llmkit.tools._tool import FunctionTool, Tool, ToolLike, tool, tool_map

__all__ = [
    "FunctionTool",
    "Tool",
    "ToolLike",
    "function_schema",
    "parse_docstring",
    "run_tool_call",
    "to_json_value",
    "tool",
    "tool_map",
]
