"""The testing kit's ``anthropic-messages`` encoder: a :class:`~llmkit.testing.MockTurn` as the
bytes Anthropic's Messages API would send (Anthropic API reference, "Streaming Messages" and
"Messages")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from llmkit.protocols._fake import args_pieces, pieces, sse

if TYPE_CHECKING:
    from llmkit.protocols._fake import MockTurn

__all__ = ["anthropic_messages_json", "anthropic_messages_sse"]


def _anthropic_usage(turn: MockTurn, output_tokens: int) -> dict[str, object]:
    usage: dict[str, object] = {"input_tokens": turn.input_tokens, "output_tokens": output_tokens}
    if turn.cache_read_tokens is not None:
        usage["cache_read_input_tokens"] = turn.cache_read_tokens
    if turn.cache_write_tokens is not None:
        usage["cache_creation_input_tokens"] = turn.cache_write_tokens
    return usage


def anthropic_messages_json(turn: MockTurn, model: str = "mock-model") -> bytes:
    """A non-streamed Anthropic Messages response body."""
    content: list[dict[str, object]] = []
    if turn.reasoning:
        content.append(
            {"type": "thinking", "thinking": turn.reasoning, "signature": turn.signature}
        )
    if turn.text:
        content.append({"type": "text", "text": turn.text})
    for i, (name, args) in enumerate(turn.tool_calls):
        content.append(
            {"type": "tool_use", "id": turn.call_id(i, "toolu"), "name": name, "input": args}
        )
    body = {
        "id": "msg_mock",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if turn.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": _anthropic_usage(turn, turn.output_tokens),
    }
    return json.dumps(body).encode()


def anthropic_messages_sse(turn: MockTurn, model: str = "mock-model") -> bytes:
    """An Anthropic Messages stream (``message_start`` ... ``message_stop``)."""
    message: dict[str, object] = {
        "id": "msg_mock",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "usage": _anthropic_usage(turn, 1),
    }
    out = [sse({"type": "message_start", "message": message}, "message_start")]
    index = 0

    def block(start: Mapping[str, object], deltas: Iterable[Mapping[str, object]]) -> None:
        nonlocal index
        out.append(
            sse(
                {"type": "content_block_start", "index": index, "content_block": start},
                "content_block_start",
            )
        )
        for delta in deltas:
            payload = {"type": "content_block_delta", "index": index, "delta": delta}
            out.append(sse(payload, "content_block_delta"))
        out.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1

    if turn.reasoning:
        thinking = [{"type": "thinking_delta", "thinking": p} for p in pieces(turn.reasoning, 8)]
        thinking.append({"type": "signature_delta", "signature": turn.signature})
        block({"type": "thinking", "thinking": ""}, thinking)
    if turn.text:
        text = [{"type": "text_delta", "text": p} for p in pieces(turn.text, turn.piece)]
        block({"type": "text", "text": ""}, text)
    for i, (name, args) in enumerate(turn.tool_calls):
        start = {"type": "tool_use", "id": turn.call_id(i, "toolu"), "name": name, "input": {}}
        deltas = args_pieces(args, turn.args_piece)
        block(start, [{"type": "input_json_delta", "partial_json": p} for p in deltas])
    delta = {"stop_reason": "tool_use" if turn.tool_calls else "end_turn", "stop_sequence": None}
    out.append(
        sse(
            {
                "type": "message_delta",
                "delta": delta,
                "usage": {"output_tokens": turn.output_tokens},
            },
            "message_delta",
        )
    )
    out.append(sse({"type": "message_stop"}, "message_stop"))
    return b"".join(out)
