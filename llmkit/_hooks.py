"""The call hooks of ``stream_text`` / ``generate_text`` beside ``on_step_finish`` and
``on_finish``: what each receives, and what ``prepare_step`` and ``repair_tool_call`` return.

Each hook may be a plain function or a coroutine function (awaited). They follow the AI SDK's
``experimental_onStart`` / ``onStepStart`` / ``onChunk`` / ``onError``, ``prepareStep`` and
``experimental_repairToolCall``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from typing_extensions import TypedDict

if TYPE_CHECKING:
    from llmkit._steps import StepResult
    from llmkit.errors import LLMKitError
    from llmkit.providers.inline import ModelLike
    from llmkit.tools._tool import Tool
    from llmkit.types.events import StreamEvent, ToolCallEvent
    from llmkit.types.messages import Message, MessageLike
    from llmkit.types.options import CallOptions, ToolChoice

__all__ = [
    "ChunkCallback",
    "ErrorCallback",
    "PrepareStep",
    "PrepareStepInfo",
    "StartCallback",
    "StartInfo",
    "StepPreparation",
    "StepStartCallback",
    "StepStartInfo",
    "ToolCallRepair",
    "ToolCallRepairInfo",
    "maybe_await",
]


@dataclass(frozen=True, slots=True)
class StartInfo:
    """What ``on_start`` receives, once, before the first request.

    Attributes:
        model: the model asked for, ``"provider:model"``.
        call: the first step's call options (messages, system, tools, sampling settings).
    """

    model: str
    call: CallOptions


@dataclass(frozen=True, slots=True)
class StepStartInfo:
    """What ``on_step_start`` receives before each step's request (after ``prepare_step``).

    Attributes:
        index: the step's position, from 0.
        model: the model this step asks, ``"provider:model"``.
        call: the step's call options: the whole conversation sent, the tools offered.
        steps: the steps finished before this one.
    """

    index: int
    model: str
    call: CallOptions
    steps: tuple[StepResult, ...]


@dataclass(frozen=True, slots=True)
class PrepareStepInfo:
    """What ``prepare_step`` receives before each step.

    Attributes:
        index: the step's position, from 0.
        model: the model the call was made with, ``"provider:model"``.
        steps: the steps finished so far.
        messages: the conversation this step would send (the call's messages plus every
            finished step's messages).
    """

    index: int
    model: str
    steps: tuple[StepResult, ...]
    messages: tuple[Message, ...]


class StepPreparation(TypedDict, total=False):
    """What ``prepare_step`` may return to change one step (every key optional).

    Attributes:
        model: the model for this step (a ``"provider:model"`` string or an inline
            ``llmkit.Model``); later steps go back to the call's model unless they change it too.
        active_tools: the names of the tools offered in this step (the others are not sent;
            a call the model still makes to one of them gets an error result).
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or ``{"tool_name": ...}``.
        system: the system instructions for this step.
        messages: the conversation to send in this step instead (the loop keeps its own
            record: the next step starts again from the whole conversation).
    """

    model: ModelLike
    active_tools: Sequence[str]
    tool_choice: ToolChoice | Mapping[str, object]
    system: str
    messages: Sequence[MessageLike]


@dataclass(frozen=True, slots=True)
class ToolCallRepairInfo:
    """What ``repair_tool_call`` receives for a tool call llmkit cannot run as it is.

    Attributes:
        call: the model's tool call.
        error: what is wrong, as the model would be told (unknown tool, arguments that do not
            parse, or arguments that fail the tool's schema).
        error_type: ``"no_such_tool"``, ``"invalid_json"`` or ``"invalid_arguments"``.
        tools: the tools by name (``tools[name].parameters`` is each one's JSON Schema).
    """

    call: ToolCallEvent
    error: str
    error_type: str
    tools: Mapping[str, Tool]


StartCallback: TypeAlias = Callable[[StartInfo], object]
"""``on_start``: called with a :class:`StartInfo` (sync, or async and awaited)."""
StepStartCallback: TypeAlias = Callable[[StepStartInfo], object]
"""``on_step_start``: called with a :class:`StepStartInfo` (sync, or async and awaited)."""
ChunkCallback: TypeAlias = Callable[["StreamEvent"], object]
"""``on_chunk``: called with every event as it is yielded (sync, or async and awaited)."""
ErrorCallback: TypeAlias = Callable[["LLMKitError"], object]
"""``on_error``: called with the error before it is raised (sync, or async and awaited)."""
PrepareStep: TypeAlias = Callable[
    [PrepareStepInfo], "StepPreparation | Awaitable[StepPreparation | None] | None"
]
"""``prepare_step``: returns the changes for one step, or None (sync, or async)."""
ToolCallRepair: TypeAlias = Callable[
    [ToolCallRepairInfo], "ToolCallEvent | Awaitable[ToolCallEvent | None] | None"
]
"""``repair_tool_call``: returns the fixed call, or None to give the model the error."""


async def maybe_await(value: object) -> object:
    """What a hook returned: awaited when it is awaitable (an ``async`` hook), else as is."""
    if inspect.isawaitable(value):
        return await value
    return value
