"""The Responses streaming state machine: semantic server-sent events → stream events.

Source: OpenAI API reference, Responses, "Streaming events". Every event's ``data`` is one JSON
object with a ``type`` (the ``event:`` line repeats it; OpenRouter and some recorders leave the
line out, so only ``type`` is read) and a ``sequence_number``. The answer is a list of output
items, each announced by ``response.output_item.added``, filled by its own delta events and
closed by ``response.output_item.done``; the stream ends with ``response.completed``,
``response.incomplete`` or ``response.failed`` (OpenRouter then also sends ``data: [DONE]``).

This is the hot path (design §9): one ``json.loads`` per event, the delta types tested first,
the open block of the latest delta cached so a delta costs a few comparisons and one event.

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

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from llmkit.errors import InvalidResponseError, StreamError
from llmkit.protocols._blocks import Blocks
from llmkit.protocols._common import JSON_ERRORS, SHAPE_ERRORS, invalid_json
from llmkit.protocols.base import StreamState
from llmkit.protocols.openai_responses.convert_usage import convert_usage
from llmkit.protocols.openai_responses.errors import stream_error
from llmkit.protocols.openai_responses.map_finish_reason import (
    map_finish_reason,
    raw_finish_reason,
)
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ResponseMetadataEvent,
    SourceEvent,
    StreamEvent,
    TextDeltaEvent,
    ToolResultEvent,
)

__all__ = [
    "METADATA_KEY",
    "OpenAIResponsesState",
    "apply_event",
    "finish_events",
    "parse_event_data",
]

METADATA_KEY = "openai"
"""The ``provider_metadata`` / ``provider_options`` key of the OpenAI family (shared with
``openai-chat``: ``provider_options["openai"]`` reaches either protocol)."""

_TERMINAL = frozenset({"response.completed", "response.incomplete"})

_HOSTED_ARGS: dict[str, tuple[str, ...]] = {
    "web_search_call": ("action",),
    "code_interpreter_call": ("code", "container_id"),
    "file_search_call": ("queries",),
    "image_generation_call": (),
    "tool_search_call": ("arguments",),
    "computer_call": ("action",),
    "local_shell_call": ("action",),
    "shell_call": ("action",),
}
"""Per hosted tool item type, the fields that are the call's arguments (the rest of the item,
but ``id``, ``type`` and ``status``-like bookkeeping, is its result). A type not listed takes
no argument fields."""

_SKIP_RESULT = frozenset({"id", "type", "call_id"})


class _Item:
    """One output item of the answer."""

    __slots__ = ("block", "done", "id", "kind", "name", "phase", "real_id", "streamed", "texts")

    def __init__(self, item_id: str, kind: str, real_id: bool) -> None:
        self.id = item_id
        self.kind = kind
        self.real_id = real_id
        self.done = False
        self.streamed = False  # deltas arrived (else the done item's text is used)
        self.block: str | None = None  # the reasoning / tool block
        self.name = ""
        self.phase: object = None
        self.texts: dict[int, str] = {}  # content index → open text block id


@dataclass(slots=True)
class OpenAIResponsesState(StreamState):
    """Per-stream state of the Responses protocol.

    Attributes:
        provider_id: the provider, for error context.
        blocks: open blocks (start/end pairing, tool arguments).
        metadata_sent: the ``response_metadata`` event was emitted.
        model_id: the model as served, for error context.
        items: output items by item id; by_index: item ids by ``output_index``.
        text_item, text_index, text_block: the text block of the latest text delta (a cache).
        delta_item: the reasoning or tool item of the latest reasoning/arguments delta.
        client_calls: function calls emitted (a ``completed`` answer with some is
            ``tool_calls``).
        refusal: refusal text pieces.
        sources: sources emitted, for their ids.
        raw_finish: the raw finish reason (status, ``incomplete:<reason>``).
        usage: the final usage object.
    """

    provider_id: str | None = None
    blocks: Blocks = field(default_factory=Blocks)
    metadata_sent: bool = False
    model_id: str | None = None
    items: dict[str, _Item] = field(default_factory=dict)
    by_index: dict[int, str] = field(default_factory=dict)
    text_item: object = None
    text_index: object = None
    text_block: str = ""
    delta_item: _Item | None = None
    client_calls: int = 0
    refusal: list[str] = field(default_factory=list)
    sources: int = 0
    raw_finish: str | None = None
    usage: object = None


def created_at(value: object) -> datetime | None:
    """``created_at`` (unix seconds) as an aware UTC datetime, or None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):
            return None
    return None


def _str(value: object, what: str) -> str:
    if type(value) is not str:
        raise TypeError(f"{what} is {type(value).__name__}, not a string")
    return value


def _metadata(state: OpenAIResponsesState, response: object, out: list[StreamEvent]) -> None:
    if state.metadata_sent or not isinstance(response, dict):
        return
    state.metadata_sent = True
    response_id, model = response.get("id"), response.get("model")
    state.model_id = model if isinstance(model, str) and model else None
    out.append(
        ResponseMetadataEvent(
            response_id if isinstance(response_id, str) and response_id else None,
            state.model_id,
            created_at(response.get("created_at")),
        )
    )


# ---------------------------------------------------------------------------- items
def _item_for(state: OpenAIResponsesState, event: dict[str, Any], kind: str) -> tuple[_Item, bool]:
    """The item a delta event belongs to (created when it was never announced), and whether it
    was created now."""
    item_id = event.get("item_id")
    if type(item_id) is not str:
        index = event.get("output_index")
        found = state.by_index.get(index) if type(index) is int else None
        item_id = found if found is not None else f"item_{index}"
    item = state.items.get(item_id)
    if item is None:
        item = state.items[item_id] = _Item(item_id, kind, False)
        return item, True
    if item.done:
        raise ValueError(f"a delta for output item {item_id!r} arrived after the item was done")
    return item, False


def _item_added(state: OpenAIResponsesState, item: dict[str, Any], index: object) -> _Item:
    kind = _str(item.get("type"), "output item type")
    given = item.get("id")
    real = isinstance(given, str) and bool(given)
    if isinstance(given, str) and given:
        item_id = given
    else:
        item_id = f"item_{index}" if type(index) is int else f"item_{len(state.items)}"
    existing = state.items.get(item_id)
    if existing is not None:
        if existing.done:
            raise ValueError(f"output item {item_id!r} was announced again after it was done")
        return existing
    entry = state.items[item_id] = _Item(item_id, kind, real)
    if type(index) is int:
        state.by_index[index] = item_id
    return entry


def _start_reasoning(state: OpenAIResponsesState, item: _Item, out: list[StreamEvent]) -> str:
    if item.block is None:
        item.block = item.id
        state.blocks.start_reasoning(item.id, out)
    return item.block


def _start_tool(
    state: OpenAIResponsesState, item: _Item, source: dict[str, Any], out: list[StreamEvent]
) -> None:
    """Open the tool block of a function call or a hosted tool item (once)."""
    if item.block is not None:
        return
    kind = item.kind
    if kind == "function_call":
        call_id = source.get("call_id")
        block_id: str = call_id if type(call_id) is str and call_id else item.id
        name = _str(source.get("name"), "function_call name")
        executed = False
    else:
        block_id = item.id
        given = source.get("name") if kind == "mcp_call" else kind.removesuffix("_call")
        name = _str(given or "mcp", f"{kind} name")
        executed = True
    if state.blocks.is_open(block_id):
        raise ValueError(f"tool call id {block_id!r} is used by two output items")
    item.block = block_id
    item.name = name
    state.blocks.start_tool(block_id, name, out, executed)


def _close_texts(state: OpenAIResponsesState, item: _Item, out: list[StreamEvent]) -> None:
    for block_id in item.texts.values():
        _close_text(state, item, block_id, out)
    item.texts.clear()


def _close_text(
    state: OpenAIResponsesState, item: _Item, block_id: str, out: list[StreamEvent]
) -> None:
    if state.text_block == block_id:
        state.text_item = state.text_index = None
        state.text_block = ""
    if state.blocks.is_open(block_id):
        data: dict[str, object] = {"item_id": item.id} if item.real_id else {}
        if isinstance(item.phase, str):
            data["phase"] = item.phase
        state.blocks.end(block_id, out, provider_metadata={METADATA_KEY: data} if data else None)


def _open_text(
    state: OpenAIResponsesState, item: _Item, index: object, out: list[StreamEvent]
) -> str:
    content_index = index if type(index) is int else 0
    block_id = item.texts.get(content_index)
    if block_id is None:
        block_id = item.id if content_index == 0 else f"{item.id}:{content_index}"
        if state.blocks.is_open(block_id):
            raise ValueError(f"text block {block_id!r} is already open for another item")
        item.texts[content_index] = block_id
        state.blocks.start_text(block_id, out)
    state.text_item, state.text_index, state.text_block = item.id, index, block_id
    return block_id


def _source(state: OpenAIResponsesState, annotation: object, out: list[StreamEvent]) -> None:
    if not isinstance(annotation, dict):
        return
    kind = annotation.get("type")
    url, title = annotation.get("url"), annotation.get("title") or annotation.get("filename")
    if kind == "url_citation" or (kind == "url" and isinstance(url, str)):
        source_type = "url"
    elif kind in ("file_citation", "container_file_citation", "file_path"):
        source_type = "document"
        title = title or annotation.get("file_id")
    else:
        return
    state.sources += 1
    out.append(
        SourceEvent(
            f"src_{state.sources}",
            source_type,  # type: ignore[arg-type]
            url if isinstance(url, str) else None,
            title if isinstance(title, str) else None,
        )
    )


def _texts(parts: object, kind: str) -> list[str] | None:
    """The ``text`` of each ``kind`` part of a reasoning item's ``summary`` / ``content``."""
    if not isinstance(parts, list):
        return None
    return [
        p["text"]
        for p in parts
        if isinstance(p, dict) and p.get("type") == kind and isinstance(p.get("text"), str)
    ]


def _reasoning_done(
    state: OpenAIResponsesState, item: _Item, done: dict[str, Any], out: list[StreamEvent]
) -> None:
    block_id = _start_reasoning(state, item, out)
    summary = _texts(done.get("summary"), "summary_text")
    content = _texts(done.get("content"), "reasoning_text")
    if not item.streamed:
        text = "".join(summary or ()) + "".join(content or ())
        if text:
            out.append(ReasoningDeltaEvent(block_id, text))
    data: dict[str, object] = {}
    if item.real_id:
        data["item_id"] = item.id
    encrypted = done.get("encrypted_content")
    if isinstance(encrypted, str) and encrypted:
        data["encrypted_content"] = encrypted
    if summary:
        data["summary"] = summary
    if content:
        data["content"] = content
    state.blocks.end(block_id, out, provider_metadata={METADATA_KEY: data} if data else None)


def _hosted_done(
    state: OpenAIResponsesState, item: _Item, done: dict[str, Any], out: list[StreamEvent]
) -> None:
    """Arguments (when not streamed), ``tool_call`` and ``tool_result`` of a hosted tool."""
    _start_tool(state, item, done, out)
    block_id = item.block
    assert block_id is not None
    kind = item.kind
    if kind == "mcp_call":
        if not item.streamed:
            args = done.get("arguments")
            if isinstance(args, str):
                state.blocks.tool_delta(block_id, args, out)
        error = done.get("error")
        result: object = error if error is not None else done.get("output")
        state.blocks.end(block_id, out)
        out.append(ToolResultEvent(block_id, item.name, result, error is not None, True))
        return
    fields = _HOSTED_ARGS.get(kind, ())
    args_obj: object
    if fields == ("action",) or fields == ("arguments",):
        args_obj = done.get(fields[0])
        if not isinstance(args_obj, dict):
            args_obj = {}
    else:
        args_obj = {name: done[name] for name in fields if name in done}
    state.blocks.tool_delta(block_id, json.dumps(args_obj, ensure_ascii=False), out)
    state.blocks.end(block_id, out)
    result_obj = {k: v for k, v in done.items() if k not in _SKIP_RESULT and (k not in fields)}
    status = done.get("status")
    failed = status in ("failed", "incomplete")
    out.append(ToolResultEvent(block_id, item.name, result_obj, failed, True))
    action = done.get("action")
    if isinstance(action, dict) and isinstance(action.get("sources"), list):
        for source in action["sources"]:
            _source(state, source, out)


def item_done(
    state: OpenAIResponsesState, done: dict[str, Any], index: object, out: list[StreamEvent]
) -> None:
    """``response.output_item.done`` (or one item of a non-streamed body)."""
    item_id = done.get("id")
    if not (type(item_id) is str and item_id):
        found = state.by_index.get(index) if type(index) is int else None
        item_id = found if found is not None else None
    item = state.items.get(item_id) if item_id is not None else None
    if item is None:
        item = _item_added(state, done, index)
    if item.done:
        raise ValueError(f"output item {item.id!r} was done twice")
    if state.delta_item is item:
        state.delta_item = None
    kind = item.kind
    if kind == "message":
        if isinstance(done.get("phase"), str):
            item.phase = done["phase"]
        content = done.get("content")
        if not item.streamed and isinstance(content, list):
            for position, part in enumerate(content):
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "output_text":
                    text = _str(part.get("text"), "output_text text")
                    block_id = _open_text(state, item, position, out)
                    if text:
                        out.append(TextDeltaEvent(block_id, text))
                    for annotation in part.get("annotations") or ():
                        _source(state, annotation, out)
                elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                    state.refusal.append(part["refusal"])
        _close_texts(state, item, out)
    elif kind == "reasoning":
        _reasoning_done(state, item, done, out)
    elif kind == "function_call":
        _start_tool(state, item, done, out)
        assert item.block is not None
        if not item.streamed:
            args = done.get("arguments")
            if args is not None:
                state.blocks.tool_delta(
                    item.block, args if type(args) is str else json.dumps(args), out
                )
        state.client_calls += 1
        data = {METADATA_KEY: {"item_id": item.id}} if item.real_id else None
        state.blocks.end(item.block, out, provider_metadata=data)
    elif kind.endswith("_call"):
        _hosted_done(state, item, done, out)
    item.done = True


def item_added(
    state: OpenAIResponsesState, added: dict[str, Any], index: object, out: list[StreamEvent]
) -> None:
    """``response.output_item.added``: remember the item; open reasoning and tool blocks."""
    item = _item_added(state, added, index)
    kind = item.kind
    if kind == "message":
        item.phase = added.get("phase")
    elif kind == "reasoning":
        _start_reasoning(state, item, out)
    elif kind == "function_call" or kind.endswith("_call"):
        _start_tool(state, item, added, out)
        args = added.get("arguments")
        if kind in ("function_call", "mcp_call") and isinstance(args, str) and args:
            item.streamed = True
            state.blocks.tool_delta(item.block or "", args, out)


# ---------------------------------------------------------------------------- deltas
def _text_delta(state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]) -> None:
    item, _ = _item_for(state, event, "message")
    item.streamed = True
    block_id = _open_text(state, item, event.get("content_index", 0), out)
    delta = _str(event.get("delta"), "output_text delta")
    if delta:
        out.append(TextDeltaEvent(block_id, delta))


def _reasoning_delta(
    state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]
) -> None:
    item = state.delta_item
    if item is None or item.id != event.get("item_id"):
        item, _ = _item_for(state, event, "reasoning")
        if item.kind != "reasoning":
            raise ValueError(f"a reasoning delta for a {item.kind} item")
        state.delta_item = item
        item.streamed = True
    delta = _str(event.get("delta"), "reasoning delta")
    if delta:
        out.append(ReasoningDeltaEvent(_start_reasoning(state, item, out), delta))


def _arguments_delta(
    state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]
) -> None:
    item = state.delta_item
    if item is None or item.id != event.get("item_id"):
        item, created = _item_for(state, event, "function_call")
        if created or item.block is None or item.kind == "reasoning" or item.kind == "message":
            raise ValueError("function call arguments for an item that is not a started call")
        state.delta_item = item
        item.streamed = True
    state.blocks.tool_delta(item.block or "", event.get("delta"), out)  # type: ignore[arg-type]


def _arguments_done(
    state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]
) -> None:
    """``*_arguments.done``: when no delta came, the whole arguments text."""
    item, created = _item_for(state, event, "function_call")
    if created or item.block is None:
        raise ValueError("function call arguments for an item that is not a started call")
    if not item.streamed:
        args = event.get("arguments")
        if type(args) is str:
            item.streamed = True
            state.blocks.tool_delta(item.block, args, out)


def _text_done(state: OpenAIResponsesState, event: dict[str, Any], out: list[StreamEvent]) -> None:
    """``output_text.done``: close the part's text block (its whole text when no delta came)."""
    item, _ = _item_for(state, event, "message")
    index = event.get("content_index", 0)
    content_index = index if type(index) is int else 0
    block_id = item.texts.get(content_index)
    if block_id is None:
        text = event.get("text")
        if type(text) is not str or not text:
            return
        block_id = _open_text(state, item, content_index, out)
        out.append(TextDeltaEvent(block_id, text))
    item.streamed = True
    del item.texts[content_index]
    _close_text(state, item, block_id, out)


def _refusal(state: OpenAIResponsesState, event: dict[str, Any], done: bool) -> None:
    item, _ = _item_for(state, event, "message")
    if done:
        if not item.streamed:
            text = event.get("refusal")
            if type(text) is str:
                state.refusal.append(text)
    else:
        item.streamed = True
        state.refusal.append(_str(event.get("delta"), "refusal delta"))


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
        _source(state, event.get("annotation"), out)
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
        _metadata(state, event.get("response"), out)
    elif kind in _TERMINAL or kind == "response.failed":
        _metadata(state, event.get("response"), out)
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
        event = json.loads(data)
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
