"""Convert unified messages to Anthropic ``system`` + ``messages``.

Anthropic API reference, "Messages" → ``system`` / ``messages``, "Vision", "PDF support",
"Tool use" → "Handling tool use and tool result content blocks", "Extended thinking" →
"Preserving thinking blocks".

Rules:

- The system prompt is the top-level ``system`` string: ``CallOptions.system`` followed by every
  :class:`~llmkit.types.messages.SystemMessage`, in order, joined by a blank line.
- ``messages`` strictly alternate ``user`` / ``assistant``: consecutive messages of the same
  Anthropic role are merged into one (tool messages are ``user`` messages). In a user message,
  ``tool_result`` blocks are moved before the other blocks, as Anthropic requires.
- Content is always a list of blocks. Empty text is dropped (Anthropic rejects empty text
  blocks), and so is a message left with no blocks.
- User parts: ``text``; ``image`` (``source`` ``url`` or ``base64``; media types
  ``image/jpeg|png|gif|webp``); PDF ``file`` parts → ``document`` (``url`` or ``base64``
  source; ``filename`` → ``title``). Other file media types raise
  :class:`~llmkit.errors.UnsupportedFeatureError`.
- Part-level ``provider_options["anthropic"]`` keys (e.g. ``cache_control``) are copied onto the
  block built from a text, image or file part.
- Assistant parts: ``text``; ``tool_call`` → ``tool_use {id, name, input}``; ``reasoning`` →
  ``redacted_thinking {data}`` when it has ``redacted_data``, else ``thinking {thinking,
  signature}`` when it has a signature, else dropped with a warning (Anthropic rejects unsigned
  thinking blocks).
- Tool results → ``tool_result {tool_use_id, content, is_error}``: a string result is sent as is,
  anything else as compact JSON text; ``is_error`` only when true.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from llmkit.errors import UnsupportedFeatureError
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

__all__ = ["IMAGE_MEDIA_TYPES", "convert_messages"]

IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
"""Image media types Anthropic accepts (API reference, "Vision")."""

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
                f"{where}: image media type {media_type!r} is not supported by "
                f"anthropic-messages; use one of {', '.join(sorted(IMAGE_MEDIA_TYPES))}"
            )
        source = {"type": "base64", "media_type": media_type, "data": data}
    return _with_options({"type": "image", "source": source}, part.provider_options)


def _file_block(part: FilePart, where: str) -> Block:
    if part.media_type != "application/pdf":
        raise UnsupportedFeatureError(
            f"{where}: file media type {part.media_type!r} is not supported by "
            "anthropic-messages; only application/pdf documents are (send text as a text part)"
        )
    url = part.url()
    if url is not None:
        source: Block = {"type": "url", "url": url}
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
    message: AssistantMessage, index: int, warnings: list[CallWarning]
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
                "id": part.tool_call_id,
                "name": part.tool_name,
                "input": part.args,
            }
        else:
            block = _reasoning_block(part, f"messages[{index}].content[{n}]", warnings)
        if block is not None:
            blocks.append(block)
    return blocks


def _tool_blocks(message: ToolMessage) -> list[Block]:
    blocks: list[Block] = []
    for part in message.content:
        result = part.result
        content = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        block: Block = {"type": "tool_result", "tool_use_id": part.tool_call_id, "content": content}
        if part.is_error:
            block["is_error"] = True
        blocks.append(block)
    return blocks


def convert_messages(
    messages: Sequence[Message], system: str | None, warnings: list[CallWarning]
) -> tuple[str | None, list[dict[str, object]]]:
    """The Anthropic ``system`` string and ``messages`` list for a conversation.

    Args:
        messages: the unified conversation, oldest first.
        system: ``CallOptions.system``.
        warnings: receives a warning for each dropped part.

    Returns:
        ``(system, messages)``; ``system`` is ``None`` when there is no system prompt.

    Raises:
        UnsupportedFeatureError: a file part is not a PDF, or an inline image has a media type
            Anthropic does not accept; the message names the part.
        ConfigurationError: an image or file part has invalid inline data.
    """
    system_parts: list[str] = [system] if system else []
    turns: list[tuple[str, list[Block]]] = []
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            if message.content:
                system_parts.append(message.content)
            continue
        if isinstance(message, UserMessage):
            role, blocks = "user", _user_blocks(message, index)
        elif isinstance(message, ToolMessage):
            role, blocks = "user", _tool_blocks(message)
        else:
            role, blocks = "assistant", _assistant_blocks(message, index, warnings)
        if not blocks:
            continue
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
    return ("\n\n".join(system_parts) if system_parts else None), out
