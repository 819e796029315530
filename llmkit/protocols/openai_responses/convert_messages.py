"""Unified messages → Responses ``input`` items.

Source: OpenAI API reference, Responses, create, ``input``: input messages (``role`` ``user``,
``system``, ``developer``, ``assistant``; content parts ``input_text``, ``input_image``,
``input_file``), output messages (``output_text``), ``reasoning`` items, ``function_call`` and
``function_call_output`` items; OpenAI "Reasoning models" guide, "Keeping reasoning items in
context" and "Encrypted reasoning items" (``store: false`` with
``include: ["reasoning.encrypted_content"]``).

Mapping:

- ``system=`` and :class:`~llmkit.types.messages.SystemMessage` → ``{"role":
  quirks.system_role, "content": text}``, in order;
- user text → ``{"role": "user", "content": text}``; a list of parts → content parts:
  text → ``input_text``; image (URL or inline, as a ``data:`` URL) → ``input_image`` with
  ``detail`` from ``provider_options["openai"]["detail"]`` (default ``auto``, the field is
  required); PDF file → ``input_file`` (``file_url`` for a URL, else ``filename`` +
  ``file_data``); an image given as a file part → ``input_image``. Other file media types raise
  :class:`~llmkit.errors.UnsupportedFeatureError`;
- assistant text → an output ``message`` item ``{"type": "message", "role": "assistant",
  "content": [{"type": "output_text", "text"}]}``, with the item ``id`` and ``phase`` from the
  part's ``provider_options["openai"]`` (set by llmkit from the answer; consecutive text parts
  of one item go back as one item);
- reasoning → a ``reasoning`` item ``{"type": "reasoning", "id", "summary": [...],
  "encrypted_content"}`` (``content`` too when the provider streamed raw reasoning text),
  byte for byte from ``provider_options["openai"]``. With ``store: false`` the server keeps
  nothing, so an item without ``encrypted_content`` cannot be referred to (OpenAI answers 404
  "Items are not persisted when store is set to false"): it is dropped, with a warning.
  Reasoning from another protocol (no OpenAI item id: Anthropic thinking, DeepSeek
  ``reasoning_content``) cannot be sent either and is dropped with a warning;
- tool calls → ``function_call`` items ``{"type": "function_call", "call_id", "name",
  "arguments": <JSON text>}`` (with the item ``id`` when known); tool results →
  ``function_call_output`` items ``{"call_id", "output": <text>}``; a result that is not a
  string is sent as JSON text. Responses has no error flag for results (llmkit's own tool
  errors say so in their text);
- tool-call ids go through :data:`TOOL_CALL_ID_FORMAT` (at most 64 characters): a longer id
  from another provider is rewritten, the same way in the call and in its result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from llmkit.errors import UnsupportedFeatureError
from llmkit.protocols._ids import ToolCallIdFormat
from llmkit.protocols._tool_media import dropped_media_warning, media_blocks, media_items
from llmkit.protocols.openai_responses.quirks import OpenAIResponsesQuirks
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    Message,
    ReasoningPart,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolMessage,
    UserMessage,
)
from llmkit.types.warnings import CallWarning

__all__ = ["TOOL_CALL_ID_FORMAT", "convert_messages"]

TOOL_CALL_ID_FORMAT = ToolCallIdFormat(
    max_length=64,
    source="OpenAI Responses API: a 400 \"Invalid 'input[n].call_id': string too long. "
    'Expected a string with maximum length 64" (code string_above_max_length)',
)
"""The ``call_id`` values Responses accepts: any characters, at most 64 of them."""

_KEY = "openai"

Item = dict[str, object]


def _openai(options: Mapping[str, Mapping[str, JsonValue]] | None) -> Mapping[str, JsonValue]:
    if not options:
        return {}
    value = options.get(_KEY)
    return value if isinstance(value, Mapping) else {}


def _unsupported(provider_id: str | None, where: str, what: str) -> UnsupportedFeatureError:
    who = f"provider {provider_id!r} (openai-responses)" if provider_id else "openai-responses"
    return UnsupportedFeatureError(f"{who} cannot take {where}: {what}")


def _image(url: str, options: Mapping[str, Mapping[str, JsonValue]] | None) -> Item:
    detail = _openai(options).get("detail")
    return {
        "type": "input_image",
        "image_url": url,
        "detail": detail if isinstance(detail, str) else "auto",
    }


def _file(part: FilePart, index: int, where: str, provider_id: str | None) -> Item:
    media_type = part.media_type.lower()
    if media_type.startswith("image/"):
        return _image(part.data_url(), part.provider_options)
    if media_type != "application/pdf":
        raise _unsupported(
            provider_id,
            f"{where} (a file part of media type {part.media_type!r})",
            "OpenAI Responses takes PDF files (application/pdf) and images; send text as a "
            "text part",
        )
    url = part.url()
    if url is not None:
        return {"type": "input_file", "file_url": url}
    return {
        "type": "input_file",
        "filename": part.filename or f"part-{index}.pdf",
        "file_data": part.data_url(),
    }


def _user(message: UserMessage, at: int, provider_id: str | None) -> Item:
    if isinstance(message.content, str):
        return {"role": "user", "content": message.content}
    parts: list[Item] = []
    for index, part in enumerate(message.content):
        if isinstance(part, TextPart):
            parts.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image(part.data_url(), part.provider_options))
        else:
            parts.append(_file(part, index, f"messages[{at}].content[{index}]", provider_id))
    return {"role": "user", "content": parts}


def _warn(warnings: list[CallWarning], message: str) -> None:
    if not any(w.setting == "messages" and w.message == message for w in warnings):
        warnings.append(CallWarning("other", "messages", message))


_FOREIGN_REASONING = (
    "reasoning parts from another protocol (no OpenAI reasoning item id) cannot be sent with "
    "openai-responses and were dropped"
)
_UNENCRYPTED_REASONING = (
    "reasoning items without encrypted_content cannot be replayed with store: false (the "
    "server kept nothing to refer to) and were dropped; ask for them with reasoning= set (or "
    "include: ['reasoning.encrypted_content'])"
)


def _reasoning(part: ReasoningPart, store: bool, warnings: list[CallWarning]) -> Item | None:
    data = _openai(part.provider_options)
    item_id = data.get("item_id")
    if not isinstance(item_id, str):
        _warn(warnings, _FOREIGN_REASONING)
        return None
    encrypted = data.get("encrypted_content")
    if not store and not isinstance(encrypted, str):
        _warn(warnings, _UNENCRYPTED_REASONING)
        return None
    summary = data.get("summary")
    content = data.get("content")
    if not isinstance(summary, list):
        summary = [part.text] if part.text and not isinstance(content, list) else []
    item: Item = {
        "type": "reasoning",
        "id": item_id,
        "summary": [{"type": "summary_text", "text": text} for text in summary],
    }
    if isinstance(content, list):
        item["content"] = [{"type": "reasoning_text", "text": text} for text in content]
    if isinstance(encrypted, str):
        item["encrypted_content"] = encrypted
    return item


def _assistant(
    message: AssistantMessage, store: bool, warnings: list[CallWarning], ids: ToolCallIdFormat
) -> list[Item]:
    if isinstance(message.content, str):
        return [_text_item(message.content, {})]
    items: list[Item] = []
    last_text_id: object = None
    for part in message.content:
        if isinstance(part, TextPart):
            data = _openai(part.provider_options)
            item_id = data.get("item_id")
            previous = items[-1] if items else None
            if (
                isinstance(item_id, str)
                and item_id == last_text_id
                and previous is not None
                and previous.get("type") == "message"
            ):
                content = previous["content"]
                assert isinstance(content, list)
                content.append({"type": "output_text", "text": part.text})
                continue
            items.append(_text_item(part.text, data))
            last_text_id = item_id
            continue
        last_text_id = None
        if isinstance(part, ReasoningPart):
            reasoning = _reasoning(part, store, warnings)
            if reasoning is not None:
                items.append(reasoning)
        elif isinstance(part, ToolCallPart):
            call: Item = {
                "type": "function_call",
                "call_id": ids.map(part.tool_call_id),
                "name": part.tool_name,
                "arguments": json.dumps(part.args),
            }
            item_id = _openai(part.provider_options).get("item_id")
            if isinstance(item_id, str):
                call["id"] = item_id
            items.append(call)
    return items


def _text_item(text: str, data: Mapping[str, JsonValue]) -> Item:
    item: Item = {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }
    item_id, phase = data.get("item_id"), data.get("phase")
    if isinstance(item_id, str):
        item["id"] = item_id
    if isinstance(phase, str):
        item["phase"] = phase
    return item


_MEDIA_DROPPED = dropped_media_warning("openai-responses", "audio and non-JPEG/PNG/GIF/WebP images")
_NOT_TAKEN = "openai-responses tool outputs take text and JPEG, PNG, GIF or WebP images only"


def _tool_output(result: JsonValue, warnings: list[CallWarning]) -> str | list[Item]:
    """A ``function_call_output``'s ``output``: text, or for a list of content blocks with
    media (an MCP tool's image) a list of ``input_text`` and ``input_image`` items."""
    if isinstance(result, str):
        return result
    media = media_blocks(result)
    if media is None:
        return json.dumps(result)
    return media_items(
        media,
        text=lambda text: {"type": "input_text", "text": text},
        image=lambda media_type, data: {
            "type": "input_image",
            "image_url": f"data:{media_type};base64,{data}",
        },
        why=_NOT_TAKEN,
        warning=_MEDIA_DROPPED,
        warnings=warnings,
    )


def _tool(message: ToolMessage, ids: ToolCallIdFormat, warnings: list[CallWarning]) -> list[Item]:
    return [
        {
            "type": "function_call_output",
            "call_id": ids.map(part.tool_call_id),
            "output": _tool_output(part.result, warnings),
        }
        for part in message.results
    ]


def convert_messages(
    messages: Sequence[Message],
    system: str | None,
    quirks: OpenAIResponsesQuirks,
    *,
    store: bool,
    provider_id: str | None = None,
    tool_call_ids: ToolCallIdFormat = TOOL_CALL_ID_FORMAT,
) -> tuple[list[Item], list[CallWarning]]:
    """Convert a conversation to the Responses ``input`` list.

    Args:
        messages: the conversation, oldest first.
        system: the ``system=`` instructions, sent first.
        quirks: the provider's quirks (``system_role``).
        store: the request's ``store`` (False: reasoning items need their encrypted content).
        provider_id: the provider's id, named in errors.
        tool_call_ids: the tool-call ids the target accepts; others are rewritten
            consistently.

    Returns:
        (items, warnings): the input items, and warnings for dropped content.

    Raises:
        UnsupportedFeatureError: a file part Responses cannot take.
        ConfigurationError: inline image or file data that is not valid.
    """
    out: list[Item] = []
    warnings: list[CallWarning] = []
    if system is not None:
        out.append({"role": quirks.system_role, "content": system})
    for at, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            out.append({"role": quirks.system_role, "content": message.content})
        elif isinstance(message, UserMessage):
            out.append(_user(message, at, provider_id))
        elif isinstance(message, AssistantMessage):
            out.extend(_assistant(message, store, warnings, tool_call_ids))
        else:
            out.extend(_tool(message, tool_call_ids, warnings))
    return out, warnings
