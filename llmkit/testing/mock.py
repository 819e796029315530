"""A scripted mock model: OpenAI-chat or Anthropic-messages streams built from plain values and
served by a loopback :class:`~llmkit.testing.replay.ReplayServer`.

    with MockModel(["Hello!", MockTurn(tool_calls=[("get_weather", {"city": "Paris"})])]) as mock:
        result = stream_text(model=mock.model, prompt="hi")
        assert await result.text == "Hello!"
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from llmkit.testing.replay import Chunking, RecordedRequest, ReplayResponse, ReplayServer

if TYPE_CHECKING:
    from llmkit.providers.config import ProtocolName
    from llmkit.providers.registry import ProviderRegistry

__all__ = ["MockModel", "MockTurn", "anthropic_messages_sse", "openai_chat_sse"]


@dataclass(frozen=True)
class MockTurn:
    """One scripted model answer.

    Attributes:
        text: the visible text.
        reasoning: reasoning text sent before it (``reasoning_content`` / ``thinking``).
        tool_calls: ``(tool name, args)`` pairs; ids are ``call_<n>`` / ``toolu_<n>``.
        input_tokens, output_tokens: the usage to report (tokens).
        piece: characters per text delta.
        args_piece: characters per tool-arguments delta (None: the arguments in one delta).
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: Sequence[tuple[str, dict[str, object]]] = field(default_factory=tuple)
    input_tokens: int = 10
    output_tokens: int = 20
    piece: int = 4
    args_piece: int | None = None


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
        call = {"index": i, "id": f"call_{i}", "type": "function"}
        out.append(chunk({"tool_calls": [{**call, "function": {"name": name, "arguments": ""}}]}))
        for part in _args_pieces(args, turn.args_piece):
            out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]}))
    out.append(chunk({}, "tool_calls" if turn.tool_calls else "stop"))
    usage = {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": turn.output_tokens,
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }
    out.append(_sse({**base, "choices": [], "usage": usage}))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def anthropic_messages_sse(turn: MockTurn, model: str = "mock-model") -> bytes:
    """An Anthropic Messages stream (``message_start`` ... ``message_stop``)."""
    message: dict[str, object] = {
        "id": "msg_mock",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": turn.input_tokens, "output_tokens": 1},
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
        thinking.append({"type": "signature_delta", "signature": "bW9jaw=="})
        block({"type": "thinking", "thinking": ""}, thinking)
    if turn.text:
        text = [{"type": "text_delta", "text": p} for p in _pieces(turn.text, turn.piece)]
        block({"type": "text", "text": ""}, text)
    for i, (name, args) in enumerate(turn.tool_calls):
        start = {"type": "tool_use", "id": f"toolu_{i}", "name": name, "input": {}}
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
        build = openai_chat_sse if protocol == "openai-chat" else anthropic_messages_sse
        responses = [
            ReplayResponse(
                build(t if isinstance(t, MockTurn) else MockTurn(text=t)), chunking=chunking
            )
            for t in turns
        ]
        self.server = ReplayServer(responses)
        self.protocol: ProtocolName = protocol
        self.provider_id = provider_id
        self.model = f"{provider_id}:mock-model"
        self._registry = registry

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received so far."""
        return self.server.requests

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
