"""Build Anthropic ``tools`` and ``tool_choice`` from unified tool definitions.

Anthropic API reference, "Messages" → ``tools`` / ``tool_choice``, and "Tool use" → "Specifying
client tools" / "Forcing tool use".

- Each :class:`~llmkit.types.options.ToolDefinition` becomes
  ``{"name": ..., "description": ... (omitted when None), "input_schema": <parameters>}``, plus
  its ``provider_options["anthropic"]`` keys (e.g. ``cache_control``, "Prompt caching").
  ``strict`` is not sent (it needs a beta header on Anthropic); setting it gives an
  ``unsupported_setting`` warning. Server tools (``web_search``...) go in
  ``provider_options["anthropic"]["tools"]`` verbatim.
- ``tool_choice``: ``"auto"`` → ``{"type": "auto"}``, ``"required"`` → ``{"type": "any"}``,
  :class:`~llmkit.types.options.NamedToolChoice` → ``{"type": "tool", "name": ...}``,
  ``"none"`` → ``{"type": "none"}``. Without tools, ``"auto"``/``"none"`` are omitted and
  ``"required"`` or a named tool raise :class:`~llmkit.errors.UnsupportedFeatureError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmkit.types.options import NamedToolChoice, ToolChoice, ToolDefinition
from llmkit.types.warnings import CallWarning

__all__ = ["prepare_tools"]


def prepare_tools(
    tools: Sequence[ToolDefinition] | None, tool_choice: ToolChoice | None
) -> tuple[list[dict[str, object]] | None, dict[str, object] | None, list[CallWarning]]:
    """The Anthropic ``tools`` list and ``tool_choice`` object (each ``None`` to omit).

    Args:
        tools: the call's tools.
        tool_choice: the call's tool choice, already checked against the tools
            (:func:`~llmkit.protocols.base.check_tool_choice`).

    Returns:
        (tools, tool_choice, warnings): a warning for each dropped setting.
    """
    warnings: list[CallWarning] = []
    if not tools:
        return None, None, warnings
    out: list[dict[str, object]] = []
    for tool in tools:
        spec: dict[str, object] = {"name": tool.name}
        if tool.description is not None:
            spec["description"] = tool.description
        spec["input_schema"] = tool.parameters
        extra = (tool.provider_options or {}).get("anthropic")
        if extra:
            spec.update(extra)
        if tool.strict:
            warnings.append(
                CallWarning(
                    "unsupported_setting",
                    "tools",
                    f"tool {tool.name!r}: strict is not supported by anthropic-messages "
                    "and was dropped",
                )
            )
        out.append(spec)
    choice: dict[str, object] | None
    if tool_choice is None:
        choice = None
    elif isinstance(tool_choice, NamedToolChoice):
        choice = {"type": "tool", "name": tool_choice.tool_name}
    elif tool_choice == "required":
        choice = {"type": "any"}
    else:
        choice = {"type": tool_choice}
    return out, choice, warnings
