"""The protocol table: the only place that knows protocol names.

A built-in protocol is one line in :data:`BUILTIN` (its module and class, imported on first use,
and its own auth scheme, read without importing it). A protocol written anywhere else, the
user's own included, is added at run time with :func:`register_protocol`; from then on any
``ProviderConfig(protocol=<its name>)`` uses it, through ``stream_text``, the tool loop,
``generate_object`` and ``MockModel``.
"""

from __future__ import annotations

import importlib
import re
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from llmkit.errors import ConfigurationError

if TYPE_CHECKING:
    from llmkit.protocols.base import Protocol

__all__ = ["BUILTIN", "default_auth", "get_protocol", "protocol_names", "register_protocol"]


class _Builtin(NamedTuple):
    module: str
    cls: str
    auth: str
    """The protocol's own auth scheme (a provider's default ``auth``); sources in the
    protocol's ``default_auth``."""


BUILTIN: dict[str, _Builtin] = {
    "openai-chat": _Builtin("llmkit.protocols.openai_chat", "OpenAIChatProtocol", "bearer"),
    "anthropic-messages": _Builtin(
        "llmkit.protocols.anthropic_messages", "AnthropicMessagesProtocol", "x-api-key"
    ),
    "openai-responses": _Builtin(
        "llmkit.protocols.openai_responses", "OpenAIResponsesProtocol", "bearer"
    ),
    "google-generative": _Builtin(
        "llmkit.protocols.google_generative", "GoogleGenerativeProtocol", "x-goog-api-key"
    ),
}
"""The built-in protocols: name → (module, class, auth scheme). One line per protocol."""

_instances: dict[str, Protocol[Any]] = {}
_lock = threading.Lock()


def register_protocol(protocol: Protocol[Any] | type[Protocol[Any]]) -> Protocol[Any]:
    """Make a protocol usable by name in any ``ProviderConfig(protocol=...)``.

    Args:
        protocol: a :class:`~llmkit.Protocol` subclass or instance; its ``name`` class attribute
            is the name providers use. Registering a name again replaces the earlier protocol
            (a built-in one included) for providers resolved from then on.

    Returns:
        The registered (shared, stateless) instance.

    Raises:
        ConfigurationError: ``protocol`` is not a :class:`~llmkit.Protocol`, or its ``name`` is
            missing or not ``[a-z0-9][a-z0-9._-]*``.
    """
    from llmkit.protocols.base import Protocol

    instance = protocol() if isinstance(protocol, type) else protocol
    if not isinstance(instance, Protocol):
        raise ConfigurationError(
            f"register_protocol() takes a llmkit.Protocol subclass or instance, not "
            f"{type(instance).__name__}"
        )
    name = getattr(instance, "name", None)
    if not isinstance(name, str) or not _valid_name(name):
        raise ConfigurationError(
            f"{type(instance).__name__}.name must be a protocol name such as 'my-protocol' "
            f"([a-z0-9][a-z0-9._-]*), not {name!r}"
        )
    with _lock:
        _instances[name] = instance
    return instance


def _valid_name(name: str) -> bool:
    return re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) is not None


def get_protocol(name: str) -> Protocol[Any]:
    """The shared instance of the protocol ``name`` (a built-in is imported on first use).

    Raises:
        ConfigurationError: no protocol has that name; the message lists the known ones.
    """
    instance = _instances.get(name)
    if instance is not None:
        return instance
    builtin = BUILTIN.get(name)
    if builtin is None:
        raise ConfigurationError(
            f"unknown protocol {name!r}; known protocols: {', '.join(protocol_names())}. "
            "Register your own with llmkit.register_protocol(MyProtocol) before using it."
        )
    cls = getattr(importlib.import_module(builtin.module), builtin.cls)
    with _lock:
        return _instances.setdefault(name, cls())


def registered(name: str) -> bool:
    """Whether ``name`` was added with :func:`register_protocol` (or is a built-in already
    loaded)."""
    return name in _instances


def protocol_names() -> list[str]:
    """Every usable protocol name (built-in and registered), sorted."""
    return sorted({*BUILTIN, *_instances})


def default_auth(name: str) -> str | None:
    """The protocol's own auth scheme (``bearer``, ``x-api-key``...), or None for an unknown
    name; read without importing a built-in protocol."""
    instance = _instances.get(name)
    if instance is not None:
        return instance.default_auth
    builtin = BUILTIN.get(name)
    return builtin.auth if builtin is not None else None
