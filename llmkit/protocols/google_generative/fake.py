"""The testing kit's ``google-generative`` encoder: a :class:`~llmkit.testing.MockTurn` as the
bytes Gemini's ``streamGenerateContent?alt=sse`` and ``generateContent`` would send (Gemini API
reference, "Generating content"): CRLF-framed ``data:`` chunks, thought parts first, the
signature on the first function call (or on the last text part), ``finishReason`` and
``usageMetadata`` on the last chunk."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from llmkit.protocols._fake import pieces

if TYPE_CHECKING:
    from llmkit.testing.mock import MockTurn

__all__ = ["google_generative_json", "google_generative_sse", "wants_stream"]


def wants_stream(path: str) -> bool:
    """Streaming is chosen by the method in the URL (``:streamGenerateContent``), not the body."""
    return ":streamGenerateContent" in path.split("?", 1)[0]


def _usage(turn: MockTurn) -> dict[str, object]:
    usage: dict[str, object] = {
        "promptTokenCount": turn.input_tokens,
        "candidatesTokenCount": turn.output_tokens,
        "totalTokenCount": turn.input_tokens + turn.output_tokens,
    }
    if turn.cache_read_tokens is not None:
        usage["cachedContentTokenCount"] = turn.cache_read_tokens
    return usage


def _calls(turn: MockTurn) -> list[dict[str, object]]:
    parts: list[dict[str, object]] = []
    for i, (name, args) in enumerate(turn.tool_calls):
        part: dict[str, object] = {
            "functionCall": {"name": name, "args": args, "id": turn.call_id(i, "call")}
        }
        if i == 0:
            part["thoughtSignature"] = turn.signature
        parts.append(part)
    return parts


def _chunk(parts: list[dict[str, object]], model: str, **extra: object) -> dict[str, object]:
    candidate: dict[str, object] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    candidate.update(extra)
    return {"candidates": [candidate], "modelVersion": model, "responseId": "mock-response"}


def _sse(data: object) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\r\n\r\n"


def google_generative_sse(turn: MockTurn, model: str = "mock-model") -> bytes:
    """A ``streamGenerateContent?alt=sse`` body: thoughts, text, then the calls; the last chunk
    has ``finishReason: STOP`` and the usage."""
    chunks: list[list[dict[str, object]]] = []
    chunks += [[{"text": p, "thought": True}] for p in pieces(turn.reasoning, 8)]
    chunks += [[{"text": p}] for p in pieces(turn.text, turn.piece)]
    calls = _calls(turn)
    if calls:
        chunks.append(calls)
    signed_text: dict[str, object] = {"text": "", "thoughtSignature": turn.signature}
    last = [] if calls else ([signed_text] if turn.reasoning else [])
    out = [_sse(_chunk(parts, model)) for parts in chunks]
    final = _chunk(last or [{"text": ""}], model, finishReason="STOP")
    final["usageMetadata"] = _usage(turn)
    out.append(_sse(final))
    return b"".join(out)


def google_generative_json(turn: MockTurn, model: str = "mock-model") -> bytes:
    """A ``generateContent`` body."""
    parts: list[dict[str, object]] = []
    if turn.reasoning:
        parts.append({"text": turn.reasoning, "thought": True})
    if turn.text:
        part: dict[str, object] = {"text": turn.text}
        if turn.reasoning and not turn.tool_calls:
            part["thoughtSignature"] = turn.signature
        parts.append(part)
    parts += _calls(turn)
    body = _chunk(parts, model, finishReason="STOP")
    body["usageMetadata"] = _usage(turn)
    return json.dumps(body).encode()
