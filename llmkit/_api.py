"""The public entry points: :func:`stream_text` and :func:`generate_text`.

Importing this module loads only the settings' names: the driver, the transport, the protocols
and pydantic are imported by the first call (``from llmkit import stream_text`` stays fast;
``tests/test_import_weight.py`` keeps it so).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from llmkit._settings import check_settings, show_settings
from llmkit.types.settings import TextCallSettings

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from llmkit._driver import Target
    from llmkit._instrument import RunObserver
    from llmkit._loop import StepSource, ToolLoop
    from llmkit._output_tool import OutputTool
    from llmkit._result import GenerateTextResult, StreamTextResult
    from llmkit._sync import SyncStreamTextResult
    from llmkit.providers.inline import ModelLike
    from llmkit.tools._tool import Tool
    from llmkit.types.events import StreamEvent
    from llmkit.types.options import CallOptions, ToolDefinition

__all__ = ["generate_text", "generate_text_sync", "stream_text", "stream_text_sync"]

_SETTINGS = TextCallSettings.__optional_keys__
_HOOKS = (
    "on_start",
    "on_step_start",
    "on_chunk",
    "on_error",
    "on_step_finish",
    "on_finish",
    "prepare_step",
    "repair_tool_call",
)
"""The settings that are :class:`~llmkit._loop.LoopHooks` fields."""


def _definitions(tools: Mapping[str, Tool]) -> list[ToolDefinition] | None:
    """The definitions sent for ``tools=`` (None: no tools)."""
    return [t.definition for t in tools.values()] or None


def _prepare(
    function: str, model: ModelLike, settings: TextCallSettings
) -> tuple[Target, dict[str, Tool], CallOptions, OutputTool | None]:
    """The resolved model, the tools by name, the first step's call options and the
    ``final_answer`` tool of ``output=``."""
    from llmkit._driver import resolve_target
    from llmkit._settings import call_options
    from llmkit.tools._tool import tool_map

    check_settings(function, settings, _SETTINGS)
    target = resolve_target(model, settings.get("registry"))
    toolset = tool_map(settings.get("tools"))
    tool_choice = settings.get("tool_choice")
    answer = None
    output = settings.get("output")
    if output is not None:
        from llmkit._output_tool import output_tool

        answer = toolset["final_answer"] = output_tool(output, toolset)
        tool_choice = "required" if tool_choice is None else tool_choice
    tools = _definitions(toolset)
    call = call_options(settings, tools=tools, tool_choice=tool_choice)
    return target, toolset, call, answer


def _observer(setting: object | None) -> RunObserver | None:
    """The observer of one call from its ``telemetry=`` setting: ``False`` → none; ``None`` →
    the process default (``llmkit.telemetry.instrument()``), if any; ``True`` → the default,
    else ``Telemetry()``; a ``Telemetry`` → that one. Imports :mod:`llmkit.telemetry` (and so
    OpenTelemetry) only when the call is traced."""
    from llmkit._instrument import telemetry_for

    chosen = telemetry_for(setting)
    if chosen is False:
        return None
    from llmkit.telemetry import run_observer

    return run_observer(chosen)


def _loop(
    operation: str,
    target: Target,
    call: CallOptions,
    toolset: dict[str, Tool],
    step: StepSource,
    settings: TextCallSettings,
    answer: OutputTool | None,
) -> ToolLoop:
    """The tool loop around ``step`` with the loop settings, hooks and telemetry."""
    from llmkit._driver import resolve_target
    from llmkit._loop import LoopHooks, ToolLoop

    hooks = LoopHooks(
        on_start=settings.get("on_start"),
        on_step_start=settings.get("on_step_start"),
        on_chunk=settings.get("on_chunk"),
        on_error=settings.get("on_error"),
        on_step_finish=settings.get("on_step_finish"),
        on_finish=settings.get("on_finish"),
        prepare_step=settings.get("prepare_step"),
        repair_tool_call=settings.get("repair_tool_call"),
    )
    registry = settings.get("registry")
    stop_when = settings.get("stop_when")
    max_steps = settings.get("max_steps")
    if answer is not None:  # the first valid final answer ends the loop
        given = [] if stop_when is None else [stop_when] if callable(stop_when) else stop_when
        stop_when = [answer.stop_condition(), *given]
    return ToolLoop(
        call,
        toolset,
        target,
        step,
        resolve=lambda model: resolve_target(model, registry),
        operation=operation,
        max_steps=max_steps,
        stop_when=stop_when,
        hooks=hooks if any(settings.get(name) for name in _HOOKS) else None,
        observer=_observer(settings.get("telemetry")),
    )


def stream_text(*, model: ModelLike, **settings: Unpack[TextCallSettings]) -> StreamTextResult:
    """Stream a model's answer as unified events.

    Args:
        model: ``"provider:model"``, e.g. ``"openai:gpt-4.1-mini"``,
            ``"anthropic:claude-sonnet-4-5"``, ``"ollama:llama3.1:8b"``; or an inline
            :class:`~llmkit.Model` carrying its own provider and key, e.g.
            ``llmkit.provider("http://127.0.0.1:8000/v1")("qwen3")``.
        **settings: the prompt, sampling, tools and tool loop, and I/O settings, each
            documented on :class:`~llmkit.TextCallSettings` (``prompt=``, ``messages=``,
            ``system=``, ``temperature=``, ``tools=``, ``max_steps=``, ``retry=``...).

    Returns:
        The stream (a ``StreamTextResult``); nothing is sent until it is iterated or awaited.

    Raises:
        TypeError: at once, for a keyword that is not a setting.
        NoSuchProviderError: at once, for an unknown provider.
        ConfigurationError: at once, for invalid options.
        UnsupportedFeatureError: at once, for a setting the protocol cannot honour.
        MissingCredentialError: from the iterator, when no key is found.
        APIStatusError: from the iterator, for a non-2xx response.
        APIConnectionError: from the iterator, when the connection fails or times out.
        StreamError: from the iterator, for an in-band error or a truncated stream.
    """
    from llmkit._driver import build_stream_request
    from llmkit._model_call import stream_step
    from llmkit._result import StreamTextResult
    from llmkit._settings import connection

    target, toolset, call, answer = _prepare("stream_text", model, settings)
    request = build_stream_request(target, call)  # unsupported settings raise here, at once
    conn = connection(settings, settings.get("fallback_models"))

    def step(model: Target, options: CallOptions, index: int) -> AsyncIterator[StreamEvent]:
        built = request if options is call and model is target else None  # as prepared
        return stream_step(model, options, conn, built)

    loop = _loop("stream_text", target, call, toolset, step, settings, answer)
    return StreamTextResult(loop.events, run=loop, answer=answer)


async def generate_text(
    *, model: ModelLike, **settings: Unpack[TextCallSettings]
) -> GenerateTextResult:
    """Call a model without streaming and return the finished result.

    Takes the same arguments as :func:`stream_text` and sends a non-streamed request.

    Args:
        model: ``"provider:model"``, as for :func:`stream_text`.
        **settings: the settings documented on :class:`~llmkit.TextCallSettings`.

    Returns:
        The finished result (a ``GenerateTextResult``: ``text``, ``reasoning_text``,
            ``tool_calls``, ``usage``, ``finish_reason``...).

    Raises:
        TypeError: for a keyword that is not a setting.
        NoSuchProviderError: unknown provider.
        ConfigurationError: invalid options.
        UnsupportedFeatureError: a setting the protocol cannot honour.
        MissingCredentialError: no key found.
        APIStatusError: a non-2xx response.
        APIConnectionError: the connection failed or timed out.
        InvalidResponseError: the body is not a usable response.
        NoObjectGeneratedError: ``output=`` was given and the model gave no valid final answer.
    """
    from contextlib import aclosing

    from llmkit._model_call import generate_step
    from llmkit._result import GenerateTextResult
    from llmkit._settings import connection

    target, toolset, call, answer = _prepare("generate_text", model, settings)
    conn = connection(settings, settings.get("fallback_models"))

    async def step(model: Target, options: CallOptions, index: int) -> AsyncIterator[StreamEvent]:
        for event in await generate_step(model, options, conn):
            yield event

    loop = _loop("generate_text", target, call, toolset, step, settings, answer)
    async with aclosing(loop.events()) as stream:
        events = [event async for event in stream]
    return GenerateTextResult.from_events(
        events,
        steps=loop.steps,
        response_messages=loop.response_messages,
        approval_requests=loop.approval_requests,
        answer=answer,
    )


def stream_text_sync(
    *, model: ModelLike, **settings: Unpack[TextCallSettings]
) -> SyncStreamTextResult:
    """:func:`stream_text` for synchronous code: the same settings, the stream read without await.

    ``for event in result`` (or ``for piece in result.text_stream``) blocks for each event, and
    the fields are plain attributes (``result.text``, ``result.usage``...). The call runs on
    llmkit's private event-loop thread, so this works in scripts, worker threads and inside a
    running event loop (Jupyter); breaking out of the loop closes the HTTP response at once.

    Args:
        model: ``"provider:model"``, as for :func:`stream_text`.
        **settings: the settings documented on :class:`~llmkit.TextCallSettings`.

    Returns:
        The stream (a ``SyncStreamTextResult``); nothing is sent until it is iterated or read.

    Raises:
        TypeError, NoSuchProviderError, ConfigurationError, UnsupportedFeatureError: at once,
            as for :func:`stream_text`; the others from the iterator and the fields.
        RuntimeError: called from llmkit's own sync loop thread (an async callback or tool of a
            sync call; use :func:`stream_text` there).
    """
    from llmkit._sync import SyncStreamTextResult, check_thread

    check_thread()
    return SyncStreamTextResult(stream_text(model=model, **settings))


def generate_text_sync(
    *, model: ModelLike, **settings: Unpack[TextCallSettings]
) -> GenerateTextResult:
    """:func:`generate_text` for synchronous code: blocks and returns the same result.

    Runs on llmkit's private event-loop thread, so it works in scripts, worker threads and
    inside a running event loop (Jupyter). An exception while waiting (``KeyboardInterrupt``)
    cancels the call.

    Args:
        model: ``"provider:model"``, as for :func:`stream_text`.
        **settings: the settings documented on :class:`~llmkit.TextCallSettings`.

    Returns:
        The finished result (a ``GenerateTextResult``), as :func:`generate_text` returns.

    Raises:
        LLMKitError: the errors of :func:`generate_text`, with their own types.
        RuntimeError: called from llmkit's own sync loop thread.
    """
    from llmkit._sync import run_sync

    return run_sync(generate_text(model=model, **settings))


show_settings(stream_text, TextCallSettings)  # help() and inspect.signature list every setting
show_settings(generate_text, TextCallSettings)
show_settings(stream_text_sync, TextCallSettings)
show_settings(generate_text_sync, TextCallSettings)
