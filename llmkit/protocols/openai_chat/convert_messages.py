"""Unified messages → OpenAI chat ``messages``.

Source: OpenAI API reference, Chat Completions, create, ``messages``: system/developer, user
(text, ``image_url`` and ``file`` content parts, ``input_audio``), assistant (``content`` and
``tool_calls``) and ``tool`` messages.

Mapping:

- ``system=`` and :class:`~llmkit.types.messages.SystemMessage` → a message with role
  ``quirks.system_role`` (``system``, or ``developer`` for OpenAI reasoning models);
- user text → ``content`` string; a list of parts → a content array: text → ``{"type": "text"}``,
  image → ``{"type": "image_url", "image_url": {"url": <URL or data URL>}}`` (with ``detail``
  from the part's ``provider_options["openai"]["detail"]``), PDF file →
  ``{"type": "file", "file": {"filename", "file_data": <data URL>}}``, WAV/MP3 file →
  ``input_audio``, an image given as a file part → ``image_url``;
- assistant → ``content`` (text parts joined) and ``tool_calls``
  ``[{"id", "type": "function", "function": {"name", "arguments": <JSON text>}}]``; reasoning
  parts have no OpenAI chat field and are dropped with a warning, except with
  ``quirks.replay_reasoning_field`` (DeepSeek: ``reasoning_content``): an assistant turn with
  tool calls then carries its reasoning text in that field, as DeepSeek's thinking mode
  requires; on turns without tool calls the provider ignores it, so it is not sent (no warning:
  nothing is lost);
- tool results → one ``{"role": "tool", "tool_call_id", "content"}`` message each; content is the
  result string, or the result as JSON text. OpenAI has no error flag for tool results, so
  ``is_error`` is not sent (llmkit's own tool errors say so in their text);
- tool-call ids (``tool_calls[].id`` and ``tool_call_id``) go through
  :data:`TOOL_CALL_ID_FORMAT`: the API reference types them as plain strings with no pattern or
  length limit, so every id is sent unchanged (a format with limits rewrites an id the same way
  in the call and in its result, see :mod:`llmkit.protocols._ids`).

A part the protocol cannot take raises :class:`~llmkit.errors.UnsupportedFeatureError` naming
the provider, the part (``messages[i].content[j]``) and what to do instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from llmkit.errors import UnsupportedFeatureError
from llmkit.protocols._ids import ToolCallIdFormat
from llmkit.protocols._tool_media import dropped_media_warning, media_blocks, without_media_data
from llmkit.protocols.openai_chat.quirks import OpenAIChatQuirks as Quirks
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
    source="OpenAI API reference, Chat Completions: tool_calls[].id and tool_call_id are "
    "strings, no pattern or maximum length documented",
)
"""The tool-call ids OpenAI chat accepts: any string. Some users report a 400 "expected a string
with maximum length 40" for long ids, but the API reference documents no limit, so none is
enforced here."""

_AUDIO_FORMATS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"}


def _image(part: ImagePart) -> dict[str, object]:
    image_url: dict[str, object] = {"url": part.data_url()}
    options = (part.provider_options or {}).get("openai") or {}
    detail = options.get("detail")
    if detail is not None:
        image_url["detail"] = detail
    return {"type": "image_url", "image_url": image_url}


def _unsupported(provider_id: str | None, where: str, what: str) -> UnsupportedFeatureError:
    who = f"provider {provider_id!r} (openai-chat)" if provider_id else "openai-chat"
    return UnsupportedFeatureError(f"{who} cannot take {where}: {what}")


def _file(part: FilePart, index: int, where: str, provider_id: str | None) -> dict[str, object]:
    media_type = part.media_type.lower()
    if media_type.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": part.data_url()}}
    if part.url() is not None:
        raise _unsupported(
            provider_id,
            f"{where} (a {part.media_type} file part by URL)",
            "OpenAI chat accepts files only as inline data; download the file and pass its "
            "bytes, e.g. FilePart.from_path(...) or FilePart(data=<bytes>, ...)",
        )
    if media_type == "application/pdf":
        return {
            "type": "file",
            "file": {
                "filename": part.filename or f"part-{index}.pdf",
                "file_data": part.data_url(),
            },
        }
    audio_format = _AUDIO_FORMATS.get(media_type)
    if audio_format is not None:
        _, data = part.base64_data()
        return {"type": "input_audio", "input_audio": {"data": data, "format": audio_format}}
    raise _unsupported(
        provider_id,
        f"{where} (a file part of media type {part.media_type!r})",
        "OpenAI chat accepts PDF (application/pdf), WAV and MP3 audio, and images; send text "
        "as a text part",
    )


def _user(message: UserMessage, at: int, provider_id: str | None) -> dict[str, object]:
    if isinstance(message.content, str):
        return {"role": "user", "content": message.content}
    parts: list[dict[str, object]] = []
    for index, part in enumerate(message.content):
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image(part))
        else:
            parts.append(_file(part, index, f"messages[{at}].content[{index}]", provider_id))
    return {"role": "user", "content": parts}


def _assistant(
    message: AssistantMessage, warnings: list[CallWarning], quirks: Quirks, ids: ToolCallIdFormat
) -> dict[str, object]:
    if isinstance(message.content, str):
        return {"role": "assistant", "content": message.content}
    texts: list[str] = []
    reasoning: list[str] = []
    tool_calls: list[dict[str, object]] = []
    dropped_reasoning = False
    for part in message.content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            tool_calls.append(
                {
                    "id": ids.map(part.tool_call_id),
                    "type": "function",
                    "function": {"name": part.tool_name, "arguments": json.dumps(part.args)},
                }
            )
        elif isinstance(part, ReasoningPart):
            reasoning.append(part.text)
    replay_field = quirks.replay_reasoning_field
    if reasoning and replay_field is None:
        dropped_reasoning = True
    if dropped_reasoning and not any(w.setting == "messages" for w in warnings):
        warnings.append(
            CallWarning(
                "other",
                "messages",
                "reasoning parts of assistant messages cannot be sent with the OpenAI chat "
                "protocol and were dropped",
            )
        )
    out: dict[str, object] = {"role": "assistant"}
    if texts or not tool_calls:
        out["content"] = "".join(texts)
    if tool_calls:
        out["tool_calls"] = tool_calls
        if replay_field is not None and reasoning:
            out[replay_field] = "".join(reasoning)
    return out


_MEDIA_DROPPED = dropped_media_warning("openai-chat")


def _tool(
    message: ToolMessage, ids: ToolCallIdFormat, warnings: list[CallWarning]
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for part in message.results:
        result = part.result
        media = None if isinstance(result, str) else media_blocks(result)
        if media is not None:  # text-only tool messages: the media data is left out
            content = without_media_data(media)
            if _MEDIA_DROPPED not in warnings:
                warnings.append(_MEDIA_DROPPED)
        else:
            content = result if isinstance(result, str) else json.dumps(result)
        out.append({"role": "tool", "tool_call_id": ids.map(part.tool_call_id), "content": content})
    return out


def convert_messages(
    messages: Sequence[Message],
    system: str | None,
    quirks: Quirks,
    provider_id: str | None = None,
    tool_call_ids: ToolCallIdFormat = TOOL_CALL_ID_FORMAT,
) -> tuple[list[dict[str, object]], list[CallWarning]]:
    """Convert a conversation to the OpenAI chat ``messages`` array.

    Args:
        messages: the conversation, oldest first.
        system: the ``system=`` instructions, sent as the first message.
        quirks: the provider's quirks (``system_role``, ``replay_reasoning_field``).
        provider_id: the provider's id, named in errors.
        tool_call_ids: the tool-call ids the target accepts (default
            :data:`TOOL_CALL_ID_FORMAT`: any); others are rewritten consistently.

    Returns:
        (messages, warnings): the wire messages, and warnings for dropped content.

    Raises:
        UnsupportedFeatureError: a file part OpenAI chat cannot take (a URL, or a media type
            other than PDF, WAV, MP3 or an image).
        ConfigurationError: inline data with invalid base64 or no media type.
    """
    out: list[dict[str, object]] = []
    warnings: list[CallWarning] = []
    if system is not None:
        out.append({"role": quirks.system_role, "content": system})
    for at, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            out.append({"role": quirks.system_role, "content": message.content})
        elif isinstance(message, UserMessage):
            out.append(_user(message, at, provider_id))
        elif isinstance(message, AssistantMessage):
            out.append(_assistant(message, warnings, quirks, tool_call_ids))
        else:
            out.extend(_tool(message, tool_call_ids, warnings))
    return out, warnings
