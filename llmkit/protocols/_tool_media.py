"""Tool results that carry media: a list of content blocks, as MCP tools return them
(:mod:`llmkit.mcp._results`): ``{"type": "text", "text": ...}``, ``{"type": "image",
"media_type": "image/png", "data": <base64>}``, ``{"type": "audio", ...}``, resources.

A protocol whose tool results take images sends them as images: Anthropic Messages (a
``tool_result``'s ``content`` may hold ``text`` and ``image`` blocks, API reference "Messages",
``tool_result`` content) and OpenAI Responses (a ``function_call_output``'s ``output`` may be a
list of ``input_text`` and ``input_image`` items, API reference "Responses", input item
"Function tool call output"). Media a protocol cannot take (every image for one whose tool
results are text only: OpenAI Chat Completions, whose ``tool`` message ``content`` is text, and
Gemini, whose ``functionResponse.response`` is a JSON object; audio everywhere) goes as JSON
with its ``data`` left out, and a warning, rather than base64 read as text (about one token
per 3-4 characters: a 1 MB screenshot would be some 350,000 tokens).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import JsonValue

from llmkit.types.warnings import CallWarning

__all__ = [
    "IMAGE_TYPES",
    "TEXT_ONLY",
    "block_without_data",
    "dropped_media_warning",
    "media_blocks",
    "media_items",
    "without_media_data",
]

_BLOCK_TYPES = frozenset({"text", "image", "audio", "resource", "resource_link"})
_MEDIA_TYPES = frozenset({"image", "audio"})

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
"""The image media types Anthropic accepts (API reference "Messages", image ``source``)."""


def media_blocks(result: JsonValue) -> Sequence[dict[str, JsonValue]] | None:
    """The content blocks of ``result`` when it is a list of them with some media in it
    (an image or audio block), else None (the result is sent as usual)."""
    if not isinstance(result, list) or not result:
        return None
    blocks: list[dict[str, JsonValue]] = []
    for item in result:
        if not isinstance(item, dict) or item.get("type") not in _BLOCK_TYPES:
            return None
        blocks.append(item)
    if not any(b["type"] in _MEDIA_TYPES for b in blocks):
        return None
    return blocks


def _size(data: JsonValue) -> int | None:
    if not isinstance(data, str):
        return None
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return None


TEXT_ONLY = "this API takes text-only tool results"
"""Why the media was not sent, for a protocol whose tool results are text only."""


def block_without_data(block: dict[str, JsonValue], why: str = TEXT_ONLY) -> dict[str, JsonValue]:
    """``block`` with a media block's ``data`` replaced by a note of its media type and size
    (bytes) and ``why`` it was not sent; any other block unchanged."""
    if block["type"] not in _MEDIA_TYPES or "data" not in block:
        return block
    kind = block.get("media_type") or block["type"]
    return {**block, "data": f"<{kind}, {_size(block['data'])} bytes: not sent, {why}>"}


def without_media_data(blocks: Sequence[dict[str, JsonValue]], why: str = TEXT_ONLY) -> str:
    """The blocks as JSON text, each media block's ``data`` replaced by a note with its size
    (bytes), for a protocol whose tool results are text only."""
    return json.dumps([block_without_data(b, why) for b in blocks], ensure_ascii=False)


def dropped_media_warning(protocol: str, what: str = "images and audio") -> CallWarning:
    """The warning for a request whose tool results lost media ``data`` (once per request)."""
    return CallWarning(
        "other",
        "messages",
        f"{what} in tool results cannot be sent with the {protocol} protocol; their data was "
        "left out (the model sees each one's media type and size)",
    )


T = TypeVar("T")


def media_items(
    blocks: Sequence[dict[str, JsonValue]],
    *,
    text: Callable[[str], T],
    image: Callable[[str, str], T],
    why: str,
    warning: CallWarning,
    warnings: list[CallWarning],
) -> list[T]:
    """``blocks`` in the form of a protocol whose tool results take text and images: a text
    block as ``text(its text)``, a JPEG, PNG, GIF or WebP image as ``image(media_type, base64
    data)``, any other block (audio, other images, resources) as ``text`` of its JSON with the
    media data left out (:func:`block_without_data` with ``why``; ``warning`` is added to
    ``warnings`` once when data was left out)."""
    items: list[T] = []
    for block in blocks:
        data, media_type = block.get("data"), block.get("media_type")
        if block["type"] == "text" and isinstance(block.get("text"), str):
            items.append(text(str(block["text"])))
        elif block["type"] == "image" and isinstance(data, str) and media_type in IMAGE_TYPES:
            items.append(image(str(media_type), data))
        else:
            items.append(text(json.dumps(block_without_data(block, why), ensure_ascii=False)))
            if "data" in block and block["type"] in _MEDIA_TYPES and warning not in warnings:
                warnings.append(warning)
    return items
