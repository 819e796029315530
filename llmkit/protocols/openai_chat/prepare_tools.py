"""Unified tools and tool choice → OpenAI chat ``tools`` and ``tool_choice``.

Source: OpenAI API reference, Chat Completions, create, ``tools``
(``[{"type": "function", "function": {"name", "description", "parameters", "strict"}}]``) and
``tool_choice`` (``"none"``, ``"auto"``, ``"required"`` or
``{"type": "function", "function": {"name": ...}}``).
"""

from __future__ import annotations

from collections.abc import Sequence

from llmkit.types.options import NamedToolChoice, ToolChoice, ToolDefinition
from llmkit.types.warnings import CallWarning

__all__ = ["prepare_tools"]


def _tool(tool: ToolDefinition) -> dict[str, object]:
    function: dict[str, object] = {"name": tool.name}
    if tool.description is not None:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def prepare_tools(
    tools: Sequence[ToolDefinition] | None, tool_choice: ToolChoice | None
) -> tuple[list[dict[str, object]] | None, object | None, list[CallWarning]]:
    """Map tool definitions and the tool choice to their OpenAI chat fields.

    Args:
        tools: the tools the model may call (``None`` or empty: no ``tools`` field).
        tool_choice: how the model must choose (``None``: no ``tool_choice`` field), already
            checked against the tools (:func:`~llmkit.protocols.base.check_tool_choice`).

    Returns:
        (tools, tool_choice, warnings): each field is ``None`` when it must be omitted.
    """
    warnings: list[CallWarning] = []
    if not tools:
        return None, None, warnings
    wire_tools = [_tool(tool) for tool in tools]
    choice: object | None
    if tool_choice is None:
        choice = None
    elif isinstance(tool_choice, NamedToolChoice):
        choice = {"type": "function", "function": {"name": tool_choice.tool_name}}
    else:
        choice = tool_choice
    return wire_tools, choice, warnings
