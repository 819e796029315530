"""OpenAI image generation (``openai-images``): ``POST {base_url}/images/generations``.

Sources: OpenAI API reference, "Images" → "Create image" (request fields ``model``, ``prompt``,
``n``, ``size``, ``quality``, ``background``, ``output_format``, ``output_compression``,
``moderation``, ``response_format``, ``style``, ``user``) and "The image generation response"
(``created``, ``data[]`` with ``b64_json`` / ``url`` / ``revised_prompt``, and for the
``gpt-image-1`` family ``background``, ``output_format``, ``quality``, ``size`` and ``usage``
with ``input_tokens``, ``output_tokens``, ``total_tokens``, ``input_tokens_details``);
OpenAI "Image generation" guide (gpt-image-1 always answers base64). The same endpoint is served
by OpenAI-compatible vendors: xAI "Image generation" (``/v1/images/generations``; answers
``data[].url`` or ``b64_json`` with ``mime_type``, usage ``{"cost_in_usd_ticks"}``, no
``created``), Together "Create image".

What each model family takes (:data:`FAMILIES`, by model id prefix):

===============  ======  ==========================================================  ==========
family           n/call  settings sent                                               answer
===============  ======  ==========================================================  ==========
``dall-e-2``     10      size, response_format, user                                 url / b64
``dall-e-3``     1       size, quality (standard/hd), response_format, user          url / b64
``gpt-image``    10      size, quality, background, output_format, user              b64 only
other models     10      everything given (the server decides), seed included        as sent
===============  ======  ==========================================================  ==========

A setting a known family does not take is not sent and is reported as an ``unsupported_setting``
warning (OpenAI's image API has no seed; ``response_format`` is refused by gpt-image models).
``provider_options`` (``style``, ``moderation``, ``output_compression``...) are merged last.

Media type of an image: the item's ``mime_type`` (xAI), else the body's ``output_format``, else
the decoded bytes' magic number, else a URL's file suffix; None when nothing tells.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from llmkit.errors import InvalidResponseError
from llmkit.images._common import (
    FORMAT_MEDIA_TYPES,
    decode_b64,
    load_object,
    media_type_of_url,
    sniff,
)
from llmkit.images.base import ImageOptions, ImageProtocol, ParsedImage, ParsedImages, unsupported
from llmkit.protocols.base import BuiltRequest, merge_provider_options
from llmkit.types.usage import Usage

if TYPE_CHECKING:
    from llmkit.providers.config import ProviderConfig
    from llmkit.types.warnings import CallWarning

__all__ = ["FAMILIES", "Family", "OpenAIImagesProtocol", "convert_usage", "family_of"]


class Family(NamedTuple):
    """What a model family accepts: images per request and the settings it honours."""

    max_n: int
    settings: frozenset[str]
    why: str = ""


_ALL = frozenset(
    {"size", "quality", "background", "output_format", "response_format", "seed", "user"}
)

FAMILIES: dict[str, Family] = {
    "dall-e-2": Family(10, frozenset({"size", "response_format", "user"})),
    "dall-e-3": Family(1, frozenset({"size", "quality", "response_format", "user"})),
    "gpt-image": Family(
        10,
        frozenset({"size", "quality", "background", "output_format", "user"}),
        "gpt-image models always answer base64 (b64_json)",
    ),
}
"""Known OpenAI model families by id prefix (OpenAI API reference, "Create image")."""

_OTHER = Family(10, _ALL)


def family_of(model_id: str) -> Family | None:
    """The known family of ``model_id`` (longest matching prefix), or None (any other model:
    every setting is sent as given)."""
    matches = [prefix for prefix in FAMILIES if model_id.startswith(prefix)]
    return FAMILIES[max(matches, key=len)] if matches else None


def convert_usage(raw: object) -> Usage:
    """``usage`` of an images response → :class:`~llmkit.types.usage.Usage`.

    gpt-image-1: ``input_tokens`` (text + image input), ``output_tokens`` (image tokens
    included), ``total_tokens``; details stay in ``raw``. A usage without token counts (xAI's
    ``{"cost_in_usd_ticks": N}``) keeps only ``raw``. No usage: an empty ``Usage``.
    """
    if not isinstance(raw, Mapping):
        return Usage()

    def count(key: str) -> int | None:
        value = raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return Usage(
        input_tokens=count("input_tokens"),
        output_tokens=count("output_tokens"),
        total_tokens=count("total_tokens"),
        raw=dict(raw),
    )


class OpenAIImagesProtocol(ImageProtocol):
    """``POST /images/generations`` (OpenAI and compatible vendors)."""

    name = "openai-images"

    def max_images_per_call(self, model_id: str) -> int:
        """dall-e-3: 1; other models: 10 (OpenAI API reference, "Create image" → ``n``)."""
        return (family_of(model_id) or _OTHER).max_n

    def build_request(
        self, options: ImageOptions, provider: ProviderConfig, model_id: str
    ) -> BuiltRequest:
        """The ``/images/generations`` request; settings the model family does not take are
        left out with a warning."""
        family = family_of(model_id)
        accepted = family.settings if family is not None else _ALL
        why = family.why if family is not None else ""
        body: dict[str, object] = {"model": model_id, "prompt": options.prompt}
        if options.n != 1:
            body["n"] = options.n
        warnings: list[CallWarning] = []
        values: dict[str, object | None] = {
            "size": options.size,
            "quality": options.quality,
            "background": options.background,
            "output_format": options.output_format,
            "response_format": options.response_format,
            "seed": options.seed,
            "user": options.user,
        }
        for key, value in values.items():
            if value is None:
                continue
            if key in accepted:
                body[key] = value
            else:
                reason = why if key == "response_format" else ""
                warnings.append(unsupported(key, model_id, reason))
        merge_provider_options(body, options.provider_options)
        headers = {"content-type": "application/json", **provider.headers, **options.headers}
        return BuiltRequest(
            url=f"{provider.base_url}/images/generations",
            headers=headers,
            body=body,
            stream=False,
            warnings=tuple(warnings),
        )

    def parse_response(self, body: bytes, provider: ProviderConfig, model_id: str) -> ParsedImages:
        """Read ``{"created", "data": [{"b64_json" | "url", "revised_prompt"?, "mime_type"?}],
        "output_format"?, "usage"?}``.

        Raises:
            InvalidResponseError: not a JSON object, no ``data`` list, an item with neither
                ``b64_json`` nor ``url``, or invalid base64.
        """
        obj = load_object(body, "images")
        data = obj.get("data")
        if not isinstance(data, list):
            raise InvalidResponseError("the images response has no 'data' list")
        body_format = obj.get("output_format")
        fallback = FORMAT_MEDIA_TYPES.get(body_format) if isinstance(body_format, str) else None
        images = tuple(self._image(item, index, fallback) for index, item in enumerate(data))
        created = obj.get("created")
        model = obj.get("model")
        return ParsedImages(
            images=images,
            usage=convert_usage(obj.get("usage")),
            created=created if isinstance(created, int) else None,
            model=model if isinstance(model, str) else None,
            body=obj,
        )

    @staticmethod
    def _image(item: Any, index: int, fallback: str | None) -> ParsedImage:
        if not isinstance(item, Mapping):
            raise InvalidResponseError(f"images response data[{index}] is not an object")
        revised = item.get("revised_prompt")
        revised = revised if isinstance(revised, str) else None
        declared = item.get("mime_type")
        declared = declared if isinstance(declared, str) and declared else None
        b64 = item.get("b64_json")
        url = item.get("url")
        if b64 is not None:
            data = decode_b64(b64, f"images response data[{index}].b64_json")
            media = declared or fallback or sniff(data)
            return ParsedImage(data, media, url if isinstance(url, str) else None, revised)
        if isinstance(url, str) and url:
            return ParsedImage(None, declared or fallback or media_type_of_url(url), url, revised)
        raise InvalidResponseError(
            f"images response data[{index}] has neither 'b64_json' nor 'url'"
        )
