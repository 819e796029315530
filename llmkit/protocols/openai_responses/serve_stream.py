"""Unified stream events → the OpenAI Responses server-sent event stream (serving half).

Source: OpenAI API reference, Responses, "Streaming events". Every event is written as
``event: <type>`` + ``data: <compact JSON with the same "type" and a "sequence_number">`` + a
blank line; sequence numbers start at 0 and grow by one per event. The stream is:

- ``response.created`` then ``response.in_progress`` (the response object with
  ``status: "in_progress"``, ``output: []``, ``usage: null``), at the first event;
- per text block, one ``message`` item: ``response.output_item.added``,
  ``response.content_part.added`` (an empty ``output_text`` part), ``response.output_text.delta``
  per delta (``item_id``, ``output_index``, ``content_index: 0``, ``delta``),
  ``response.output_text.done``, ``response.content_part.done``, ``response.output_item.done``;
- per reasoning block, one ``reasoning`` item: ``output_item.added``, then at the first delta
  ``response.reasoning_summary_part.added`` and ``response.reasoning_summary_text.delta`` per
  delta (``summary_index: 0``), then ``.reasoning_summary_text.done`` /
  ``.reasoning_summary_part.done`` and ``output_item.done`` (with ``encrypted_content`` when an
  OpenAI upstream sent it);
- per client tool call, one ``function_call`` item: ``output_item.added`` (``call_id``,
  ``name``, ``arguments: ""``), ``response.function_call_arguments.delta`` per argument piece,
  ``response.function_call_arguments.done`` and ``output_item.done`` at the ``tool_call``
  event (a call whose input was never streamed gets its arguments as one delta, ``"{}"`` when
  empty);
- at ``finish``: open items closed, a refusal (``provider_metadata["openai"]["refusal"]``) as a
  ``message`` item with a ``refusal`` part (``response.refusal.delta`` / ``.done``), then
  ``response.completed`` (or ``response.incomplete`` for a ``length`` / ``content_filter``
  finish) with the whole response object: every output item and the usage.

An error after the first byte is OpenAI's pair: ``error`` (``{"type": "error", "error":
{"type", "code", "message", "param"}}``) then ``response.failed`` (``status: "failed"``,
``error: {"code", "message"}``, the output so far), ending the stream.

The drop rules are listed on :mod:`llmkit.protocols.openai_responses.serve`. Hot path: a text
delta is one JSON string encode and one concatenation with a per-item prefix built at the
item's start.
"""

from __future__ import annotations

import time
from json.encoder import encode_basestring  # json.dumps' own (C) string encoder
from typing import TYPE_CHECKING

from llmkit.protocols.openai_responses.serve_shapes import (
    dumps,
    error_payloads,
    new_id,
    response_object,
    status_of,
    usage_object,
    utf8,
)

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.types.events import FinishEvent, ProviderMetadata, StreamEvent

__all__ = ["OpenAIResponsesStreamEncoder"]

_TEXT_DELTA = "response.output_text.delta"
_SUMMARY_DELTA = "response.reasoning_summary_text.delta"
_ARGS_DELTA = "response.function_call_arguments.delta"


def _openai(metadata: ProviderMetadata | None) -> dict[str, object]:
    value = metadata.get("openai") if metadata else None
    return dict(value) if isinstance(value, dict) else {}


class _Item:
    """One output item being streamed: its index, its item object and its text so far."""

    __slots__ = ("delta_head", "index", "item", "pieces")

    def __init__(self, index: int, item: dict[str, object], delta_head: str) -> None:
        self.index = index
        self.item = item
        self.pieces: list[str] = []
        self.delta_head = delta_head


class OpenAIResponsesStreamEncoder:
    """One streamed Responses answer (implements
    :class:`~llmkit.protocols.serving.StreamEncoder`).

    Args:
        model: echoed as the response's ``model``.
        response_id: the response ``id`` (default a fresh ``resp_`` id).
        created_at: the ``created_at`` unix time in seconds (default now).
    """

    content_type = "text/event-stream"

    def __init__(
        self, model: str, *, response_id: str | None = None, created_at: int | None = None
    ) -> None:
        self._model = model
        self._id = response_id or new_id("resp")
        self._created = int(time.time()) if created_at is None else created_at
        self._seq = 0
        self._started = False
        self._closed = False
        self._output: list[dict[str, object]] = []
        self._open: dict[str, _Item] = {}  # unified block id / call id → its open item
        self._skipped: set[str] = set()  # redacted reasoning, provider-executed tools
        self._done_calls: set[str] = set()
        self._used_ids: set[str] = set()
        self.final: dict[str, object] | None = None
        """The whole response object of ``response.completed`` / ``.incomplete``, once sent."""

    def headers(self) -> dict[str, str]:
        """No extra headers (OpenAI's are informational: ``x-request-id``, rate limits)."""
        return {}

    # ------------------------------------------------------------------ writing
    def _event(self, kind: str, payload: dict[str, object]) -> str:
        seq = self._seq
        self._seq += 1
        body = dumps({"type": kind, **payload, "sequence_number": seq})
        return f"event: {kind}\ndata: {body}\n\n"

    def _lifecycle(
        self,
        kind: str,
        status: str,
        *,
        usage: dict[str, object] | None = None,
        incomplete_details: dict[str, str] | None = None,
        error: dict[str, object] | None = None,
    ) -> str:
        response = response_object(
            self._id,
            self._created,
            self._model,
            status,
            list(self._output),
            usage=usage,
            incomplete_details=incomplete_details,
            error=error,
        )
        if kind in ("response.completed", "response.incomplete"):
            self.final = response
        return self._event(kind, {"response": response})

    def _start(self) -> str:
        if self._started:
            return ""
        self._started = True
        return self._lifecycle("response.created", "in_progress") + self._lifecycle(
            "response.in_progress", "in_progress"
        )

    def _item_id(self, given: str, prefix: str) -> str:
        """The upstream's item id when the block id is one (an OpenAI Responses upstream's
        ``rs_`` / ``msg_`` ids), else a fresh one."""
        if given.startswith(prefix + "_") and ":" not in given and given not in self._used_ids:
            item_id = given
        else:
            item_id = new_id(prefix)
        self._used_ids.add(item_id)
        return item_id

    def _add(self, key: str, item: dict[str, object], delta_kind: str) -> tuple[_Item, str]:
        index = len(self._output)
        self._output.append(item)
        head = (
            f'event: {delta_kind}\ndata: {{"type":"{delta_kind}","item_id":'
            f'{dumps(item["id"])},"output_index":{index},'
        )
        entry = self._open[key] = _Item(index, item, head)
        added = self._event("response.output_item.added", {"output_index": index, "item": item})
        return entry, added

    def _delta(self, entry: _Item, middle: str, delta: str) -> str:
        entry.pieces.append(delta)
        seq = self._seq
        self._seq += 1
        return (
            entry.delta_head
            + middle
            + encode_basestring(delta)
            + ',"sequence_number":'
            + str(seq)
            + "}\n\n"
        )

    def _item_done(self, key: str, entry: _Item) -> str:
        del self._open[key]
        payload = {"output_index": entry.index, "item": entry.item}
        return self._event("response.output_item.done", payload)

    # ------------------------------------------------------------------ text
    def _open_text(self, block_id: str) -> tuple[_Item, str]:
        item: dict[str, object] = {
            "id": self._item_id(block_id, "msg"),
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        entry, out = self._add(block_id, item, _TEXT_DELTA)
        entry.delta_head += '"content_index":0,"logprobs":[],'
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        out += self._event(
            "response.content_part.added",
            {"item_id": item["id"], "output_index": entry.index, "content_index": 0, "part": part},
        )
        return entry, out

    def _text_delta(self, block_id: str, delta: str) -> str:
        out = self._start()
        entry = self._open.get(block_id)
        if entry is None:
            entry, opened = self._open_text(block_id)
            out += opened
        return out + self._delta(entry, '"delta":', delta)

    def _close_text(self, block_id: str, metadata: ProviderMetadata | None) -> str:
        entry = self._open[block_id]
        item = entry.item
        text = "".join(entry.pieces)
        where = {"item_id": item["id"], "output_index": entry.index, "content_index": 0}
        out = self._event("response.output_text.done", {**where, "text": text, "logprobs": []})
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
        out += self._event("response.content_part.done", {**where, "part": part})
        item["status"] = "completed"
        item["content"] = [part]
        phase = _openai(metadata).get("phase")
        if isinstance(phase, str):
            item["phase"] = phase
        return out + self._item_done(block_id, entry)

    # ------------------------------------------------------------------ reasoning
    def _open_reasoning(self, block_id: str) -> tuple[_Item, str]:
        item: dict[str, object] = {
            "id": self._item_id(block_id, "rs"),
            "type": "reasoning",
            "summary": [],
        }
        entry, out = self._add(block_id, item, _SUMMARY_DELTA)
        entry.delta_head += '"summary_index":0,'
        return entry, out

    def _reasoning_delta(self, block_id: str, delta: str) -> str:
        if block_id in self._skipped:
            return ""
        out = self._start()
        entry = self._open.get(block_id)
        if entry is None:
            entry, opened = self._open_reasoning(block_id)
            out += opened
        if not entry.pieces:
            part = {"type": "summary_text", "text": ""}
            out += self._event(
                "response.reasoning_summary_part.added",
                {
                    "item_id": entry.item["id"],
                    "output_index": entry.index,
                    "summary_index": 0,
                    "part": part,
                },
            )
        return out + self._delta(entry, '"delta":', delta)

    def _close_reasoning(self, block_id: str, metadata: ProviderMetadata | None) -> str:
        entry = self._open[block_id]
        item = entry.item
        text = "".join(entry.pieces)
        out = ""
        if entry.pieces:
            where = {"item_id": item["id"], "output_index": entry.index, "summary_index": 0}
            out += self._event("response.reasoning_summary_text.done", {**where, "text": text})
            part = {"type": "summary_text", "text": text}
            out += self._event("response.reasoning_summary_part.done", {**where, "part": part})
            item["summary"] = [part]
        encrypted = _openai(metadata).get("encrypted_content")
        if isinstance(encrypted, str) and encrypted:
            item["encrypted_content"] = encrypted
        return out + self._item_done(block_id, entry)

    # ------------------------------------------------------------------ tool calls
    def _open_call(self, call_id: str, name: str) -> tuple[_Item, str]:
        item: dict[str, object] = {
            "id": new_id("fc"),
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call_id,
            "name": name,
        }
        return self._add(call_id, item, _ARGS_DELTA)

    def _close_call(self, call_id: str, fallback: str) -> str:
        entry = self._open[call_id]
        out = ""
        if not entry.pieces:
            out += self._delta(entry, '"delta":', fallback or "{}")
        arguments = "".join(entry.pieces)
        item = entry.item
        out += self._event(
            "response.function_call_arguments.done",
            {"item_id": item["id"], "output_index": entry.index, "arguments": arguments},
        )
        item["status"] = "completed"
        item["arguments"] = arguments
        self._done_calls.add(call_id)
        return out + self._item_done(call_id, entry)

    def _tool_event(self, event: StreamEvent) -> str:
        if event.type == "tool_input_start":
            if event.provider_executed:
                self._skipped.add(event.id)
                return ""
            if event.id in self._open or event.id in self._done_calls:
                return ""
            out = self._start()
            return out + self._open_call(event.id, event.tool_name)[1]
        if event.type == "tool_input_delta":
            entry = self._open.get(event.id)
            if entry is None or event.id in self._skipped or not event.delta:
                return ""
            return self._delta(entry, '"delta":', event.delta)
        if event.type == "tool_call":
            call_id = event.tool_call_id
            if event.provider_executed or call_id in self._skipped or call_id in self._done_calls:
                return ""
            out = self._start()
            if call_id not in self._open:
                out += self._open_call(call_id, event.tool_name)[1]
            args = event.args_json if event.args_error is None else dumps(dict(event.args))
            if event.args_error is not None and event.args_json:
                args = event.args_json  # the model's text as written, like the stream had it
            return out + self._close_call(call_id, args)
        return ""  # tool_input_end: the call closes at its tool_call event

    # ------------------------------------------------------------------ events
    def encode(self, event: StreamEvent) -> bytes:
        """The server-sent events for one unified event (see the module docstring); ``b""``
        for an event Responses has no place for."""
        kind = event.type
        if kind == "text_delta":
            entry = self._open.get(event.id)  # type: ignore[union-attr]
            if entry is not None:  # the hot path
                text = self._delta(entry, '"delta":', event.delta)  # type: ignore[union-attr]
                try:
                    return text.encode()
                except UnicodeEncodeError:
                    return utf8(text)
            return utf8(self._text_delta(event.id, event.delta))  # type: ignore[union-attr]
        if event.type == "reasoning_delta":
            return utf8(self._reasoning_delta(event.id, event.delta))
        if event.type == "text_start":
            if event.id in self._open:
                return b""
            out = self._start()
            return utf8(out + self._open_text(event.id)[1])
        if event.type == "text_end":
            if event.id not in self._open:
                return b""
            return utf8(self._close_text(event.id, event.provider_metadata))
        if event.type == "reasoning_start":
            if event.redacted_data is not None:
                self._skipped.add(event.id)
                return b""
            if event.id in self._open:
                return b""
            out = self._start()
            return utf8(out + self._open_reasoning(event.id)[1])
        if event.type == "reasoning_end":
            if event.id in self._skipped or event.id not in self._open:
                return b""
            return utf8(self._close_reasoning(event.id, event.provider_metadata))
        if event.type in ("tool_input_start", "tool_input_delta", "tool_call"):
            return utf8(self._tool_event(event))
        if event.type == "finish":
            return utf8(self._finish(event))
        if event.type == "stream_start" or event.type == "response_metadata":
            return utf8(self._start())
        return b""  # tool_input_end, tool_result, source, step_finish, abort

    def _close_all(self) -> str:
        out = ""
        for key, entry in list(self._open.items()):
            kind = entry.item["type"]
            if kind == "message":
                out += self._close_text(key, None)
            elif kind == "reasoning":
                out += self._close_reasoning(key, None)
            else:
                out += self._close_call(key, "")
        return out

    def _refusal(self, text: str) -> str:
        item: dict[str, object] = {
            "id": new_id("msg"),
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        entry, out = self._add("\0refusal", item, "response.refusal.delta")
        where = {"item_id": item["id"], "output_index": entry.index, "content_index": 0}
        part = {"type": "refusal", "refusal": ""}
        out += self._event("response.content_part.added", {**where, "part": part})
        out += self._event("response.refusal.delta", {**where, "delta": text})
        out += self._event("response.refusal.done", {**where, "refusal": text})
        part = {"type": "refusal", "refusal": text}
        out += self._event("response.content_part.done", {**where, "part": part})
        item["status"] = "completed"
        item["content"] = [part]
        return out + self._item_done("\0refusal", entry)

    def _finish(self, event: FinishEvent | None) -> str:
        if self._closed:
            return ""
        out = self._start() + self._close_all()
        refusal = _openai(event.provider_metadata if event else None).get("refusal")
        if isinstance(refusal, str) and refusal:
            out += self._refusal(refusal)
        status, details = status_of(event)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        self._closed = True
        usage = usage_object(event.usage if event is not None else None)
        return out + self._lifecycle(kind, status, usage=usage, incomplete_details=details)

    def error(self, error: LLMKitError) -> bytes:
        """OpenAI's in-band failure: an ``error`` event then ``response.failed`` (the output
        so far), ending the stream (llmkit's reader raises the error's class back; the OpenAI
        SDK raises ``openai.APIError`` at the ``error`` event)."""
        out = self._start()
        self._closed = True
        event_error, response_error = error_payloads(error)
        out += self._event("error", {"error": event_error})
        out += self._lifecycle("response.failed", "failed", error=response_error)
        return utf8(out)

    def end(self) -> bytes:
        """Nothing after a ``finish`` (its terminal event ends the stream); without one, the
        stream is closed as ``response.completed`` with no usage."""
        return utf8(self._finish(None))
