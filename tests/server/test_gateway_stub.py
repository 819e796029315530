"""Stub serving codecs for the gateway tests, used for a protocol whose real codec is not
importable (the real ones are used whenever they are): just enough of the OpenAI chat and
Anthropic messages wire formats for the official SDKs, built on the testing kit's encoders.

The stub's stream encoder sends an SSE comment per event (SDKs ignore comments, so bytes flow
while the upstream streams) and the whole answer at the ``finish`` event."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from typing import Any

from llmkit.errors import APIStatusError, LLMKitError
from llmkit.protocols._fake import MockTurn
from llmkit.protocols.anthropic_messages.fake import anthropic_messages_json, anthropic_messages_sse
from llmkit.protocols.openai_chat.fake import openai_chat_json, openai_chat_sse
from llmkit.protocols.serving import RequestFieldError, ServedRequest, ServingCodec
from llmkit.types.events import StreamEvent
from llmkit.types.options import CallOptions


def _turn(events: Sequence[StreamEvent]) -> MockTurn:
    text, reasoning, calls, ids = [], [], [], []
    for e in events:
        if e.type == "text_delta":
            text.append(e.delta)
        elif e.type == "reasoning_delta":
            reasoning.append(e.delta)
        elif e.type == "tool_call":
            calls.append((e.tool_name, dict(e.args)))
            ids.append(e.tool_call_id)
    return MockTurn(
        text="".join(text), reasoning="".join(reasoning), tool_calls=calls, tool_call_ids=ids
    )


class _Encoder:
    content_type = "text/event-stream"

    def __init__(self, kind: str, model: str) -> None:
        self.kind, self.model, self.events = kind, model, []

    def headers(self) -> dict[str, str]:
        return {}

    def encode(self, event: StreamEvent) -> bytes:
        self.events.append(event)
        if event.type != "finish":
            return b": stub\n\n"
        if self.kind == "openai":
            return openai_chat_sse(_turn(self.events), self.model).removesuffix(b"data: [DONE]\n\n")
        return anthropic_messages_sse(_turn(self.events), self.model)

    def error(self, error: LLMKitError) -> bytes:
        body = {"type": "error", "error": {"type": "api_error", "message": str(error)}}
        if self.kind == "openai":
            return f"data: {json.dumps({'error': body['error']})}\n\n".encode()
        return f"event: error\ndata: {json.dumps(body)}\n\n".encode()

    def end(self) -> bytes:
        return b"data: [DONE]\n\n" if self.kind == "openai" else b""


class StubCodec:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def parse_request(self, body: bytes) -> ServedRequest:
        try:
            data = json.loads(body)
        except ValueError:
            raise RequestFieldError("", "the body is not JSON") from None
        if not isinstance(data, dict):
            raise RequestFieldError("", "the body is not a JSON object")
        if not isinstance(data.get("model"), str):
            raise RequestFieldError("model", "missing or not a string")
        if not isinstance(data.get("messages"), list):
            raise RequestFieldError("messages", "missing or not an array")
        messages = []
        system = data.get("system")
        for i, m in enumerate(data["messages"]):
            content = m.get("content")
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content)
            if not isinstance(content, str):
                raise RequestFieldError(f"messages[{i}].content", "not text")
            if m.get("role") == "system":
                system = content
                continue
            messages.append({"role": m.get("role"), "content": content})
        tools = []
        for t in data.get("tools") or []:
            fn = t.get("function", t)
            tools.append(
                {
                    "name": fn["name"],
                    "description": fn.get("description"),
                    "parameters": fn.get("parameters") or fn.get("input_schema") or {},
                }
            )
        call = CallOptions.model_validate(
            {
                "messages": messages,
                "system": system,
                "tools": tools or None,
                "max_output_tokens": data.get("max_tokens"),
            }
        )
        return ServedRequest(model=data["model"], stream=bool(data.get("stream")), call=call)

    def stream_encoder(self, model: str) -> _Encoder:
        return _Encoder(self.kind, model)

    def encode_response(self, events: Sequence[StreamEvent], model: str) -> bytes:
        if self.kind == "openai":
            return openai_chat_json(_turn(events), model)
        return anthropic_messages_json(_turn(events), model)

    def encode_error(self, error: LLMKitError | RequestFieldError) -> tuple[int, bytes]:
        status = error.status_code if isinstance(error, APIStatusError) else 400
        if status == 400 and not isinstance(error, RequestFieldError):
            status = 500 if not isinstance(error, APIStatusError) else status
        message = error.message if hasattr(error, "message") else str(error)
        if isinstance(error, RequestFieldError):
            message = str(error)
        if self.kind == "openai":
            body: dict[str, Any] = {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": getattr(error, "field", None),
                    "code": None,
                }
            }
        else:
            body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
        return status, json.dumps(body).encode()


_REAL = {
    "openai-chat": ("llmkit.protocols.openai_chat.serve", "openai"),
    "anthropic-messages": ("llmkit.protocols.anthropic_messages.serve", "anthropic"),
}


def gateway_codecs() -> dict[str, ServingCodec]:
    """The real codec of each protocol when it is importable, else the stub."""
    out: dict[str, ServingCodec] = {}
    for name, (module, kind) in _REAL.items():
        try:
            out[name] = importlib.import_module(module).Codec()
        except ImportError:
            out[name] = StubCodec(kind)  # type: ignore[assignment]
    return out
