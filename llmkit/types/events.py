"""The unified stream event vocabulary (the stream-part lifecycle of the Vercel AI SDK).

Every event is a frozen, slotted dataclass with a ``type`` field (snake_case, not an ``__init__``
argument) that discriminates the :data:`StreamEvent` union: ``if event.type == "text_delta":``
narrows the type for mypy and pyright, as does ``isinstance`` or ``match``. Every block has an
``id``; every ``*_start`` is matched by exactly one ``*_end`` with the same id; ``stream_start``
comes first and exactly one ``finish`` comes last.

``provider_metadata`` maps a protocol family key (``"openai"``, ``"anthropic"``) to opaque
provider data that must survive a round trip (for example Anthropic thinking signatures).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeAlias

from llmkit.types.finish import FinishReason
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

__all__ = [
    "AbortEvent",
    "FinishEvent",
    "ProviderMetadata",
    "ReasoningDeltaEvent",
    "ReasoningEndEvent",
    "ReasoningStartEvent",
    "ResponseMetadataEvent",
    "SourceEvent",
    "StepFinishEvent",
    "StreamEvent",
    "StreamStartEvent",
    "TextDeltaEvent",
    "TextEndEvent",
    "TextStartEvent",
    "ToolApprovalRequestEvent",
    "ToolCallEvent",
    "ToolExecutionEndEvent",
    "ToolExecutionStartEvent",
    "ToolInputDeltaEvent",
    "ToolInputEndEvent",
    "ToolInputStartEvent",
    "ToolResultEvent",
    "event_to_dict",
    "event_to_json",
]

ProviderMetadata: TypeAlias = Mapping[str, Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class StreamStartEvent:
    """First event of every stream.

    Attributes:
        warnings: settings the protocol could not honour and dropped or adapted.
        model: the ``"provider:model"`` that answered (with ``fallback_models``, the fallback
            that did), when the driver knows it.
        attempts: requests sent before this answer started (retries and fallbacks included).
    """

    type: Literal["stream_start"] = field(default="stream_start", init=False, repr=False)
    warnings: tuple[CallWarning, ...] = ()
    model: str | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class ResponseMetadataEvent:
    """What the provider said about the response.

    Attributes:
        response_id: the provider's response id (OpenAI ``id``, Anthropic ``message.id``).
        model_id: the model as served (may differ from the one requested, e.g. a dated version).
        created: when the provider created the response (UTC), if it said.
    """

    type: Literal["response_metadata"] = field(default="response_metadata", init=False, repr=False)
    response_id: str | None = None
    model_id: str | None = None
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class TextStartEvent:
    """A text block opens."""

    type: Literal["text_start"] = field(default="text_start", init=False, repr=False)
    id: str


@dataclass(frozen=True, slots=True)
class TextDeltaEvent:
    """A piece of visible text (``delta``, a str) for the block ``id``."""

    type: Literal["text_delta"] = field(default="text_delta", init=False, repr=False)
    id: str
    delta: str


@dataclass(frozen=True, slots=True)
class TextEndEvent:
    """A text block closes.

    Attributes:
        provider_metadata: opaque data to send back with the text when the conversation is
            replayed (OpenAI Responses: the ``message`` item id and ``phase``); the step's
            :class:`~llmkit.TextPart` gets it as ``provider_options``.
    """

    type: Literal["text_end"] = field(default="text_end", init=False, repr=False)
    id: str
    provider_metadata: ProviderMetadata | None = None


@dataclass(frozen=True, slots=True)
class ReasoningStartEvent:
    """A reasoning (thinking) block opens.

    Attributes:
        redacted_data: for Anthropic ``redacted_thinking`` blocks, the encrypted data, which must
            be sent back unchanged when the conversation is replayed.
    """

    type: Literal["reasoning_start"] = field(default="reasoning_start", init=False, repr=False)
    id: str
    redacted_data: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningDeltaEvent:
    """A piece of reasoning text for the block ``id``."""

    type: Literal["reasoning_delta"] = field(default="reasoning_delta", init=False, repr=False)
    id: str
    delta: str


@dataclass(frozen=True, slots=True)
class ReasoningEndEvent:
    """A reasoning block closes.

    Attributes:
        signature: Anthropic's thinking ``signature`` (from ``signature_delta``), needed to replay
            the block; ``None`` where the provider sends none.
        redacted_data: Anthropic ``redacted_thinking`` data (repeated from the start event).
        provider_metadata: opaque data that must go back with the block when the conversation
            is replayed, keyed by protocol family (OpenAI Responses: ``{"openai": {"item_id":
            ..., "encrypted_content": ...}}``); the step's :class:`~llmkit.ReasoningPart` gets
            it as ``provider_options``.
    """

    type: Literal["reasoning_end"] = field(default="reasoning_end", init=False, repr=False)
    id: str
    signature: str | None = None
    redacted_data: str | None = None
    provider_metadata: ProviderMetadata | None = None


@dataclass(frozen=True, slots=True)
class ToolInputStartEvent:
    """The model starts writing the arguments of a tool call.

    Attributes:
        id: the tool call id (equal to the later :class:`ToolCallEvent` ``tool_call_id``).
        tool_name: the tool's name.
        provider_executed: True for server tools the provider runs itself (Anthropic
            ``server_tool_use`` such as ``web_search``).
    """

    type: Literal["tool_input_start"] = field(default="tool_input_start", init=False, repr=False)
    id: str
    tool_name: str
    provider_executed: bool = False


@dataclass(frozen=True, slots=True)
class ToolInputDeltaEvent:
    """A piece of a tool call's JSON arguments text (``delta``)."""

    type: Literal["tool_input_delta"] = field(default="tool_input_delta", init=False, repr=False)
    id: str
    delta: str


@dataclass(frozen=True, slots=True)
class ToolInputEndEvent:
    """A tool call's arguments are complete."""

    type: Literal["tool_input_end"] = field(default="tool_input_end", init=False, repr=False)
    id: str


@dataclass(frozen=True, slots=True)
class ToolCallEvent:
    """A complete tool call.

    Attributes:
        tool_call_id: the provider's id (generated as ``call_<n>`` when the provider sent none).
        tool_name: the tool's name.
        args: the parsed arguments object (``{}`` when the model sent no arguments or unparsable
            ones; see ``args_error``).
        args_json: the arguments exactly as the model wrote them.
        args_error: why ``args_json`` could not be parsed into an object, else ``None``.
        provider_executed: True for server tools the provider runs itself.
        provider_metadata: opaque data to send back with the call when the conversation is
            replayed (OpenAI Responses: the ``function_call`` item id); the step's
            :class:`~llmkit.ToolCallPart` gets it as ``provider_options``.
    """

    type: Literal["tool_call"] = field(default="tool_call", init=False, repr=False)
    tool_call_id: str
    tool_name: str
    args: Mapping[str, object]
    args_json: str
    args_error: str | None = None
    provider_executed: bool = False
    provider_metadata: ProviderMetadata | None = None


@dataclass(frozen=True, slots=True)
class ToolResultEvent:
    """The result of a tool call: from llmkit's own tool loop or a provider-executed tool.

    Attributes:
        result: the tool's JSON-compatible return value (or the provider's result content).
        is_error: True when the tool failed; ``result`` then describes the failure.
    """

    type: Literal["tool_result"] = field(default="tool_result", init=False, repr=False)
    tool_call_id: str
    tool_name: str
    result: object
    is_error: bool = False
    provider_executed: bool = False


@dataclass(frozen=True, slots=True)
class ToolExecutionStartEvent:
    """llmkit's tool loop started running a tool call (right after its ``tool_call``), so a UI
    can show the tool as running.

    Attributes:
        tool_call_id: the call being run.
        tool_name: the tool's name.
        args: the arguments the tool is run with.
    """

    type: Literal["tool_execution_start"] = field(
        default="tool_execution_start", init=False, repr=False
    )
    tool_call_id: str
    tool_name: str
    args: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ToolExecutionEndEvent:
    """llmkit's tool loop finished running a tool call; its ``tool_result`` follows.

    Attributes:
        tool_call_id: the call that ran.
        tool_name: the tool's name.
        duration: how long the tool ran, in seconds (wall clock, monotonic).
        error: why it failed (the text the model is given), or None when it succeeded.
        error_type: the failure's class: the exception's class name; ``TimeoutError`` for a
            tool that ran past its ``timeout``; ``ValidationError`` for arguments that fail
            the schema; ``InvalidToolArgumentsError`` for arguments that are not JSON;
            ``NoSuchToolError`` for an unknown tool; ``NotExecutableError`` for a tool without
            a function. None when it succeeded. (A call the application denied never runs: it
            gets only a ``tool_result`` with ``is_error``.)
    """

    type: Literal["tool_execution_end"] = field(
        default="tool_execution_end", init=False, repr=False
    )
    tool_call_id: str
    tool_name: str
    duration: float
    error: str | None = None
    error_type: str | None = None


@dataclass(frozen=True, slots=True)
class ToolApprovalRequestEvent:
    """A tool call waits for the application's approval (the tool has ``needs_approval``).

    The tool loop does not run the call and stops after the step. Answer with
    :func:`llmkit.approve` or :func:`llmkit.deny` in a ``tool`` message appended to the
    conversation (the step's messages included), and call again: the approved calls run, the
    denied ones get an error result, and the loop goes on. The pending state lives in the
    messages, so the answer may come later and from another process.

    Attributes:
        tool_call_id: the call waiting for approval (also the approval's id).
        tool_name: the tool's name.
        args: the arguments the model gave.
    """

    type: Literal["tool_approval_request"] = field(
        default="tool_approval_request", init=False, repr=False
    )
    tool_call_id: str
    tool_name: str
    args: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """A source the model cited (web search result, document citation).

    Attributes:
        id: a stable id for this source within the stream.
        source_type: ``url`` or ``document``.
        url: the cited URL, if any.
        title: the source's title, if any.
        cited_text: the quoted passage, if the provider sent one.
    """

    type: Literal["source"] = field(default="source", init=False, repr=False)
    id: str
    source_type: Literal["url", "document"]
    url: str | None = None
    title: str | None = None
    cited_text: str | None = None


@dataclass(frozen=True, slots=True)
class StepFinishEvent:
    """End of one step of a multi-step tool loop (after the step's tool results).

    Attributes:
        finish_reason, raw_finish_reason: why the model stopped in this step.
        usage: this step's token usage (the final ``finish`` carries the total).
        provider_metadata: extra provider data from the step's response.
    """

    type: Literal["step_finish"] = field(default="step_finish", init=False, repr=False)
    finish_reason: FinishReason
    raw_finish_reason: str | None
    usage: Usage
    provider_metadata: ProviderMetadata | None = None


@dataclass(frozen=True, slots=True)
class FinishEvent:
    """Last event of every successful stream.

    Attributes:
        finish_reason: the unified reason (see :data:`~llmkit.types.finish.FinishReason`).
        raw_finish_reason: the provider's own value (``end_turn``, ``eos``...), or ``None``.
        usage: token usage; fields the provider did not report are ``None``.
        provider_metadata: extra provider data (e.g. ``{"openai": {"refusal": ...}}``).
    """

    type: Literal["finish"] = field(default="finish", init=False, repr=False)
    finish_reason: FinishReason
    raw_finish_reason: str | None
    usage: Usage
    provider_metadata: ProviderMetadata | None = None


@dataclass(frozen=True, slots=True)
class AbortEvent:
    """The stream was stopped before its end by the consumer: breaking out of the iteration,
    ``aclose()``, leaving ``async with``, or cancelling the task (``asyncio.timeout`` included).

    Recorded as the result's last event (:attr:`llmkit.StreamTextResult.abort`); it is not
    yielded, since nobody is iterating any more.

    Attributes:
        reason: ``closed`` (break / ``aclose`` / ``async with``) or ``cancelled`` (task).
        text: the text received before the abort.
        reasoning_text: the reasoning received before the abort (None if none).
        usage: usage known so far: the finished steps' (a response reports its usage at its
            end, so the interrupted one is not included; fields not reported are None).
    """

    type: Literal["abort"] = field(default="abort", init=False, repr=False)
    reason: Literal["closed", "cancelled"]
    text: str
    reasoning_text: str | None
    usage: Usage


StreamEvent: TypeAlias = (
    StreamStartEvent
    | ResponseMetadataEvent
    | TextStartEvent
    | TextDeltaEvent
    | TextEndEvent
    | ReasoningStartEvent
    | ReasoningDeltaEvent
    | ReasoningEndEvent
    | ToolInputStartEvent
    | ToolInputDeltaEvent
    | ToolInputEndEvent
    | ToolCallEvent
    | ToolResultEvent
    | ToolExecutionStartEvent
    | ToolExecutionEndEvent
    | ToolApprovalRequestEvent
    | SourceEvent
    | StepFinishEvent
    | FinishEvent
    | AbortEvent
)
"""Any stream event; discriminate on ``event.type`` or with ``isinstance``."""


def _fast_delta_init(cls: type, type_value: str) -> None:
    """Give a per-delta event class a faster ``__init__`` (the hot path builds one per delta).

    A frozen dataclass's generated ``__init__`` stores each field with ``object.__setattr__``
    (~0.6 µs for three fields); storing through the slots' own descriptors costs about half.
    Instances stay frozen: ``__setattr__`` still raises ``FrozenInstanceError``, and the
    fields, ``repr``, equality, ``replace`` and pickling are the dataclass's own.
    """
    slots = vars(cls)
    set_type, set_id, set_delta = slots["type"].__set__, slots["id"].__set__, slots["delta"].__set__

    def __init__(self: object, id: str, delta: str) -> None:
        set_type(self, type_value)
        set_id(self, id)
        set_delta(self, delta)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    setattr(cls, "__init__", __init__)  # noqa: B010 (mypy rejects assigning to a method)


_fast_delta_init(TextDeltaEvent, "text_delta")
_fast_delta_init(ReasoningDeltaEvent, "reasoning_delta")
_fast_delta_init(ToolInputDeltaEvent, "tool_input_delta")


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # a cost in USD: exact, as JSON numbers are not
    if isinstance(value, Usage):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, CallWarning):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def event_to_dict(event: StreamEvent) -> dict[str, object]:
    """A JSON-serialisable dict of an event, with its ``type`` first."""
    out: dict[str, object] = {}
    for f in fields(event):
        out[f.name] = _plain(getattr(event, f.name))
    return out


def event_to_json(event: StreamEvent) -> str:
    """``event_to_dict`` as compact JSON."""
    return json.dumps(event_to_dict(event), ensure_ascii=False, default=str)
