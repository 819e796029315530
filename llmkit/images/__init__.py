"""Image generation: ``generate_image`` over OpenAI images, compatible vendors and Gemini.

Not imported by ``import llmkit``. Use::

    from llmkit.images import generate_image, generate_image_sync

Protocols are sans-IO (:class:`ImageProtocol`) and registered by name like chat protocols
(:func:`register_image_protocol`, :func:`get_image_protocol`): ``openai-images``
(``POST /images/generations``) and ``gemini-images`` (``generateContent`` with image output).
"""

from __future__ import annotations

from llmkit.images._api import (
    GeneratedImage,
    GenerateImageResult,
    ImageResponse,
    generate_image,
    generate_image_sync,
)
from llmkit.images.base import ImageOptions, ImageProtocol, ParsedImage, ParsedImages
from llmkit.images.registry import (
    default_image_model,
    get_image_protocol,
    image_protocol_for,
    image_protocol_names,
    register_image_protocol,
)

__all__ = [
    "GenerateImageResult",
    "GeneratedImage",
    "ImageOptions",
    "ImageProtocol",
    "ImageResponse",
    "ParsedImage",
    "ParsedImages",
    "default_image_model",
    "generate_image",
    "generate_image_sync",
    "get_image_protocol",
    "image_protocol_for",
    "image_protocol_names",
    "register_image_protocol",
]
