"""The testing kit's ``openai-responses`` encoder: a :class:`~llmkit.testing.MockTurn` as the
bytes OpenAI's Responses API would send (OpenAI API reference, Responses, "The response
object" and "Streaming events").

A turn's reasoning becomes a ``reasoning`` item with one summary part and
``encrypted_content`` (the turn's ``signature``), its text one ``message`` item, each tool call
a ``function_call`` item; the stream ends with ``response.completed``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from llmkit.protocols._fake import args_pieces, pieces, sse

if TYPE_CHECKING:
    from llmkit.protocols._fake import MockTurn

__all__ = ["openai_responses_json", "openai_responses_sse"]

_RESPONSE_ID = "resp_mock"


def _usage(turn: MockTurn) -> dict[str, object]:
    details: dict[str, object] = {"cached_tokens": turn.cache_read_tokens or 0}
    if turn.cache_write_tokens is not None:
        details["cache_write_tokens"] = turn.cache_write_tokens
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": details,
        "output_tokens": turn.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }


def _items(turn: MockTurn) -> list[dict[str, object]]:
    """The answer's output items, complete."""
    items: list[dict[str, object]] = []
    if turn.reasoning:
        items.append(
            {
                "id": "rs_mock",
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": turn.reasoning}],
                "encrypted_content": turn.signature,
            }
        )
    if turn.text:
        items.append(
            {
                "id": "msg_mock",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": turn.text, "annotations": []}],
            }
        )
    for i, (name, args) in enumerate(turn.tool_calls):
        items.append(
            {
                "id": f"fc_mock_{i}",
                "type": "function_call",
                "status": "completed",
                "call_id": turn.call_id(i, "call"),
                "name": name,
                "arguments": json.dumps(args),
            }
        )
    return items


def _response(model: str, status: str, output: list[dict[str, object]]) -> dict[str, object]:
    return {
        "id": _RESPONSE_ID,
        "object": "response",
        "created_at": 1,
        "status": status,
        "model": model,
        "output": output,
        "error": None,
        "incomplete_details": None,
    }


def openai_responses_sse(turn: MockTurn, model: str = "mock-model") -> bytes:
    """A Responses event stream (``response.created`` ... ``response.completed``)."""
    seq = 0
    out: list[bytes] = []

    def emit(event: dict[str, object]) -> None:
        nonlocal seq
        event = {"type": event["type"], "sequence_number": seq, **event}
        seq += 1
        out.append(sse(event, str(event["type"])))

    emit({"type": "response.created", "response": _response(model, "in_progress", [])})
    emit({"type": "response.in_progress", "response": _response(model, "in_progress", [])})
    items = _items(turn)
    for index, item in enumerate(items):
        kind = item["type"]
        added = dict(item)
        if kind == "reasoning":
            added["summary"] = []
        elif kind == "message":
            added["content"], added["status"] = [], "in_progress"
        else:
            added["arguments"], added["status"] = "", "in_progress"
        emit({"type": "response.output_item.added", "output_index": index, "item": added})
        item_id = item["id"]
        if kind == "reasoning":
            at = {"item_id": item_id, "output_index": index, "summary_index": 0}
            emit({"type": "response.reasoning_summary_part.added", **at})
            for piece in pieces(turn.reasoning, turn.piece):
                emit({"type": "response.reasoning_summary_text.delta", **at, "delta": piece})
            emit({"type": "response.reasoning_summary_text.done", **at, "text": turn.reasoning})
        elif kind == "message":
            at = {"item_id": item_id, "output_index": index, "content_index": 0}
            part = {"type": "output_text", "text": "", "annotations": []}
            emit({"type": "response.content_part.added", **at, "part": part})
            for piece in pieces(turn.text, turn.piece):
                emit({"type": "response.output_text.delta", **at, "delta": piece})
            emit({"type": "response.output_text.done", **at, "text": turn.text})
        else:
            at = {"item_id": item_id, "output_index": index}
            args = json.loads(str(item["arguments"]))
            for piece in args_pieces(args, turn.args_piece):
                emit({"type": "response.function_call_arguments.delta", **at, "delta": piece})
            emit(
                {
                    "type": "response.function_call_arguments.done",
                    **at,
                    "arguments": item["arguments"],
                }
            )
        emit({"type": "response.output_item.done", "output_index": index, "item": item})
    final = {**_response(model, "completed", items), "usage": _usage(turn)}
    emit({"type": "response.completed", "response": final})
    return b"".join(out)


def openai_responses_json(turn: MockTurn, model: str = "mock-model") -> bytes:
    """A non-streamed Responses response object."""
    body = {**_response(model, "completed", _items(turn)), "usage": _usage(turn)}
    return json.dumps(body).encode()
