"""Unified tools and tool choice → Responses ``tools`` and ``tool_choice``.

Source: OpenAI API reference, Responses, create, ``tools``: function tools are flat,
``{"type": "function", "name", "description", "parameters", "strict"}`` (``strict`` is required
and, when omitted by a client, treated as true, which demands a strict schema: llmkit sends the
tool's ``strict`` or false); hosted tools (``web_search``, ``file_search``,
``code_interpreter``, ``mcp``, ``image_generation``...) are given as they are in
``provider_options["openai"]["tools"]``. ``tool_choice``: ``"none"``, ``"auto"``,
``"required"`` or ``{"type": "function", "name": ...}``.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmkit.types.options import NamedToolChoice, ToolChoice, ToolDefinition
from llmkit.types.warnings import CallWarning

__all__ = ["prepare_tools"]


def _tool(tool: ToolDefinition) -> dict[str, object]:
    out: dict[str, object] = {"type": "function", "name": tool.name}
    if tool.description is not None:
        out["description"] = tool.description
    out["parameters"] = tool.parameters
    out["strict"] = bool(tool.strict)
    return out


def prepare_tools(
    tools: Sequence[ToolDefinition] | None,
    tool_choice: ToolChoice | None,
    hosted: Sequence[object] = (),
) -> tuple[list[object] | None, object | None, list[CallWarning]]:
    """Map tool definitions, hosted tools and the tool choice to their Responses fields.

    Args:
        tools: the function tools the model may call.
        tool_choice: how the model must choose (None: no ``tool_choice`` field), already
            checked against the tools (:func:`~llmkit.protocols.base.check_tool_choice`).
        hosted: hosted tool objects from ``provider_options["openai"]["tools"]``, appended as
            they are.

    Returns:
        (tools, tool_choice, warnings): each field None when it must be omitted.
    """
    warnings: list[CallWarning] = []
    wire: list[object] = [_tool(tool) for tool in tools or ()]
    wire.extend(hosted)
    if not wire:
        return None, None, warnings
    choice: object | None
    if isinstance(tool_choice, NamedToolChoice):
        choice = {"type": "function", "name": tool_choice.tool_name}
    else:
        choice = tool_choice
    return wire, choice, warnings
