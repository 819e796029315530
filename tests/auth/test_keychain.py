"""The secret store against a real Secret Service (gnome-keyring on a private D-Bus), verified
with ``secret-tool``; and the refusal of keyring's fail and null backends."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from auth.conftest import SecretService, new_backend
from llmkit.auth.secret import Secret
from llmkit.auth.store import (
    MAX_ENTRY_CHARS,
    OAUTH_SERVICE,
    SERVICE,
    KeyringStore,
    KeyStore,
    backend_problem,
)
from llmkit.auth.tokens import OAuthToken, TokenStore
from llmkit.errors import KeychainError

KEY = "sk-real-keychain-4c1e"


def test_keys_round_trip_through_gnome_keyring(real_keyring: SecretService) -> None:
    store = KeyStore()
    assert store.get("acme") is None
    store.set("acme", KEY)
    assert real_keyring.lookup(SERVICE, "acme") == KEY  # what the OS keychain really holds
    assert store.get("acme") == KEY
    store.set("acme", KEY + "-v2")  # overwrite
    assert real_keyring.lookup(SERVICE, "acme") == KEY + "-v2"
    assert store.delete("acme") is True
    assert real_keyring.lookup(SERVICE, "acme") is None
    assert store.delete("acme") is False
    assert store.get("acme") is None


def test_tokens_round_trip_through_gnome_keyring(real_keyring: SecretService) -> None:
    tokens = TokenStore(KeyringStore())
    token = OAuthToken(Secret("at-1"), Secret("rt-1"), expires_at=2e9, lifetime=3600.0)
    tokens.save("acme", token)
    raw = real_keyring.lookup(OAUTH_SERVICE, "acme")
    assert raw is not None
    assert '"refresh_token":"rt-1"' in raw
    assert '"access_token":"at-1"' in raw
    loaded = tokens.load("acme")
    assert loaded is not None
    assert loaded.access_token == Secret("at-1")
    assert loaded.refresh_token == Secret("rt-1")
    assert loaded.expires_at == 2e9
    assert tokens.delete("acme") is True
    assert real_keyring.lookup(OAUTH_SERVICE, "acme") is None


def test_long_tokens_keep_only_the_refresh_token(real_keyring: SecretService) -> None:
    tokens = TokenStore(KeyringStore())
    long_access = "a" * 1500  # a JWT access token longer than a Windows credential
    tokens.save("acme", OAuthToken(Secret(long_access), Secret("rt-short"), expires_at=2e9))
    raw = real_keyring.lookup(OAUTH_SERVICE, "acme")
    assert raw is not None
    assert len(raw) <= MAX_ENTRY_CHARS
    assert "rt-short" in raw
    assert long_access not in raw
    loaded = tokens.load("acme")
    assert loaded is not None
    assert loaded.access_token is None  # so the next use refreshes
    assert loaded.needs_refresh(time.time(), 120)


def test_an_oversized_refresh_token_is_split_deliberately(real_keyring: SecretService) -> None:
    tokens = TokenStore(KeyringStore())
    huge = "r" * 3000
    tokens.save("acme", OAuthToken(Secret("at"), Secret(huge)))
    head = real_keyring.lookup(OAUTH_SERVICE, "acme")
    assert head is not None
    assert '"parts": 3' in head
    parts = [real_keyring.lookup(OAUTH_SERVICE, f"acme#{i}") for i in (1, 2, 3)]
    assert all(p is not None and len(p) <= MAX_ENTRY_CHARS for p in parts)
    loaded = tokens.load("acme")
    assert loaded is not None
    assert loaded.refresh_token == Secret(huge)
    tokens.save("acme", OAuthToken(Secret("at"), Secret("small")))  # shrinks: parts removed
    assert real_keyring.lookup(OAUTH_SERVICE, "acme#1") is None
    assert tokens.delete("acme") is True


def test_values_over_the_entry_limit_are_never_written_whole(real_keyring: SecretService) -> None:
    with pytest.raises(KeychainError, match="1280"):
        KeyringStore().set(SERVICE, "acme", "x" * (MAX_ENTRY_CHARS + 1))
    assert real_keyring.lookup(SERVICE, "acme") is None


@pytest.mark.parametrize(
    "backend", [new_backend(fail.Keyring), new_backend(null.Keyring)], ids=["fail", "null"]
)
def test_backends_that_keep_nothing_are_refused(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(KeychainError, match="no usable OS keychain") as info:
        KeyStore().set("acme", KEY)
    assert "environment variable" in str(info.value)  # says how to fix it
    with pytest.raises(KeychainError, match="no usable OS keychain"):
        TokenStore(KeyringStore()).save("acme", OAuthToken(Secret("a"), Secret("r")))
    with pytest.raises(KeychainError, match="no usable OS keychain"):
        KeyStore().delete("acme")
    assert KeyStore().get("acme") is None  # reads fall through to the environment


def test_plaintext_and_empty_chain_backends_are_refused() -> None:
    from keyring.backends.chainer import ChainerBackend

    class PlaintextKeyring(KeyringBackend):
        priority = 1

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must not be called")

        def delete_password(self, service: str, username: str) -> None:
            raise AssertionError("must not be called")

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert "plain file" in (backend_problem(new_backend(PlaintextKeyring)) or "")
    with pytest.raises(KeychainError, match="plain file"):
        KeyringStore(backend=new_backend(PlaintextKeyring)).set(SERVICE, "acme", KEY)

    class EmptyChain(ChainerBackend):
        backends: ClassVar[list[KeyringBackend]] = []  # no keychain at all

    assert backend_problem(new_backend(EmptyChain)) == "keyring's chain of backends is empty"
    with pytest.raises(KeychainError, match="empty"):
        KeyringStore(backend=new_backend(EmptyChain)).set(SERVICE, "acme", KEY)


def test_a_keychain_that_hangs_times_out() -> None:
    release = threading.Event()

    class PromptingKeyring(KeyringBackend):
        priority = 1

        def get_password(self, service: str, username: str) -> str | None:
            release.wait(10)  # a locked keychain waiting on a password dialog
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            release.wait(10)

        def delete_password(self, service: str, username: str) -> None:
            release.wait(10)

    store = KeyringStore(timeout=0.2, backend=new_backend(PromptingKeyring))
    started = time.monotonic()
    with pytest.raises(KeychainError, match=r"did not answer within 0\.2 s"):
        store.get(SERVICE, "acme")
    with pytest.raises(KeychainError, match="locked"):
        store.set(SERVICE, "acme", KEY)
    assert time.monotonic() - started < 8  # the 10 s backend calls were not waited for
    release.set()
