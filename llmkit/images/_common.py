"""Helpers the image protocols share: base64 decoding, media types, JSON bodies."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from llmkit.errors import InvalidResponseError
from llmkit.protocols._common import loads

__all__ = ["FORMAT_MEDIA_TYPES", "decode_b64", "load_object", "media_type_of_url", "sniff"]

FORMAT_MEDIA_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
}
"""``output_format`` values (and file suffixes) → media type."""


def sniff(data: bytes) -> str | None:
    """The media type from an image's magic bytes (PNG, JPEG, WebP, GIF), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return None


def media_type_of_url(url: str) -> str | None:
    """The media type a URL's path suffix names (``…/img-1.png?sig=…`` → ``image/png``)."""
    path = urlsplit(url).path
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return FORMAT_MEDIA_TYPES.get(suffix)


def decode_b64(value: object, what: str) -> bytes:
    """Decode a standard base64 string (RFC 4648 §4), strictly.

    Raises:
        InvalidResponseError: not a string, or not valid base64.
    """
    if not isinstance(value, str):
        raise InvalidResponseError(f"{what} is not a base64 string ({type(value).__name__})")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidResponseError(f"{what} is not valid base64: {exc}") from None


def load_object(body: bytes, what: str) -> Mapping[str, Any]:
    """Parse a JSON object body.

    Raises:
        InvalidResponseError: not JSON, or not an object.
    """
    data = loads(body, f"the {what} response is not JSON", "check the provider's base_url")
    if not isinstance(data, dict):
        raise InvalidResponseError(f"the {what} response is not a JSON object")
    return data
