"""A non-streamed OpenAI chat completion → the same events a stream would give.

Source: OpenAI API reference, Chat Completions, "The chat completion object":
``{"id", "created", "model", "choices": [{"index", "message": {"content", "refusal",
"tool_calls", "function_call"}, "finish_reason"}], "usage"}``.

Events, in order: ``response_metadata``; a reasoning block (first non-empty field of
``quirks.reasoning_fields`` on the message, or Mistral ``thinking`` content parts); a text
block with one delta (a non-string ``content``, such as Cloudflare's JSON object, is serialised
as JSON text; a content-part list is split by :func:`~.wire.split_content`); one
``tool_input_start``/``tool_input_delta``/``tool_input_end``/``tool_call`` group per tool call
(the deprecated ``message.function_call`` counts as a tool call, id ``call_<n>``); ``finish``.
Only choice ``index`` 0 is read; a refusal goes to ``provider_metadata["openai"]["refusal"]``.
"""

from __future__ import annotations

import json
from typing import Any

from llmkit.errors import InvalidResponseError
from llmkit.protocols._blocks import Blocks
from llmkit.protocols._common import SHAPE_ERRORS, loads
from llmkit.protocols.openai_chat.convert_usage import convert_usage
from llmkit.protocols.openai_chat.errors import in_band_error
from llmkit.protocols.openai_chat.map_finish_reason import map_finish_reason
from llmkit.protocols.openai_chat.wire import METADATA_KEY, created_at, split_content
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ResponseMetadataEvent,
    StreamEvent,
    TextDeltaEvent,
)

__all__ = ["parse_completion"]


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _tool_calls(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(id, name, arguments JSON text) of the message's tool calls, legacy function call last."""
    calls: list[tuple[str, str, str]] = []
    entries = message.get("tool_calls") or []
    legacy = message.get("function_call")
    if legacy:
        entries = [*entries, {"function": legacy}]
    for entry in entries:
        function = entry.get("function") or {}
        args = function.get("arguments")
        if args is None:
            args = ""
        elif not isinstance(args, str):
            args = json.dumps(args)
        call_id = _str_or_none(entry.get("id")) or f"call_{len(calls)}"
        name = function.get("name")
        if name is None:
            name = ""
        elif type(name) is not str:
            raise TypeError(f"tool call function.name is {type(name).__name__}, not a string")
        calls.append((call_id, name, args))
    return calls


def _events(
    data: dict[str, Any], choice: dict[str, Any], provider: ProviderConfig
) -> list[StreamEvent]:
    out: list[StreamEvent] = [
        ResponseMetadataEvent(
            _str_or_none(data.get("id")),
            _str_or_none(data.get("model")),
            created_at(data.get("created")),
        )
    ]
    blocks = Blocks()
    message = choice.get("message") or {}
    content = message.get("content")
    reasoning = ""
    if content is not None and not isinstance(content, str):
        reasoning, content = split_content(content)
    from llmkit.protocols.openai_chat import quirks_of

    for name in quirks_of(provider).reasoning_fields:
        value = message.get(name)
        if value and isinstance(value, str):
            reasoning = value + reasoning
            break
    if reasoning:
        blocks.start_reasoning("reasoning-0", out)
        out.append(ReasoningDeltaEvent("reasoning-0", reasoning))
        blocks.end("reasoning-0", out)
    if content:
        blocks.start_text("text-0", out)
        out.append(TextDeltaEvent("text-0", content))
        blocks.end("text-0", out)
    calls = _tool_calls(message)
    for call_id, name, args in calls:
        blocks.start_tool(call_id, name, out)
        blocks.tool_delta(call_id, args, out)
        blocks.end(call_id, out)
    refusal = message.get("refusal")
    raw_finish = _str_or_none(choice.get("finish_reason"))
    usage = data.get("usage")
    out.append(
        FinishEvent(
            map_finish_reason(raw_finish, has_tool_calls=bool(calls)),
            raw_finish,
            convert_usage(usage if isinstance(usage, dict) else None),
            {METADATA_KEY: {"refusal": refusal}} if refusal and isinstance(refusal, str) else None,
        )
    )
    return out


def parse_completion(body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
    """Parse a non-streamed chat completion body into stream events, ``finish`` last.

    Args:
        body: the raw JSON response body.
        provider: the provider (its ``quirks.reasoning_fields`` and id).

    Raises:
        InvalidResponseError: the body is not JSON, has no ``choices``, or has an unusable shape.
        StreamError: the body reports an ``error`` although the status was 2xx.
    """
    data = loads(
        body,
        "the response body is not JSON",
        "check the provider's base URL and protocol",
        provider_id=provider.id,
    )
    if isinstance(data, dict) and data.get("error"):
        raise in_band_error(data, provider_id=provider.id, model_id=_str_or_none(data.get("model")))
    choices = data.get("choices") if isinstance(data, dict) else None
    if not choices or not isinstance(choices, list):
        raise InvalidResponseError(
            "the response has no choices; it is not an OpenAI chat completion",
            raw=body,
            provider_id=provider.id,
        )
    try:
        choice = next((c for c in choices if c.get("index", 0) == 0), choices[0])
        return _events(data, choice, provider)
    except SHAPE_ERRORS as exc:
        raise InvalidResponseError(
            f"the response has an unexpected shape ({type(exc).__name__}: {exc}); it does not "
            "follow the OpenAI chat completion format",
            raw=body,
            provider_id=provider.id,
        ) from exc
