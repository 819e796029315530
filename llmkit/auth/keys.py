"""Credential resolution for API keys: explicit → environment variable → OS keychain.

These helpers read the keychain on every call. Requests resolve their credential through
:class:`~llmkit.auth.manager.AuthManager` instead, which keeps the keychain's answer in a
short-lived :class:`~llmkit.auth.store.KeyCache`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from llmkit.auth.secret import Secret
from llmkit.auth.store import KeyStore
from llmkit.errors import MissingCredentialError

if TYPE_CHECKING:
    from llmkit.providers.config import ProviderConfig

__all__ = ["auth_headers", "env_api_key", "resolve_api_key", "resolve_api_key_sync"]


def env_api_key(provider: ProviderConfig, environ: Mapping[str, str]) -> Secret | None:
    """The provider's key from the environment: ``api_key_env``, then each of
    ``api_key_env_fallbacks`` in order (the first non-empty one), or None."""
    for name in (provider.api_key_env, *provider.api_key_env_fallbacks):
        value = environ.get(name) if name else None
        if value:
            return Secret(value, f"env:{name}")
    return None


def resolve_api_key_sync(
    provider: ProviderConfig,
    explicit: str | Secret | None = None,
    *,
    store: KeyStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> Secret | None:
    """Find the API key for a provider, blocking.

    Order: ``explicit`` → the provider's ``api_key_env`` variable (then its
    ``api_key_env_fallbacks``) → OS keychain (service ``llmkit``, user = provider id); the
    keychain is not read when the environment has the key.

    Returns:
        The key, or None for providers with ``api_key_required=False`` that have none (or
        ``auth="none"``).

    Raises:
        MissingCredentialError: the provider needs a key and none was found; the message names
            the variable and the ``llmkit keys set <provider>`` command.
        KeychainError: the keychain exists but refused the read.
    """
    if explicit is not None:
        return explicit if isinstance(explicit, Secret) else Secret(explicit)
    if provider.auth == "none":
        return None
    secret = env_api_key(provider, os.environ if environ is None else environ)
    if secret is not None:
        return secret
    stored = (store or KeyStore()).get(provider.id)
    if stored:
        return Secret(stored, "keychain")
    if not provider.api_key_required:
        return None
    raise MissingCredentialError(provider.id, provider.api_key_env)


async def resolve_api_key(
    provider: ProviderConfig,
    explicit: str | Secret | None = None,
    *,
    store: KeyStore | None = None,
) -> Secret | None:
    """:func:`resolve_api_key_sync` for async code: the keychain is read in a worker thread.

    Raises:
        MissingCredentialError, KeychainError: as :func:`resolve_api_key_sync`.
    """
    if explicit is not None or provider.auth == "none":
        return resolve_api_key_sync(provider, explicit)
    from_env = env_api_key(provider, os.environ)
    if from_env is not None:  # no thread hop when the keychain is not read
        return from_env
    return await asyncio.to_thread(resolve_api_key_sync, provider, None, store=store)


def auth_headers(provider: ProviderConfig, key: Secret | None) -> dict[str, str]:
    """The HTTP headers that carry ``key`` per the provider's auth scheme (empty without a key).

    Values are :class:`~llmkit.auth.secret.MaskedStr`: they print as ``'***'``.
    """
    from llmkit.auth.manager import header_for

    return header_for(provider, key)
