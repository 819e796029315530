"""The testing kit's ``openai-chat`` encoder: a :class:`~llmkit.testing.MockTurn` as the bytes
OpenAI's Chat Completions API would send (OpenAI API reference, "The chat completion chunk
object" and "The chat completion object")."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from llmkit.protocols._fake import args_pieces, pieces, sse

if TYPE_CHECKING:
    from llmkit.protocols._fake import MockTurn

__all__ = ["openai_chat_json", "openai_chat_sse"]


def openai_chat_sse(turn: MockTurn, model: str = "mock-model") -> bytes:
    """An OpenAI ``chat.completion.chunk`` stream (with usage chunk and ``[DONE]``)."""
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model}

    def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse({**base, "choices": [choice]})

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"reasoning_content": p}) for p in pieces(turn.reasoning, turn.piece)]
    out += [chunk({"content": p}) for p in pieces(turn.text, turn.piece)]
    for i, (name, args) in enumerate(turn.tool_calls):
        call = {"index": i, "id": turn.call_id(i, "call"), "type": "function"}
        out.append(chunk({"tool_calls": [{**call, "function": {"name": name, "arguments": ""}}]}))
        for part in args_pieces(args, turn.args_piece):
            out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]}))
    out.append(chunk({}, "tool_calls" if turn.tool_calls else "stop"))
    out.append(sse({**base, "choices": [], "usage": _openai_usage(turn)}))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def _openai_usage(turn: MockTurn) -> dict[str, object]:
    usage: dict[str, object] = {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": turn.output_tokens,
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }
    if turn.cache_read_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": turn.cache_read_tokens}
    return usage


def openai_chat_json(turn: MockTurn, model: str = "mock-model") -> bytes:
    """A non-streamed OpenAI ``chat.completion`` body."""
    message: dict[str, object] = {"role": "assistant", "content": turn.text or None}
    if turn.reasoning:
        message["reasoning_content"] = turn.reasoning
    if turn.tool_calls:
        message["tool_calls"] = [
            {
                "id": turn.call_id(i, "call"),
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(turn.tool_calls)
        ]
    body = {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if turn.tool_calls else "stop",
            }
        ],
        "usage": _openai_usage(turn),
    }
    return json.dumps(body).encode()
