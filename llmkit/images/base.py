"""The sans-IO image protocol interface: request building and response parsing, no I/O.

An image protocol turns :class:`ImageOptions` into one :class:`~llmkit.protocols.base.BuiltRequest`
and a 2xx response body into :class:`ParsedImages`. Sending, credentials, retries, fallbacks,
rate limits and time limits are the driver's (:func:`llmkit._driver.send_request`); error bodies
(non-2xx) are read by the provider's chat protocol's ``parse_error``, since each vendor answers
its image endpoint with the same error shape as its chat endpoint.

Write your own by subclassing :class:`ImageProtocol` and registering it with
:func:`llmkit.images.register_image_protocol`; a provider then uses it through
``ProviderConfig(kind_protocols={"image": "<its name>"})``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from llmkit.protocols.base import BuiltRequest
    from llmkit.providers.config import ProviderConfig

__all__ = ["ImageOptions", "ImageProtocol", "ParsedImage", "ParsedImages", "unsupported"]


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """What one image request asks for (None: not set, the API's default applies).

    Attributes:
        prompt: the text description of the image(s).
        n: how many images this request asks for (the driver splits a larger ``n`` into
            requests of at most :attr:`ImageProtocol.max_images_per_call` for the model).
        size: ``"<width>x<height>"`` in pixels (``"1024x1024"``), or an aspect ratio
            ``"<w>:<h>"`` (``"16:9"``) for APIs that take one; ``"auto"`` where the API has it.
        quality: the API's quality level (``"standard"``/``"hd"`` for dall-e-3,
            ``"low"``/``"medium"``/``"high"``/``"auto"`` for gpt-image-1).
        background: ``"transparent"``, ``"opaque"`` or ``"auto"`` (gpt-image-1 family).
        output_format: ``"png"``, ``"jpeg"`` or ``"webp"``.
        response_format: ``"b64_json"`` (bytes in the body) or ``"url"`` (a link, fetched
            only on request) where the API lets the caller choose.
        seed: a seed for reproducible output, where the API takes one.
        user: an end-user id for the provider's abuse monitoring.
        headers: extra request headers.
        provider_options: extra body fields, merged into the request body last (objects key
            by key).
    """

    prompt: str
    n: int = 1
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    response_format: Literal["b64_json", "url"] | None = None
    seed: int | None = None
    user: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    provider_options: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedImage:
    """One image as the protocol read it: decoded bytes or a URL (one of the two is set).

    Attributes:
        data: the image bytes (base64 already decoded), or None for the URL form.
        media_type: ``image/png``, ``image/jpeg``, ``image/webp``... when known, else None.
        url: where the provider stored the image (often expiring), or None.
        revised_prompt: the prompt the model actually used (dall-e-3), or the text a Gemini
            model sent with the image; None when there is none.
    """

    data: bytes | None
    media_type: str | None
    url: str | None = None
    revised_prompt: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedImages:
    """A response's images, usage and metadata.

    Attributes:
        images: the images in response order.
        usage: token usage (``raw`` is the provider's usage object; all None when absent).
        warnings: things the response says were not honoured (e.g. a blocked prompt).
        created: the response's creation time (Unix seconds), if sent.
        model: the model id the provider reports, if sent.
        body: the parsed JSON response.
    """

    images: tuple[ParsedImage, ...]
    usage: Usage = field(default_factory=Usage)
    warnings: tuple[CallWarning, ...] = ()
    created: int | None = None
    model: str | None = None
    body: Mapping[str, object] = field(default_factory=dict)


def unsupported(setting: str, model_id: str, why: str = "") -> CallWarning:
    """The warning for a setting the model cannot honour (it is not sent)."""
    detail = f": {why}" if why else ""
    return CallWarning(
        "unsupported_setting", setting, f"{setting} is not supported by {model_id}{detail}; ignored"
    )


class ImageProtocol(abc.ABC):
    """An image-generation wire protocol (sans-IO).

    Class attributes:
        name: the registry name (``[a-z0-9][a-z0-9._-]*``), used in
            ``ProviderConfig.kind_protocols["image"]``.
    """

    name: ClassVar[str]

    def max_images_per_call(self, model_id: str) -> int:
        """How many images one request may ask for (larger ``n`` is split into several
        requests sent concurrently). Default 1."""
        return 1

    @abc.abstractmethod
    def build_request(
        self, options: ImageOptions, provider: ProviderConfig, model_id: str
    ) -> BuiltRequest:
        """The HTTP request for ``options`` (credentials are added by the auth layer);
        settings the model cannot honour are left out and listed in ``warnings``."""

    @abc.abstractmethod
    def parse_response(self, body: bytes, provider: ProviderConfig, model_id: str) -> ParsedImages:
        """Read a 2xx response body.

        Raises:
            InvalidResponseError: the body is not JSON or has an unusable shape (bad base64
                included).
        """
