"""The serving half of ``anthropic-messages``: llmkit answering as Anthropic's Messages API.

:class:`Codec` implements :class:`~llmkit.protocols.serving.ServingCodec` (the gateway's
``POST /v1/messages``). Sources: Anthropic API reference, "Messages" ("Create a Message"),
"Streaming Messages", "Errors", "Extended thinking", "Tool use", "Vision", "PDF support",
"Prompt caching". Each concern has its module: :mod:`.serve_request` (request body → call
options), :mod:`.serve_stream` (events → SSE), :mod:`.serve_response` (events → ``Message``),
:mod:`.serve_wire` (shared mappings).

Requests (:meth:`Codec.parse_request`):

- ``model`` (string) and ``max_tokens`` (integer >= 1; Anthropic requires it) are required, and
  ``messages`` (a non-empty array). ``max_tokens`` → ``max_output_tokens``; ``temperature``
  (0 to 1, Anthropic's range), ``top_p``, ``top_k``, ``stop_sequences`` → the same options;
  ``stream`` (default false) → :attr:`ServedRequest.stream`.
- ``system``: a string, or text blocks → one :class:`~llmkit.types.messages.SystemMessage` per
  block (a block's ``cache_control`` kept as its ``provider_options["anthropic"]``; without
  any, an Anthropic upstream gets the texts joined by a blank line).
- User blocks: ``text``; ``image`` (``base64`` with an Anthropic image media type, or an
  ``http(s)`` ``url``); ``document`` (base64 PDF, ``url`` → PDF, ``text`` source → a
  ``text/plain`` file; ``title`` → ``filename``); ``tool_result`` (``tool_use_id`` required
  and must name an earlier ``tool_use``; ``content`` a string, or blocks whose texts are joined
  by newlines while its image / document blocks move to a user turn right after the results,
  with a warning; ``is_error``) → a :class:`~llmkit.types.messages.ToolMessage` before the
  user message of the same turn's other blocks. ``file://`` and ``data:`` URLs are refused
  (the gateway never reads a local file for a client).
- Assistant blocks: ``text``; ``tool_use`` → a tool call part; ``thinking`` (with
  ``signature``) and ``redacted_thinking`` (``data``) → reasoning parts. Server-tool blocks
  (``server_tool_use``, ``*_tool_result``) are dropped with a warning.
- Block ``cache_control``, ``citations`` and ``context`` are kept as the part's
  ``provider_options["anthropic"]`` (so an Anthropic upstream gets them back).
- ``tools``: ``{name, description, input_schema, cache_control}`` → tool definitions; tools
  with another ``type`` (server tools such as ``web_search_20250305``) go verbatim to
  ``provider_options["anthropic"]["tools"]`` (Anthropic upstreams only).
- ``tool_choice``: ``auto`` / ``any`` (→ ``required``) / ``tool`` (→ a named tool) / ``none``;
  ``disable_parallel_tool_use`` → ``provider_options["anthropic"]["tool_choice"]`` and
  ``provider_options["openai"]["parallel_tool_calls"] = not disable`` (there is no unified
  option).
- ``thinking: {type: enabled, budget_tokens}`` → ``reasoning.budget_tokens``; ``disabled`` →
  none.
- ``metadata`` → ``provider_options["anthropic"]["metadata"]`` (a warning says only Anthropic
  upstreams get it). Any other field is dropped with an ``unsupported_setting`` warning.
- A malformed field raises :class:`~llmkit.protocols.serving.RequestFieldError` with its path.

Responses (stream and ``Message`` body), unified event → Anthropic:

- ``message_start`` is sent at the first event after ``stream_start``: ``id`` is the upstream's
  response id (``response_metadata``) when there is one, else ``msg_<24 hex>``; ``model`` is
  the model the client asked for. Its ``usage`` is ``{"input_tokens": 0, "output_tokens": 0}``:
  the counts are not known before the end, and Anthropic documents the start's usage as
  provisional; the real counts follow in ``message_delta`` (cumulative, as newer API versions
  send them: ``input_tokens`` and the cache counters repeated), which the official SDK and
  llmkit's reader take over the start's.
- Text blocks → ``text`` blocks with ``text_delta``; citations an Anthropic upstream attached
  (``text_end`` ``provider_metadata["anthropic"]["citations"]``) → ``citations_delta`` events
  before the block's stop. Other ``source`` events are dropped.
- Reasoning blocks → ``thinking`` blocks with ``thinking_delta``, then one ``signature_delta``
  with the ``reasoning_end`` signature (or ``provider_metadata["anthropic"]["signature"]``)
  before the stop; a reasoning block with ``redacted_data`` → a ``redacted_thinking`` block.
  **Drop rule:** reasoning from a non-Anthropic upstream (OpenAI ``reasoning_content``, Gemini
  thoughts, OpenAI Responses summaries) has no signature: the ``thinking`` block is sent with
  ``signature: ""`` and no ``signature_delta`` (no signature is ever invented). A client that
  replays such a block to Anthropic itself is rejected (Anthropic verifies signatures); replayed
  to this gateway it is read as unsigned reasoning, which llmkit drops (with a warning) when
  the upstream is Anthropic. OpenAI Responses ``encrypted_content`` is not carried.
- Tool calls → ``tool_use`` blocks (``input: {}`` at the start, ``input_json_delta`` pieces as
  the upstream streamed them); a ``tool_call`` without a preceding ``tool_input_start`` becomes
  a whole block. Provider-executed tools (server tools, Responses ``web_search_call``...) and
  their results are dropped.
- Blocks get indexes in start order and keep them until their end, even if an upstream
  interleaves them.
- ``finish`` → open blocks stopped, then ``message_delta`` and ``message_stop``.
  ``stop_reason``: an Anthropic upstream's raw value when it agrees with the unified reason
  (``stop_sequence``, ``pause_turn``...), else ``stop`` → ``end_turn`` (``stop_sequence`` when
  the matched sequence is known), ``length`` → ``max_tokens``, ``tool_calls`` → ``tool_use``,
  ``content_filter`` → ``refusal``, ``error`` / ``other`` → ``end_turn``. ``stop_sequence``
  from ``provider_metadata["anthropic"]["stop_sequence"]``, else null.
- Usage (:func:`~.serve_wire.wire_usage`): ``input_tokens`` = unified input minus cache reads
  and writes (Anthropic's excludes them); ``cache_read_input_tokens`` /
  ``cache_creation_input_tokens`` only when reported; ``output_tokens``; ``reasoning_tokens`` →
  ``output_tokens_details.thinking_tokens``. ``total_tokens`` is not sent (a reader recomputes
  input + output). **Drop rule:** a required count the upstream did not report
  (``output_tokens``; ``input_tokens`` of a ``Message``) is sent as 0, since Anthropic's schema
  has no null there; an unknown ``input_tokens`` is left out of ``message_delta``.
- ``step_finish``, ``tool_result`` (llmkit's own tool loop) and ``abort`` have no Anthropic
  event. Pings are not sent.

Errors (:meth:`Codec.encode_error`, and the in-band ``event: error`` of
:meth:`AnthropicStreamEncoder.error`): ``{"type": "error", "error": {"type", "message"}}``.
A malformed request is 400 ``invalid_request_error``; an upstream
:class:`~llmkit.errors.APIStatusError` keeps its status, with its ``error_type`` when that is an
Anthropic type of the same status, else the type of the status (400 ``invalid_request_error``,
401 ``authentication_error``, 402 ``billing_error``, 403 ``permission_error``, 404
``not_found_error``, 413 ``request_too_large``, 429 ``rate_limit_error``, 500 ``api_error``,
503 / 529 ``overloaded_error``, 504 ``timeout_error``, other 4xx ``invalid_request_error``,
other 5xx ``api_error``); an upstream timeout is 504 ``timeout_error``; a failed connection or
an unusable upstream stream 502 ``api_error``; an unsupported feature or invalid argument 400
``invalid_request_error``; an unknown provider 404 ``not_found_error``; anything else 500
``api_error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmkit.protocols.anthropic_messages.serve_request import parse_messages_request
from llmkit.protocols.anthropic_messages.serve_response import encode_message
from llmkit.protocols.anthropic_messages.serve_stream import AnthropicStreamEncoder
from llmkit.protocols.anthropic_messages.serve_wire import dumps, error_object

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.protocols.serving import RequestFieldError, ServedRequest
    from llmkit.types.events import StreamEvent

__all__ = ["AnthropicStreamEncoder", "Codec"]


class Codec:
    """The Anthropic Messages serving codec (see the module docstring for every rule)."""

    def parse_request(self, body: bytes) -> ServedRequest:
        """Read a ``POST /v1/messages`` body (Anthropic API reference, "Create a Message").

        Returns:
            The requested ``model`` (as sent), ``stream``, the unified call options and the
            warnings for dropped fields.

        Raises:
            RequestFieldError: the body is not JSON, not an object, lacks ``model``,
                ``max_tokens`` or ``messages``, or has a malformed field (``field`` is its JSON
                path, e.g. ``messages[1].content[0].tool_use_id``).
        """
        return parse_messages_request(body)

    def stream_encoder(self, model: str, **options: Any) -> AnthropicStreamEncoder:
        """A new encoder for one streamed response (``model`` echoed in ``message_start``)."""
        return AnthropicStreamEncoder(model)

    def encode_response(self, events: Sequence[StreamEvent], model: str) -> bytes:
        """The non-streamed ``Message`` JSON body (compact, UTF-8) for a complete event
        sequence; ``model`` is echoed."""
        return encode_message(events, model)

    def encode_error(self, error: LLMKitError | RequestFieldError) -> tuple[int, bytes]:
        """(HTTP status, ``{"type": "error", "error": {"type", "message"}}`` JSON bytes) for an
        error before the first byte (status rules in the module docstring)."""
        status, body = error_object(error)
        return status, dumps(body).encode()
