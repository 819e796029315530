"""Convert unified messages to Anthropic ``system`` + ``messages``.

Anthropic API reference, "Messages" → ``system`` / ``messages``, "Vision", "PDF support",
"Tool use" → "Handling tool use and tool result content blocks", "Extended thinking" →
"Preserving thinking blocks".

Rules:

- The system prompt is the top-level ``system`` string: ``CallOptions.system`` followed by every
  :class:`~llmkit.types.messages.SystemMessage`, in order, joined by a blank line. When a
  system message has ``provider_options["anthropic"]`` (e.g. ``cache_control``), ``system`` is
  sent as a list of text blocks instead, one per source, with the options on that block.
- ``messages`` strictly alternate ``user`` / ``assistant``: consecutive messages of the same
  Anthropic role are merged into one (tool messages are ``user`` messages). In a user message,
  ``tool_result`` blocks are moved before the other blocks, as Anthropic requires.
- Content is always a list of blocks. Empty text is dropped (Anthropic rejects empty text
  blocks), and so is a message left with no blocks.
- User parts: ``text``; ``image`` (``source`` ``url`` or ``base64``; media types
  ``image/jpeg|png|gif|webp``); PDF ``file`` parts → ``document`` (``url`` or ``base64``
  source; ``filename`` → ``title``); inline ``text/plain`` file parts → ``document`` with a
  ``text`` source ("Citations", plain text documents); image file parts → ``image``. Other
  file media types (and plain text by URL) raise
  :class:`~llmkit.errors.UnsupportedFeatureError` naming the provider and part.
- Part-level ``provider_options["anthropic"]`` keys (e.g. ``cache_control``) are copied onto the
  block built from a text, image, file, tool call or tool result part; message-level ones onto
  the message's last block ("Prompt caching": a breakpoint caches everything up to and
  including its block).
- Assistant parts: ``text``; ``tool_call`` → ``tool_use {id, name, input}``; ``reasoning`` →
  ``redacted_thinking {data}`` when it has ``redacted_data``, else ``thinking {thinking,
  signature}`` when it has a signature, else dropped with a warning (Anthropic rejects unsigned
  thinking blocks).
- Tool results → ``tool_result {tool_use_id, content, is_error}``: a string result is sent as is,
  anything else as compact JSON text; ``is_error`` only when true.
- Tool-call ids (``tool_use.id`` and ``tool_result.tool_use_id``) must match
  ``^[a-zA-Z0-9_-]+$`` (:data:`TOOL_CALL_ID_FORMAT`): an id from another provider that does not
  (Moonshot Kimi's ``functions.get_weather:0``) is rewritten by
  :meth:`~llmkit.protocols._ids.ToolCallIdFormat.map`, the same way in the call and in its
  result; valid ids, Anthropic's own ``toolu_...`` among them, are sent unchanged.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from llmkit.errors import ConfigurationError, UnsupportedFeatureError
from llmkit.protocols._ids import ToolCallIdFormat
from llmkit.protocols._tool_media import (
    dropped_media_warning,
    media_blocks,
    media_items,
)
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

__all__ = ["IMAGE_MEDIA_TYPES", "TOOL_CALL_ID_FORMAT", "convert_messages"]

IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
"""Image media types Anthropic accepts (API reference, "Vision")."""

TOOL_CALL_ID_FORMAT = ToolCallIdFormat(
    allowed="a-zA-Z0-9_-",
    source="Anthropic Messages API: a 400 'messages.N.content.M.tool_use.id: String should "
    "match pattern ^[a-zA-Z0-9_-]+$' for any other id",
)
"""The tool-call ids Anthropic accepts; others are rewritten (see the module doc)."""

_KEY = "anthropic"

Block = dict[str, object]


def _with_options(
    block: Block, provider_options: Mapping[str, Mapping[str, JsonValue]] | None
) -> Block:
    if provider_options:
        extra = provider_options.get(_KEY)
        if extra:
            block.update(extra)
    return block


def _image_block(part: ImagePart, where: str) -> Block:
    url = part.url()
    if url is not None:
        source: Block = {"type": "url", "url": url}
    else:
        media_type, data = part.base64_data()
        if media_type not in IMAGE_MEDIA_TYPES:
            raise UnsupportedFeatureError(
                f"{where} (an image of media type {media_type!r}): not supported by "
                f"anthropic-messages; use one of {', '.join(sorted(IMAGE_MEDIA_TYPES))}"
            )
        source = {"type": "base64", "media_type": media_type, "data": data}
    return _with_options({"type": "image", "source": source}, part.provider_options)


def _text_source(part: FilePart, where: str) -> Block:
    if part.url() is not None:
        raise UnsupportedFeatureError(
            f"{where} (a text/plain file part by URL): anthropic-messages takes plain text "
            "documents only inline; pass the text (or its bytes)"
        )
    _, data = part.base64_data()
    try:
        text = base64.b64decode(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{where}: a text/plain file part must be UTF-8") from exc
    return {"type": "text", "media_type": "text/plain", "data": text}


def _file_block(part: FilePart, where: str) -> Block:
    media_type = part.media_type.lower()
    if media_type.startswith("image/"):
        image = ImagePart(
            image=part.data, media_type=part.media_type, provider_options=part.provider_options
        )
        return _image_block(image, where)
    if media_type == "text/plain":
        source: Block = _text_source(part, where)
    elif media_type != "application/pdf":
        raise UnsupportedFeatureError(
            f"{where} (a file part of media type {part.media_type!r}): not supported by "
            "anthropic-messages, which takes PDF (application/pdf) and plain text documents; "
            "send other text as a text part"
        )
    elif (url := part.url()) is not None:
        source = {"type": "url", "url": url}
    else:
        media_type, data = part.base64_data()
        source = {"type": "base64", "media_type": media_type, "data": data}
    block: Block = {"type": "document", "source": source}
    if part.filename:
        block["title"] = part.filename
    return _with_options(block, part.provider_options)


def _text_block(part: TextPart) -> Block | None:
    if not part.text:
        return None
    return _with_options({"type": "text", "text": part.text}, part.provider_options)


def _user_blocks(message: UserMessage, index: int) -> list[Block]:
    if isinstance(message.content, str):
        return [{"type": "text", "text": message.content}] if message.content else []
    blocks: list[Block] = []
    for n, part in enumerate(message.content):
        where = f"messages[{index}].content[{n}]"
        if isinstance(part, TextPart):
            block = _text_block(part)
            if block is not None:
                blocks.append(block)
        elif isinstance(part, ImagePart):
            blocks.append(_image_block(part, where))
        else:
            blocks.append(_file_block(part, where))
    return blocks


def _reasoning_block(part: ReasoningPart, where: str, warnings: list[CallWarning]) -> Block | None:
    if part.redacted_data:
        return {"type": "redacted_thinking", "data": part.redacted_data}
    if part.signature:
        return {"type": "thinking", "thinking": part.text, "signature": part.signature}
    warnings.append(
        CallWarning(
            "unsupported_setting",
            "messages",
            f"{where}: reasoning without a signature was dropped (Anthropic only accepts "
            "thinking blocks it signed)",
        )
    )
    return None


def _assistant_blocks(
    message: AssistantMessage, index: int, warnings: list[CallWarning], ids: ToolCallIdFormat
) -> list[Block]:
    if isinstance(message.content, str):
        return [{"type": "text", "text": message.content}] if message.content else []
    blocks: list[Block] = []
    for n, part in enumerate(message.content):
        block: Block | None
        if isinstance(part, TextPart):
            block = _text_block(part)
        elif isinstance(part, ToolCallPart):
            block = {
                "type": "tool_use",
                "id": ids.map(part.tool_call_id),
                "name": part.tool_name,
                "input": part.args,
            }
            _with_options(block, part.provider_options)
        else:
            block = _reasoning_block(part, f"messages[{index}].content[{n}]", warnings)
        if block is not None:
            blocks.append(block)
    return blocks


_MEDIA_DROPPED = dropped_media_warning(
    "anthropic-messages", "audio and non-JPEG/PNG/GIF/WebP images"
)
_NOT_TAKEN = "anthropic-messages tool results take text and JPEG, PNG, GIF or WebP images only"


def _tool_content(result: JsonValue, warnings: list[CallWarning]) -> str | list[Block]:
    if isinstance(result, str):
        return result
    media = media_blocks(result)
    if media is None:
        return json.dumps(result, ensure_ascii=False)
    return media_items(
        media,
        text=lambda text: {"type": "text", "text": text},
        image=lambda media_type, data: {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        },
        why=_NOT_TAKEN,
        warning=_MEDIA_DROPPED,
        warnings=warnings,
    )


def _tool_blocks(
    message: ToolMessage, ids: ToolCallIdFormat, warnings: list[CallWarning]
) -> list[Block]:
    blocks: list[Block] = []
    for part in message.results:
        content = _tool_content(part.result, warnings)
        block: Block = {
            "type": "tool_result",
            "tool_use_id": ids.map(part.tool_call_id),
            "content": content,
        }
        if part.is_error:
            block["is_error"] = True
        blocks.append(_with_options(block, part.provider_options))
    return blocks


def _system(
    system: str | None, messages: Sequence[Message]
) -> str | list[dict[str, object]] | None:
    """The ``system`` field: a string, or text blocks when a system message has options."""
    sources: list[tuple[str, Mapping[str, Mapping[str, JsonValue]] | None]] = []
    if system:
        sources.append((system, None))
    sources += [(m.content, m.provider_options) for m in messages if isinstance(m, SystemMessage)]
    sources = [(text, options) for text, options in sources if text]
    if not sources:
        return None
    if not any(options and options.get(_KEY) for _, options in sources):
        return "\n\n".join(text for text, _ in sources)
    return [_with_options({"type": "text", "text": text}, options) for text, options in sources]


AnthropicPrompt = tuple[str | list[dict[str, object]] | None, list[dict[str, object]]]
"""The ``system`` field (None, a string or text blocks) and the ``messages`` list."""


def convert_messages(
    messages: Sequence[Message],
    system: str | None,
    provider_id: str | None = None,
    tool_call_ids: ToolCallIdFormat = TOOL_CALL_ID_FORMAT,
) -> tuple[AnthropicPrompt, list[CallWarning]]:
    """The Anthropic ``system`` field and ``messages`` list for a conversation.

    Args:
        messages: the unified conversation, oldest first.
        system: ``CallOptions.system``.
        provider_id: the provider's id, named in errors.
        tool_call_ids: the tool-call ids the target accepts (default
            :data:`TOOL_CALL_ID_FORMAT`); others are rewritten consistently.

    Returns:
        ``((system, messages), warnings)``, as every protocol's ``convert_messages`` returns
        ``(value, warnings)``: ``system`` is ``None`` when there is no system prompt, a string,
        or text blocks when a system message carries Anthropic options; a warning for each
        dropped part.

    Raises:
        UnsupportedFeatureError: a file part is neither a PDF nor inline plain text, or an
            inline image has a media type Anthropic does not accept; the message names the
            provider and the part.
        ConfigurationError: an image or file part has invalid inline data.
    """
    warnings: list[CallWarning] = []
    try:
        prompt = (_system(system, messages), _convert(messages, warnings, tool_call_ids))
        return prompt, warnings
    except UnsupportedFeatureError as exc:
        if provider_id is None:
            raise
        raise UnsupportedFeatureError(f"provider {provider_id!r}: {exc}") from exc


def _convert(
    messages: Sequence[Message], warnings: list[CallWarning], ids: ToolCallIdFormat
) -> list[dict[str, object]]:
    turns: list[tuple[str, list[Block]]] = []
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            continue
        if isinstance(message, UserMessage):
            role, blocks = "user", _user_blocks(message, index)
        elif isinstance(message, ToolMessage):
            role, blocks = "user", _tool_blocks(message, ids, warnings)
        else:
            role, blocks = "assistant", _assistant_blocks(message, index, warnings, ids)
        if not blocks:
            continue
        _with_options(blocks[-1], message.provider_options)
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    out: list[dict[str, object]] = []
    for role, blocks in turns:
        if role == "user":
            results = [b for b in blocks if b["type"] == "tool_result"]
            if results and len(results) != len(blocks):
                blocks = results + [b for b in blocks if b["type"] != "tool_result"]
        out.append({"role": role, "content": blocks})
    return out
