"""Build Gemini ``tools`` and ``toolConfig`` from unified tool definitions.

Gemini API reference, "Caching"/"Tool" (``Tool.functionDeclarations``, ``FunctionDeclaration``)
and "Function calling" → "Function calling modes" (``ToolConfig.functionCallingConfig``).

- All tools go in one ``{"functionDeclarations": [...]}`` entry; each is ``{"name",
  "description" (omitted when None), "parametersJsonSchema": <parameters>}``.
  ``parametersJsonSchema`` takes JSON Schema as it is (the older ``parameters`` field takes only
  Google's OpenAPI subset), so no schema is rewritten. A tool's
  ``provider_options["google"]`` keys are copied onto its declaration (e.g. ``behavior``).
  ``strict`` has no Gemini field: setting it gives an ``unsupported_setting`` warning.
  Built-in tools (``{"googleSearch": {}}``, ``{"codeExecution": {}}``, ``{"urlContext": {}}``)
  go in ``provider_options["google"]["tools"]``, appended after the declarations.
- ``tool_choice`` → ``toolConfig.functionCallingConfig.mode``: ``"auto"`` → ``AUTO``,
  ``"required"`` → ``ANY``, :class:`~llmkit.types.options.NamedToolChoice` → ``ANY`` with
  ``allowedFunctionNames: [name]``, ``"none"`` → ``NONE``. Without tools, nothing is sent
  (the shared policy, :func:`~llmkit.protocols.base.check_tool_choice`, has already dropped
  ``"auto"``/``"none"`` and refused a forced choice).
"""

from __future__ import annotations

from collections.abc import Sequence

from llmkit.types.options import NamedToolChoice, ToolChoice, ToolDefinition
from llmkit.types.warnings import CallWarning

__all__ = ["prepare_tools"]

_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}


def prepare_tools(
    tools: Sequence[ToolDefinition] | None,
    tool_choice: ToolChoice | None,
    warnings: list[CallWarning],
) -> tuple[list[dict[str, object]] | None, dict[str, object] | None]:
    """The Gemini ``tools`` list and ``toolConfig`` object (each ``None`` to omit).

    Args:
        tools: the call's tools.
        tool_choice: the tool choice after :func:`~llmkit.protocols.base.check_tool_choice`.
        warnings: receives a warning for each dropped setting.
    """
    if not tools:
        return None, None
    declarations: list[dict[str, object]] = []
    for tool in tools:
        spec: dict[str, object] = {"name": tool.name}
        if tool.description is not None:
            spec["description"] = tool.description
        spec["parametersJsonSchema"] = tool.parameters
        extra = (tool.provider_options or {}).get("google")
        if extra:
            spec.update(extra)
        if tool.strict:
            warnings.append(
                CallWarning(
                    "unsupported_setting",
                    "tools",
                    f"tool {tool.name!r}: strict is not supported by google-generative and was "
                    "dropped",
                )
            )
        declarations.append(spec)
    config: dict[str, object] | None = None
    if isinstance(tool_choice, NamedToolChoice):
        config = {"mode": "ANY", "allowedFunctionNames": [tool_choice.tool_name]}
    elif tool_choice is not None:
        config = {"mode": _MODES[tool_choice]}
    tool_config: dict[str, object] | None = None
    if config is not None:
        tool_config = {"functionCallingConfig": config}
    return [{"functionDeclarations": declarations}], tool_config
