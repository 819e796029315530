"""A ``CallToolResult`` of the MCP SDK as the JSON value of a tool result.

The mapping (MCP specification, "Server features → Tools → Tool result"):

- ``structuredContent`` (when the result has no image, audio or resource content) → that JSON
  value as it is (MCP servers also send it as JSON text in a text block, for older clients);
- only text blocks → their text (blocks joined with a newline);
- any other mix → a list of content blocks, each a JSON object that keeps the data:

  - text → ``{"type": "text", "text": ...}``
  - image → ``{"type": "image", "media_type": "image/png", "data": <base64>}``
  - audio → ``{"type": "audio", "media_type": "audio/wav", "data": <base64>}``
  - embedded resource → ``{"type": "resource", "uri": ..., "media_type": ..., "text": ...}``
    (a binary resource has ``"data": <base64>`` instead of ``"text"``)
  - resource link → ``{"type": "resource_link", "uri": ..., "name": ..., "description": ...,
    "media_type": ...}`` (the keys whose value is known)

The ``media_type`` key and the base64 ``data`` follow llmkit's own image content part
(:class:`~llmkit.types.messages.ImagePart`), so a protocol can send a tool's image to the model
as an image where its API accepts images in tool results.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue

__all__ = ["content_to_json", "result_text", "result_to_json"]


def _block(block: object) -> dict[str, JsonValue]:
    kind = getattr(block, "type", None)
    if kind == "text":
        return {"type": "text", "text": str(getattr(block, "text", ""))}
    if kind in ("image", "audio"):
        return {
            "type": str(kind),
            "media_type": str(getattr(block, "mime_type", "")),
            "data": str(getattr(block, "data", "")),
        }
    if kind == "resource":
        resource = getattr(block, "resource", None)
        out: dict[str, JsonValue] = {"type": "resource", "uri": str(getattr(resource, "uri", ""))}
        media_type = getattr(resource, "mime_type", None)
        if media_type is not None:
            out["media_type"] = str(media_type)
        text = getattr(resource, "text", None)
        if text is not None:
            out["text"] = str(text)
        else:
            out["data"] = str(getattr(resource, "blob", ""))
        return out
    if kind == "resource_link":
        uri = str(getattr(block, "uri", ""))
        link: dict[str, JsonValue] = {"type": "resource_link", "uri": uri}
        for field, key in (("name", "name"), ("description", "description")):
            value = getattr(block, field, None)
            if value is not None:
                link[key] = str(value)
        media_type = getattr(block, "mime_type", None)
        if media_type is not None:
            link["media_type"] = str(media_type)
        return link
    # a content type newer than this mapping: keep what the SDK parsed
    dump = getattr(block, "model_dump", None)
    value = dump(mode="json", by_alias=True, exclude_none=True) if callable(dump) else str(block)
    return value if isinstance(value, dict) else {"type": str(kind), "value": str(value)}


def content_to_json(content: Sequence[object]) -> list[dict[str, JsonValue]]:
    """MCP content blocks as JSON objects (see the module docstring for their shape)."""
    return [_block(block) for block in content]


def result_text(content: Sequence[object]) -> str:
    """The text blocks of ``content`` joined with a newline (the text of an error result)."""
    return "\n".join(
        str(getattr(block, "text", "")) for block in content if getattr(block, "type", "") == "text"
    )


def result_to_json(content: Sequence[object], structured: object = None) -> JsonValue:
    """The JSON value of a successful tool result.

    Args:
        content: the result's ``content`` blocks (SDK objects).
        structured: the result's ``structuredContent`` (a JSON value), or None.

    Returns:
        The structured content, a string, or a list of content-block objects (module docstring).
    """
    blocks = content_to_json(content)
    only_text = all(block["type"] == "text" for block in blocks)
    if structured is not None and only_text:
        return structured  # type: ignore[return-value]  # a JSON value, parsed by the SDK
    if only_text:
        return "\n".join(str(block["text"]) for block in blocks)
    return list(blocks)
