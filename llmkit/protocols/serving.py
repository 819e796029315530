"""The serving half of a protocol, sans-IO: an incoming request body in that protocol's wire
format becomes unified call options, and unified stream events become that protocol's response
(a server-sent event stream, a non-streamed JSON body, an error body).

The reading half (:class:`~llmkit.protocols.base.Protocol`) turns a provider's answers into
:data:`~llmkit.types.StreamEvent`; this half lets llmkit *be* the provider: the gateway
(:mod:`llmkit.server`) parses a client's request with the codec of the endpoint's protocol,
calls any model through the normal llmkit path, and encodes the unified events back with the
same codec. A protocol that can be served has a ``serve.py`` module in its folder exposing a
``Codec`` class that implements :class:`ServingCodec`, and one line in :data:`SERVED`.

Rules every codec keeps:

- **Exactly the provider's shapes.** The stream and bodies are what the provider's official SDK
  reads without error (event names, field names, the ``[DONE]`` terminator where the protocol
  has one, usage and finish reason where the provider puts them).
- **What the target cannot express is dropped, by a documented rule**, never invented: e.g.
  reasoning has no place in an OpenAI chat completion chunk except ``reasoning_content``
  (the DeepSeek convention, which the OpenAI SDK passes through as an extra field).
- **Malformed requests raise** :class:`RequestFieldError` naming the field, which the server
  answers with the protocol's 400 error shape (:meth:`ServingCodec.encode_error`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.types.events import StreamEvent
    from llmkit.types.options import CallOptions
    from llmkit.types.warnings import CallWarning

__all__ = [
    "SERVED",
    "RequestFieldError",
    "ServedRequest",
    "ServingCodec",
    "StreamEncoder",
    "get_codec",
]


class RequestFieldError(ValueError):
    """An incoming request body the codec cannot use: not JSON, a missing or ill-typed field.

    Attributes:
        field: the JSON path of the offending field (``"messages[2].content"``), or ``""`` for
            the body as a whole.
        message: what is wrong and what to send instead.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ServedRequest:
    """An incoming request, read.

    Attributes:
        model: the model the client asked for, as sent (``"provider:model"`` or a gateway
            alias).
        stream: the client asked for a streamed answer.
        call: the unified call options (messages with every content part, tools and tool
            choice, reasoning, sampling, stop sequences, response format).
        warnings: request fields that were dropped (no unified equivalent), for logs.
        stream_options: how the client asked the stream to be written, passed as keyword
            arguments to :meth:`ServingCodec.stream_encoder` (OpenAI chat:
            ``{"include_usage": bool}`` from ``stream_options.include_usage``).
    """

    model: str
    stream: bool
    call: CallOptions
    warnings: tuple[CallWarning, ...] = field(default=())
    stream_options: Mapping[str, object] = field(default_factory=dict)


class StreamEncoder(Protocol):
    """Unified events in, the protocol's response stream out (bytes ready to send).

    One encoder per response. Call :meth:`encode` for each event in order, then :meth:`end`
    once after the ``finish`` event; after an error, :meth:`error` instead of :meth:`end`.
    """

    content_type: str
    """The response's ``content-type`` (``text/event-stream`` for the SSE protocols)."""

    def headers(self) -> dict[str, str]:
        """Extra response headers the protocol requires (may be empty)."""
        ...

    def encode(self, event: StreamEvent) -> bytes:
        """The bytes for one unified event (often one SSE event; may be empty)."""
        ...

    def error(self, error: LLMKitError) -> bytes:
        """The protocol's in-band error (after the first byte was sent), ending the stream."""
        ...

    def end(self) -> bytes:
        """The bytes after the last event (``data: [DONE]`` for OpenAI chat; may be empty)."""
        ...


class ServingCodec(Protocol):
    """The serving half of one protocol (see the module docstring)."""

    def parse_request(self, body: bytes) -> ServedRequest:
        """Read an incoming request body.

        Raises:
            RequestFieldError: the body is not a usable request of this protocol.
        """
        ...

    def stream_encoder(self, model: str, **options: Any) -> StreamEncoder:
        """A new encoder for one streamed response; ``model`` is echoed in the response;
        ``options`` are the request's :attr:`ServedRequest.stream_options` (a codec ignores
        none it does not know: the server passes only what its own ``parse_request`` set)."""
        ...

    def encode_response(self, events: Sequence[StreamEvent], model: str) -> bytes:
        """The non-streamed JSON response body for a complete event sequence."""
        ...

    def encode_error(self, error: LLMKitError | RequestFieldError) -> tuple[int, bytes]:
        """The HTTP status and JSON error body for an error before the first byte (an upstream
        status error keeps its status; a malformed request is 400)."""
        ...


SERVED: dict[str, str] = {
    "openai-chat": "llmkit.protocols.openai_chat.serve",
    "anthropic-messages": "llmkit.protocols.anthropic_messages.serve",
    "openai-responses": "llmkit.protocols.openai_responses.serve",
}
"""Protocol name → the module whose ``Codec`` class serves it (one line per protocol)."""


def get_codec(protocol: str) -> ServingCodec:
    """The serving codec of ``protocol``.

    Raises:
        KeyError: the protocol cannot be served (the message lists those that can).
    """
    module = SERVED.get(protocol)
    if module is None:
        raise KeyError(
            f"the {protocol!r} protocol cannot be served; servable protocols: "
            f"{', '.join(sorted(SERVED))}"
        )
    codec: ServingCodec = importlib.import_module(module).Codec()
    return codec
