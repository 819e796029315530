"""How a structured-output call is built: the strategy per protocol and the call options.

``Protocol.supports_response_format`` steers it, never the provider id: a native JSON Schema
response format (``CallOptions.response_format``) where the protocol has one, else one tool
whose input schema is the schema, forced with a named ``tool_choice``.
"""

from __future__ import annotations

from typing import Literal

from llmkit._driver import Target
from llmkit._output import Output
from llmkit._settings import call_options
from llmkit.errors import UnsupportedFeatureError
from llmkit.types.options import CallOptions, JsonSchemaFormat, NamedToolChoice, ToolDefinition
from llmkit.types.settings import CallSettings

__all__ = ["TOOL_DESCRIPTION", "ObjectMode", "prepare"]

ObjectMode = Literal["auto", "json", "tool"]
"""How the object is asked for: ``auto`` (the protocol's native JSON Schema response format
when it has one, else a forced tool call), ``json`` (response format only; protocols without
one raise :class:`~llmkit.errors.UnsupportedFeatureError`), or ``tool`` (a forced tool call,
e.g. for OpenAI-compatible servers that support tools but not ``response_format``)."""

TOOL_DESCRIPTION = "Respond with a JSON object."
"""The forced tool's description when no ``schema_description`` is given."""


def prepare(
    target: Target,
    output: Output[object],
    mode: ObjectMode,
    settings: CallSettings,
) -> tuple[CallOptions, str | None]:
    """The call options and the forced tool's name (None: the object is the response text).

    With reasoning on, on a protocol whose API rejects a forced tool choice while thinking
    (``Protocol.forced_tool_with_reasoning`` False: Anthropic "Extended thinking with tool
    use"), the tool is offered with ``tool_choice: "auto"`` and the system prompt asks for it.

    Raises:
        UnsupportedFeatureError: ``mode="json"`` on a protocol without a response format.
        ConfigurationError: invalid call options.
    """
    native = target.protocol.supports_response_format
    if mode == "json" and not native:
        raise UnsupportedFeatureError(
            f"{target.protocol.name} has no JSON schema response format; use mode='auto' or "
            "mode='tool' (a forced tool call whose input schema is the schema)"
        )
    use_tool = mode == "tool" or (mode == "auto" and not native)
    if not use_tool:
        response_format = JsonSchemaFormat(
            name=output.name, json_schema=output.schema, description=output.description
        )
        return call_options(settings, response_format=response_format), None
    tool = ToolDefinition(
        name=output.name,
        description=output.description or TOOL_DESCRIPTION,
        parameters=output.schema,
    )
    if settings.get("reasoning") is None or target.protocol.forced_tool_with_reasoning:
        choice = NamedToolChoice(tool_name=output.name)
        return call_options(settings, tools=[tool], tool_choice=choice), output.name
    ask = f"Give your answer by calling the tool {output.name!r}."
    system = settings.get("system")
    system = f"{system}\n\n{ask}" if system else ask
    call = call_options(settings, tools=[tool], tool_choice="auto", system=system)
    return call, output.name
