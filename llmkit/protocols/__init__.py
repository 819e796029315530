"""Wire protocols: sans-IO request builders and stream parsers.

Use :func:`get_protocol` to obtain the (stateless, shared) instance for a protocol name;
implementations are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from llmkit.errors import ConfigurationError
from llmkit.protocols.base import BuiltRequest, Protocol, StreamState, run_sse

__all__ = ["BuiltRequest", "Protocol", "StreamState", "get_protocol", "run_sse"]

_IMPLEMENTATIONS: dict[str, tuple[str, str]] = {
    "openai-chat": ("llmkit.protocols.openai_chat", "OpenAIChatProtocol"),
    "anthropic-messages": ("llmkit.protocols.anthropic_messages", "AnthropicMessagesProtocol"),
}
_instances: dict[str, Protocol[Any]] = {}


def get_protocol(name: str) -> Protocol[Any]:
    """The shared instance of the protocol ``name`` (``openai-chat``, ``anthropic-messages``).

    Raises:
        ConfigurationError: no protocol has that name.
    """
    instance = _instances.get(name)
    if instance is not None:
        return instance
    try:
        module_name, class_name = _IMPLEMENTATIONS[name]
    except KeyError:
        known = ", ".join(sorted(_IMPLEMENTATIONS))
        raise ConfigurationError(f"unknown protocol {name!r}; known protocols: {known}") from None
    cls = getattr(importlib.import_module(module_name), class_name)
    instance = cls()
    assert isinstance(instance, Protocol)
    _instances[name] = instance
    return instance
