"""Providers: configuration, built-ins and the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit.providers.config import AuthScheme, ProviderConfig
from llmkit.providers.registry import ProviderRegistry

if TYPE_CHECKING:
    from llmkit.protocols.openai_chat.quirks import Quirks

__all__ = ["AuthScheme", "ProviderConfig", "ProviderRegistry", "Quirks", "default_registry"]

_default: ProviderRegistry | None = None


def default_registry() -> ProviderRegistry:
    """The process-wide registry (``llmkit.registry``): built-ins plus the user's providers file,
    read on first use."""
    global _default
    if _default is None:
        from llmkit.providers.builtin import builtin_factories
        from llmkit.providers.registry import default_config_file

        # each built-in is validated (and its protocol imported) when it is first used
        _default = ProviderRegistry._lazy(builtin_factories(), config_file=default_config_file())
    return _default


def __getattr__(name: str) -> object:
    # ``Quirks`` lives with the openai-chat protocol: imported on first access, so resolving a
    # provider of another protocol does not load that one
    if name == "Quirks":
        from llmkit.protocols.openai_chat.quirks import Quirks

        globals()["Quirks"] = Quirks
        return Quirks
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
