"""The image protocol table, mirroring :mod:`llmkit.protocols.registry` for chat.

A built-in image protocol is one line in :data:`BUILTIN` (module and class, imported on first
use). One written anywhere else is added at run time with :func:`register_image_protocol`; a
provider then uses it through ``ProviderConfig(kind_protocols={"image": "<its name>"})``.

Which protocol and default model a provider uses for images is data:

- protocol: ``provider.kind_protocols["image"]``, else :data:`BY_CHAT_PROTOCOL` for the
  provider's chat ``protocol`` (``openai-chat`` → ``openai-images``);
- default model (for a model string naming only the provider, ``"openai"``):
  ``provider.default_models["image"]``, else :data:`DEFAULT_IMAGE_MODELS` for a built-in
  provider id.
"""

from __future__ import annotations

import importlib
import re
import threading
from typing import TYPE_CHECKING, NamedTuple

from llmkit.errors import ConfigurationError

if TYPE_CHECKING:
    from llmkit.images.base import ImageProtocol
    from llmkit.providers.config import ProviderConfig

__all__ = [
    "BUILTIN",
    "BY_CHAT_PROTOCOL",
    "DEFAULT_IMAGE_MODELS",
    "default_image_model",
    "get_image_protocol",
    "image_protocol_for",
    "image_protocol_names",
    "register_image_protocol",
]


class _Builtin(NamedTuple):
    module: str
    cls: str


BUILTIN: dict[str, _Builtin] = {
    "openai-images": _Builtin("llmkit.images.openai_images", "OpenAIImagesProtocol"),
    "gemini-images": _Builtin("llmkit.images.gemini_images", "GeminiImagesProtocol"),
}
"""The built-in image protocols: name → (module, class). One line per protocol."""

BY_CHAT_PROTOCOL: dict[str, str] = {
    "openai-chat": "openai-images",
    "openai-responses": "openai-images",
    "google-generative": "gemini-images",
}
"""The image protocol of a provider that names none, by its chat protocol. Anthropic has no
image-generation endpoint, so ``anthropic-messages`` has no entry."""

DEFAULT_IMAGE_MODELS: dict[str, str] = {
    "openai": "gpt-image-1",
    "openai-responses": "gpt-image-1",
    "xai": "grok-imagine-image",
    "together": "black-forest-labs/FLUX.1-schnell",
    "google": "gemini-2.5-flash-image",
}
"""Default image model of built-in providers, by provider id (OpenAI "Images" guide; xAI
"Image generation"; Together "Images" API; Gemini API "Image generation (Nano Banana)").
A provider's own ``default_models["image"]`` wins."""

_instances: dict[str, ImageProtocol] = {}
_lock = threading.Lock()


def _valid_name(name: str) -> bool:
    return re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) is not None


def register_image_protocol(protocol: ImageProtocol | type[ImageProtocol]) -> ImageProtocol:
    """Make an image protocol usable by name in ``ProviderConfig(kind_protocols={"image": ...})``.

    Args:
        protocol: an :class:`~llmkit.images.ImageProtocol` subclass or instance; its ``name``
            is the registry name. Registering a name again replaces the earlier protocol (a
            built-in one included).

    Returns:
        The registered (shared, stateless) instance.

    Raises:
        ConfigurationError: not an ``ImageProtocol``, or ``name`` missing or not
            ``[a-z0-9][a-z0-9._-]*``.
    """
    from llmkit.images.base import ImageProtocol

    instance = protocol() if isinstance(protocol, type) else protocol
    if not isinstance(instance, ImageProtocol):
        raise ConfigurationError(
            f"register_image_protocol() takes a llmkit.images.ImageProtocol subclass or "
            f"instance, not {type(instance).__name__}"
        )
    name = getattr(instance, "name", None)
    if not isinstance(name, str) or not _valid_name(name):
        raise ConfigurationError(
            f"{type(instance).__name__}.name must be a protocol name such as 'my-images' "
            f"([a-z0-9][a-z0-9._-]*), not {name!r}"
        )
    with _lock:
        _instances[name] = instance
    return instance


def get_image_protocol(name: str) -> ImageProtocol:
    """The shared instance of the image protocol ``name`` (a built-in is imported on first use).

    Raises:
        ConfigurationError: no image protocol has that name; the message lists the known ones.
    """
    instance = _instances.get(name)
    if instance is not None:
        return instance
    builtin = BUILTIN.get(name)
    if builtin is None:
        raise ConfigurationError(
            f"unknown image protocol {name!r}; known image protocols: "
            f"{', '.join(image_protocol_names())}. Register your own with "
            "llmkit.images.register_image_protocol(MyProtocol) before using it."
        )
    cls = getattr(importlib.import_module(builtin.module), builtin.cls)
    with _lock:
        return _instances.setdefault(name, cls())


def image_protocol_names() -> list[str]:
    """Every usable image protocol name (built-in and registered), sorted."""
    return sorted({*BUILTIN, *_instances})


def image_protocol_for(provider: ProviderConfig) -> ImageProtocol:
    """The image protocol of ``provider``: ``kind_protocols["image"]``, else the default for
    its chat protocol (:data:`BY_CHAT_PROTOCOL`).

    Raises:
        ConfigurationError: the provider has no image protocol (e.g. Anthropic), or names an
            unknown one.
    """
    name = provider.kind_protocols.get("image") or BY_CHAT_PROTOCOL.get(provider.protocol)
    if name is None:
        raise ConfigurationError(
            f"provider {provider.id!r} (protocol {provider.protocol!r}) has no image "
            f"generation protocol; set kind_protocols={{'image': ...}} in its config "
            f"(known: {', '.join(image_protocol_names())})"
        )
    return get_image_protocol(name)


def default_image_model(provider: ProviderConfig) -> str | None:
    """The provider's default image model: ``default_models["image"]``, else
    :data:`DEFAULT_IMAGE_MODELS` for its id, else None."""
    return provider.default_models.get("image") or DEFAULT_IMAGE_MODELS.get(provider.id)
