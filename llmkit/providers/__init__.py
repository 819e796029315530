"""Providers: configuration, built-ins and the registry."""

from llmkit.protocols.openai_chat.quirks import Quirks
from llmkit.providers.config import AuthScheme, ProviderConfig
from llmkit.providers.registry import ProviderRegistry

__all__ = ["AuthScheme", "ProviderConfig", "ProviderRegistry", "Quirks", "default_registry"]

_default: ProviderRegistry | None = None


def default_registry() -> ProviderRegistry:
    """The process-wide registry (``llmkit.registry``): built-ins plus the user's providers file,
    read on first use."""
    global _default
    if _default is None:
        from llmkit.providers.builtin import BUILTIN_PROVIDERS
        from llmkit.providers.registry import default_config_file

        _default = ProviderRegistry(BUILTIN_PROVIDERS, config_file=default_config_file())
    return _default
