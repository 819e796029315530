"""Unified stream events → the Anthropic Messages server-sent event stream.

Anthropic API reference, "Streaming Messages": ``message_start``, then per content block
``content_block_start`` / ``content_block_delta``* / ``content_block_stop``, then
``message_delta`` (``stop_reason``, ``stop_sequence``, cumulative ``usage``) and
``message_stop``; an ``error`` event ends a failed stream. Every event is written as
``event: <type>`` + ``data: <compact JSON>`` + a blank line. Which unified event becomes what
(and what is dropped) is documented on :mod:`llmkit.protocols.anthropic_messages.serve`.

Hot path (DESIGN.md §9): a delta costs one JSON string encode and one bytes join with a
per-block prefix built once at the block's start; no pydantic, no dict per delta.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from llmkit.protocols.anthropic_messages.serve_wire import (
    dumps,
    error_object,
    message_id,
    stop_reason,
    stop_sequence,
    wire_usage,
)

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.types.events import (
        FinishEvent,
        ReasoningEndEvent,
        StreamEvent,
        TextEndEvent,
        ToolCallEvent,
    )

__all__ = ["AnthropicStreamEncoder", "sse_event"]

_DELTA_HEAD = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_TEXT = b',"delta":{"type":"text_delta","text":'
_THINKING = b',"delta":{"type":"thinking_delta","thinking":'
_JSON = b',"delta":{"type":"input_json_delta","partial_json":'
_TAIL = b"}}\n\n"


def sse_event(kind: str, payload: object) -> bytes:
    """One Anthropic server-sent event: ``event: <kind>`` and ``data: <compact JSON>``."""
    return f"event: {kind}\ndata: {dumps(payload)}\n\n".encode()


def _signature(event: ReasoningEndEvent) -> str | None:
    if event.signature:
        return event.signature
    metadata = event.provider_metadata
    anthropic = metadata.get("anthropic") if metadata else None
    value = anthropic.get("signature") if anthropic else None
    return value if isinstance(value, str) and value else None


def _citations(event: TextEndEvent) -> list[object]:
    metadata = event.provider_metadata
    anthropic = metadata.get("anthropic") if metadata else None
    citations = anthropic.get("citations") if anthropic else None
    return list(citations) if isinstance(citations, list) else []


class AnthropicStreamEncoder:
    """One streamed Messages response (implements
    :class:`~llmkit.protocols.serving.StreamEncoder`).

    Args:
        model: echoed as ``message.model`` in ``message_start``.

    Block indexes are given in start order (0, 1, ...); each unified block keeps its index
    until its end event, so the ``index`` of every delta names its block even when an upstream
    interleaves blocks.
    """

    content_type = "text/event-stream"

    __slots__ = (
        "_closed",
        "_heads",
        "_kinds",
        "_model",
        "_next",
        "_response_id",
        "_started",
        "_tools",
    )

    def __init__(self, model: str) -> None:
        self._model = model
        self._started = False
        self._closed = False
        self._response_id: str | None = None
        self._next = 0
        # unified block id → the delta prefix of its index (b'...,"index":3'), and its kind
        self._heads: dict[str, bytes] = {}
        self._kinds: dict[str, str] = {}
        self._tools: set[str] = set()  # tool call ids that got a block

    def headers(self) -> dict[str, str]:
        """Extra response headers: ``cache-control: no-cache``, as Anthropic sends."""
        return {"cache-control": "no-cache"}

    # ------------------------------------------------------------------------ helpers
    def _start_message(self) -> bytes:
        self._started = True
        message: dict[str, object] = {
            "id": message_id(self._response_id),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return sse_event("message_start", {"type": "message_start", "message": message})

    def _open(self, block_id: str, kind: str, block: Mapping[str, object]) -> bytes:
        index = self._next
        self._next += 1
        self._heads[block_id] = _DELTA_HEAD + str(index).encode()
        self._kinds[block_id] = kind
        if kind == "tool":
            self._tools.add(block_id)
        start = {"type": "content_block_start", "index": index, "content_block": block}
        return sse_event("content_block_start", start)

    def _stop(self, block_id: str, before: bytes = b"") -> bytes:
        head = self._heads.pop(block_id)
        del self._kinds[block_id]
        index = head[len(_DELTA_HEAD) :].decode()
        return (
            before
            + b'event: content_block_stop\ndata: {"type":"content_block_stop","index":'
            + index.encode()
            + b"}\n\n"
        )

    def _delta(self, block_id: str, body: dict[str, object]) -> bytes:
        return self._heads[block_id] + b',"delta":' + dumps(body).encode() + b"}\n\n"

    # ------------------------------------------------------------------------ events
    def encode(self, event: StreamEvent) -> bytes:
        """The bytes for one unified event (may be empty; see the module docstring)."""
        if self._closed:
            return b""
        if event.type == "text_delta":  # the hot path first
            head = self._heads.get(event.id)
            if head is None or not event.delta:
                return b""
            return head + _TEXT + dumps(event.delta).encode() + _TAIL
        if event.type == "stream_start":
            return b""
        if event.type == "response_metadata":
            if not self._started:
                self._response_id = event.response_id
                return self._start_message()
            return b""
        prefix = b"" if self._started else self._start_message()
        return prefix + self._encode_other(event)

    def _encode_other(self, event: StreamEvent) -> bytes:
        if event.type == "reasoning_delta":
            head = self._heads.get(event.id)
            if head is None or not event.delta or self._kinds[event.id] != "thinking":
                return b""  # a redacted block has no visible deltas
            return head + _THINKING + dumps(event.delta).encode() + _TAIL
        if event.type == "tool_input_delta":
            head = self._heads.get(event.id)
            if head is None or not event.delta:
                return b""
            return head + _JSON + dumps(event.delta).encode() + _TAIL
        if event.type == "text_start":
            return self._open(event.id, "text", {"type": "text", "text": ""})
        if event.type == "reasoning_start":
            if event.redacted_data is not None:
                redacted = {"type": "redacted_thinking", "data": event.redacted_data}
                return self._open(event.id, "redacted", redacted)
            return self._open(event.id, "thinking", {"type": "thinking", "thinking": ""})
        if event.type == "tool_input_start":
            if event.provider_executed:
                return b""  # provider-executed tools are dropped (see serve.py)
            tool = {"type": "tool_use", "id": event.id, "name": event.tool_name, "input": {}}
            return self._open(event.id, "tool", tool)
        if event.type == "text_end":
            return self._text_end(event)
        if event.type == "reasoning_end":
            return self._reasoning_end(event)
        if event.type == "tool_input_end":
            return self._stop(event.id) if event.id in self._heads else b""
        if event.type == "tool_call":
            return self._tool_call(event)
        if event.type == "finish":
            return self._finish(event)
        return b""  # tool_result, source, step_finish, abort: no Anthropic stream event

    def _text_end(self, event: TextEndEvent) -> bytes:
        if event.id not in self._heads:
            return b""
        citations = b"".join(
            self._delta(event.id, {"type": "citations_delta", "citation": citation})
            for citation in _citations(event)
        )
        return self._stop(event.id, citations)

    def _reasoning_end(self, event: ReasoningEndEvent) -> bytes:
        if event.id not in self._heads:
            return b""
        signature = _signature(event) if self._kinds[event.id] == "thinking" else None
        before = b""
        if signature is not None:
            before = self._delta(event.id, {"type": "signature_delta", "signature": signature})
        return self._stop(event.id, before)

    def _tool_call(self, event: ToolCallEvent) -> bytes:
        """A complete call whose ``tool_input_start`` never came: one whole block."""
        block_id = event.tool_call_id
        if event.provider_executed or block_id in self._tools:
            return b""
        block: dict[str, object] = {
            "type": "tool_use",
            "id": block_id,
            "name": event.tool_name,
            "input": {},
        }
        out = self._open(block_id, "tool", block)
        args_json = event.args_json if event.args_error is None else dumps(dict(event.args))
        if args_json:
            out += self._heads[block_id] + _JSON + dumps(args_json).encode() + _TAIL
        return out + self._stop(block_id)

    def _finish(self, event: FinishEvent) -> bytes:
        out = [self._stop(block_id) for block_id in list(self._heads)]
        delta = {
            "type": "message_delta",
            "delta": {
                "stop_reason": stop_reason(event),
                "stop_sequence": stop_sequence(event.provider_metadata),
            },
            "usage": wire_usage(event.usage, event.provider_metadata, delta=True),
        }
        out.append(sse_event("message_delta", delta))
        out.append(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
        self._closed = True
        return b"".join(out)

    def error(self, error: LLMKitError) -> bytes:
        """The in-band ``error`` event (``{"type": "error", "error": {"type", "message"}}``)
        that ends a failed stream; ``message_start`` first if nothing was sent yet."""
        self._closed = True
        prefix = b"" if self._started else self._start_message()
        _, body = error_object(error)
        return prefix + sse_event("error", body)

    def end(self) -> bytes:
        """Nothing: ``message_stop`` (sent with the ``finish`` event) ends the stream."""
        return b""
