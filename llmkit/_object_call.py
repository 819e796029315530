"""How a structured-output call is built: the strategy per protocol and the call options.

``Protocol.supports_response_format`` steers it, never the provider id: a native JSON Schema
response format (``CallOptions.response_format``) where the protocol has one, else one tool
whose input schema is the schema, forced with a named ``tool_choice``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from llmkit._driver import Connection, Target, build_call, make_connection
from llmkit._object_schema import ObjectSchema
from llmkit.errors import UnsupportedFeatureError
from llmkit.types.options import CallOptions, JsonSchemaFormat, NamedToolChoice, ToolDefinition

__all__ = ["TOOL_DESCRIPTION", "ObjectMode", "connection", "prepare"]

ObjectMode = Literal["auto", "json", "tool"]
"""How the object is asked for: ``auto`` (the protocol's native JSON Schema response format
when it has one, else a forced tool call), ``json`` (response format only; protocols without
one raise :class:`~llmkit.errors.UnsupportedFeatureError`), or ``tool`` (a forced tool call,
e.g. for OpenAI-compatible servers that support tools but not ``response_format``)."""

TOOL_DESCRIPTION = "Respond with a JSON object."
"""The forced tool's description when no ``schema_description`` is given."""

_CALL_FIELDS = (
    "prompt",
    "messages",
    "system",
    "max_output_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "reasoning",
    "provider_options",
    "headers",
    "timeout",
)


def prepare(
    target: Target,
    wrapped: ObjectSchema[Any],
    mode: ObjectMode,
    arguments: Mapping[str, object],
) -> tuple[CallOptions, str | None]:
    """The call options and the forced tool's name (None: the object is the response text).

    With reasoning on, the tool is offered with ``tool_choice: "auto"`` and the system prompt
    asks for it, because providers reject a forced tool choice while thinking (Anthropic
    "Extended thinking", "Extended thinking with tool use").

    Raises:
        UnsupportedFeatureError: ``mode="json"`` on a protocol without a response format.
        ConfigurationError: invalid call options.
    """
    options = {name: arguments[name] for name in _CALL_FIELDS}
    native = target.protocol.supports_response_format
    if mode == "json" and not native:
        raise UnsupportedFeatureError(
            f"{target.protocol.name} has no JSON schema response format; use mode='auto' or "
            "mode='tool' (a forced tool call whose input schema is the schema)"
        )
    use_tool = mode == "tool" or (mode == "auto" and not native)
    if not use_tool:
        options["response_format"] = JsonSchemaFormat(
            name=wrapped.name, json_schema=wrapped.json_schema, description=wrapped.description
        )
        return build_call(options), None
    tool = ToolDefinition(
        name=wrapped.name,
        description=wrapped.description or TOOL_DESCRIPTION,
        parameters=wrapped.json_schema,
    )
    options["tools"] = [tool]
    if options["reasoning"] is None:
        options["tool_choice"] = NamedToolChoice(tool_name=wrapped.name)
    else:
        options["tool_choice"] = "auto"
        ask = f"Give your answer by calling the tool {wrapped.name!r}."
        system = options["system"]
        options["system"] = f"{system}\n\n{ask}" if system else ask
    return build_call(options), wrapped.name


def connection(arguments: Mapping[str, Any]) -> Connection:
    """The I/O settings among a public function's arguments (no fallback models: the strategy
    depends on the protocol, which a fallback may not share)."""
    return make_connection(
        arguments["api_key"],
        arguments["http_client"],
        retry=arguments["retry"],
        timeouts=arguments["timeouts"],
        rate_limit=arguments["rate_limit"],
        cache=arguments["cache"],
    )
