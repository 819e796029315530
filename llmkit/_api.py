"""The public entry points: :func:`stream_text` and :func:`generate_text`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from llmkit._result import GenerateTextResult, StreamTextResult
from llmkit.auth.keys import auth_headers, resolve_api_key
from llmkit.auth.secret import Secret
from llmkit.errors import APIError, ConfigurationError
from llmkit.protocols import Protocol, get_protocol
from llmkit.protocols.base import BuiltRequest
from llmkit.providers import default_registry
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.types.events import StreamEvent, StreamStartEvent
from llmkit.types.messages import MessageLike
from llmkit.types.options import CallOptions, ReasoningOptions, ToolChoice, ToolDefinition

if TYPE_CHECKING:
    import httpx

__all__ = ["generate_text", "stream_text"]


@dataclass(frozen=True, slots=True)
class _Prepared:
    provider: ProviderConfig
    model_id: str
    protocol: Protocol[Any]
    request: BuiltRequest
    timeout: float | None


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
    "tools",
    "tool_choice",
    "reasoning",
    "provider_options",
    "headers",
    "timeout",
)


def _call_fields(arguments: Mapping[str, object]) -> dict[str, object]:
    """The :class:`CallOptions` fields among a public function's arguments."""
    return {name: arguments[name] for name in _CALL_FIELDS}


def _prepare(
    model: str,
    options: dict[str, object],
    registry: ProviderRegistry | None,
    *,
    stream: bool,
) -> _Prepared:
    provider, model_id = (registry or default_registry()).resolve(model)
    try:
        call = CallOptions.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        raise ConfigurationError(f"invalid call options: {exc}") from exc
    protocol = get_protocol(provider.protocol)
    request = protocol.build_request(call, provider, model_id, stream=stream)
    return _Prepared(provider, model_id, protocol, request, call.timeout)


def _label(exc: APIError, prepared: _Prepared) -> None:
    if exc.provider_id is None:
        exc.provider_id = prepared.provider.id
    if exc.model_id is None:
        exc.model_id = prepared.model_id


async def _stream_events(
    prepared: _Prepared,
    api_key: str | Secret | None,
    client: httpx.AsyncClient | None,
) -> AsyncIterator[StreamEvent]:
    from llmkit.transport.http import open_response
    from llmkit.transport.sse import iter_sse

    protocol = prepared.protocol
    try:
        key = await resolve_api_key(prepared.provider, api_key)
        yield StreamStartEvent(prepared.request.warnings)
        async with open_response(
            prepared.request,
            auth_headers(prepared.provider, key),
            protocol.parse_error,
            client=client,
            timeout=prepared.timeout,
        ) as response:
            state = protocol.new_state(prepared.provider)
            parse = protocol.parse_event
            async for sse in iter_sse(response):
                for event in parse(state, sse):
                    yield event
            for event in protocol.finish(state):
                yield event
    except APIError as exc:
        _label(exc, prepared)
        raise


def stream_text(
    *,
    model: str,
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
    tools: Sequence[ToolDefinition | Mapping[str, object]] | None = None,
    tool_choice: ToolChoice | Mapping[str, object] | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> StreamTextResult:
    """Stream a model's answer as unified events.

    Args:
        model: ``"provider:model"``, e.g. ``"openai:gpt-4.1-mini"``,
            ``"anthropic:claude-sonnet-4-5"``, ``"ollama:llama3.1:8b"``.
        prompt: a user message appended after ``messages``.
        messages: the conversation (dicts like ``{"role": "user", "content": "Hi"}`` or
            :mod:`llmkit.types` messages).
        system: system instructions.
        max_output_tokens: output token limit (tokens).
        temperature, top_p, top_k, seed, presence_penalty, frequency_penalty, stop_sequences:
            sampling settings; unsupported ones are dropped with a warning in ``stream_start``.
        tools, tool_choice: tools the model may call (JSON Schema definitions) and how it must
            choose (``"auto"``, ``"none"``, ``"required"`` or ``{"tool_name": ...}``).
        reasoning: ``{"effort": "high"}`` and/or ``{"budget_tokens": 4096}``.
        provider_options: per protocol family, e.g. ``{"anthropic": {"metadata": {...}}}``.
        headers: extra HTTP headers.
        timeout: seconds allowed between bytes (and to connect, capped at 5).
        api_key: the key to use instead of the keychain / environment lookup.
        registry: the provider registry (default ``llmkit.registry``).
        http_client: an ``httpx.AsyncClient`` instead of the shared per-loop client.

    Returns:
        A :class:`StreamTextResult`; nothing is sent until it is iterated or awaited.

    Raises:
        NoSuchProviderError, ConfigurationError, UnsupportedFeatureError: at once, for an
            unknown provider or invalid options.
        MissingCredentialError, APIStatusError, APIConnectionError, StreamError: from the
            iterator (and awaited fields).
    """
    prepared = _prepare(model, _call_fields(locals()), registry, stream=True)
    return StreamTextResult(lambda: _stream_events(prepared, api_key, http_client))


async def generate_text(
    *,
    model: str,
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
    tools: Sequence[ToolDefinition | Mapping[str, object]] | None = None,
    tool_choice: ToolChoice | Mapping[str, object] | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> GenerateTextResult:
    """Call a model without streaming and return the finished result.

    Takes the same arguments as :func:`stream_text` and sends a non-streamed request.

    Returns:
        A :class:`GenerateTextResult` with ``text``, ``reasoning_text``, ``tool_calls``,
        ``usage``, ``finish_reason``...

    Raises:
        NoSuchProviderError, ConfigurationError, UnsupportedFeatureError,
        MissingCredentialError, APIStatusError, APIConnectionError, InvalidResponseError.
    """
    from llmkit.transport.http import post_json

    prepared = _prepare(model, _call_fields(locals()), registry, stream=False)
    try:
        key = await resolve_api_key(prepared.provider, api_key)
        body = await post_json(
            prepared.request,
            auth_headers(prepared.provider, key),
            prepared.protocol.parse_error,
            client=http_client,
            timeout=prepared.timeout,
        )
        events = prepared.protocol.parse_response(body, prepared.provider)
    except APIError as exc:
        _label(exc, prepared)
        raise
    return GenerateTextResult.from_events([StreamStartEvent(prepared.request.warnings), *events])
