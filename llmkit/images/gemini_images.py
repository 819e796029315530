"""Gemini native image output (``gemini-images``): ``generateContent`` answering images.

Sources: Gemini API reference, "Generating content" (``POST {base_url}/models/{model}:
generateContent``; ``GenerationConfig.responseModalities``, ``seed``, ``imageConfig``
with ``aspectRatio`` and ``imageSize``; a response ``Part`` with ``inlineData {mimeType, data}``
holding base64 bytes; ``UsageMetadata``), and the Gemini API guide "Image generation" (Nano
Banana: ``gemini-2.5-flash-image``, ``gemini-3-pro-image-preview``; one image per candidate,
text parts alongside; aspect ratios ``1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9``; sizes
``1K 2K 4K`` on Gemini 3).

Request: one user turn with the prompt, ``generationConfig.responseModalities: ["TEXT",
"IMAGE"]``. ``size`` is sent as ``imageConfig.aspectRatio`` when it is a ratio (``"16:9"``) or
``"<w>x<h>"`` pixels reducing to a listed ratio (``"1024x1024"`` → ``"1:1"``), as
``imageConfig.imageSize`` when it is ``1K``/``2K``/``4K``; ``seed`` → ``generationConfig.seed``.
``quality``, ``background``, ``output_format``, ``response_format`` and ``user`` have no
equivalent: they are not sent and come back as warnings. One image per request (``n`` > 1 is
sent as that many requests).

Response: every ``inlineData`` part of candidate 0 whose ``mimeType`` is an image becomes an
image (bytes decoded); the non-thought text parts, joined, are each image's ``revised_prompt``
(the model's accompanying text). A response with no image (``promptFeedback.blockReason``, a
``finishReason`` such as ``IMAGE_SAFETY``) gives no images and a warning saying why.
Authentication and error bodies are the ``google-generative`` provider's (``x-goog-api-key``,
``google.rpc.Status``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmkit.errors import InvalidResponseError
from llmkit.images._common import decode_b64, load_object
from llmkit.images.base import ImageOptions, ImageProtocol, ParsedImage, ParsedImages, unsupported
from llmkit.protocols.base import BuiltRequest, merge_provider_options
from llmkit.protocols.google_generative import model_path
from llmkit.protocols.google_generative.convert_usage import convert_usage
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from llmkit.providers.config import ProviderConfig

__all__ = ["ASPECT_RATIOS", "IMAGE_SIZES", "GeminiImagesProtocol", "aspect_ratio"]

ASPECT_RATIOS = frozenset({"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"})
"""``imageConfig.aspectRatio`` values (Gemini API "Image generation")."""

IMAGE_SIZES = frozenset({"1K", "2K", "4K"})
"""``imageConfig.imageSize`` values (Gemini 3 image models)."""


def aspect_ratio(size: str) -> str | None:
    """``"16:9"`` as is, ``"1792x1024"``-style pixels reduced (``"7:4"``); None if neither."""
    for sep in (":", "x"):
        w, found, h = size.partition(sep)
        if found and w.isdigit() and h.isdigit() and int(w) and int(h):
            g = math.gcd(int(w), int(h))
            return f"{int(w) // g}:{int(h) // g}"
    return None


class GeminiImagesProtocol(ImageProtocol):
    """``generateContent`` with image output."""

    name = "gemini-images"

    def build_request(
        self, options: ImageOptions, provider: ProviderConfig, model_id: str
    ) -> BuiltRequest:
        """The ``:generateContent`` request for one image; unsendable settings → warnings."""
        warnings: list[CallWarning] = []
        config: dict[str, object] = {"responseModalities": ["TEXT", "IMAGE"]}
        image_config: dict[str, object] = {}
        if options.size is not None:
            ratio = aspect_ratio(options.size)
            if options.size in IMAGE_SIZES:
                image_config["imageSize"] = options.size
            elif ratio in ASPECT_RATIOS:
                image_config["aspectRatio"] = ratio
                if ratio != options.size:
                    warnings.append(
                        CallWarning(
                            "changed_setting",
                            "size",
                            f"size {options.size!r} sent as aspectRatio {ratio!r} (Gemini "
                            "chooses the pixel size)",
                        )
                    )
            else:
                why = f"use an aspect ratio ({', '.join(sorted(ASPECT_RATIOS))}) or 1K/2K/4K"
                warnings.append(unsupported("size", model_id, f"{options.size!r}; {why}"))
        if image_config:
            config["imageConfig"] = image_config
        if options.seed is not None:
            config["seed"] = options.seed
        for key in ("quality", "background", "output_format", "response_format", "user"):
            if getattr(options, key) is not None:
                warnings.append(unsupported(key, model_id, "Gemini has no such setting"))
        body: dict[str, object] = {
            "contents": [{"role": "user", "parts": [{"text": options.prompt}]}],
            "generationConfig": config,
        }
        merge_provider_options(body, options.provider_options)
        headers = {"content-type": "application/json", **provider.headers, **options.headers}
        return BuiltRequest(
            url=f"{provider.base_url}/{model_path(model_id)}:generateContent",
            headers=headers,
            body=body,
            stream=False,
            warnings=tuple(warnings),
        )

    def parse_response(self, body: bytes, provider: ProviderConfig, model_id: str) -> ParsedImages:
        """Read a ``GenerateContentResponse``: images from ``inlineData`` parts, the text parts
        as their accompanying text, ``usageMetadata`` as usage.

        Raises:
            InvalidResponseError: not a JSON object, a malformed part, or invalid base64.
        """
        obj = load_object(body, "generateContent")
        candidates = obj.get("candidates")
        first: Mapping[str, Any] = {}
        if isinstance(candidates, list) and candidates:
            if not isinstance(candidates[0], Mapping):
                raise InvalidResponseError("generateContent candidates[0] is not an object")
            first = candidates[0]
        content = first.get("content")
        parts = content.get("parts") if isinstance(content, Mapping) else None
        texts: list[str] = []
        found: list[tuple[bytes, str]] = []
        for index, part in enumerate(parts if isinstance(parts, list) else []):
            if not isinstance(part, Mapping):
                raise InvalidResponseError(f"generateContent part {index} is not an object")
            inline = part.get("inlineData")
            if isinstance(inline, Mapping):
                mime = inline.get("mimeType")
                if isinstance(mime, str) and mime.startswith("image/"):
                    data = decode_b64(inline.get("data"), f"part {index} inlineData.data")
                    found.append((data, mime))
            elif isinstance(part.get("text"), str) and not part.get("thought"):
                texts.append(part["text"])
        text = "".join(texts) or None
        warnings: tuple[CallWarning, ...] = ()
        if not found:
            feedback = obj.get("promptFeedback")
            block = feedback.get("blockReason") if isinstance(feedback, Mapping) else None
            reason = block or first.get("finishReason") or "no image part"
            warnings = (CallWarning("other", None, f"{model_id} returned no image ({reason})"),)
        usage_raw = obj.get("usageMetadata")
        usage = convert_usage(usage_raw) if isinstance(usage_raw, Mapping) else Usage()
        version = obj.get("modelVersion")
        return ParsedImages(
            images=tuple(ParsedImage(data, mime, None, text) for data, mime in found),
            usage=usage,
            warnings=warnings,
            model=version if isinstance(version, str) else None,
            body=obj,
        )
