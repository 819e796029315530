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
  ``allowedFunctionNames: [name]``, ``"none"`` → ``NONE``. Without tools, ``"auto"``/``"none"``
  are omitted and ``"required"`` or a named tool raise
  :class:`~llmkit.errors.UnsupportedFeatureError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmkit.errors import UnsupportedFeatureError
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

    Raises:
        UnsupportedFeatureError: ``tool_choice`` forces a tool call but no tools were given.
    """
    if not tools:
        if tool_choice is None or tool_choice in ("auto", "none"):
            return None, None
        raise UnsupportedFeatureError(
            f"tool_choice={tool_choice!r} needs tools; pass tools=[...] or drop tool_choice"
        )
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
