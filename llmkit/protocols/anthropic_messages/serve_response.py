"""Unified events of a finished call → the non-streamed Anthropic ``Message`` JSON body.

Anthropic API reference, "Messages" ("Create a Message", response): ``id``, ``type:
"message"``, ``role: "assistant"``, ``model``, ``content`` (``text`` with ``citations``,
``thinking`` with ``signature``, ``redacted_thinking``, ``tool_use`` with the parsed ``input``),
``stop_reason``, ``stop_sequence``, ``usage``. The blocks and mappings are those of the stream
encoder (:mod:`.serve_stream`), documented on :mod:`llmkit.protocols.anthropic_messages.serve`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmkit.protocols.anthropic_messages.serve_stream import _citations, _signature
from llmkit.protocols.anthropic_messages.serve_wire import (
    dumps,
    message_id,
    stop_reason,
    stop_sequence,
    wire_usage,
)

if TYPE_CHECKING:
    from llmkit.types.events import FinishEvent, StreamEvent

__all__ = ["encode_message"]


def _add(
    content: list[dict[str, object]],
    blocks: dict[str, dict[str, object]],
    block_id: str,
    block: dict[str, object],
) -> None:
    if block_id not in blocks:
        blocks[block_id] = block
        content.append(block)


def encode_message(events: Sequence[StreamEvent], model: str) -> bytes:
    """The ``Message`` body (compact JSON bytes) for a complete event sequence.

    Args:
        events: every unified event of the call, ``finish`` last (a sequence without one gives
            ``stop_reason`` ``end_turn`` and zero usage).
        model: echoed as ``model``.
    """
    content: list[dict[str, object]] = []  # blocks in start order, filled in at their end
    blocks: dict[str, dict[str, object]] = {}  # block id → its content block
    pieces: dict[str, list[str]] = {}  # text / thinking block id → its deltas
    response_id: str | None = None
    finish: FinishEvent | None = None
    block: dict[str, object]
    for event in events:
        if event.type == "text_delta" or event.type == "reasoning_delta":
            parts = pieces.get(event.id)
            if parts is not None:
                parts.append(event.delta)
        elif event.type == "text_start":
            _add(content, blocks, event.id, {"type": "text", "text": ""})
            pieces[event.id] = []
        elif event.type == "reasoning_start":
            if event.redacted_data is not None:
                block = {"type": "redacted_thinking", "data": event.redacted_data}
                _add(content, blocks, event.id, block)
            else:
                block = {"type": "thinking", "thinking": "", "signature": ""}
                _add(content, blocks, event.id, block)
                pieces[event.id] = []
        elif event.type == "tool_input_start":
            if not event.provider_executed:
                block = {"type": "tool_use", "id": event.id, "name": event.tool_name, "input": {}}
                _add(content, blocks, event.id, block)
        elif event.type == "text_end":
            citations = _citations(event)
            if citations and event.id in blocks:
                blocks[event.id]["citations"] = citations
        elif event.type == "reasoning_end":
            block = blocks.get(event.id, {})
            if block.get("type") == "thinking":
                block["signature"] = _signature(event) or ""
        elif event.type == "tool_call":
            if not event.provider_executed:
                block = blocks.get(event.tool_call_id) or {}
                if not block:
                    block.update(type="tool_use", id=event.tool_call_id, name=event.tool_name)
                    _add(content, blocks, event.tool_call_id, block)
                block["input"] = dict(event.args)
        elif event.type == "response_metadata":
            response_id = response_id or event.response_id
        elif event.type == "finish":
            finish = event
    for block_id, parts in pieces.items():
        block = blocks[block_id]
        block["text" if block["type"] == "text" else "thinking"] = "".join(parts)
    body: dict[str, object] = {
        "id": message_id(response_id),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(finish) if finish is not None else "end_turn",
        "stop_sequence": stop_sequence(finish.provider_metadata) if finish else None,
        "usage": wire_usage(
            finish.usage if finish else None,
            finish.provider_metadata if finish else None,
            delta=False,
        ),
    }
    return dumps(body).encode()
