"""A complete unified event sequence → a non-streamed OpenAI ``chat.completion`` body.

Source: OpenAI API reference, Chat Completions, "The chat completion object":
``{"id", "object": "chat.completion", "created", "model", "choices": [{"index": 0,
"message": {"role": "assistant", "content", "refusal", "tool_calls"}, "logprobs",
"finish_reason"}], "usage"}``.

``content`` is every text delta joined (``null`` when there is none, as OpenAI sends with
tool calls); reasoning deltas joined go in ``message.reasoning_content`` (the DeepSeek
convention, an extra field for the OpenAI SDK); each client tool call (``tool_call`` events
not provider-executed) is ``{"id", "type": "function", "function": {"name", "arguments"}}``
with the arguments text as the model wrote it (``"{}"`` when empty); the refusal from
``provider_metadata["openai"]["refusal"]`` goes in ``message.refusal``. ``finish_reason``
and ``usage`` follow :mod:`.serve_shapes` (``usage`` is left out when nothing was reported).
Events of several steps are folded into one message. The drop rules of :mod:`.serve_stream`
apply.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from llmkit.protocols.openai_chat.serve_shapes import (
    dumps,
    finish_reason,
    new_completion_id,
    refusal_of,
    usage_object,
    utf8,
)
from llmkit.types.events import FinishEvent, StreamEvent

__all__ = ["encode_response"]


def encode_response(
    events: Sequence[StreamEvent],
    model: str,
    *,
    completion_id: str | None = None,
    created: int | None = None,
) -> bytes:
    """The ``chat.completion`` JSON body (UTF-8) for a complete event sequence.

    Args:
        events: the answer's events, ``finish`` last (a missing finish gives
            ``finish_reason: "stop"`` and no usage).
        model: the model name echoed in the body.
        completion_id: the body's ``id`` (default a fresh ``chatcmpl-`` id).
        created: the ``created`` unix time in seconds (default now).
    """
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, object]] = []
    finish: FinishEvent | None = None
    for event in events:
        if event.type == "text_delta":
            text.append(event.delta)
        elif event.type == "reasoning_delta":
            reasoning.append(event.delta)
        elif event.type == "tool_call" and not event.provider_executed:
            calls.append(
                {
                    "id": event.tool_call_id,
                    "type": "function",
                    "function": {"name": event.tool_name, "arguments": event.args_json or "{}"},
                }
            )
        elif event.type == "finish":
            finish = event
    message: dict[str, object] = {
        "role": "assistant",
        "content": "".join(text) if text else None,
        "refusal": refusal_of(finish),
    }
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    body: dict[str, object] = {
        "id": completion_id or new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason(finish, bool(calls)),
            }
        ],
    }
    usage = usage_object(finish.usage) if finish is not None else None
    if usage is not None:
        body["usage"] = usage
    return utf8(dumps(body))
