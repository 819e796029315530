"""The Responses streaming state machine: semantic server-sent events → stream events.

Source: OpenAI API reference, Responses, "Streaming events". Every event's ``data`` is one JSON
object with a ``type`` (the ``event:`` line repeats it; OpenRouter and some recorders leave the
line out, so only ``type`` is read) and a ``sequence_number``. The answer is a list of output
items, each announced by ``response.output_item.added``, filled by its own delta events and
closed by ``response.output_item.done``; the stream ends with ``response.completed``,
``response.incomplete`` or ``response.failed`` (OpenRouter then also sends ``data: [DONE]``).

This is the hot path (design §9): one JSON decode per event (jiter, see
:func:`~llmkit.protocols._common.decode_event_json`), the delta types tested first, the open
block of the latest delta cached so a delta costs a few comparisons and one event.

Mapping (item and event types from the API reference):

==============================================  =============================================
Responses                                       llmkit events
==============================================  =============================================
``response.created`` / ``.in_progress`` /       ``response_metadata`` once (``id``,
``.queued``                                     ``model``, ``created_at``)
``message`` item: ``output_text.delta``         a text block per content part (id: the item
                                                id, ``<item id>:<n>`` for part n > 0); closed
                                                at ``output_text.done`` with
                                                ``provider_metadata["openai"]`` ``item_id``
                                                (and ``phase``, gpt-5.5 ``commentary`` /
                                                ``final_answer``) for the replay
``refusal.delta``                               collected into the ``finish`` event's
                                                ``provider_metadata["openai"]["refusal"]``
``output_text.annotation.added``                ``source``: ``url_citation`` → ``url``;
                                                ``file_citation``, ``container_file_citation``,
                                                ``file_path`` → ``document``
``reasoning`` item: ``reasoning_summary_text``  one reasoning block per item (id: the item
and ``reasoning_text`` deltas                   id), summary parts in order without separator;
                                                closed at ``output_item.done`` with
                                                ``provider_metadata["openai"]``: ``item_id``,
                                                ``encrypted_content`` (read from the done item:
                                                the added one may be incomplete), ``summary``
                                                and ``content`` texts
``function_call`` item                          ``tool_input_start`` (id: ``call_id``),
                                                ``function_call_arguments.delta`` →
                                                ``tool_input_delta``; at ``output_item.done``
                                                ``tool_input_end`` + ``tool_call`` with
                                                ``provider_metadata["openai"]["item_id"]``
``mcp_call`` item                               a provider-executed tool (its name), arguments
                                                streamed, then ``tool_result`` (``output``, or
                                                ``error`` with ``is_error``)
other ``*_call`` items (``web_search_call``,    a provider-executed tool named after the type
``code_interpreter_call``, ``file_search_call``, (``web_search``...) whose arguments are the
``image_generation_call``, ``tool_search_call``  item's request fields (``action``, ``code``,
...)                                            ``queries``...), then ``tool_result`` with the
                                                rest of the item; web search ``sources`` →
                                                ``source`` events
``response.completed`` / ``.incomplete``        end of stream: finish reason from the status
                                                (:mod:`.map_finish_reason`), usage
                                                (:mod:`.convert_usage`)
``error``, ``response.failed``                  raised (:func:`.errors.stream_error`)
``keepalive``, ``[DONE]``, other events         ignored (``mcp_list_tools``,
                                                ``tool_search_output``... carry nothing to show)
==============================================  =============================================

A delta for an item that is already done, a non-string delta, id or name raise
:class:`~llmkit.errors.InvalidResponseError`; a stream that ends without a terminal event was
truncated and :func:`finish_events` raises :class:`~llmkit.errors.StreamError`.
"""

from __future__ import annotations

from typing import Any

from llmkit.errors import InvalidResponseError, StreamError
from llmkit.protocols._common import JSON_ERRORS, SHAPE_ERRORS, decode_event_json, invalid_json
from llmkit.protocols.openai_responses.convert_usage import convert_usage
from llmkit.protocols.openai_responses.errors import stream_error
from llmkit.protocols.openai_responses.items import (
    add_source,
    close_text,
    item_added,
    item_done,
    item_for,
    open_text,
    start_reasoning,
)
from llmkit.protocols.openai_responses.map_finish_reason import (
    map_finish_reason,
    raw_finish_reason,
)
from llmkit.protocols.openai_responses.state import (
    METADATA_KEY,
    OpenAIResponsesState,
    as_str,
    created_at,
    emit_metadata,
)
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    StreamEvent,
    TextDeltaEvent,
)

__all__ = [
    "METADATA_KEY",
    "OpenAIResponsesState",
    "apply_event",
    "created_at",
    "finish_events",
    "item_done",
    "parse_event_data",
]

_TERMINAL = frozenset({"response.completed", "response.incomplete"})


# ---------------------------------------------------------------------------- deltas
def _text_delta(state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]) -> None:
    item, _ = item_for(state, event, "message")
    item.streamed = True
    block_id = open_text(state, item, event.get("content_index", 0), out)
    delta = as_str(event.get("delta"), "output_text delta")
    if delta:
        out.append(TextDeltaEvent(block_id, delta))


def _reasoning_delta(
    state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]
) -> None:
    item = state.delta_item
    if item is None or item.id != event.get("item_id"):
        item, _ = item_for(state, event, "reasoning")
        if item.kind != "reasoning":
            raise ValueError(f"a reasoning delta for a {item.kind} item")
        state.delta_item = item
        item.streamed = True
    delta = as_str(event.get("delta"), "reasoning delta")
    if delta:
        out.append(ReasoningDeltaEvent(start_reasoning(state, item, out), delta))


def _arguments_delta(
    state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]
) -> None:
    item = state.delta_item
    if item is None or item.id != event.get("item_id"):
        item, created = item_for(state, event, "function_call")
        if created or item.block is None or item.kind == "reasoning" or item.kind == "message":
            raise ValueError("function call arguments for an item that is not a started call")
        state.delta_item = item
        item.streamed = True
    state.blocks.tool_delta(item.block or "", event.get("delta"), out)  # type: ignore[arg-type]


def _arguments_done(
    state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]
) -> None:
    """``*_arguments.done``: when no delta came, the whole arguments text."""
    item, created = item_for(state, event, "function_call")
    if created or item.block is None:
        raise ValueError("function call arguments for an item that is not a started call")
    if not item.streamed:
        args = event.get("arguments")
        if type(args) is str:
            item.streamed = True
            state.blocks.tool_delta(item.block, args, out)


def _text_done(state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]) -> None:
    """``output_text.done``: close the part's text block (its whole text when no delta came)."""
    item, _ = item_for(state, event, "message")
    index = event.get("content_index", 0)
    content_index = index if type(index) is int else 0
    block_id = item.texts.get(content_index)
    if block_id is None:
        text = event.get("text")
        if type(text) is not str or not text:
            return
        block_id = open_text(state, item, content_index, out)
        out.append(TextDeltaEvent(block_id, text))
    item.streamed = True
    del item.texts[content_index]
    close_text(state, item, block_id, out)


def _refusal(state: OpenAIResponsesState, event: dict[str, Any], done: bool) -> None:
    item, _ = item_for(state, event, "message")
    if done:
        if not item.streamed:
            text = event.get("refusal")
            if type(text) is str:
                state.refusal.append(text)
    else:
        item.streamed = True
        state.refusal.append(as_str(event.get("delta"), "refusal delta"))


def _terminal(state: OpenAIResponsesState, kind: str, event: dict[str, Any]) -> None:
    response = event.get("response")
    if not isinstance(response, dict):
        raise TypeError(f"{kind} has no response object")
    status = response.get("status")
    if kind == "response.failed" or status == "failed":
        raise stream_error(
            response.get("error") or {"message": "the response failed"},
            provider_id=state.provider_id,
            model_id=state.model_id,
        )
    state.done = True
    state.raw_finish = raw_finish_reason(status, response.get("incomplete_details"))
    state.usage = response.get("usage")


def apply_event(state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]) -> None:
    """Apply one decoded event (a dict with ``type``) to the state, appending stream events.

    Raises:
        StreamError: an ``error`` event or ``response.failed``.
        TypeError, ValueError, KeyError...: an unusable shape (the caller maps them to
            ``InvalidResponseError``).
    """
    kind = event.get("type")
    if kind == "response.output_text.delta":
        item_id = event.get("item_id")
        if item_id == state.text_item and event.get("content_index", 0) == state.text_index:
            delta = event.get("delta")
            if type(delta) is not str:
                raise TypeError("output_text delta is not a string")
            if delta:
                out.append(TextDeltaEvent(state.text_block, delta))
            return
        _text_delta(state, event, out)
    elif kind == "response.reasoning_summary_text.delta" or kind == "response.reasoning_text.delta":
        _reasoning_delta(state, event, out)
    elif (
        kind == "response.function_call_arguments.delta"
        or kind == "response.mcp_call_arguments.delta"
    ):
        _arguments_delta(state, event, out)
    elif kind == "response.output_item.added":
        item = event.get("item")
        if not isinstance(item, dict):
            raise TypeError("output_item.added has no item object")
        item_added(state, item, event.get("output_index"), out)
    elif kind == "response.output_item.done":
        item = event.get("item")
        if not isinstance(item, dict):
            raise TypeError("output_item.done has no item object")
        item_done(state, item, event.get("output_index"), out)
    elif kind == "response.output_text.done":
        _text_done(state, event, out)
    elif kind == "response.output_text.annotation.added":
        add_source(state, event.get("annotation"), out)
    elif kind == "response.refusal.delta":
        _refusal(state, event, False)
    elif kind == "response.refusal.done":
        _refusal(state, event, True)
    elif (
        kind == "response.function_call_arguments.done"
        or kind == "response.mcp_call_arguments.done"
    ):
        _arguments_done(state, event, out)
    elif kind in ("response.created", "response.in_progress", "response.queued"):
        emit_metadata(state, event.get("response"), out)
    elif kind in _TERMINAL or kind == "response.failed":
        emit_metadata(state, event.get("response"), out)
        _terminal(state, kind, event)
    elif kind == "error":
        raise stream_error(event, provider_id=state.provider_id, model_id=state.model_id)
    elif type(kind) is not str:
        raise TypeError("an event without a string type")
    # keepalive, content_part / summary_part bookkeeping, tool progress events: nothing to do


def _invalid(state: OpenAIResponsesState, message: str, data: str) -> InvalidResponseError:
    return InvalidResponseError(
        message, raw=data, provider_id=state.provider_id, model_id=state.model_id
    )


def parse_event_data(
    state: OpenAIResponsesState, event_name: str | None, data: str
) -> list[StreamEvent]:
    """Turn one server-sent event into stream events.

    Args:
        state: the stream's state, updated in place.
        event_name: the SSE ``event`` field (``error`` is an error whatever the data says).
        data: the SSE ``data`` field: one JSON event, or OpenRouter's closing ``[DONE]``.

    Raises:
        StreamError: an ``error`` event or ``response.failed``.
        InvalidResponseError: data that is not JSON or not a usable event.
    """
    if state.done or not data or data == "[DONE]":
        return []
    try:
        event = decode_event_json(data)
    except JSON_ERRORS as exc:
        raise invalid_json(
            exc,
            data,
            "a stream event is not valid JSON",
            "the provider sent something that is not an OpenAI Responses event (check the "
            "provider's base URL and protocol)",
            provider_id=state.provider_id,
            model_id=state.model_id,
        ) from exc
    if type(event) is not dict:
        raise _invalid(state, "a stream event is JSON but not an object", data)
    if event_name == "error":
        raise stream_error(event, provider_id=state.provider_id, model_id=state.model_id)
    out: list[StreamEvent] = []
    try:
        apply_event(state, event, out)
    except SHAPE_ERRORS as exc:
        raise _invalid(
            state,
            f"a stream event has an unexpected shape ({type(exc).__name__}: {exc}); it does not "
            "follow the OpenAI Responses streaming format",
            data,
        ) from exc
    return out


def finish_events(state: OpenAIResponsesState) -> list[StreamEvent]:
    """Close every open block and emit the one ``finish`` event.

    Raises:
        StreamError: no ``response.completed`` / ``response.incomplete`` arrived: the stream
            was truncated.
    """
    if not state.done:
        raise StreamError(
            "the stream ended before response.completed (or response.incomplete): the response "
            "was truncated, probably by a dropped connection or a proxy timeout; retrying may "
            "help",
            provider_id=state.provider_id,
            model_id=state.model_id,
        )
    out: list[StreamEvent] = []
    for item in state.items.values():  # a call whose output_item.done never came
        if item.kind == "function_call" and not item.done and item.block is not None:
            state.client_calls += 1
    state.blocks.end_all(out)
    metadata = {METADATA_KEY: {"refusal": "".join(state.refusal)}} if state.refusal else None
    out.append(
        FinishEvent(
            map_finish_reason(state.raw_finish, has_tool_calls=state.client_calls > 0),
            state.raw_finish,
            convert_usage(state.usage),
            metadata,
        )
    )
    return out
