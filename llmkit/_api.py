"""The public entry points: :func:`stream_text` and :func:`generate_text`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING

from llmkit._driver import (
    build_call,
    build_stream_request,
    generate_step,
    make_connection,
    resolve_target,
    stream_step,
)
from llmkit._loop import FinishCallback, StepCallback, ToolLoop
from llmkit._result import GenerateTextResult, StreamTextResult
from llmkit._steps import StopCondition
from llmkit.auth.secret import Secret
from llmkit.providers.registry import ProviderRegistry
from llmkit.reliability import RateLimit, ResponseCache, RetryPolicy, Timeouts
from llmkit.tools._tool import Tool, ToolLike, tool_map
from llmkit.types.events import StreamEvent
from llmkit.types.messages import MessageLike
from llmkit.types.options import CallOptions, ReasoningOptions, ToolChoice, ToolDefinition

if TYPE_CHECKING:
    import httpx

__all__ = ["generate_text", "stream_text"]


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


def _definitions(tools: Mapping[str, Tool]) -> list[ToolDefinition] | None:
    """The definitions sent for ``tools=`` (None: no tools)."""
    return [t.definition for t in tools.values()] or None


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
    tools: Sequence[ToolLike] | None = None,
    tool_choice: ToolChoice | Mapping[str, object] | None = None,
    max_steps: int | None = None,
    stop_when: StopCondition | Sequence[StopCondition] | None = None,
    on_step_finish: StepCallback | None = None,
    on_finish: FinishCallback | None = None,
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
    fallback_models: Sequence[str] | None = None,
    cache: ResponseCache | bool | None = None,
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
        temperature: sampling temperature. Like every sampling setting, one the protocol cannot
            honour is dropped with a warning in ``stream_start``.
        top_p: nucleus sampling probability mass.
        top_k: sample from the k most likely tokens (Anthropic, some OpenAI compatibles).
        stop_sequences: strings that end generation.
        seed: sampling seed, where the provider supports one.
        presence_penalty: OpenAI-style presence penalty.
        frequency_penalty: OpenAI-style frequency penalty.
        tools: tools the model may call: functions decorated with :func:`llmkit.tool` (llmkit
            runs them), plain functions, :class:`llmkit.Tool` objects, or JSON Schema
            definitions (``ToolDefinition`` or dicts; their calls are left to you).
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or ``{"tool_name": ...}``.
        max_steps: the most model calls in the tool loop (default 1: run the tools the model
            calls but do not call the model again; 20 when ``stop_when`` is given).
        stop_when: condition(s) over the finished steps that end the loop early, e.g.
            :func:`llmkit.has_tool_call` ``("final_answer")``.
        on_step_finish: called with each :class:`llmkit.StepResult` (sync or async).
        on_finish: called once with a :class:`llmkit.FinishInfo` when the call completes.
        reasoning: ``{"effort": "high"}`` and/or ``{"budget_tokens": 4096}``.
        provider_options: per protocol family, e.g. ``{"anthropic": {"metadata": {...}}}``.
        headers: extra HTTP headers.
        timeout: seconds for the first event and between events (connect: at most 5); see
            ``timeouts`` for each limit.
        api_key: the key to use instead of the keychain / environment lookup.
        registry: the provider registry (default ``llmkit.registry``).
        http_client: an ``httpx.AsyncClient`` instead of the shared per-loop client.
        retry: a :class:`llmkit.RetryPolicy` or a number of retries (default: the provider's,
            else 2). Retries happen only before the first content event.
        timeouts: a :class:`llmkit.Timeouts` (connect, first event, idle, total; seconds).
        rate_limit: a :class:`llmkit.RateLimit` for this call (default: the provider's).
        fallback_models: ``"provider:model"`` strings tried in order when the call fails
            retryably before any content; ``stream_start.model`` names the one that answered.
        cache: a :class:`llmkit.ResponseCache`, or True for the process-wide one; a cached
            stream replays its recorded events.

    Returns:
        The stream (a ``StreamTextResult``); nothing is sent until it is iterated or awaited.

    Raises:
        NoSuchProviderError: at once, for an unknown provider.
        ConfigurationError: at once, for invalid options.
        UnsupportedFeatureError: at once, for a setting the protocol cannot honour.
        MissingCredentialError: from the iterator, when no key is found.
        APIStatusError: from the iterator, for a non-2xx response.
        APIConnectionError: from the iterator, when the connection fails or times out.
        StreamError: from the iterator, for an in-band error or a truncated stream.
    """
    target = resolve_target(model, registry)
    toolset = tool_map(tools)
    call = build_call({**_call_fields(locals()), "tools": _definitions(toolset)})
    request = build_stream_request(target, call)  # unsupported settings raise here, at once
    connection = make_connection(
        api_key,
        http_client,
        retry=retry,
        timeouts=timeouts,
        rate_limit=rate_limit,
        fallback_models=fallback_models,
        cache=cache,
        registry=registry,
    )

    def step(options: CallOptions, index: int) -> AsyncIterator[StreamEvent]:
        return stream_step(target, options, connection, request if index == 0 else None)

    loop = ToolLoop(
        call,
        toolset,
        step,
        max_steps=max_steps,
        stop_when=stop_when,
        on_step_finish=on_step_finish,
        on_finish=on_finish,
    )
    return StreamTextResult(loop.events, run=loop)


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
    tools: Sequence[ToolLike] | None = None,
    tool_choice: ToolChoice | Mapping[str, object] | None = None,
    max_steps: int | None = None,
    stop_when: StopCondition | Sequence[StopCondition] | None = None,
    on_step_finish: StepCallback | None = None,
    on_finish: FinishCallback | None = None,
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
    fallback_models: Sequence[str] | None = None,
    cache: ResponseCache | bool | None = None,
) -> GenerateTextResult:
    """Call a model without streaming and return the finished result.

    Takes the same arguments as :func:`stream_text` and sends a non-streamed request.

    Returns:
        The finished result (a ``GenerateTextResult``: ``text``, ``reasoning_text``,
            ``tool_calls``, ``usage``, ``finish_reason``...).

    Raises:
        NoSuchProviderError: unknown provider.
        ConfigurationError: invalid options.
        UnsupportedFeatureError: a setting the protocol cannot honour.
        MissingCredentialError: no key found.
        APIStatusError: a non-2xx response.
        APIConnectionError: the connection failed or timed out.
        InvalidResponseError: the body is not a usable response.
    """
    target = resolve_target(model, registry)
    toolset = tool_map(tools)
    call = build_call({**_call_fields(locals()), "tools": _definitions(toolset)})
    connection = make_connection(
        api_key,
        http_client,
        retry=retry,
        timeouts=timeouts,
        rate_limit=rate_limit,
        fallback_models=fallback_models,
        cache=cache,
        registry=registry,
    )

    async def step(options: CallOptions, index: int) -> AsyncIterator[StreamEvent]:
        for event in await generate_step(target, options, connection):
            yield event

    loop = ToolLoop(
        call,
        toolset,
        step,
        max_steps=max_steps,
        stop_when=stop_when,
        on_step_finish=on_step_finish,
        on_finish=on_finish,
    )
    async with aclosing(loop.events()) as stream:
        events = [event async for event in stream]
    return GenerateTextResult.from_events(
        events, steps=loop.steps, response_messages=loop.response_messages
    )
