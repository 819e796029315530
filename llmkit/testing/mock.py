"""A scripted mock model: any protocol's responses (its ``fake_stream`` / ``fake_body``) built from
plain values and served by a loopback :class:`~llmkit.testing.replay.ReplayServer`.

    with MockModel(["Hello!", MockTurn(tool_calls=[("get_weather", {"city": "Paris"})])]) as mock:
        result = stream_text(model=mock.model, prompt="hi")
        assert await result.text == "Hello!"
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING

from llmkit.protocols._fake import MockTurn
from llmkit.protocols.anthropic_messages.fake import anthropic_messages_json, anthropic_messages_sse
from llmkit.protocols.openai_chat.fake import openai_chat_json, openai_chat_sse
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

_CONTENT_TYPES = {"sse": "text/event-stream", "ndjson": "application/x-ndjson"}


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
        from llmkit.protocols import get_protocol

        protocol = get_protocol(self.protocol)
        if turn.tool_calls and not turn.tool_call_ids:
            prefix = protocol.fake_call_id_prefix
            ids = [f"{prefix}_{index}_{i}" for i in range(len(turn.tool_calls))]
            turn = replace(turn, tool_call_ids=ids)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        if protocol.fake_wants_stream(request.path, body):
            content_type = _CONTENT_TYPES[protocol.framing]
            return ReplayResponse(
                protocol.fake_stream(turn, "mock-model"),
                content_type=content_type,
                chunking=self._chunking,
            )
        return ReplayResponse(
            protocol.fake_body(turn, "mock-model"), content_type="application/json"
        )

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
