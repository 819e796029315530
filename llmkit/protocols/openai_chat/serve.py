"""The serving half of the ``openai-chat`` protocol: llmkit answering as OpenAI's Chat
Completions API (``POST /v1/chat/completions``, OpenAI API reference, "Create chat
completion").

:class:`Codec` implements :class:`~llmkit.protocols.serving.ServingCodec` from four modules,
one responsibility each:

- :mod:`.serve_request`: the request body → :class:`~llmkit.types.options.CallOptions`
  (field mapping, warnings for dropped fields, :class:`RequestFieldError` for bad input);
- :mod:`.serve_stream`: unified events → ``chat.completion.chunk`` server-sent events;
- :mod:`.serve_response`: unified events → a ``chat.completion`` body;
- :mod:`.serve_errors`: llmkit errors → OpenAI error bodies and statuses;
- :mod:`.serve_shapes` holds what they share (finish reason, usage, ids, JSON).

Drop rules (what an OpenAI chat completion cannot express; details in each module):

- **Reasoning** is sent as ``reasoning_content`` (``delta.reasoning_content`` in a stream,
  ``message.reasoning_content`` in a body), the DeepSeek convention that the OpenAI SDK
  passes through as an extra field; signatures, redacted reasoning and encrypted reasoning
  are dropped.
- **Finish reason**: ``error`` and ``other`` become ``stop`` (``tool_calls`` when the answer
  has tool calls); the raw upstream value is not sent.
- **Usage**: ``cache_write_tokens`` travels as the non-standard top-level
  ``cache_creation_input_tokens``; a missing ``total_tokens`` is the sum of the two parts
  when both are known; nothing reported means no usage object (never zeros).
- **Provider-executed tool calls**, tool results, sources, response metadata (the response
  has the gateway's own id) and step boundaries are not sent.
- **Requests**: ``developer`` is read as ``system``; ``json_object`` becomes a non-strict
  ``{"type": "object"}`` JSON schema; fields with no unified equivalent (``n``, ``logprobs``,
  ``user``, ``parallel_tool_calls``...) are dropped with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmkit.protocols.openai_chat.serve_errors import encode_error
from llmkit.protocols.openai_chat.serve_request import include_usage, parse_request
from llmkit.protocols.openai_chat.serve_response import encode_response
from llmkit.protocols.openai_chat.serve_stream import OpenAIChatStreamEncoder

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.protocols.serving import RequestFieldError, ServedRequest
    from llmkit.types.events import StreamEvent

__all__ = ["Codec", "OpenAIChatStreamEncoder", "include_usage"]


class Codec:
    """The ``openai-chat`` serving codec (stateless; one instance serves every request)."""

    def parse_request(self, body: bytes) -> ServedRequest:
        """Read a Chat Completions request body (see :func:`.serve_request.parse_request`).

        Raises:
            RequestFieldError: the body is not JSON, or a field is missing or ill-typed;
                ``field`` is its JSON path (``messages[2].content``).
        """
        return parse_request(body)

    def stream_encoder(self, model: str, **options: Any) -> OpenAIChatStreamEncoder:
        """A new encoder for one streamed response (see :mod:`.serve_stream`).

        Args:
            model: the model name echoed in every chunk.
            options: the request's ``stream_options`` as :meth:`parse_request` read them:
                ``include_usage`` (bool) writes the final usage chunk, which OpenAI writes
                only when the request asked with ``stream_options.include_usage``
                (:func:`include_usage`). Without the option (a direct use of the codec) the
                chunk is written: every OpenAI SDK accepts the extra ``choices: []`` chunk.
        """
        include_usage = bool(options.get("include_usage", True))
        return OpenAIChatStreamEncoder(model, include_usage=include_usage)

    def encode_response(self, events: Sequence[StreamEvent], model: str) -> bytes:
        """The ``chat.completion`` JSON body for a complete event sequence (see
        :mod:`.serve_response`)."""
        return encode_response(events, model)

    def encode_error(self, error: LLMKitError | RequestFieldError) -> tuple[int, bytes]:
        """The HTTP status and ``{"error": {"message", "type", "param", "code"}}`` body for an
        error before the first byte (see :mod:`.serve_errors`): an upstream status error keeps
        its status, a malformed request is 400 with ``param`` = the field."""
        return encode_error(error)
