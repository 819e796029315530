"""A scripted mock model: OpenAI-chat or Anthropic-messages streams built from plain values and
served by a loopback :class:`~llmkit.testing.replay.ReplayServer`.

    with MockModel(["Hello!", MockTurn(tool_calls=[("get_weather", {"city": "Paris"})])]) as mock:
        result = stream_text(model=mock.model, prompt="hi")
        assert await result.text == "Hello!"
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING

from llmkit.testing.replay import Chunking, RecordedRequest, ReplayResponse, ReplayServer

if TYPE_CHECKING:
    from llmkit.providers.config import ProtocolName
    from llmkit.providers.registry import ProviderRegistry

__all__ = [
    "MockModel",
    "MockTurn",
    "anthropic_messages_json",
    "anthropic_messages_sse",
    "openai_chat_json",
    "openai_chat_sse",
]


@dataclass(frozen=True)
class MockTurn:
    """One scripted model answer.

    Attributes:
        text: the visible text.
        reasoning: reasoning text sent before it (``reasoning_content`` / ``thinking``).
        tool_calls: ``(tool name, args)`` pairs.
        tool_call_ids: the calls' ids (default ``call_<n>`` / ``toolu_<n>``; a
            :class:`MockModel` numbers them ``call_<turn>_<n>`` so ids differ across turns).
        signature: the Anthropic thinking signature sent after the reasoning.
        input_tokens, output_tokens: the usage to report (tokens).
        cache_read_tokens, cache_write_tokens: prompt-cache usage to report (tokens), if any.
        piece: characters per text delta.
        args_piece: characters per tool-arguments delta (None: the arguments in one delta).
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: Sequence[tuple[str, dict[str, object]]] = field(default_factory=tuple)
    tool_call_ids: Sequence[str] = ()
    signature: str = "bW9jaw=="
    input_tokens: int = 10
    output_tokens: int = 20
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    piece: int = 4
    args_piece: int | None = None

    def call_id(self, index: int, prefix: str) -> str:
        """The id of tool call ``index``."""
        if index < len(self.tool_call_ids):
            return self.tool_call_ids[index]
        return f"{prefix}_{index}"


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _args_pieces(args: dict[str, object], size: int | None) -> list[str]:
    text = json.dumps(args)
    return [text] if size is None else _pieces(text, size)


def _sse(data: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def openai_chat_sse(turn: MockTurn, model: str = "mock-model") -> bytes:
    """An OpenAI ``chat.completion.chunk`` stream (with usage chunk and ``[DONE]``)."""
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model}

    def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse({**base, "choices": [choice]})

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"reasoning_content": p}) for p in _pieces(turn.reasoning, turn.piece)]
    out += [chunk({"content": p}) for p in _pieces(turn.text, turn.piece)]
    for i, (name, args) in enumerate(turn.tool_calls):
        call = {"index": i, "id": turn.call_id(i, "call"), "type": "function"}
        out.append(chunk({"tool_calls": [{**call, "function": {"name": name, "arguments": ""}}]}))
        for part in _args_pieces(args, turn.args_piece):
            out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]}))
    out.append(chunk({}, "tool_calls" if turn.tool_calls else "stop"))
    out.append(_sse({**base, "choices": [], "usage": _openai_usage(turn)}))
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


def _anthropic_usage(turn: MockTurn, output_tokens: int) -> dict[str, object]:
    usage: dict[str, object] = {"input_tokens": turn.input_tokens, "output_tokens": output_tokens}
    if turn.cache_read_tokens is not None:
        usage["cache_read_input_tokens"] = turn.cache_read_tokens
    if turn.cache_write_tokens is not None:
        usage["cache_creation_input_tokens"] = turn.cache_write_tokens
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
    out = [_sse({"type": "message_start", "message": message}, "message_start")]
    index = 0

    def block(start: Mapping[str, object], deltas: Iterable[Mapping[str, object]]) -> None:
        nonlocal index
        out.append(
            _sse(
                {"type": "content_block_start", "index": index, "content_block": start},
                "content_block_start",
            )
        )
        for delta in deltas:
            payload = {"type": "content_block_delta", "index": index, "delta": delta}
            out.append(_sse(payload, "content_block_delta"))
        out.append(_sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1

    if turn.reasoning:
        thinking = [{"type": "thinking_delta", "thinking": p} for p in _pieces(turn.reasoning, 8)]
        thinking.append({"type": "signature_delta", "signature": turn.signature})
        block({"type": "thinking", "thinking": ""}, thinking)
    if turn.text:
        text = [{"type": "text_delta", "text": p} for p in _pieces(turn.text, turn.piece)]
        block({"type": "text", "text": ""}, text)
    for i, (name, args) in enumerate(turn.tool_calls):
        start = {"type": "tool_use", "id": turn.call_id(i, "toolu"), "name": name, "input": {}}
        deltas = _args_pieces(args, turn.args_piece)
        block(start, [{"type": "input_json_delta", "partial_json": p} for p in deltas])
    delta = {"stop_reason": "tool_use" if turn.tool_calls else "end_turn", "stop_sequence": None}
    out.append(
        _sse(
            {
                "type": "message_delta",
                "delta": delta,
                "usage": {"output_tokens": turn.output_tokens},
            },
            "message_delta",
        )
    )
    out.append(_sse({"type": "message_stop"}, "message_stop"))
    return b"".join(out)


class MockModel:
    """A scripted model on a loopback server, registered as provider ``provider_id``.

    Each request gets the next turn, as a stream when the request body asks for one
    (``"stream": true``) and as a JSON body otherwise (``generate_text``). Tool call ids are
    numbered per turn (``call_<turn>_<n>`` / ``toolu_<turn>_<n>``) unless the turn sets them.

    Args:
        turns: answers in order (a str is a text-only turn); the last repeats.
        protocol: the wire protocol to speak.
        provider_id: the id to register (the model string is ``"<provider_id>:mock-model"``).
        registry: the registry to register in (default ``llmkit.registry``).
        chunking: how each stream is cut into network writes.

    Attributes:
        model: the model string to pass to ``stream_text``.
        requests: the requests received (their JSON bodies show what llmkit sent).
    """

    def __init__(
        self,
        turns: Iterable[MockTurn | str],
        *,
        protocol: ProtocolName = "openai-chat",
        provider_id: str = "mock",
        registry: ProviderRegistry | None = None,
        chunking: Chunking = None,
    ) -> None:
        self._turns = [t if isinstance(t, MockTurn) else MockTurn(text=t) for t in turns]
        if not self._turns:
            raise ValueError("MockModel needs at least one turn")
        self._served = 0
        self._chunking = chunking
        self.server = ReplayServer(handler=self._respond)
        self.protocol: ProtocolName = protocol
        self.provider_id = provider_id
        self.model = f"{provider_id}:mock-model"
        self._registry = registry

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received so far."""
        return self.server.requests

    def _respond(self, request: RecordedRequest) -> ReplayResponse:
        """The next turn, streamed or not as the request asks (called under the server lock)."""
        index = min(self._served, len(self._turns) - 1)
        self._served += 1
        turn = self._turns[index]
        openai = self.protocol == "openai-chat"
        if turn.tool_calls and not turn.tool_call_ids:
            prefix = "call" if openai else "toolu"
            ids = [f"{prefix}_{index}_{i}" for i in range(len(turn.tool_calls))]
            turn = replace(turn, tool_call_ids=ids)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("stream"):
            build = openai_chat_sse if openai else anthropic_messages_sse
            return ReplayResponse(build(turn), chunking=self._chunking)
        build = openai_chat_json if openai else anthropic_messages_json
        return ReplayResponse(build(turn), content_type="application/json")

    def __enter__(self) -> MockModel:
        from llmkit.providers import default_registry

        self.server.start()
        registry = self._registry or default_registry()
        registry.register(self.server.provider(self.provider_id, self.protocol))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from llmkit.providers import default_registry

        registry = self._registry or default_registry()
        if self.provider_id in registry:
            registry.unregister(self.provider_id)
        self.server.stop()
