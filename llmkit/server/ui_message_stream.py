"""The Vercel AI SDK's UI message stream protocol, served: what ``useChat`` talks to.

A React (or Vue, Svelte, Angular) front end built on the AI SDK's ``useChat`` hook with its
default ``DefaultChatTransport`` POSTs the whole conversation as UI messages and reads the
answer as a server-sent stream of *UI message chunks*. This codec (a
:class:`~llmkit.protocols.serving.ServingCodec`) reads that request into unified call options and
writes llmkit's unified stream events as those chunks, so the gateway can answer ``useChat`` with
any model llmkit can call.

Sources (AI SDK ``ai`` 7.0.173, the version pinned by ``tests/server/node/package.json``, which
runs every stream this module writes through the SDK's own reader):

- chunk shapes: ``src/ui-message-stream/ui-message-chunks.ts`` (``uiMessageChunkSchema``, a zod
  union of loose objects) and the "Stream Protocols" page
  (``docs/04-ai-sdk-ui/50-stream-protocol.mdx``, https://ai-sdk.dev/docs/ai-sdk-ui/stream-protocol);
- framing and headers: ``src/ui-message-stream/json-to-sse-transform-stream.ts`` (each chunk is
  ``data: <JSON.stringify(chunk)>\\n\\n``, then ``data: [DONE]\\n\\n``) and
  ``ui-message-stream-headers.ts`` (``UI_MESSAGE_STREAM_HEADERS``);
- how ``streamText`` parts become chunks: ``src/ui-message-stream/to-ui-message-chunk.ts``;
- how the client folds chunks into a message: ``src/ui/process-ui-message-stream.ts``
  (``readUIMessageStream`` and ``useChat`` share it);
- the request body: ``src/ui/http-chat-transport.ts`` (``{...body, id, messages, trigger,
  messageId}``) and the UI message parts of ``src/ui/ui-messages.ts``;
- UI messages to model messages: ``src/ui/convert-to-model-messages.ts``
  (``convertToModelMessages``), whose rules :meth:`Codec.parse_request` follows.

Request (``POST``, JSON)::

    {"id": "<chat id>", "trigger": "submit-message" | "regenerate-message",
     "messageId": "<id>" | absent, "model": "<provider:model>" | absent,   # model: llmkit's
     "messages": [{"id": "...", "role": "system" | "user" | "assistant",   # own extra field
                   "metadata": ..., "parts": [<part>, ...]}, ...]}

Parts read (everything else is dropped with a warning, see :meth:`Codec.parse_request`)::

    {"type": "text", "text": str, "providerMetadata"?: {family: {...}}}
    {"type": "file", "mediaType": str, "url": "data:...;base64,..." | "https://...",
     "filename"?: str, "providerMetadata"?: {...}}
    {"type": "reasoning", "text": str, "providerMetadata"?: {"anthropic": {"signature": str,
     "redactedData": str}, ...}}
    {"type": "tool-<name>", "toolCallId": str, "state": "input-streaming" | "input-available"
     | "output-available" | "output-error" | "output-denied" | "approval-...",
     "input": {...}, "output": <json>, "errorText": str, "providerExecuted"?: bool,
     "callProviderMetadata"?: {...}}
    {"type": "dynamic-tool", "toolName": str, ...the same fields}
    {"type": "step-start"}                       # an assistant step boundary
    {"type": "steering-message", "parts": [<text or file part>, ...]}

Response chunks written, one ``data: <json>`` SSE event each, in stream order::

    {"type": "start"}                           then {"type": "start-step"}
    {"type": "text-start", "id"}                {"type": "text-delta", "id", "delta"}
    {"type": "text-end", "id", "providerMetadata"?}
    {"type": "reasoning-start", "id", "providerMetadata"?}
    {"type": "reasoning-delta", "id", "delta"}
    {"type": "reasoning-end", "id", "providerMetadata"?}
    {"type": "tool-input-start", "toolCallId", "toolName", "providerExecuted"?}
    {"type": "tool-input-delta", "toolCallId", "inputTextDelta"}
    {"type": "tool-input-available", "toolCallId", "toolName", "input", "providerExecuted"?,
     "providerMetadata"?}
    {"type": "tool-input-error", "toolCallId", "toolName", "input", "errorText"}
    {"type": "tool-output-available", "toolCallId", "output", "providerExecuted"?}
    {"type": "tool-output-error", "toolCallId", "errorText", "providerExecuted"?}
    {"type": "source-url", "sourceId", "url", "title"?}
    {"type": "finish-step"}   {"type": "finish", "finishReason"}   {"type": "abort", "reason"}
    {"type": "error", "errorText"}
    data: [DONE]
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from llmkit.protocols.serving import RequestFieldError, ServedRequest
from llmkit.server._ui_message_request import parse_request as _parse_request

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.types.events import StreamEvent

__all__ = ["FINISH_REASONS", "HEADERS", "Codec", "UIMessageStreamEncoder", "assemble_ui_message"]

HEADERS: dict[str, str] = {
    "x-vercel-ai-ui-message-stream": "v1",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
}
"""Response headers besides ``content-type``: the AI SDK's ``UI_MESSAGE_STREAM_HEADERS``
(``src/ui-message-stream/ui-message-stream-headers.ts``) without ``connection: keep-alive``,
a hop-by-hop header the ASGI server owns (and HTTP/2 forbids)."""

FINISH_REASONS: dict[str, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool-calls",
    "content_filter": "content-filter",
    "error": "error",
    "other": "other",
}
"""llmkit's finish reason → the AI SDK's ``FinishReason`` (the ``finish`` chunk's enum:
``stop | length | content-filter | tool-calls | error | interrupted | other``)."""

_DONE = b"data: [DONE]\n\n"
_STEP_EVENTS_OUTSIDE = frozenset({"stream_start", "step_finish", "finish", "abort"})


def _sse(chunk: Mapping[str, object]) -> bytes:
    """One chunk as an SSE event, serialised like ``JSON.stringify`` (compact)."""
    text = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"), default=str)
    return b"data: " + text.encode("utf-8") + b"\n\n"


def _metadata(*parts: Mapping[str, Mapping[str, object]] | None) -> dict[str, dict[str, object]]:
    """Provider metadata dicts merged per family (later ones win per key)."""
    out: dict[str, dict[str, object]] = {}
    for part in parts:
        for family, values in (part or {}).items():
            out.setdefault(family, {}).update(values)
    return out


def _error_text(error: BaseException) -> str:
    return str(error) or type(error).__name__


class UIMessageStreamEncoder:
    """Unified events → UI message chunks (one encoder per response).

    Mapping rules (the AI SDK's own, from ``to-ui-message-chunk.ts``, unless noted):

    - ``stream_start`` → ``start`` (no ``messageId``: as ``toUIMessageStreamResponse`` without
      ``generateMessageId``, the client keeps its own id, which also keeps a continued
      assistant message, e.g. after client-side tool results, in place) and ``start-step``.
    - A step opens with ``start-step`` and closes with ``finish-step``: ``step_finish`` closes
      it; the next event of another kind opens the next one; ``finish`` closes an open step
      and writes ``finish`` with the finish reason mapped by :data:`FINISH_REASONS`.
    - ``text_*`` / ``reasoning_*`` → ``text-*`` / ``reasoning-*`` with the same block ids.
      Reasoning data that must round-trip goes in ``providerMetadata``, which ``useChat``
      keeps on the part and sends back: the Anthropic signature as
      ``{"anthropic": {"signature"}}`` and redacted thinking as
      ``{"anthropic": {"redactedData"}}`` (the names ``@ai-sdk/anthropic`` uses), merged with
      the event's own ``provider_metadata`` (e.g. OpenAI Responses' ``item_id`` and
      ``encrypted_content``). ``text_end``'s ``provider_metadata`` goes on ``text-end``.
    - ``tool_input_start`` / ``tool_input_delta`` → ``tool-input-start`` /
      ``tool-input-delta``; ``tool_input_end`` writes nothing (as in the SDK).
    - ``tool_call`` → ``tool-input-available`` with the parsed ``input`` (and the call's
      ``provider_metadata`` as ``providerMetadata``, which comes back as the part's
      ``callProviderMetadata``); a call whose arguments did not parse (``args_error``) →
      ``tool-input-error`` with the raw text as ``input``, as the SDK does for an invalid call.
    - ``tool_result`` → ``tool-output-available`` (``output``: the result, ``null`` for None)
      or, when ``is_error``, ``tool-output-error`` (``errorText``: the result if a string,
      else its JSON).
    - ``source`` with a URL → ``source-url``; document sources are dropped (``source-document``
      requires a media type and title that the event does not carry).
    - ``response_metadata`` writes nothing (the SDK sends no response metadata by default;
      ``messageMetadata`` is application-defined and schema-checked by the client).
    - ``abort`` → ``abort`` with its reason.

    Tool parts are *static* (``tool-<name>``), as for tools the server declares; provider-run
    tools carry ``providerExecuted: true``.
    """

    content_type: str = "text/event-stream"

    def __init__(self, *, error_text: Callable[[LLMKitError], str] | None = None) -> None:
        self._error_text = error_text
        self._step_open = False
        self._started = False
        self._json_ids: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        """:data:`HEADERS` (the protocol header, no caching, no proxy buffering)."""
        return dict(HEADERS)

    def _id(self, block_id: str) -> str:
        cached = self._json_ids.get(block_id)
        if cached is None:
            cached = self._json_ids[block_id] = json.dumps(block_id, ensure_ascii=False)
        return cached

    def encode(self, event: StreamEvent) -> bytes:
        """The SSE bytes for one event (empty for events with no chunk)."""
        if self._step_open or event.type in _STEP_EVENTS_OUTSIDE:
            return self._encode(event)
        return self._open_step() + self._encode(event)

    def _delta(self, name: str, id_key: str, block_id: str, delta_key: str, delta: str) -> bytes:
        """A delta chunk built by hand (the hot path: one per delta)."""
        text = json.dumps(delta, ensure_ascii=False)
        return (
            f'data: {{"type":"{name}","{id_key}":{self._id(block_id)},"{delta_key}":{text}}}\n\n'
        ).encode()

    def _open_step(self) -> bytes:
        self._step_open = True
        head = b"" if self._started else _sse({"type": "start"})
        self._started = True
        return head + _sse({"type": "start-step"})

    def _close_step(self) -> bytes:
        if not self._step_open:
            return b""
        self._step_open = False
        return _sse({"type": "finish-step"})

    def _encode(self, event: StreamEvent) -> bytes:
        if event.type == "text_delta":
            return self._delta("text-delta", "id", event.id, "delta", event.delta)
        if event.type == "reasoning_delta":
            return self._delta("reasoning-delta", "id", event.id, "delta", event.delta)
        if event.type == "tool_input_delta":
            return self._delta(
                "tool-input-delta", "toolCallId", event.id, "inputTextDelta", event.delta
            )
        if event.type == "stream_start":
            return b"" if self._step_open else self._open_step()
        if event.type == "text_start":
            return _sse({"type": "text-start", "id": event.id})
        if event.type == "text_end":
            chunk: dict[str, object] = {"type": "text-end", "id": event.id}
            if event.provider_metadata:
                chunk["providerMetadata"] = _metadata(event.provider_metadata)
            return _sse(chunk)
        if event.type == "reasoning_start":
            chunk = {"type": "reasoning-start", "id": event.id}
            if event.redacted_data is not None:
                chunk["providerMetadata"] = {"anthropic": {"redactedData": event.redacted_data}}
            return _sse(chunk)
        if event.type == "reasoning_end":
            chunk = {"type": "reasoning-end", "id": event.id}
            anthropic: dict[str, object] = {}
            if event.signature is not None:
                anthropic["signature"] = event.signature
            if event.redacted_data is not None:
                anthropic["redactedData"] = event.redacted_data
            metadata = _metadata(
                {"anthropic": anthropic} if anthropic else None, event.provider_metadata
            )
            if metadata:
                chunk["providerMetadata"] = metadata
            return _sse(chunk)
        if event.type == "tool_input_start":
            chunk = {
                "type": "tool-input-start",
                "toolCallId": event.id,
                "toolName": event.tool_name,
            }
            if event.provider_executed:
                chunk["providerExecuted"] = True
            return _sse(chunk)
        if event.type == "tool_call":
            chunk = {"toolCallId": event.tool_call_id, "toolName": event.tool_name}
            if event.args_error is not None:
                chunk = {
                    "type": "tool-input-error",
                    **chunk,
                    "input": event.args_json,
                    "errorText": f"invalid tool input: {event.args_error}",
                }
            else:
                chunk = {"type": "tool-input-available", **chunk, "input": dict(event.args)}
            if event.provider_executed:
                chunk["providerExecuted"] = True
            if event.provider_metadata:
                chunk["providerMetadata"] = _metadata(event.provider_metadata)
            return _sse(chunk)
        if event.type == "tool_result":
            if event.is_error:
                result = event.result
                text = result if isinstance(result, str) else json.dumps(result, default=str)
                chunk = {"type": "tool-output-error", "toolCallId": event.tool_call_id}
                chunk["errorText"] = text
            else:
                chunk = {
                    "type": "tool-output-available",
                    "toolCallId": event.tool_call_id,
                    "output": event.result,
                }
            if event.provider_executed:
                chunk["providerExecuted"] = True
            return _sse(chunk)
        if event.type == "source":
            if event.source_type != "url" or event.url is None:
                return b""
            chunk = {"type": "source-url", "sourceId": event.id, "url": event.url}
            if event.title is not None:
                chunk["title"] = event.title
            return _sse(chunk)
        if event.type == "step_finish":
            return self._close_step()
        if event.type == "finish":
            head = b"" if self._started else _sse({"type": "start"})
            self._started = True
            reason = FINISH_REASONS.get(event.finish_reason, "other")
            return head + self._close_step() + _sse({"type": "finish", "finishReason": reason})
        if event.type == "abort":
            return self._close_step() + _sse({"type": "abort", "reason": event.reason})
        return b""  # response_metadata, tool_input_end

    def error(self, error: LLMKitError) -> bytes:
        """``{"type": "error", "errorText"}`` then ``[DONE]``.

        ``errorText`` is ``error_text(error)`` if the codec was given one, else the error's
        message (llmkit messages carry no secrets; the AI SDK's default masks every stream
        error as ``"An error occurred."``: pass ``error_text`` to do the same). ``useChat``
        shows it as ``chat.error``.
        """
        text = self._error_text(error) if self._error_text is not None else _error_text(error)
        return _sse({"type": "error", "errorText": text}) + _DONE

    def end(self) -> bytes:
        """``data: [DONE]`` (written by the SDK's ``JsonToSseTransformStream`` at the end)."""
        return _DONE


def assemble_ui_message(
    chunks: Sequence[Mapping[str, object]], message_id: str
) -> dict[str, object]:
    """The assistant UIMessage ``useChat`` builds from ``chunks`` (the fold of
    ``processUIMessageStream`` in ``src/ui/process-ui-message-stream.ts``, for the chunks
    :class:`UIMessageStreamEncoder` writes), as JSON would carry it (absent fields left out).

    Returns:
        ``{"id": message_id, "role": "assistant", "parts": [...]}`` with parts ``step-start``,
        ``text`` / ``reasoning`` (``state: "done"``), ``tool-<name>`` (``toolCallId``,
        ``state``, ``input``, ``output`` / ``errorText``) and ``source-url``.
    """
    parts: list[dict[str, object]] = []
    active: dict[tuple[str, str], dict[str, object]] = {}
    tools: dict[str, dict[str, object]] = {}
    for chunk in chunks:
        kind = cast(str, chunk["type"])
        if kind == "start-step":
            parts.append({"type": "step-start"})
        elif kind in ("text-start", "reasoning-start"):
            family = "text" if kind == "text-start" else "reasoning"
            part: dict[str, object] = {"type": family}
            if family == "reasoning":
                part["id"] = chunk["id"]
            part["text"] = ""
            part["state"] = "streaming"
            if "providerMetadata" in chunk:
                part["providerMetadata"] = chunk["providerMetadata"]
            active[(family, cast(str, chunk["id"]))] = part
            parts.append(part)
        elif kind in ("text-delta", "reasoning-delta"):
            part = active[(kind.split("-")[0], cast(str, chunk["id"]))]
            part["text"] = cast(str, part["text"]) + cast(str, chunk["delta"])
        elif kind in ("text-end", "reasoning-end"):
            part = active.pop((kind.split("-")[0], cast(str, chunk["id"])))
            part["state"] = "done"
            if "providerMetadata" in chunk:
                part["providerMetadata"] = chunk["providerMetadata"]
        elif kind in ("tool-input-start", "tool-input-available", "tool-input-error"):
            call_id = cast(str, chunk["toolCallId"])
            part = tools.get(call_id) or {}
            if not part:
                tools[call_id] = part
                parts.append(part)
            part["type"] = f"tool-{chunk['toolName']}"
            part["toolCallId"] = call_id
            part["state"] = {
                "tool-input-start": "input-streaming",
                "tool-input-available": "input-available",
                "tool-input-error": "output-error",
            }[kind]
            for key in ("input", "errorText"):
                if key in chunk:
                    part[key] = chunk[key]
                else:
                    part.pop(key, None)
            if chunk.get("providerExecuted") is not None:
                part["providerExecuted"] = chunk["providerExecuted"]
            if "providerMetadata" in chunk:
                key = (
                    "resultProviderMetadata"
                    if kind == "tool-input-error"
                    else "callProviderMetadata"
                )
                part[key] = chunk["providerMetadata"]
        elif kind == "tool-input-delta":
            pass  # the partial input is replaced by tool-input-available
        elif kind in ("tool-output-available", "tool-output-error"):
            part = tools[cast(str, chunk["toolCallId"])]
            part.pop("errorText", None)
            if kind == "tool-output-available":
                part["state"] = "output-available"
                part["output"] = chunk["output"]
            else:
                part["state"] = "output-error"
                part["errorText"] = chunk["errorText"]
            if chunk.get("providerExecuted") is not None:
                part["providerExecuted"] = chunk["providerExecuted"]
        elif kind == "source-url":
            source = {"type": "source-url", "sourceId": chunk["sourceId"], "url": chunk["url"]}
            if "title" in chunk:
                source["title"] = chunk["title"]
            parts.append(source)
    return {"id": message_id, "role": "assistant", "parts": parts}


def _status(error: LLMKitError | RequestFieldError) -> int:
    """The HTTP status of an error before the first byte."""
    from llmkit import errors

    if isinstance(error, RequestFieldError):
        return 400
    if isinstance(error, errors.APIStatusError):
        return error.status_code
    if isinstance(error, errors.APITimeoutError):
        return 504
    if isinstance(error, (errors.APIConnectionError, errors.StreamError)):
        return 502
    if isinstance(error, errors.NoSuchProviderError):
        return 404
    if isinstance(
        error,
        (errors.InvalidArgumentError, errors.UnknownSettingError, errors.UnsupportedFeatureError),
    ):
        return 400
    return 500


class Codec:
    """The AI SDK UI message stream protocol (``useChat``'s ``DefaultChatTransport``).

    Args:
        error_text: how an in-band stream error becomes the ``error`` chunk's ``errorText``
            (the AI SDK's ``onError`` option); default: the error's message.
    """

    def __init__(self, *, error_text: Callable[[LLMKitError], str] | None = None) -> None:
        self._error_text = error_text

    def parse_request(self, body: bytes) -> ServedRequest:
        """Read a ``useChat`` request body (see the module docstring for its shape).

        ``model`` is the body's optional ``model`` string (a ``useChat`` app adds it with
        ``sendMessage(msg, {body: {model}})`` or the transport's ``body``), ``""`` when absent:
        the server's default model. ``stream`` is always True (``useChat`` reads only
        streams). No tools are read (the body has none: the server's configuration supplies
        them). ``id``, ``trigger``, ``messageId`` and message ``metadata`` are not needed (on
        ``regenerate-message`` the client has already removed the message it regenerates).

        UI messages become unified messages by ``convertToModelMessages``' rules:

        - ``system``: its text parts joined → a system message (their ``providerMetadata``
          merged into ``provider_options``).
        - ``user``: ``text`` → text part; ``file`` → image part for ``image/*`` media types,
          else file part (``url`` is a ``data:`` or http(s) URL; ``filename`` kept);
          ``providerMetadata`` → the part's ``provider_options``.
        - ``assistant``: parts are cut into steps at ``step-start``; each step gives an
          assistant message (text, reasoning, tool calls, in order) followed by a tool message
          with the results of its tool calls. ``reasoning``: ``providerMetadata.anthropic``
          ``signature`` / ``redactedData`` → the part's ``signature`` / ``redacted_data``, the
          rest of ``providerMetadata`` → ``provider_options``. A tool part (``tool-<name>`` or
          ``dynamic-tool``) in ``output-available`` gives a call (``input``) and a result
          (``output``); ``output-error`` a call (``input``, ``{}`` if it was not an object)
          and an error result (``errorText``); ``output-denied`` a call and the error result
          "Tool call execution denied." (or the approval's reason); ``callProviderMetadata`` →
          the call's ``provider_options``. A ``steering-message`` becomes a user message
          between two steps.

        Dropped, each with a warning in :attr:`ServedRequest.warnings`: tool parts without an
        output (``input-streaming``, ``input-available``, approval states: no provider accepts
        a call without its result), provider-executed tool parts (a unified assistant message
        has no place for a provider's own call and result), files given by
        ``providerReference``, ``data-*``, ``custom``, ``file`` and ``reasoning-file`` parts in
        assistant messages, and messages left empty. Also dropped: empty text and reasoning
        parts in assistant messages, and ``source-*`` parts (display only, as in the SDK).

        Raises:
            RequestFieldError: the body is not JSON, ``messages`` is missing or empty, or a
                message or part lacks a field the conversion needs or has the wrong type
                (``field`` is the JSON path, e.g. ``messages[1].parts[0].text``).
        """
        return _parse_request(body)

    def stream_encoder(self, model: str, **options: Any) -> UIMessageStreamEncoder:
        """A new :class:`UIMessageStreamEncoder` (``model`` is not echoed: the protocol has no
        place for it)."""
        return UIMessageStreamEncoder(error_text=self._error_text)

    def encode_response(self, events: Sequence[StreamEvent], model: str) -> bytes:
        """The complete answer as the JSON of one assistant UIMessage.

        The protocol has no non-streamed form: ``useChat`` only reads streams, and the AI SDK's
        ``generateText`` has no UI-message output (a ``generateText``-backed route that serves
        ``useChat`` still answers with a UI message stream). So this is not a body ``useChat``
        reads; it is the message that ``readUIMessageStream`` (and ``useChat``) would build from
        the streamed form (the ``responseMessage`` of the SDK's ``onFinish``), for clients that
        want the finished message in one piece::

            {"id": "<response id or msg-<hex>>", "role": "assistant",
             "parts": [{"type": "step-start"}, {"type": "reasoning", "id", "text",
                        "state": "done", "providerMetadata"?}, {"type": "text", "text",
                        "state": "done"}, {"type": "tool-<name>", "toolCallId", "state",
                        "input", "output"? , "errorText"?}, ...]}
        """
        encoder = UIMessageStreamEncoder()
        chunks: list[dict[str, object]] = []
        message_id = None
        for event in events:
            if event.type == "response_metadata" and event.response_id and message_id is None:
                message_id = event.response_id
            for line in encoder.encode(event).split(b"\n\n"):
                if line.startswith(b"data: {"):
                    chunks.append(json.loads(line[len(b"data: ") :]))
        message = assemble_ui_message(chunks, message_id or f"msg-{uuid.uuid4().hex}")
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def encode_error(self, error: LLMKitError | RequestFieldError) -> tuple[int, bytes]:
        """``(status, {"error": "<message>"})``: the shape this codec defines (the protocol has
        no error body; ``useChat``'s transport throws an error whose message is the response
        text, so the client sees this JSON as ``chat.error.message``).

        Status: a malformed request 400; an upstream status error keeps its status; a timeout
        504; a connection or stream failure 502; an unknown provider 404; an invalid argument
        or unsupported feature 400; anything else (missing credentials, configuration) 500.
        """
        message = (
            error.message
            if isinstance(error, RequestFieldError) and not error.field
            else str(error)
        )
        body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
        return _status(error), body
