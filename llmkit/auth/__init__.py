"""Credentials: API keys and OAuth tokens in the OS keychain, resolved per request.

Resolution order: explicit ``api_key=`` → environment variable → OAuth token → keychain key
(:class:`AuthManager`). See the credentials guide for where secrets live on each OS.

Names are imported on first access: a call whose key is in the environment loads neither the
OAuth machinery nor ``keyring``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# eager: the function ``redact`` must shadow the submodule of the same name, whichever of the
# two is imported first (cheap: the first call loads it anyway)
from llmkit.auth.redact import RedactingFilter, install_log_redaction, redact

_EXPORTS: dict[str, str] = {
    "AuthManager": "llmkit.auth.manager",
    "Credentials": "llmkit.auth.manager",
    "DeviceCode": "llmkit.auth.oauth",
    "KeyStore": "llmkit.auth.store",
    "KeyringStore": "llmkit.auth.store",
    "MaskedStr": "llmkit.auth.secret",
    "OAuthToken": "llmkit.auth.tokens",
    "PlaintextFileStore": "llmkit.auth.filestore",
    "Secret": "llmkit.auth.secret",
    "SecretStore": "llmkit.auth.store",
    "TokenStore": "llmkit.auth.tokens",
    "auth_headers": "llmkit.auth.keys",
    "default_auth_manager": "llmkit.auth.manager",
    "resolve_api_key": "llmkit.auth.keys",
    "resolve_api_key_sync": "llmkit.auth.keys",
    "set_default_auth_manager": "llmkit.auth.manager",
}

__all__ = [
    "AuthManager",
    "Credentials",
    "DeviceCode",
    "KeyStore",
    "KeyringStore",
    "MaskedStr",
    "OAuthToken",
    "PlaintextFileStore",
    "RedactingFilter",
    "Secret",
    "SecretStore",
    "TokenStore",
    "auth_headers",
    "default_auth_manager",
    "install_log_redaction",
    "redact",
    "resolve_api_key",
    "resolve_api_key_sync",
    "set_default_auth_manager",
]

if TYPE_CHECKING:
    from llmkit.auth.filestore import PlaintextFileStore
    from llmkit.auth.keys import auth_headers, resolve_api_key, resolve_api_key_sync
    from llmkit.auth.manager import (
        AuthManager,
        Credentials,
        default_auth_manager,
        set_default_auth_manager,
    )
    from llmkit.auth.oauth import DeviceCode
    from llmkit.auth.secret import MaskedStr, Secret
    from llmkit.auth.store import KeyringStore, KeyStore, SecretStore
    from llmkit.auth.tokens import OAuthToken, TokenStore


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit.auth' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
