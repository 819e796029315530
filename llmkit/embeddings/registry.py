"""The embedding protocol table, mirroring :mod:`llmkit.protocols.registry`.

A built-in embedding protocol is one line in :data:`BUILTIN` (module and class, imported on first
use). A protocol written anywhere else is added at run time with
:func:`register_embedding_protocol`; a provider then names it in
``ProviderConfig(kind_protocols={"embedding": <name>})``.

Which protocol a provider's embeddings use: ``provider.kind_protocols["embedding"]``, else the
default of its chat protocol (:data:`DEFAULT_FOR_CHAT`). Which model a bare ``"provider"`` means:
``provider.default_models["embedding"]``, else :data:`DEFAULT_MODELS` (built-in providers).
"""

from __future__ import annotations

import importlib
import re
import threading
from typing import TYPE_CHECKING, NamedTuple

from llmkit.errors import ConfigurationError

if TYPE_CHECKING:
    from llmkit.embeddings.base import EmbeddingProtocol
    from llmkit.providers.config import ProviderConfig

__all__ = [
    "BUILTIN",
    "DEFAULT_FOR_CHAT",
    "DEFAULT_MODELS",
    "default_embedding_model",
    "embedding_protocol_for",
    "embedding_protocol_names",
    "get_embedding_protocol",
    "register_embedding_protocol",
]


class _Builtin(NamedTuple):
    module: str
    cls: str


BUILTIN: dict[str, _Builtin] = {
    "openai-embeddings": _Builtin("llmkit.embeddings.openai", "OpenAIEmbeddingsProtocol"),
    "gemini-embeddings": _Builtin("llmkit.embeddings.gemini", "GeminiEmbeddingsProtocol"),
    "ollama-embeddings": _Builtin("llmkit.embeddings.ollama", "OllamaEmbeddingsProtocol"),
}
"""The built-in embedding protocols: name → (module, class). One line per protocol."""

DEFAULT_FOR_CHAT: dict[str, str] = {
    "openai-chat": "openai-embeddings",
    "openai-responses": "openai-embeddings",
    "google-generative": "gemini-embeddings",
}
"""A provider's embedding protocol when ``kind_protocols`` names none, by chat protocol."""

DEFAULT_MODELS: dict[str, str] = {
    "openai": "text-embedding-3-small",
    "openai-responses": "text-embedding-3-small",
    "google": "gemini-embedding-001",
    "gemini-openai": "gemini-embedding-001",
    "mistral": "mistral-embed",
    "openrouter": "openai/text-embedding-3-small",
    "ollama": "nomic-embed-text",
}
"""Built-in providers' default embedding models (a provider's own
``default_models["embedding"]`` wins), from each vendor's embeddings documentation."""

_instances: dict[str, EmbeddingProtocol] = {}
_lock = threading.Lock()


def register_embedding_protocol(
    protocol: EmbeddingProtocol | type[EmbeddingProtocol],
) -> EmbeddingProtocol:
    """Make an embedding protocol usable by name in ``kind_protocols={"embedding": name}``.

    Args:
        protocol: an :class:`~llmkit.embeddings.EmbeddingProtocol` subclass or instance;
            registering a name again replaces the earlier protocol (a built-in one included).

    Returns:
        The registered (shared, stateless) instance.

    Raises:
        ConfigurationError: not an ``EmbeddingProtocol``, or its ``name`` is missing or not
            ``[a-z0-9][a-z0-9._-]*``, or its ``max_batch_size`` is not a positive int.
    """
    from llmkit.embeddings.base import EmbeddingProtocol

    instance = protocol() if isinstance(protocol, type) else protocol
    if not isinstance(instance, EmbeddingProtocol):
        raise ConfigurationError(
            "register_embedding_protocol() takes a llmkit.embeddings.EmbeddingProtocol "
            f"subclass or instance, not {type(instance).__name__}"
        )
    name = getattr(instance, "name", None)
    if not isinstance(name, str) or re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) is None:
        raise ConfigurationError(
            f"{type(instance).__name__}.name must be a protocol name such as 'my-embeddings' "
            f"([a-z0-9][a-z0-9._-]*), not {name!r}"
        )
    size = getattr(instance, "max_batch_size", None)
    if not isinstance(size, int) or size < 1:
        raise ConfigurationError(
            f"{type(instance).__name__}.max_batch_size must be a positive int, not {size!r}"
        )
    with _lock:
        _instances[name] = instance
    return instance


def get_embedding_protocol(name: str) -> EmbeddingProtocol:
    """The shared instance of the embedding protocol ``name`` (a built-in is imported on first
    use).

    Raises:
        ConfigurationError: no embedding protocol has that name; the message lists the known
            ones.
    """
    instance = _instances.get(name)
    if instance is not None:
        return instance
    builtin = BUILTIN.get(name)
    if builtin is None:
        raise ConfigurationError(
            f"unknown embedding protocol {name!r}; known: {', '.join(embedding_protocol_names())}."
            " Register your own with llmkit.embeddings.register_embedding_protocol(...)"
        )
    cls = getattr(importlib.import_module(builtin.module), builtin.cls)
    with _lock:
        return _instances.setdefault(name, cls())


def embedding_protocol_names() -> list[str]:
    """Every usable embedding protocol name (built-in and registered), sorted."""
    return sorted({*BUILTIN, *_instances})


def embedding_protocol_for(provider: ProviderConfig) -> EmbeddingProtocol:
    """The embedding protocol of ``provider``: ``kind_protocols["embedding"]``, else
    :data:`DEFAULT_FOR_CHAT` of its chat protocol.

    Raises:
        ConfigurationError: the provider names none and its chat protocol has no default.
    """
    name = provider.kind_protocols.get("embedding") or DEFAULT_FOR_CHAT.get(provider.protocol)
    if name is None:
        raise ConfigurationError(
            f"provider {provider.id!r} (protocol {provider.protocol!r}) has no embeddings "
            "endpoint known to llmkit; give it one with "
            "ProviderConfig(kind_protocols={'embedding': 'openai-embeddings'}) or another of "
            f"{', '.join(embedding_protocol_names())}"
        )
    return get_embedding_protocol(name)


def default_embedding_model(provider: ProviderConfig) -> str:
    """The embedding model a bare ``"provider"`` means: ``default_models["embedding"]``, else
    :data:`DEFAULT_MODELS`.

    Raises:
        ConfigurationError: neither names one; the message says how to write the model.
    """
    model = provider.default_models.get("embedding") or DEFAULT_MODELS.get(provider.id)
    if model is None:
        raise ConfigurationError(
            f"provider {provider.id!r} has no default embedding model; write it as "
            f"'{provider.id}:<embedding model id>'"
        )
    return model
