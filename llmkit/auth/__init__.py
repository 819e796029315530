"""Credentials: API keys from the caller, the OS keychain or the environment."""

from llmkit.auth.keys import auth_headers, resolve_api_key, resolve_api_key_sync
from llmkit.auth.secret import Secret
from llmkit.auth.store import KeyStore

__all__ = ["KeyStore", "Secret", "auth_headers", "resolve_api_key", "resolve_api_key_sync"]
