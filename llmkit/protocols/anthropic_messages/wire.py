"""The Anthropic Messages stream state machine (sans-IO).

Anthropic API reference, "Streaming Messages". A stream is::

    message_start                     message: id, model, usage (input counts)
    (content_block_start               index, content_block: text | thinking | redacted_thinking
                                       | tool_use | server_tool_use | *_tool_result
     content_block_delta*              text_delta | input_json_delta | thinking_delta
                                       | signature_delta | citations_delta
     content_block_stop)*              index
    message_delta                     delta: stop_reason, stop_sequence; usage (cumulative)
    message_stop
    (ping and error events may come at any point)

Each event's ``data`` is read with one JSON decode (jiter) and plain dict look-ups (no pydantic per
event, DESIGN.md §9); the JSON ``type`` field drives dispatch (the SSE ``event`` name is the
fallback). Block ids: ``str(index)`` for text and reasoning blocks, the tool use id for tool
blocks. Unknown event, block and delta types are ignored, as Anthropic's versioning policy asks.

Values are type-checked where they enter an event or the state (one ``type(x) is str`` test per
delta): a ``text``, ``thinking``, ``partial_json`` or ``signature`` that is not a string, or a
tool use ``id``/``name`` that is not one, raises :class:`~llmkit.errors.InvalidResponseError`,
as does JSON that does not decode (nested too deeply included).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmkit.errors import InvalidResponseError, StreamError
from llmkit.protocols._blocks import Blocks
from llmkit.protocols._common import JSON_ERRORS, SHAPE_ERRORS, decode_event_json, invalid_json
from llmkit.protocols.anthropic_messages.convert_usage import convert_usage, merge_usage
from llmkit.protocols.anthropic_messages.errors import stream_error
from llmkit.protocols.anthropic_messages.map_finish_reason import map_finish_reason
from llmkit.protocols.base import StreamState
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ResponseMetadataEvent,
    SourceEvent,
    StreamEvent,
    TextDeltaEvent,
    ToolResultEvent,
)

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

__all__ = ["AnthropicState", "close_block", "finish", "parse_event", "start_block"]

_loads = decode_event_json


@dataclass(slots=True)
class AnthropicState(StreamState):
    """Per-stream state of the Anthropic Messages protocol.

    Attributes:
        provider_id: the provider, for error messages.
        blocks: the shared start/end tracker.
        ids: content block ``index`` → block id, for open text, reasoning and tool blocks.
        kinds: content block ``index`` → ``text`` / ``reasoning`` / ``tool``.
        signatures: ``index`` → thinking signature pieces (``signature_delta``).
        tool_inputs: ``index`` → JSON of a tool block's non-empty initial ``input``, used as the
            arguments when no ``input_json_delta`` follows.
        citations: ``index`` → citations received for a text block (kept on ``text_end``).
        server_tools: server tool use id → tool name, to name ``*_tool_result`` blocks.
        usage: the raw usage, merged field by field across ``message_start`` and
            ``message_delta``; ``None`` until one arrives.
        stop_reason / stop_sequence: from ``message_delta``.
        response_id / model_id: from ``message_start``.
        sources: how many source events were emitted (for their ids).
        done: True once ``message_stop`` arrived.
    """

    provider_id: str | None = None
    blocks: Blocks = field(default_factory=Blocks)
    ids: dict[int, str] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    signatures: dict[int, list[str]] = field(default_factory=dict)
    tool_inputs: dict[int, str] = field(default_factory=dict)
    citations: dict[int, list[object]] = field(default_factory=dict)
    server_tools: dict[str, str] = field(default_factory=dict)
    usage: dict[str, object] | None = None
    stop_reason: str | None = None
    stop_sequence: str | None = None
    response_id: str | None = None
    model_id: str | None = None
    sources: int = 0


# ---------------------------------------------------------------------------- helpers
def _not_str(field: str, value: object) -> TypeError:
    return TypeError(f"{field} is {type(value).__name__}, not a string")


def _source(state: AnthropicState, obj: Mapping[str, object], out: list[StreamEvent]) -> None:
    """A source event for a citation or a search result (``url`` when it has one)."""
    url = obj.get("url")
    title = obj.get("title") or obj.get("document_title")
    cited = obj.get("cited_text")
    state.sources += 1
    out.append(
        SourceEvent(
            f"src_{state.sources}",
            "url" if isinstance(url, str) else "document",
            url if isinstance(url, str) else None,
            title if isinstance(title, str) else None,
            cited if isinstance(cited, str) else None,
        )
    )


def _citation(state: AnthropicState, index: int, citation: object, out: list[StreamEvent]) -> None:
    if isinstance(citation, dict):
        state.citations.setdefault(index, []).append(citation)
        _source(state, citation, out)


def _tool_result(
    state: AnthropicState, block_type: str, block: Mapping[str, object], out: list[StreamEvent]
) -> None:
    """A provider-executed tool's result (``web_search_tool_result``...): one ``tool_result``
    event, then a source per search result (or fetched page)."""
    tool_use_id = str(block["tool_use_id"])
    content = block.get("content")
    name = state.server_tools.get(tool_use_id) or block_type[: -len("_tool_result")]
    is_error = block.get("is_error") is True or (
        isinstance(content, dict) and str(content.get("type", "")).endswith("_error")
    )
    out.append(ToolResultEvent(tool_use_id, name, content, is_error, True))
    if isinstance(content, list):
        for item in content:
            if isinstance(item, dict) and item.get("type") == "web_search_result":
                _source(state, item, out)
    elif isinstance(content, dict) and content.get("type") == "web_fetch_result":
        document = content.get("content")
        title = document.get("title") if isinstance(document, dict) else None
        _source(state, {"url": content.get("url"), "title": title}, out)


def start_block(
    state: AnthropicState, index: int, block: Mapping[str, object], out: list[StreamEvent]
) -> None:
    """Open the block of a ``content_block_start`` (or of a non-streamed content block),
    emitting its initial text, thinking, citations or tool result."""
    block_type = block["type"]
    if not isinstance(block_type, str):
        raise TypeError("content block type is not a string")
    if index in state.ids:
        raise ValueError(f"content block {index} started again before its content_block_stop")
    if block_type == "text":
        block_id = str(index)
        state.ids[index] = block_id
        state.kinds[index] = "text"
        state.blocks.start_text(block_id, out)
        text = block.get("text")
        if text is not None and type(text) is not str:
            raise _not_str("text block text", text)
        if text:
            out.append(TextDeltaEvent(block_id, text))
        citations = block.get("citations")
        if isinstance(citations, list):
            for citation in citations:
                _citation(state, index, citation, out)
    elif block_type == "thinking":
        block_id = str(index)
        state.ids[index] = block_id
        state.kinds[index] = "reasoning"
        state.blocks.start_reasoning(block_id, out)
        thinking, signature = block.get("thinking"), block.get("signature")
        if thinking is not None and type(thinking) is not str:
            raise _not_str("thinking block thinking", thinking)
        if signature is not None and type(signature) is not str:
            raise _not_str("thinking block signature", signature)
        if thinking:
            out.append(ReasoningDeltaEvent(block_id, thinking))
        if signature:
            state.signatures[index] = [signature]
    elif block_type == "redacted_thinking":
        block_id = str(index)
        state.ids[index] = block_id
        state.kinds[index] = "reasoning"
        data = block.get("data")
        state.blocks.start_reasoning(block_id, out, data if isinstance(data, str) else "")
    elif block_type.endswith("tool_use"):
        # tool_use (client tool) or server_tool_use / mcp_tool_use (run by the provider)
        tool_id, name = block["id"], block["name"]
        if not isinstance(tool_id, str) or not isinstance(name, str):
            raise TypeError("tool use id and name must be strings")
        block_id = tool_id
        provider_executed = block_type != "tool_use"
        state.ids[index] = block_id
        state.kinds[index] = "tool"
        if provider_executed:
            state.server_tools[block_id] = name
        state.blocks.start_tool(block_id, name, out, provider_executed)
        initial = block.get("input")
        if initial and isinstance(initial, dict):
            state.tool_inputs[index] = json.dumps(initial, ensure_ascii=False)
    elif block_type.endswith("_tool_result"):
        _tool_result(state, block_type, block, out)


def close_block(state: AnthropicState, index: int, out: list[StreamEvent]) -> None:
    """Close the block at ``index`` (``content_block_stop``); unknown indexes are ignored."""
    block_id = state.ids.pop(index, None)
    if block_id is None:
        return
    kind = state.kinds.pop(index)
    if kind == "tool":
        initial = state.tool_inputs.pop(index, None)
        if initial and not state.blocks.tool_args_text(block_id):
            state.blocks.tool_delta(block_id, initial, out)
        state.blocks.end(block_id, out)
    elif kind == "reasoning":
        pieces = state.signatures.pop(index, None)
        state.blocks.end(block_id, out, signature="".join(pieces) if pieces else None)
    else:
        citations = state.citations.pop(index, None)
        metadata = {"anthropic": {"citations": citations}} if citations else None
        state.blocks.end(block_id, out, provider_metadata=metadata)


def _open_implicit(state: AnthropicState, index: int, kind: str, out: list[StreamEvent]) -> str:
    """Open a text or reasoning block for a delta whose ``content_block_start`` never came."""
    start_block(state, index, {"type": kind}, out)
    return state.ids[index]


# ---------------------------------------------------------------------------- events
def _delta(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    delta = obj["delta"]
    index = obj["index"]
    dtype = delta["type"]
    if dtype == "text_delta":
        text = delta["text"]
        if type(text) is not str:
            raise _not_str("text_delta.text", text)
        block_id = state.ids.get(index)
        if block_id is not None:
            return [TextDeltaEvent(block_id, text)] if text else []
        out: list[StreamEvent] = []
        block_id = _open_implicit(state, index, "text", out)
        if text:
            out.append(TextDeltaEvent(block_id, text))
        return out
    if dtype == "input_json_delta":
        out = []
        state.blocks.tool_delta(state.ids[index], delta["partial_json"], out)
        return out
    if dtype == "thinking_delta":
        thinking = delta["thinking"]
        if type(thinking) is not str:
            raise _not_str("thinking_delta.thinking", thinking)
        block_id = state.ids.get(index)
        if block_id is not None:
            return [ReasoningDeltaEvent(block_id, thinking)] if thinking else []
        out = []
        block_id = _open_implicit(state, index, "thinking", out)
        if thinking:
            out.append(ReasoningDeltaEvent(block_id, thinking))
        return out
    if dtype == "signature_delta":
        signature = delta["signature"]
        if type(signature) is not str:
            raise _not_str("signature_delta.signature", signature)
        state.signatures.setdefault(index, []).append(signature)
        return []
    if dtype == "citations_delta":
        out = []
        _citation(state, index, delta["citation"], out)
        return out
    return []


def _message_start(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    message = obj["message"]
    if not isinstance(message, dict):
        raise TypeError("message is not an object")
    response_id = message.get("id")
    model_id = message.get("model")
    state.response_id = response_id if isinstance(response_id, str) else None
    state.model_id = model_id if isinstance(model_id, str) else None
    usage = message.get("usage")
    if isinstance(usage, dict):
        if state.usage is None:
            state.usage = {}
        merge_usage(state.usage, usage)
    return [ResponseMetadataEvent(state.response_id, state.model_id)]


def _block_start(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    out: list[StreamEvent] = []
    block = obj["content_block"]
    if not isinstance(block, dict):
        raise TypeError("content_block is not an object")
    start_block(state, obj["index"], block, out)
    return out


def _block_stop(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    out: list[StreamEvent] = []
    close_block(state, obj["index"], out)
    return out


def _message_delta(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    delta = obj.get("delta")
    if isinstance(delta, dict):
        stop_reason = delta.get("stop_reason")
        if isinstance(stop_reason, str):
            state.stop_reason = stop_reason
        stop_sequence = delta.get("stop_sequence")
        if isinstance(stop_sequence, str):
            state.stop_sequence = stop_sequence
    usage = obj.get("usage")
    if isinstance(usage, dict):
        if state.usage is None:
            state.usage = {}
        merge_usage(state.usage, usage)
    return []


def _message_stop(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    state.done = True
    return []


def _ignore(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    return []


def _error(state: AnthropicState, obj: dict[str, Any]) -> list[StreamEvent]:
    raise stream_error(obj, provider_id=state.provider_id, model_id=state.model_id)


_HANDLERS = {
    "message_start": _message_start,
    "content_block_start": _block_start,
    "content_block_stop": _block_stop,
    "message_delta": _message_delta,
    "message_stop": _message_stop,
    "ping": _ignore,
    "error": _error,
}


def parse_event(state: AnthropicState, sse: ServerSentEvent) -> list[StreamEvent]:
    """Turn one Anthropic server-sent event into stream events (the hot path).

    Raises:
        StreamError: an ``error`` event (``error_type`` = its ``error.type``).
        InvalidResponseError: data that is not JSON, not an object, or lacks a field the event
            type requires (``.raw`` holds the data).
    """
    data = sse.data
    if not data:
        return []
    try:
        obj = _loads(data)
    except JSON_ERRORS as exc:
        raise invalid_json(
            exc,
            data,
            "stream event is not valid JSON",
            "the stream is corrupt, retry the request",
            provider_id=state.provider_id,
            model_id=state.model_id,
        ) from exc
    if type(obj) is not dict:
        raise InvalidResponseError(
            "stream event data is not a JSON object",
            raw=data,
            provider_id=state.provider_id,
            model_id=state.model_id,
        )
    kind = obj.get("type") or sse.event
    try:
        if kind == "content_block_delta":
            return _delta(state, obj)
        handler = _HANDLERS.get(kind)
        return handler(state, obj) if handler is not None else []
    except SHAPE_ERRORS as exc:
        raise InvalidResponseError(
            f"unexpected shape of a {kind!r} stream event ({exc!r})",
            raw=data,
            provider_id=state.provider_id,
            model_id=state.model_id,
        ) from exc


def finish(state: AnthropicState) -> list[StreamEvent]:
    """Close open blocks and emit the ``finish`` event.

    Raises:
        StreamError: no ``message_stop`` arrived: the stream was cut off.
    """
    if not state.done:  # checked first: a truncated stream's open blocks are not closed
        raise StreamError(
            "the stream ended before message_stop (truncated: the connection dropped or a proxy "
            "cut it); retrying the request may succeed",
            provider_id=state.provider_id,
            model_id=state.model_id,
            request_id=None,
        )
    out: list[StreamEvent] = []
    for index in list(state.ids):
        close_block(state, index, out)
    metadata: dict[str, object] = {}
    if state.stop_sequence is not None:
        metadata["stop_sequence"] = state.stop_sequence
    if state.usage is not None:
        server_tool_use = state.usage.get("server_tool_use")
        if server_tool_use:
            metadata["server_tool_use"] = server_tool_use
    out.append(
        FinishEvent(
            map_finish_reason(state.stop_reason),
            state.stop_reason,
            convert_usage(state.usage),
            {"anthropic": metadata} if metadata else None,
        )
    )
    return out
