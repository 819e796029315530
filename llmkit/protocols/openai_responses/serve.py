"""The serving half of ``openai-responses``: llmkit answering as OpenAI's Responses API
(``POST /v1/responses``; OpenAI API reference, "Responses": "Create a model response", "The
response object", "Streaming events", "Error codes").

:class:`Codec` implements :class:`~llmkit.protocols.serving.ServingCodec` from four modules,
one job each:

- :mod:`.serve_request`: the request body → :class:`~llmkit.types.options.CallOptions`
  (field mapping, warnings for dropped fields, :class:`RequestFieldError` for bad input and
  for ``previous_response_id``: the gateway is stateless);
- :mod:`.serve_stream`: unified events → the Responses server-sent events
  (``response.created`` ... ``response.completed``), sequence numbers from 0, one per event;
- :mod:`.serve_response`: unified events → the non-streamed ``response`` object (the same
  object the stream's last event carries);
- :mod:`.serve_shapes`: what they share (ids, the response object, status, usage, in-band
  error payloads). Error bodies are the openai-chat codec's
  (:mod:`llmkit.protocols.openai_chat.serve_errors`): the same ``{"error": {"message",
  "type", "param", "code"}}`` shape and status table.

Drop rules (what a Responses answer cannot express, or what the gateway does not invent):

- **Ids**: the response id is the gateway's own (``resp_<hex>``); a message or reasoning item
  keeps the upstream's item id when the upstream is OpenAI Responses (its ``msg_`` / ``rs_``
  block ids), else gets a fresh one; function call items get a fresh ``fc_`` id (their
  ``call_id`` is the upstream's). The ``model`` is the one the client asked for.
- **Text**: one ``message`` item with one ``output_text`` part per unified text block;
  ``phase`` (gpt-5.5) is kept; annotations (citations, ``source`` events) are not sent
  (Responses needs character offsets the unified events do not carry).
- **Reasoning**: one ``reasoning`` item per block, its whole text as one summary part
  (``reasoning_summary_text`` events), whatever the upstream called it (OpenAI summaries,
  OpenAI/gpt-oss reasoning text, Anthropic thinking, DeepSeek ``reasoning_content``, Gemini
  thoughts). ``encrypted_content`` only from an OpenAI Responses upstream
  (``provider_metadata["openai"]``); Anthropic signatures and redacted thinking are dropped
  (no ``encrypted_content`` is invented), so a client replaying such an item to an Anthropic
  upstream gets unsigned reasoning, which llmkit drops with a warning.
- **Tool calls**: client tool calls become ``function_call`` items (arguments as the model
  wrote them, ``"{}"`` when empty). Provider-executed tools (Anthropic server tools,
  ``web_search_call``...) and every ``tool_result`` are not sent.
- **Status**: ``length`` → ``incomplete`` (``max_output_tokens``), ``content_filter`` →
  ``incomplete`` (``content_filter``); every other finish reason (``stop``, ``tool_calls``,
  ``error``, ``other``) → ``completed`` (a reader tells ``tool_calls`` from the function
  calls). A refusal (``provider_metadata["openai"]["refusal"]``) is a ``message`` item with a
  ``refusal`` part.
- **Usage**: null when the upstream reported no count; otherwise every count the schema
  requires is sent, 0 for one not reported (``cached_tokens`` and ``reasoning_tokens``
  included); ``total_tokens`` as reported, else input + output; ``cache_write_tokens`` as
  ``input_tokens_details.cache_write_tokens`` only when known.
- **The response object** echoes no request setting (``temperature`` / ``top_p`` null,
  ``tools`` ``[]``, ``tool_choice`` ``"auto"``, ``store`` false).
- ``stream_start``, ``response_metadata``, ``step_finish``, ``abort`` and ``source`` events
  have no Responses event.
- **In-band errors**: an ``error`` event (``{"type": "error", "error": {"type", "code",
  "message", "param"}}``, as OpenAI streams it), then ``response.failed`` with ``error:
  {"code", "message"}``; the code is the upstream's error code, else its type, which llmkit's
  reader maps back to the same error class.
- **Requests**: see :mod:`.serve_request` (stateless: ``previous_response_id``,
  ``conversation`` and item references are refused; message and function call item ids are
  not kept; hosted tools, ``include`` entries other than ``reasoning.encrypted_content``,
  ``text.verbosity``, ``reasoning.summary`` other than ``auto`` and fields with no unified
  equivalent are dropped with a warning).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmkit.protocols.openai_chat.serve_errors import encode_error
from llmkit.protocols.openai_responses.serve_request import parse_request
from llmkit.protocols.openai_responses.serve_response import encode_response
from llmkit.protocols.openai_responses.serve_stream import OpenAIResponsesStreamEncoder

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.protocols.serving import RequestFieldError, ServedRequest
    from llmkit.types.events import StreamEvent

__all__ = ["Codec", "OpenAIResponsesStreamEncoder"]


class Codec:
    """The ``openai-responses`` serving codec (stateless; one instance serves every
    request)."""

    def parse_request(self, body: bytes) -> ServedRequest:
        """Read a ``POST /v1/responses`` body (see :func:`.serve_request.parse_request`).

        Raises:
            RequestFieldError: the body is not JSON, a field is missing or ill-typed
                (``field`` is its JSON path, ``input[2].content[0].type``), or the request
                refers to stored state (``previous_response_id``).
        """
        return parse_request(body)

    def stream_encoder(self, model: str, **options: Any) -> OpenAIResponsesStreamEncoder:
        """A new encoder for one streamed response (``model`` echoed in every response
        object; see :mod:`.serve_stream`). ``options`` (the request's stream options, as
        :class:`~llmkit.protocols.serving.ServingCodec` passes them) change nothing: this
        codec's :meth:`parse_request` reads none."""
        return OpenAIResponsesStreamEncoder(model)

    def encode_response(self, events: Sequence[StreamEvent], model: str) -> bytes:
        """The non-streamed ``response`` JSON body for a complete event sequence (see
        :mod:`.serve_response`)."""
        return encode_response(events, model)

    def encode_error(self, error: LLMKitError | RequestFieldError) -> tuple[int, bytes]:
        """The HTTP status and ``{"error": {"message", "type", "param", "code"}}`` body for an
        error before the first byte (the openai-chat codec's table,
        :mod:`llmkit.protocols.openai_chat.serve_errors`): an upstream status error keeps its
        status, a malformed request is 400 with ``param`` = the field."""
        return encode_error(error)
