"""Unified stream events → an OpenAI ``chat.completion.chunk`` event stream (serving half).

Source: OpenAI API reference, Chat Completions, "The chat completion chunk object" and
"Streaming": ``data: {"id", "object": "chat.completion.chunk", "created", "model",
"choices": [{"index": 0, "delta", "logprobs", "finish_reason"}]}`` events, then, with
``stream_options.include_usage``, a chunk with ``choices: []`` and ``usage``, then
``data: [DONE]``.

What is written, per event:

==========================  ===============================================================
event                       chunk ``delta``
==========================  ===============================================================
first output                ``{"role": "assistant", "content": ""}`` (once, as OpenAI does)
``text_delta``              ``{"content": delta}``
``reasoning_delta``         ``{"reasoning_content": delta}`` (the DeepSeek convention; the
                            OpenAI SDK keeps it as an extra field of the delta)
``tool_input_start``        ``{"tool_calls": [{"index": n, "id", "type": "function",
                            "function": {"name", "arguments": ""}}]}`` (n counts the calls)
``tool_input_delta``        ``{"tool_calls": [{"index": n, "function": {"arguments": delta}}]}``
``tool_call`` whose input   the arguments as one delta (``"{}"`` when the call had none, so
never streamed              every call's arguments parse as JSON)
``finish``                  a refusal (``provider_metadata["openai"]["refusal"]``) as
                            ``{"refusal": text}``; then ``{}`` with ``finish_reason`` (see
                            :func:`~.serve_shapes.finish_reason`); then the usage chunk
==========================  ===============================================================

Dropped, by rule (OpenAI chat has no place for them): ``stream_start``,
``response_metadata`` (the response carries the gateway's own ``chatcmpl-`` id and the model
as the client asked for it), block starts and ends, reasoning signatures and redacted
reasoning, provider-executed tool calls (Anthropic server tools: the client cannot run them)
and every ``tool_result``, ``source`` and ``step_finish`` event.

An error after the first byte is OpenAI's error object as a data event,
``data: {"error": {"message", "type", "param": null, "code"}}`` (the shape llmkit's reader
and the OpenAI SDK raise on), ending the stream (no ``[DONE]``).

Per event the work is a few dict look-ups and one JSON string encoding; the chunk's fixed
parts are built once per stream.
"""

from __future__ import annotations

import time
from json.encoder import encode_basestring  # json.dumps' own (C) string encoder
from typing import TYPE_CHECKING

from llmkit.protocols.openai_chat.serve_shapes import (
    dumps,
    finish_reason,
    new_completion_id,
    refusal_of,
    usage_object,
    utf8,
)

if TYPE_CHECKING:
    from llmkit.errors import LLMKitError
    from llmkit.types.events import FinishEvent, StreamEvent

__all__ = ["OpenAIChatStreamEncoder"]


class OpenAIChatStreamEncoder:
    """One streamed response's encoder (implements
    :class:`~llmkit.protocols.serving.StreamEncoder`).

    Args:
        model: the model name echoed in every chunk.
        include_usage: write the final usage chunk (``choices: []``); OpenAI writes it only
            when the request had ``stream_options.include_usage`` (see
            :func:`~.serve_request.include_usage`).
        completion_id: the chunks' ``id`` (default a fresh ``chatcmpl-`` id).
        created: the chunks' ``created`` unix time in seconds (default now).
    """

    content_type = "text/event-stream"

    def __init__(
        self,
        model: str,
        *,
        include_usage: bool = True,
        completion_id: str | None = None,
        created: int | None = None,
    ) -> None:
        self._base = (
            f'"id":{dumps(completion_id or new_completion_id())},'
            f'"object":"chat.completion.chunk",'
            f'"created":{int(time.time()) if created is None else created},'
            f'"model":{dumps(model)}'
        )
        self._head = "data: {" + self._base + ',"choices":[{"index":0,"delta":'
        self._tail = ',"logprobs":null,"finish_reason":null}]}\n\n'
        self._text_head = self._head + '{"content":'
        self._reasoning_head = self._head + '{"reasoning_content":'
        self._delta_tail = "}" + self._tail
        self._include_usage = include_usage
        self._started = False
        self._calls: dict[str, int] = {}
        """Tool call id → its ``index``."""
        self._args_sent: set[str] = set()

    def headers(self) -> dict[str, str]:
        """No extra headers (OpenAI's are informational: ``x-request-id``, rate limits)."""
        return {}

    def _chunk(self, delta: str, tail: str | None = None) -> bytes:
        """``data:`` event(s) for one delta (the role chunk first, once)."""
        text = self._head + delta + (tail or self._tail)
        if self._started:
            return utf8(text)
        self._started = True
        return utf8(self._head + '{"role":"assistant","content":""}' + self._tail + text)

    def encode(self, event: StreamEvent) -> bytes:
        """The chunk(s) for one event (table in the module docstring); ``b""`` for events
        OpenAI chat has no place for."""
        kind = event.type
        if kind == "text_delta" and self._started:  # the hot path: one concatenation, encode
            text = self._text_head + encode_basestring(event.delta) + self._delta_tail  # type: ignore[union-attr]
            try:
                return text.encode()
            except UnicodeEncodeError:
                return utf8(text)
        if event.type == "text_delta":
            return self._chunk('{"content":' + encode_basestring(event.delta) + "}")
        if event.type == "reasoning_delta":
            if self._started:
                return utf8(
                    self._reasoning_head + encode_basestring(event.delta) + self._delta_tail
                )
            return self._chunk('{"reasoning_content":' + encode_basestring(event.delta) + "}")
        if event.type == "tool_input_delta":
            index = self._calls.get(event.id)
            if index is None or not event.delta:
                return b""  # a provider-executed call's input
            self._args_sent.add(event.id)
            return self._chunk(
                f'{{"tool_calls":[{{"index":{index},"function":{{"arguments":'
                + encode_basestring(event.delta)
                + "}}]}"
            )
        if event.type == "tool_input_start":
            if event.provider_executed:
                return b""
            return self._start_call(event.id, event.tool_name)
        if event.type == "tool_call":
            if event.provider_executed:
                return b""
            return self._complete_call(event.tool_call_id, event.tool_name, event.args_json)
        if event.type == "finish":
            return self._finish(event)
        return b""

    def _start_call(self, call_id: str, name: str) -> bytes:
        index = len(self._calls)
        self._calls[call_id] = index
        entry = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        return self._chunk('{"tool_calls":[' + dumps(entry) + "]}")

    def _complete_call(self, call_id: str, name: str, args_json: str) -> bytes:
        out = b""
        if call_id not in self._calls:
            out = self._start_call(call_id, name)
        if call_id in self._args_sent:
            return out
        self._args_sent.add(call_id)
        entry = {"index": self._calls[call_id], "function": {"arguments": args_json or "{}"}}
        return out + self._chunk('{"tool_calls":[' + dumps(entry) + "]}")

    def _finish(self, event: FinishEvent) -> bytes:
        parts: list[bytes] = []
        refusal = refusal_of(event)
        if refusal is not None:
            parts.append(self._chunk('{"refusal":' + encode_basestring(refusal) + "}"))
        reason = finish_reason(event, bool(self._calls))
        parts.append(self._chunk("{}", f',"logprobs":null,"finish_reason":"{reason}"}}]}}\n\n'))
        usage = usage_object(event.usage)
        if self._include_usage and usage is not None:
            parts.append(
                utf8("data: {" + self._base + ',"choices":[],"usage":' + dumps(usage) + "}\n\n")
            )
        return b"".join(parts)

    def error(self, error: LLMKitError) -> bytes:
        """OpenAI's error object as one data event, ending the stream (llmkit's reader raises
        it as a :class:`~llmkit.errors.StreamError`, the OpenAI SDK as ``openai.APIError``)."""
        from llmkit.protocols.openai_chat.serve_errors import error_object

        _, body = error_object(error)
        return utf8("data: " + dumps({"error": body}) + "\n\n")

    def end(self) -> bytes:
        """``data: [DONE]`` (after the role chunk, if nothing else was written)."""
        if self._started:
            return b"data: [DONE]\n\n"
        self._started = True
        return utf8(self._head + '{"role":"assistant","content":""}' + self._tail) + (
            b"data: [DONE]\n\n"
        )
