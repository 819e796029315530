"""Tool results that carry media: a list of content blocks, as MCP tools return them
(:mod:`llmkit.mcp._results`): ``{"type": "text", "text": ...}``, ``{"type": "image",
"media_type": "image/png", "data": <base64>}``, ``{"type": "audio", ...}``, resources.

A protocol whose tool results take images sends them as images (Anthropic Messages: a
``tool_result``'s ``content`` may hold ``text`` and ``image`` blocks, API reference "Messages",
``tool_result`` content); one whose tool results are text only (OpenAI Chat Completions: a
``tool`` message's ``content`` is text) gets the blocks as JSON with each media ``data`` left
out, and a warning, rather than base64 read as text (about one token per 3-4 characters).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from pydantic import JsonValue

__all__ = ["IMAGE_TYPES", "media_blocks", "without_media_data"]

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


def without_media_data(blocks: Sequence[dict[str, JsonValue]]) -> str:
    """The blocks as JSON text, each media block's ``data`` replaced by a note with its size
    (bytes), for a protocol whose tool results are text only."""
    out: list[dict[str, JsonValue]] = []
    for block in blocks:
        if block["type"] in _MEDIA_TYPES and "data" in block:
            size = _size(block["data"])
            kind = block.get("media_type") or block["type"]
            note = f"<{kind}, {size} bytes: not sent, this API takes text-only tool results>"
            block = {**block, "data": note}
        out.append(block)
    return json.dumps(out, ensure_ascii=False)
