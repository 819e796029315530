"""The OpenAI chat streaming state machine: ``chat.completion.chunk`` dicts → stream events.

Source: OpenAI API reference, Chat Completions, "The chat completion chunk object" and
"Streaming": each server-sent event's ``data`` is one JSON chunk
``{"id", "created", "model", "choices": [{"index", "delta", "finish_reason"}], "usage"}``; the
stream ends with ``data: [DONE]``.

This is the hot path (design §9): one JSON decode per event (jiter, see
:func:`~llmkit.protocols._common.decode_event_json`), a few dict look-ups, events built
directly. Chunks are read as plain dicts, defensively; a shape llmkit cannot use raises
:class:`~llmkit.errors.InvalidResponseError`.

Behaviour, including the deviations seen in real provider streams:

- ``ResponseMetadataEvent`` once, from the first chunk with a non-empty ``id`` or ``model``
  (Azure's first chunk has ``id: ""`` and ``created: 0``; Gemini sends no ``id``).
- Only choice ``index`` 0 is streamed; chunks of other choices are ignored. ``choices: []``
  chunks (Azure ``prompt_filter_results``, usage-only final chunks) only contribute usage.
- ``delta.content`` → a text block ``text-<n>`` (a list of content parts is split into text and
  reasoning, see :func:`split_content`); reasoning from the first non-empty field of
  ``quirks.reasoning_fields`` (``reasoning_content``: DeepSeek, xAI; ``reasoning``: OpenRouter,
  Groq, Ollama) → a reasoning block ``reasoning-<n>``. Text closes reasoning and vice versa; a
  new tool call closes both. ``delta.refusal`` is collected into
  ``FinishEvent.provider_metadata["openai"]["refusal"]``, not shown as text.
- ``delta.tool_calls`` entries are matched by ``index``; without an index (Mistral, Gemini,
  Ollama) by a non-empty ``id``; without either, an entry with a function name starts a new call
  and one without continues the latest (or, when a delta has several, the call at that
  position). A call without an id gets ``call_<n>`` (n = its position in the stream; Gemini sends
  ``id: ""``). A tool call is complete, and its ``tool_input_end`` and ``tool_call`` events are
  emitted at once (so the tool loop can start running it while the stream goes on), when a
  tool call with a new ``index`` starts (as in the official SDK: the calls of one choice stream
  one after the other) or when the choice's ``finish_reason`` arrives; calls matched by id or
  position stay open until the finish reason (or :func:`finish_events`). Arguments for a call
  that was already completed raise :class:`~llmkit.errors.InvalidResponseError`.
- ``finish_reason``: the last non-null value (a string; anything else is an unusable shape);
  usage: the last non-null ``usage`` object of any chunk (xAI and Databricks repeat it on every
  chunk, Databricks with nulls until the end), or ``x_groq.usage`` when
  ``quirks.usage_in_x_groq``.
- Field values of the wrong JSON type are ignored where the field is optional (``content`` of
  an unknown type is serialised, see :func:`split_content`), and raise
  :class:`~llmkit.errors.InvalidResponseError` where they cannot be used (a tool call
  ``function.name`` that is not a string, a non-string ``finish_reason``).
- A chunk with a top-level ``error``, or an ``event: error`` event (Groq), raises
  :class:`~llmkit.errors.StreamError`.
- End of stream: ``[DONE]`` or a finish reason (Writer and Hugging Face send no ``[DONE]``);
  with neither the stream was truncated and :func:`finish_events` raises ``StreamError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from llmkit.errors import InvalidResponseError, StreamError
from llmkit.protocols._blocks import Blocks
from llmkit.protocols._common import JSON_ERRORS, SHAPE_ERRORS, decode_event_json, invalid_json
from llmkit.protocols.base import StreamState
from llmkit.protocols.openai_chat.convert_usage import convert_usage
from llmkit.protocols.openai_chat.errors import in_band_error
from llmkit.protocols.openai_chat.map_finish_reason import map_finish_reason
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ResponseMetadataEvent,
    StreamEvent,
    TextDeltaEvent,
)

__all__ = [
    "METADATA_KEY",
    "OpenAIChatState",
    "created_at",
    "finish_events",
    "parse_chunk",
    "split_content",
]

METADATA_KEY = "openai"
"""The ``provider_metadata`` / ``provider_options`` key of the OpenAI chat protocol family."""


class _ToolCall:
    """One streamed tool call; ``pending`` holds argument text received before its name;
    ``closed`` once its ``tool_call`` event was emitted."""

    __slots__ = ("closed", "id", "name", "pending", "started")

    def __init__(self, call_id: str) -> None:
        self.id = call_id
        self.name = ""
        self.started = False
        self.closed = False
        self.pending: list[str] = []


@dataclass(slots=True)
class OpenAIChatState(StreamState):
    """Per-stream state of the OpenAI chat protocol.

    Attributes:
        provider_id: the provider, for error context.
        reasoning_fields: delta fields carrying reasoning text, in order (``Quirks``).
        usage_in_x_groq: also read usage from ``x_groq.usage`` (``Quirks``).
        blocks: open blocks (start/end pairing, tool arguments).
        metadata_sent: the ``response_metadata`` event was emitted.
        model_id: the model as served (from the first chunk), for error context.
        text_id, reasoning_id: the open text / reasoning block, if any.
        text_count, reasoning_count: blocks opened so far, for their ids.
        tools_by_index, tools_by_id, tool_order: tool calls by ``index``, by ``id``, in order.
        open_calls: the started tool calls not yet completed, in the order they started.
        refusal: ``delta.refusal`` pieces.
        finish_reason: the last non-null raw finish reason.
        usage: the last non-null usage object.
    """

    provider_id: str | None = None
    reasoning_fields: tuple[str, ...] = ()
    usage_in_x_groq: bool = False
    blocks: Blocks = field(default_factory=Blocks)
    metadata_sent: bool = False
    model_id: str | None = None
    text_id: str | None = None
    reasoning_id: str | None = None
    text_count: int = 0
    reasoning_count: int = 0
    tools_by_index: dict[int, _ToolCall] = field(default_factory=dict)
    tools_by_id: dict[str, _ToolCall] = field(default_factory=dict)
    tool_order: list[_ToolCall] = field(default_factory=list)
    open_calls: list[_ToolCall] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, object] | None = None


_MILLISECONDS_FROM = 1e11
"""``created`` values from here on are read as milliseconds (1e11 seconds is the year 5138)."""


def created_at(value: object) -> datetime | None:
    """A ``created`` unix timestamp as an aware UTC datetime.

    Seconds, as the OpenAI reference says; a value of 1e11 or more is read as milliseconds
    (some compatible servers send those). None when absent, 0, not a number, or still outside
    the range of :class:`~datetime.datetime` (years 1-9999).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        if value >= _MILLISECONDS_FROM:
            value = value / 1000
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):
            return None
    return None


def split_content(content: object) -> tuple[str, str]:
    """(reasoning, text) of a ``content`` value that is not a string.

    A list of content parts (Mistral's Magistral models, Mistral API reference, "Reasoning")
    gives the concatenated ``text`` of its ``{"type": "text"}`` parts and the reasoning of its
    ``{"type": "thinking", "thinking": [{"type": "text", "text": ...}]}`` parts; other part
    types (such as ``reference``) are ignored. Any other value (Cloudflare returns a JSON object
    when a schema was requested) is serialised as JSON text.
    """
    if not isinstance(content, list):
        return "", json.dumps(content, ensure_ascii=False)
    reasoning: list[str] = []
    text: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("text"), str):
            text.append(part["text"])
        elif kind == "thinking":
            thinking = part.get("thinking")
            if isinstance(thinking, str):
                reasoning.append(thinking)
            elif isinstance(thinking, list):
                reasoning.extend(
                    p["text"]
                    for p in thinking
                    if isinstance(p, dict) and isinstance(p.get("text"), str)
                )
    return "".join(reasoning), "".join(text)


def _structured_content(state: OpenAIChatState, content: object, out: list[StreamEvent]) -> None:
    reasoning, text = split_content(content)
    if reasoning:
        rid = state.reasoning_id or _open_reasoning(state, out)
        out.append(ReasoningDeltaEvent(rid, reasoning))
    if text:
        tid = state.text_id or _open_text(state, out)
        out.append(TextDeltaEvent(tid, text))


def _close_text_and_reasoning(state: OpenAIChatState, out: list[StreamEvent]) -> None:
    if state.text_id is not None:
        state.blocks.end(state.text_id, out)
        state.text_id = None
    if state.reasoning_id is not None:
        state.blocks.end(state.reasoning_id, out)
        state.reasoning_id = None


def _open_text(state: OpenAIChatState, out: list[StreamEvent]) -> str:
    if state.reasoning_id is not None:
        state.blocks.end(state.reasoning_id, out)
        state.reasoning_id = None
    block_id = f"text-{state.text_count}"
    state.text_count += 1
    state.text_id = block_id
    state.blocks.start_text(block_id, out)
    return block_id


def _open_reasoning(state: OpenAIChatState, out: list[StreamEvent]) -> str:
    if state.text_id is not None:
        state.blocks.end(state.text_id, out)
        state.text_id = None
    block_id = f"reasoning-{state.reasoning_count}"
    state.reasoning_count += 1
    state.reasoning_id = block_id
    state.blocks.start_reasoning(block_id, out)
    return block_id


def _new_call(state: OpenAIChatState, call_id: object) -> _ToolCall:
    # A missing id, or one already used by another call (so every block id stays unique).
    if not (isinstance(call_id, str) and call_id) or call_id in state.tools_by_id:
        call_id = f"call_{len(state.tool_order)}"
    call = _ToolCall(call_id)
    state.tool_order.append(call)
    state.tools_by_id[call_id] = call
    return call


def _start_call(state: OpenAIChatState, call: _ToolCall, out: list[StreamEvent]) -> None:
    _close_text_and_reasoning(state, out)
    call.started = True
    state.open_calls.append(call)
    state.blocks.start_tool(call.id, call.name, out)
    for piece in call.pending:
        state.blocks.tool_delta(call.id, piece, out)
    call.pending.clear()


def _close_calls(state: OpenAIChatState, out: list[StreamEvent]) -> None:
    """Complete the started tool calls: ``tool_input_end`` and ``tool_call`` for each, in the
    order they started."""
    for call in state.open_calls:
        call.closed = True
        state.blocks.end(call.id, out)
    state.open_calls.clear()


def _complete_all_calls(state: OpenAIChatState, out: list[StreamEvent]) -> None:
    """The choice is finished: start the calls that never got a name (still reported, with
    name ``""``), then complete every call."""
    for call in state.tool_order:
        if not call.started:
            _start_call(state, call, out)
    _close_calls(state, out)


def _tool_deltas(state: OpenAIChatState, entries: list[Any], out: list[StreamEvent]) -> None:
    """Apply one delta's ``tool_calls`` entries (matching rules in the module docstring)."""
    count = len(entries)
    for position, entry in enumerate(entries):
        index = entry.get("index")
        call_id = entry.get("id")
        function = entry.get("function") or {}
        name = function.get("name")
        if name is not None and type(name) is not str:
            raise TypeError(f"tool call function.name is {type(name).__name__}, not a string")
        call: _ToolCall | None
        if isinstance(index, int):
            call = state.tools_by_index.get(index)
            if call is None:
                if state.open_calls:  # a new index: the calls before it are complete
                    _close_calls(state, out)
                call = _new_call(state, call_id)
                state.tools_by_index[index] = call
        elif isinstance(call_id, str) and call_id:
            call = state.tools_by_id.get(call_id) or _new_call(state, call_id)
        elif name:
            call = _new_call(state, None)
        else:
            order = state.tool_order
            if count == 1:
                call = order[-1] if order else None
            else:
                call = order[position] if position < len(order) else None
            if call is None:
                call = _new_call(state, None)
        args = function.get("arguments")
        if call.closed:
            if args:
                raise ValueError(
                    f"arguments for tool call {call.id!r} arrived after the call was complete "
                    "(a later tool call or the finish reason had closed it)"
                )
            continue
        if name and not call.name:
            call.name = name
        if not call.started and call.name:
            _start_call(state, call, out)
        if args:
            if not isinstance(args, str):
                args = json.dumps(args)
            if call.started:
                state.blocks.tool_delta(call.id, args, out)
            else:
                call.pending.append(args)


def _metadata(state: OpenAIChatState, chunk: dict[str, Any], out: list[StreamEvent]) -> None:
    response_id = chunk.get("id")
    model = chunk.get("model")
    if response_id or model:
        state.metadata_sent = True
        state.model_id = model if isinstance(model, str) and model else None
        out.append(
            ResponseMetadataEvent(
                response_id if isinstance(response_id, str) and response_id else None,
                state.model_id,
                created_at(chunk.get("created")),
            )
        )


def _invalid(state: OpenAIChatState, message: str, data: str) -> InvalidResponseError:
    return InvalidResponseError(
        message, raw=data, provider_id=state.provider_id, model_id=state.model_id
    )


def parse_chunk(state: OpenAIChatState, event: str | None, data: str) -> list[StreamEvent]:
    """Turn one server-sent event (its ``event`` name and ``data``) into stream events.

    Args:
        state: the stream's state, updated in place.
        event: the SSE ``event`` field (``None``/``message`` normally; ``error`` from Groq).
        data: the SSE ``data`` field: a JSON chunk or ``[DONE]``.

    Returns:
        The events for this chunk (often one ``text_delta``), possibly none.

    Raises:
        StreamError: an ``event: error`` event or a chunk with a top-level ``error``.
        InvalidResponseError: ``data`` is not JSON, or not a chunk object of a usable shape.
    """
    if data == "[DONE]":
        state.done = True
        return []
    if state.done or not data:
        return []
    try:
        chunk = decode_event_json(data)
    except JSON_ERRORS as exc:
        raise invalid_json(
            exc,
            data,
            "a stream chunk is not valid JSON",
            "the provider sent something that is not an OpenAI chat completion chunk (check "
            "the provider's base URL and protocol)",
            provider_id=state.provider_id,
            model_id=state.model_id,
        ) from exc
    if event == "error" or (type(chunk) is dict and chunk.get("error")):
        raise in_band_error(chunk, provider_id=state.provider_id, model_id=state.model_id)
    if type(chunk) is not dict:
        raise _invalid(state, "a stream chunk is JSON but not an object", data)
    out: list[StreamEvent] = []
    try:
        if not state.metadata_sent:
            _metadata(state, chunk, out)
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            if choice.get("index", 0) != 0:
                choice = next((c for c in choices if c.get("index", 0) == 0), None)
            if choice is not None:
                delta = choice.get("delta")
                if delta:
                    for name in state.reasoning_fields:
                        reasoning = delta.get(name)
                        if reasoning and type(reasoning) is str:
                            rid = state.reasoning_id or _open_reasoning(state, out)
                            out.append(ReasoningDeltaEvent(rid, reasoning))
                            break
                    content = delta.get("content")
                    if content:
                        if type(content) is str:
                            tid = state.text_id or _open_text(state, out)
                            out.append(TextDeltaEvent(tid, content))
                        else:
                            _structured_content(state, content, out)
                    refusal = delta.get("refusal")
                    if refusal and type(refusal) is str:
                        state.refusal.append(refusal)
                    tool_calls = delta.get("tool_calls")
                    if tool_calls:
                        _tool_deltas(state, tool_calls, out)
                finish_reason = choice.get("finish_reason")
                if finish_reason:
                    if type(finish_reason) is not str:
                        raise TypeError(
                            f"finish_reason is {type(finish_reason).__name__}, not a string"
                        )
                    state.finish_reason = finish_reason
                    if state.tool_order:  # the choice is complete: so are its tool calls
                        _complete_all_calls(state, out)
        usage = chunk.get("usage")
        if usage and type(usage) is dict:
            state.usage = usage
        if state.usage_in_x_groq:
            x_groq = chunk.get("x_groq")
            if x_groq and type(x_groq.get("usage")) is dict:
                state.usage = x_groq["usage"]
    except SHAPE_ERRORS as exc:
        raise _invalid(
            state,
            f"a stream chunk has an unexpected shape ({type(exc).__name__}: {exc}); it does not "
            "follow the OpenAI chat completion chunk format",
            data,
        ) from exc
    return out


def finish_events(state: OpenAIChatState) -> list[StreamEvent]:
    """Close every open block and emit the one ``finish`` event.

    Returns:
        ``*_end`` and ``tool_call`` events for open blocks (tool calls in the order they
        started), then the ``FinishEvent``.

    Raises:
        StreamError: neither ``[DONE]`` nor a finish reason arrived: the stream was truncated.
    """
    if not state.done and state.finish_reason is None:
        raise StreamError(
            "the stream ended before the provider's end of stream (no [DONE] and no "
            "finish_reason): the response was truncated, probably by a dropped connection or a "
            "proxy timeout; retrying may help",
            provider_id=state.provider_id,
            model_id=state.model_id,
        )
    out: list[StreamEvent] = []
    for call in state.tool_order:
        if not call.started:  # never got a name: still report the call
            _start_call(state, call, out)
    state.open_calls.clear()
    state.blocks.end_all(out)
    state.text_id = state.reasoning_id = None
    metadata = {METADATA_KEY: {"refusal": "".join(state.refusal)}} if state.refusal else None
    out.append(
        FinishEvent(
            map_finish_reason(state.finish_reason, has_tool_calls=bool(state.tool_order)),
            state.finish_reason,
            convert_usage(state.usage),
            metadata,
        )
    )
    return out
