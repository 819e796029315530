"""A protocol written outside llmkit: Ollama's native chat API, registered at run time.

Ollama serves ``POST /api/chat`` as newline-delimited JSON: one object per line with
``message.content`` (text), ``message.thinking`` (reasoning, with ``think: true``) and whole
``message.tool_calls``, and a last line with ``done: true``, ``done_reason`` and the token counts
``prompt_eval_count`` / ``eval_count``. Source: Ollama API reference, "Generate a chat
completion" (github.com/ollama/ollama, docs/api.md).

Everything here uses llmkit's public API only: subclass ``llmkit.Protocol``, set ``framing =
"ndjson"``, register it, and any ``ProviderConfig(protocol="ollama-chat")`` streams through
``stream_text``, the tool loop, ``generate_object`` and ``MockModel``.

Run it offline: ``python examples/custom_protocol.py`` plays a recorded Ollama stream from a
loopback server (or pass the path of another recorded ``.ndjson`` stream).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from llmkit import (
    BuiltRequest,
    CallOptions,
    FinishEvent,
    InvalidResponseError,
    Protocol,
    ProviderConfig,
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    ResponseMetadataEvent,
    StreamError,
    StreamEvent,
    StreamState,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolCallEvent,
    ToolInputDeltaEvent,
    ToolInputEndEvent,
    ToolInputStartEvent,
    Usage,
    register_protocol,
)
from llmkit.errors import APIStatusError, status_error_class

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.testing import MockTurn

# Ollama "done_reason" → llmkit finish reason ("load"/"unload" answer an empty request)
FINISH_REASONS = {"stop": "stop", "length": "length", "load": "other", "unload": "other"}


@dataclass(slots=True)
class OllamaChatState(StreamState):
    """What one stream remembers between lines."""

    started: bool = False
    text_open: bool = False
    reasoning_open: bool = False
    calls: int = 0


def _messages(msg: Any) -> list[dict[str, Any]]:
    """One llmkit message as Ollama chat messages (a tool message gives one per result)."""
    role = msg.role
    if role in ("system", "user") and isinstance(msg.content, str):
        return [{"role": role, "content": msg.content}]
    if role == "user":
        text, images = [], []
        for part in msg.content:
            if part.type == "text":
                text.append(part.text)
            elif part.type == "image":
                images.append(part.base64_data()[1])
        out: dict[str, Any] = {"role": "user", "content": "".join(text)}
        return [{**out, "images": images} if images else out]
    if role == "assistant":
        if isinstance(msg.content, str):
            return [{"role": "assistant", "content": msg.content}]
        out = {"role": "assistant", "content": ""}
        for part in msg.content:
            if part.type == "text":
                out["content"] += part.text
            elif part.type == "reasoning" and part.text:
                out["thinking"] = out.get("thinking", "") + part.text
            elif part.type == "tool_call":
                call = {"function": {"name": part.tool_name, "arguments": part.args}}
                out.setdefault("tool_calls", []).append(call)
        return [out]
    return [  # Ollama matches a tool result to its call by the tool's name
        {"role": "tool", "tool_name": part.tool_name, "content": json.dumps(part.result)}
        for part in msg.content
    ]


class OllamaChatProtocol(Protocol[OllamaChatState]):
    """Ollama's native ``POST {base_url}/api/chat``, streamed as NDJSON."""

    name: ClassVar[str] = "ollama-chat"
    metadata_key: ClassVar[str] = "ollama"
    framing = "ndjson"  # each parse_event call gets one line
    default_auth: ClassVar[str] = "none"  # a local server; set auth= for a proxy in front
    supports_response_format: ClassVar[bool] = True  # "format": <JSON schema>

    # ------------------------------------------------------------------ requests
    def build_request(
        self, call: CallOptions, provider: ProviderConfig, model_id: str, *, stream: bool = True
    ) -> BuiltRequest:
        messages: list[dict[str, Any]] = []
        if call.system:
            messages.append({"role": "system", "content": call.system})
        for msg in call.messages:
            messages += _messages(msg)
        options: dict[str, object] = {}
        for ours, theirs in (
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("top_k", "top_k"),
            ("seed", "seed"),
            ("max_output_tokens", "num_predict"),
            ("stop_sequences", "stop"),
        ):
            value = getattr(call, ours)
            if value is not None:
                options[theirs] = value
        body: dict[str, object] = {"model": model_id, "messages": messages, "stream": stream}
        if options:
            body["options"] = options
        if call.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description or "",
                        "parameters": t.parameters,
                    },
                }
                for t in call.tools
            ]
        if call.reasoning is not None:
            body["think"] = True
        if call.response_format is not None:
            body["format"] = call.response_format.json_schema
        body.update(call.provider_options.get(self.metadata_key, {}))
        headers = {"content-type": "application/json", **provider.headers, **call.headers}
        return BuiltRequest(f"{provider.base_url}/api/chat", headers, body, stream)

    # ------------------------------------------------------------------ streams
    def new_state(self, provider: ProviderConfig) -> OllamaChatState:
        return OllamaChatState()

    def parse_event(self, state: OllamaChatState, sse: ServerSentEvent) -> list[StreamEvent]:
        return self._line(state, sse.data)  # framing "ndjson": sse.data is one line

    def _line(self, state: OllamaChatState, text: str) -> list[StreamEvent]:
        try:
            line = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InvalidResponseError(f"an Ollama line is not JSON: {exc}", raw=text) from exc
        if not isinstance(line, dict):
            raise InvalidResponseError("an Ollama line is not a JSON object", raw=text)
        if "error" in line:  # Ollama reports a failure mid-stream as {"error": "..."}
            raise StreamError(f"Ollama reported an error mid-stream: {line['error']}")
        out: list[StreamEvent] = []
        if not state.started:
            state.started = True
            out.append(ResponseMetadataEvent(None, line.get("model"), _created(line)))
        message = line.get("message") or {}
        thinking, content = message.get("thinking") or "", message.get("content") or ""
        if not isinstance(thinking, str) or not isinstance(content, str):
            raise InvalidResponseError("Ollama sent a non-string content or thinking")
        if thinking:
            if not state.reasoning_open:
                state.reasoning_open = True
                out.append(ReasoningStartEvent("reasoning-0"))
            out.append(ReasoningDeltaEvent("reasoning-0", thinking))
        if content:
            if state.reasoning_open:
                state.reasoning_open = False
                out.append(ReasoningEndEvent("reasoning-0"))
            if not state.text_open:
                state.text_open = True
                out.append(TextStartEvent("text-0"))
            out.append(TextDeltaEvent("text-0", content))
        for call in message.get("tool_calls") or ():  # tool calls arrive whole
            function = call.get("function") or {}
            name, args = function.get("name"), function.get("arguments") or {}
            if not isinstance(name, str) or not isinstance(args, dict):
                raise InvalidResponseError("Ollama sent a tool call without a name or arguments")
            call_id = f"call_{state.calls}"
            state.calls += 1
            args_json = json.dumps(args)
            out += [
                ToolInputStartEvent(call_id, name),
                ToolInputDeltaEvent(call_id, args_json),
                ToolInputEndEvent(call_id),
                ToolCallEvent(call_id, name, args, args_json),
            ]
        if line.get("done"):
            out += self._close(state)
            raw = line.get("done_reason")
            reason = "tool_calls" if state.calls else FINISH_REASONS.get(raw or "stop", "other")
            usage = Usage(
                input_tokens=line.get("prompt_eval_count"),
                output_tokens=line.get("eval_count"),
                raw={k: v for k, v in line.items() if k.endswith(("_count", "_duration"))},
            )
            state.done = True
            out.append(FinishEvent(reason, raw, usage))  # type: ignore[arg-type]
        return out

    def _close(self, state: OllamaChatState) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        if state.reasoning_open:
            state.reasoning_open = False
            out.append(ReasoningEndEvent("reasoning-0"))
        if state.text_open:
            state.text_open = False
            out.append(TextEndEvent("text-0"))
        return out

    def finish(self, state: OllamaChatState) -> list[StreamEvent]:
        if not state.done:  # checked before closing anything: a cut stream is an error
            raise StreamError("the Ollama stream ended without its done line (truncated)")
        return []

    def parse_response(self, body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
        state = self.new_state(provider)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidResponseError("the Ollama body is not UTF-8", raw=body[:200]) from exc
        return [*self._line(state, text), *self.finish(state)]

    def parse_error(
        self, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> APIStatusError:
        try:
            message = str(json.loads(body).get("error") or "")
        except (ValueError, AttributeError, RecursionError):
            message = body[:200].decode("utf-8", "replace")
        advice = " (pull the model with `ollama pull`)" if status_code == 404 else ""
        return status_error_class(status_code)(
            f"Ollama answered {status_code}: {message}{advice}", status_code=status_code, body=body
        )

    # ------------------------------------------------------------------ testing kit
    def fake_wants_stream(self, path: str, body: object) -> bool:
        return not isinstance(body, dict) or body.get("stream", True) is not False

    def fake_stream(self, turn: MockTurn, model: str) -> bytes:
        lines: list[dict[str, Any]] = []
        if turn.reasoning:
            lines.append({"message": {"role": "assistant", "thinking": turn.reasoning}})
        lines += [
            {"message": {"role": "assistant", "content": turn.text[i : i + turn.piece]}}
            for i in range(0, len(turn.text), turn.piece)
        ]
        if turn.tool_calls:
            calls = [{"function": {"name": n, "arguments": a}} for n, a in turn.tool_calls]
            lines.append({"message": {"role": "assistant", "content": "", "tool_calls": calls}})
        done: dict[str, Any] = {
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": turn.input_tokens,
            "eval_count": turn.output_tokens,
        }
        stamp = {"model": model, "created_at": "2026-01-01T00:00:00Z"}
        return b"".join(json.dumps({**stamp, **line}).encode() + b"\n" for line in [*lines, done])

    def fake_body(self, turn: MockTurn, model: str) -> bytes:
        message: dict[str, object] = {"role": "assistant", "content": turn.text}
        if turn.reasoning:
            message["thinking"] = turn.reasoning
        if turn.tool_calls:
            message["tool_calls"] = [
                {"function": {"name": n, "arguments": a}} for n, a in turn.tool_calls
            ]
        body = {
            "model": model,
            "created_at": "2026-01-01T00:00:00Z",
            "message": message,
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": turn.input_tokens,
            "eval_count": turn.output_tokens,
        }
        return json.dumps(body).encode()


def _created(line: Mapping[str, Any]) -> datetime | None:
    stamp = line.get("created_at")
    if not isinstance(stamp, str):
        return None
    try:  # Ollama writes nanoseconds; datetime keeps microseconds
        head, _, rest = stamp.rstrip("Z").partition(".")
        when = datetime.fromisoformat(f"{head}.{rest[:6]}" if rest else head)
    except ValueError:
        return None
    return when.replace(tzinfo=timezone.utc)


register_protocol(OllamaChatProtocol)


async def main(body: bytes) -> None:
    from llmkit import ProviderRegistry, stream_text
    from llmkit.testing import ReplayResponse, ReplayServer, random_chunks

    response = ReplayResponse(body, content_type="application/x-ndjson", chunking=random_chunks(7))
    with ReplayServer([response]) as server:
        ollama = ProviderConfig(id="ollama-native", protocol="ollama-chat", base_url=server.url)
        result = stream_text(
            model="ollama-native:qwen3", prompt="Hi", registry=ProviderRegistry([ollama])
        )
        async for event in result:
            if event.type == "text_delta":
                print(event.delta, end="", flush=True)
        print()
        usage = await result.usage
        print(f"[{await result.finish_reason}; {usage.input_tokens} in, {usage.output_tokens} out]")


RECORDING = Path(__file__).parent / "recordings" / "ollama-chat-gemma3-stream.ndjson"

if __name__ == "__main__":
    asyncio.run(main((Path(sys.argv[1]) if len(sys.argv) > 1 else RECORDING).read_bytes()))
