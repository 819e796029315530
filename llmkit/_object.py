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
from typing import TYPE_CHECKING, Any, TypeVar, overload

from llmkit._driver import build_stream_request, generate_step, resolve_target, stream_step
from llmkit._object_call import ObjectMode, connection, prepare
from llmkit._object_result import GenerateObjectResult, StreamObjectResult
from llmkit._object_schema import ObjectSchema, object_schema
from llmkit.auth.secret import Secret
from llmkit.providers.registry import ProviderRegistry
from llmkit.types.messages import MessageLike
from llmkit.types.options import ReasoningOptions

if TYPE_CHECKING:
    import httpx

    from llmkit.reliability.cache import ResponseCache
    from llmkit.reliability.deadline import Timeouts
    from llmkit.reliability.ratelimit import RateLimit
    from llmkit.reliability.retry import RetryPolicy

__all__ = ["ObjectMode", "generate_object", "stream_object"]

T = TypeVar("T")


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
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    cache: ResponseCache | bool | None = None,
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
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    cache: ResponseCache | bool | None = None,
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
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    cache: ResponseCache | bool | None = None,
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
        retry: a :class:`llmkit.RetryPolicy` or a number of retries (default: the provider's,
            else 2), before the first content event only.
        timeouts: a :class:`llmkit.Timeouts` (connect, first event, idle, total; seconds).
        rate_limit: a :class:`llmkit.RateLimit` for this call (default: the provider's).
        cache: a :class:`llmkit.ResponseCache`, or True for the process-wide one.

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
    call, tool_name = prepare(target, wrapped, mode, locals())
    request = build_stream_request(target, call)  # unsupported settings raise here, at once
    conn = connection(locals())
    return StreamObjectResult(lambda: stream_step(target, call, conn, request), wrapped, tool_name)


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
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    cache: ResponseCache | bool | None = None,
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
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    cache: ResponseCache | bool | None = None,
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
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    cache: ResponseCache | bool | None = None,
) -> GenerateObjectResult[T] | GenerateObjectResult[dict[str, object]]:
    """Generate a typed object without streaming and return it validated.

    Takes the same arguments as :func:`stream_object` and sends a non-streamed request.
    Fallback models are not offered for structured output: the strategy (response format or
    forced tool) depends on the protocol, which a fallback may not share.

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
    call, tool_name = prepare(target, wrapped, mode, locals())
    events = await generate_step(target, call, connection(locals()))
    return GenerateObjectResult.from_events(events, wrapped, tool_name)
