"""How a structured-output call is built: the strategy per protocol and the call options.

``Protocol.supports_response_format`` steers it, never the provider id: a native JSON Schema
response format (``CallOptions.response_format``) where the protocol has one, else one tool
whose input schema is the schema, forced with a named ``tool_choice``.

A traced call (``telemetry=``) runs its one request through :func:`observed`, which tells the
same :class:`~llmkit._instrument.RunObserver` as the tool loop of a text call does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Literal

from llmkit._driver import Target
from llmkit._output import Output
from llmkit._settings import call_options
from llmkit.errors import UnsupportedFeatureError
from llmkit.types.events import FinishEvent, StepFinishEvent, StreamEvent
from llmkit.types.options import CallOptions, JsonSchemaFormat, NamedToolChoice, ToolDefinition
from llmkit.types.settings import CallSettings

if TYPE_CHECKING:
    from llmkit._instrument import RunObserver

__all__ = ["TOOL_DESCRIPTION", "ObjectMode", "observed", "prepare"]

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


async def observed(
    source: AsyncIterator[StreamEvent],
    watcher: RunObserver,
    operation: Literal["generate_object", "stream_object"],
    target: Target,
    call: CallOptions,
) -> AsyncGenerator[StreamEvent, None]:
    """The events of ``source`` (one request), told to ``watcher`` as the tool loop tells them
    for a text call of one step (``llmkit._instrument``): ``run_start``, ``step_start``, each
    event; at the response's ``finish``, that event, the step's ``step_finish``, the call's
    ``finish`` (priced for the model that answered) and ``run_end``, before ``finish`` is
    yielded; or ``run_error`` / ``run_stopped``. Used only for a traced call: an untraced one
    iterates ``source`` itself.

    Raises:
        The errors of ``source``, after ``run_error``.
    """
    answered_by: str | None = None
    ended = False
    try:
        watcher.run_start(operation, target, call)
        watcher.step_start(0, target, call)
        tell = watcher.event
        async for event in source:
            if isinstance(event, FinishEvent):
                from llmkit.catalog import finish_with_cost

                tell(event)  # the step's response ended
                finish = finish_with_cost(event, answered_by)
                tell(
                    StepFinishEvent(
                        finish.finish_reason,
                        finish.raw_finish_reason,
                        finish.usage,
                        finish.provider_metadata,
                    )
                )
                tell(finish)  # the call's finish
                ended = True
                watcher.run_end()  # complete: a consumer may stop at the finish event
            else:
                if event.type == "stream_start":
                    answered_by = event.model
                tell(event)
            yield event
        if not ended:  # a source that ended without a finish event
            watcher.run_end()
    except (GeneratorExit, asyncio.CancelledError) as exc:
        if not ended:
            watcher.run_stopped("closed" if isinstance(exc, GeneratorExit) else "cancelled")
        raise
    except Exception as exc:
        watcher.run_error(exc)
        raise
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
