"""Credentials: API keys and OAuth tokens in the OS keychain, resolved per request.

Resolution order: explicit ``api_key=`` → OAuth token → keychain key → environment variable
(:class:`AuthManager`). See the credentials guide for where secrets live on each OS.
"""

from llmkit.auth.filestore import PlaintextFileStore
from llmkit.auth.keys import auth_headers, resolve_api_key, resolve_api_key_sync
from llmkit.auth.manager import (
    AuthManager,
    Credentials,
    default_auth_manager,
    set_default_auth_manager,
)
from llmkit.auth.oauth import DeviceCode
from llmkit.auth.redact import RedactingFilter, install_log_redaction, redact
from llmkit.auth.secret import MaskedStr, Secret
from llmkit.auth.store import KeyringStore, KeyStore, SecretStore
from llmkit.auth.tokens import OAuthToken, TokenStore

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
