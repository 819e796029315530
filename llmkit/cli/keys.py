"""``llmkit keys``: API keys in the OS keychain. Keys are read from a hidden prompt or stdin,
never from the command line, and printed only by ``keys get --show``.

Every command checks the keychain first: without a usable one, ``set``, ``get`` and
``delete`` fail with "keychain unavailable" and the fix before asking for anything, and
``list`` says so above the table (column ``unavailable``) instead of "no" for every provider."""

from __future__ import annotations

import getpass
import os
import sys
from typing import TextIO

from llmkit.auth.keys import env_api_key
from llmkit.auth.secret import MaskedStr
from llmkit.auth.store import NO_KEYCHAIN, KeyStore
from llmkit.errors import KeychainError
from llmkit.providers.registry import ProviderRegistry

__all__ = ["keychain_problem", "keys_delete", "keys_get", "keys_list", "keys_set"]


def keychain_problem(store: KeyStore) -> str | None:
    """Why ``store`` cannot keep keys ("keychain unavailable (...)" and the fix), or None.

    A plaintext file store (``LLMKIT_CREDENTIALS_FILE``) is always usable."""
    usable = getattr(store.store, "usable", None)
    problem = usable() if callable(usable) else None
    return f"keychain unavailable ({problem}); {NO_KEYCHAIN}" if problem else None


def _usable(store: KeyStore | None) -> KeyStore:
    store = store or KeyStore()
    problem = keychain_problem(store)
    if problem:
        raise KeychainError(problem)
    return store


def keys_set(
    provider_id: str,
    registry: ProviderRegistry,
    *,
    store: KeyStore | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Store a key read from a hidden prompt (a terminal) or the first line of stdin (a pipe).

    Raises:
        NoSuchProviderError: unknown provider.
        KeychainError: no usable keychain.
    """
    out = out or sys.stdout
    provider = registry.get(provider_id)
    store = _usable(store)  # before asking for the key
    stdin = stdin or sys.stdin
    if stdin.isatty():
        key = MaskedStr(getpass.getpass(f"API key for {provider_id} (input hidden): ").strip())
    else:
        key = MaskedStr(stdin.readline().strip())
    if not key:
        out.write("no key given; nothing stored\n")
        return 1
    store.set(provider_id, key)
    out.write(f"stored the key for {provider_id} in the OS keychain (service 'llmkit')\n")
    shadow = env_api_key(provider, os.environ)
    if shadow is not None:  # the environment comes first (docs/credentials.md)
        variable = shadow.source.removeprefix("env:")
        out.write(
            f"note: {variable} is set in this environment and is used before the stored key; "
            "unset it to use the stored one\n"
        )
    return 0


def keys_get(
    provider_id: str,
    *,
    show: bool = False,
    store: KeyStore | None = None,
    out: TextIO | None = None,
) -> int:
    """Say whether a key is stored; print it only with ``show=True``. Exit code 1 if none.

    Raises:
        KeychainError: the keychain refused the read.
    """
    out = out or sys.stdout
    key = _usable(store).get(provider_id)
    if not key:
        out.write(f"no key stored for {provider_id}\n")
        return 1
    if show:
        out.write(f"{key}\n")
    else:
        out.write(
            f"a key of {len(key)} characters is stored for {provider_id} (use --show to print it)\n"
        )
    return 0


def keys_delete(
    provider_id: str, *, store: KeyStore | None = None, out: TextIO | None = None
) -> int:
    """Delete a provider's key from the keychain. Exit code 1 if there was none."""
    out = out or sys.stdout
    if _usable(store).delete(provider_id):
        out.write(f"deleted the key for {provider_id}\n")
        return 0
    out.write(f"no key stored for {provider_id}\n")
    return 1


def keys_list(
    registry: ProviderRegistry, *, store: KeyStore | None = None, out: TextIO | None = None
) -> int:
    """For each provider: whether a key is in the keychain (``yes``, ``no``, ``locked``, or
    ``unavailable`` with the reason and fix above the table) and whether its variable is set."""
    out = out or sys.stdout
    store = store or KeyStore()
    problem = keychain_problem(store)
    if problem:
        out.write(f"{problem}\n\n")
    out.write(f"{'provider':<14} {'keychain':<11} environment\n")
    for provider in registry.list():
        if problem:
            in_keychain = "unavailable"
        else:
            try:
                in_keychain = "yes" if store.get(provider.id) else "no"
            except KeychainError:
                in_keychain = "locked"
        env = provider.api_key_env or "-"
        state = "set" if provider.api_key_env and os.environ.get(provider.api_key_env) else "unset"
        out.write(f"{provider.id:<14} {in_keychain:<11} {env} ({state})\n")
    return 0
