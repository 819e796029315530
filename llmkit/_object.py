"""Structured output: :func:`generate_object` and :func:`stream_object`.

The strategy is chosen per protocol (``Protocol.supports_response_format``), never per
provider id:

- ``json`` (OpenAI chat and its compatibles): a native JSON Schema response format
  (``CallOptions.response_format``; OpenAI ``response_format: {"type": "json_schema",
  "json_schema": {"name", "schema", "strict": true}}``, see the OpenAI "Structured Outputs"
  guide); the object is the response text.
- ``tool`` (Anthropic Messages): one tool whose ``input_schema`` is the schema, forced with
  ``tool_choice: {"type": "tool", "name": ...}`` (Anthropic "Tool use" guide, "Forcing tool
  use", and "JSON mode"); the object is the tool call's input.

Both stream: the JSON text (or the tool's ``input_json_delta`` pieces) is parsed as it grows,
by jiter's partial mode, into partial objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from llmkit._driver import (
    Connection,
    Target,
    build_call,
    build_stream_request,
    generate_step,
    resolve_target,
    stream_step,
)
from llmkit._object_result import GenerateObjectResult, StreamObjectResult
from llmkit._object_schema import ObjectSchema, object_schema
from llmkit.auth.secret import Secret
from llmkit.errors import UnsupportedFeatureError
from llmkit.providers.registry import ProviderRegistry
from llmkit.types.messages import MessageLike
from llmkit.types.options import (
    CallOptions,
    JsonSchemaFormat,
    NamedToolChoice,
    ReasoningOptions,
    ToolDefinition,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["ObjectMode", "generate_object", "stream_object"]

T = TypeVar("T")

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


def _prepare(
    target: Target,
    wrapped: ObjectSchema[Any],
    mode: ObjectMode,
    arguments: Mapping[str, object],
) -> tuple[CallOptions, str | None]:
    """The call options and the forced tool's name (None: the object is the response text).

    Raises:
        UnsupportedFeatureError: ``mode="json"`` on a protocol without a response format.
        ConfigurationError: invalid call options.

    With reasoning on, the tool is offered with ``tool_choice: "auto"`` and the system prompt
    asks for it, because providers reject a forced tool choice while thinking (Anthropic
    "Extended thinking", "Extended thinking with tool use").
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


@overload
def stream_object(
    *,
    model: str,
    schema: type[T],
    schema_name: str | None = None,
    schema_description: str | None = None,
    mode: ObjectMode = "auto",
    prompt: str | None = None,
    messages: Sequence[MessageLike] | None = None,
    system: str | None = None,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> StreamObjectResult[T]: ...
@overload
def stream_object(
    *,
    model: str,
    schema: Mapping[str, object],
    schema_name: str | None = None,
    schema_description: str | None = None,
    mode: ObjectMode = "auto",
    prompt: str | None = None,
    messages: Sequence[MessageLike] | None = None,
    system: str | None = None,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> StreamObjectResult[dict[str, object]]: ...
def stream_object(
    *,
    model: str,
    schema: type[T] | Mapping[str, object],
    schema_name: str | None = None,
    schema_description: str | None = None,
    mode: ObjectMode = "auto",
    prompt: str | None = None,
    messages: Sequence[MessageLike] | None = None,
    system: str | None = None,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> StreamObjectResult[T] | StreamObjectResult[dict[str, object]]:
    """Stream a typed object: partial objects as the JSON forms, then the validated object.

    Args:
        model: ``"provider:model"``, e.g. ``"openai:gpt-4.1-mini"``.
        schema: a pydantic model class (or a dataclass / TypedDict) whose instance
            ``await result.object`` returns, or a JSON Schema dict (the object is then a dict
            validated with the ``jsonschema`` library). The root must be an object.
        schema_name: the schema's name (OpenAI ``json_schema.name``, or the forced tool's
            name); default: the class name or the schema's ``title``, else ``response``.
        schema_description: what the object is for (OpenAI ``json_schema.description``, or
            the tool's description).
        mode: ``auto``, ``json`` or ``tool`` (see :data:`ObjectMode`).
        prompt: a user message appended after ``messages``.
        messages: the conversation (dicts or :mod:`llmkit.types` messages).
        system: system instructions.
        max_output_tokens: output token limit (tokens); a cut object raises
            ``NoObjectGeneratedError`` with finish reason ``length``.
        temperature: sampling temperature (dropped with a warning where unsupported, like
            every sampling setting).
        top_p: nucleus sampling probability mass.
        top_k: sample from the k most likely tokens.
        stop_sequences: strings that end generation.
        seed: sampling seed, where the provider supports one.
        presence_penalty: OpenAI-style presence penalty.
        frequency_penalty: OpenAI-style frequency penalty.
        reasoning: ``{"effort": "high"}`` and/or ``{"budget_tokens": 4096}``. In tool mode the
            tool is then not forced (``tool_choice: "auto"`` plus an instruction in the system
            prompt): providers reject forcing a tool while thinking.
        provider_options: per protocol family, e.g. ``{"openai": {...}}``.
        headers: extra HTTP headers.
        timeout: seconds allowed between bytes.
        api_key: the key to use instead of the keychain / environment lookup.
        registry: the provider registry (default ``llmkit.registry``).
        http_client: an ``httpx.AsyncClient`` instead of the shared per-loop client.

    Returns:
        The stream (a ``StreamObjectResult``); nothing is sent until it is iterated or awaited.

    Raises:
        NoSuchProviderError: at once, for an unknown provider.
        ConfigurationError: at once, for invalid options or a schema that is unusable (not
            an object, not a valid JSON Schema).
        UnsupportedFeatureError: at once, for ``mode="json"`` on a protocol without a
            response format, or a setting the protocol cannot honour.
        MissingCredentialError: from the iterators and awaited fields, without a credential.
        APIError: from the iterators and awaited fields (``APIStatusError``,
            ``APIConnectionError``, ``StreamError``...).
        NoObjectGeneratedError: from ``await result.object``, when the output is missing, is
            not JSON or does not match the schema (``.text``, ``.errors``).

    Provider API references:
        OpenAI "Structured Outputs" guide and API reference, Chat Completions,
        ``response_format``; Anthropic "Tool use" ("Forcing tool use") and "JSON mode".
    """
    target = resolve_target(model, registry)
    wrapped: ObjectSchema[Any] = object_schema(schema, schema_name, schema_description)
    call, tool_name = _prepare(target, wrapped, mode, locals())
    request = build_stream_request(target, call)  # unsupported settings raise here, at once
    connection = Connection(api_key, http_client)
    return StreamObjectResult(
        lambda: stream_step(target, call, connection, request), wrapped, tool_name
    )


@overload
async def generate_object(
    *,
    model: str,
    schema: type[T],
    schema_name: str | None = None,
    schema_description: str | None = None,
    mode: ObjectMode = "auto",
    prompt: str | None = None,
    messages: Sequence[MessageLike] | None = None,
    system: str | None = None,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> GenerateObjectResult[T]: ...
@overload
async def generate_object(
    *,
    model: str,
    schema: Mapping[str, object],
    schema_name: str | None = None,
    schema_description: str | None = None,
    mode: ObjectMode = "auto",
    prompt: str | None = None,
    messages: Sequence[MessageLike] | None = None,
    system: str | None = None,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> GenerateObjectResult[dict[str, object]]: ...
async def generate_object(
    *,
    model: str,
    schema: type[T] | Mapping[str, object],
    schema_name: str | None = None,
    schema_description: str | None = None,
    mode: ObjectMode = "auto",
    prompt: str | None = None,
    messages: Sequence[MessageLike] | None = None,
    system: str | None = None,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> GenerateObjectResult[T] | GenerateObjectResult[dict[str, object]]:
    """Generate a typed object without streaming and return it validated.

    Takes the same arguments as :func:`stream_object` and sends a non-streamed request.

    Returns:
        The finished call (a ``GenerateObjectResult``): ``object`` (an instance of
        ``schema``, or a dict for a JSON Schema), the raw JSON ``text``, ``usage``,
        ``finish_reason``...

    Raises:
        NoObjectGeneratedError: the output is missing, is not JSON or does not match the
            schema (``.text`` has the raw output, ``.errors`` the validation errors).
        NoSuchProviderError: for an unknown provider.
        ConfigurationError: for invalid options or an unusable schema.
        UnsupportedFeatureError: for ``mode="json"`` on a protocol without a response format.
        MissingCredentialError: without a credential.
        APIError: from the provider (``APIStatusError``, ``APIConnectionError``,
            ``InvalidResponseError``...).

    Provider API references:
        OpenAI "Structured Outputs" guide and API reference, Chat Completions,
        ``response_format``; Anthropic "Tool use" ("Forcing tool use") and "JSON mode".
    """
    target = resolve_target(model, registry)
    wrapped: ObjectSchema[Any] = object_schema(schema, schema_name, schema_description)
    call, tool_name = _prepare(target, wrapped, mode, locals())
    events = await generate_step(target, call, Connection(api_key, http_client))
    return GenerateObjectResult.from_events(events, wrapped, tool_name)
