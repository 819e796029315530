"""API-key resolution order, the keychain store, and secrets never shown."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from auth.conftest import MemoryKeyring, new_backend
from llmkit import MissingCredentialError, ProviderConfig, Secret
from llmkit.auth.keys import auth_headers, resolve_api_key, resolve_api_key_sync
from llmkit.auth.store import KeyStore
from llmkit.errors import KeychainError

CANARY = "sk-canary-7f3a9e1c2b"


PROVIDER = ProviderConfig(
    id="acme", protocol="openai-chat", base_url="https://acme.example/v1", api_key_env="ACME_KEY"
)


def test_order_explicit_then_env_then_keychain(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_KEY", raising=False)
    KeyStore().set("acme", "from-keychain")
    key = resolve_api_key_sync(PROVIDER)
    assert key is not None
    assert (key.reveal(), key.source) == ("from-keychain", "keychain")
    monkeypatch.setenv("ACME_KEY", "from-env")  # the environment wins over the keychain
    key = resolve_api_key_sync(PROVIDER)
    assert key is not None
    assert (key.reveal(), key.source) == ("from-env", "env:ACME_KEY")
    explicit = resolve_api_key_sync(PROVIDER, "explicit")
    assert explicit is not None
    assert explicit.reveal() == "explicit"
    assert memory_keyring.items[("llmkit", "acme")] == "from-keychain"


def test_missing_key_names_the_variable_and_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_KEY", raising=False)
    with pytest.raises(MissingCredentialError) as info:
        resolve_api_key_sync(PROVIDER)
    assert "ACME_KEY" in str(info.value)
    assert "llmkit keys set acme" in str(info.value)


def test_local_providers_need_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    local = PROVIDER.model_copy(update={"api_key_required": False})
    monkeypatch.delenv("ACME_KEY", raising=False)
    assert resolve_api_key_sync(local) is None
    assert auth_headers(local, None) == {}


async def test_async_resolution_reads_the_keychain_in_a_thread(
    memory_keyring: MemoryKeyring,
) -> None:
    KeyStore().set("acme", "k1")
    key = await resolve_api_key(PROVIDER)
    assert key is not None
    assert key.reveal() == "k1"


def test_locked_keychain_is_a_keychain_error(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.locked = True
    with pytest.raises(KeychainError, match="unlock"):
        resolve_api_key_sync(PROVIDER)


@pytest.mark.parametrize(
    "backend", [new_backend(fail.Keyring), new_backend(null.Keyring)], ids=["fail", "null"]
)
def test_backends_that_keep_nothing_are_refused_for_writes(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(KeychainError, match="no usable OS keychain"):
        KeyStore().set("acme", CANARY)
    assert KeyStore().get("acme") is None  # reads fall through to the environment


def test_auth_header_schemes() -> None:
    key = Secret(CANARY)
    assert auth_headers(PROVIDER, key) == {"authorization": f"Bearer {CANARY}"}
    anthropic = PROVIDER.model_copy(update={"auth": "x-api-key"})
    assert auth_headers(anthropic, key) == {"x-api-key": CANARY}
    azure = PROVIDER.model_copy(update={"auth": "api-key"})
    assert auth_headers(azure, key) == {"api-key": CANARY}
    assert auth_headers(PROVIDER.model_copy(update={"auth": "none"}), key) == {}


def test_secrets_never_show(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(CANARY, "env:ACME_KEY")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("llmkit").debug("key %s %r", secret, secret)
    for text in (repr(secret), str(secret), f"{secret}", caplog.text):
        assert CANARY not in text
    assert "env:ACME_KEY" in repr(secret)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


def test_keystore_delete(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore()
    store.set("acme", "x")
    assert store.delete("acme") is True
    assert store.delete("acme") is False


def test_keys_set_says_when_the_environment_shadows_the_stored_key(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from llmkit.cli.keys import keys_set
    from llmkit.providers import ProviderRegistry

    registry = ProviderRegistry([PROVIDER])
    monkeypatch.delenv("ACME_KEY", raising=False)
    out = io.StringIO()
    assert keys_set("acme", registry, stdin=io.StringIO("sk-1\n"), out=out) == 0
    assert "note:" not in out.getvalue()
    monkeypatch.setenv("ACME_KEY", "from-env")
    out = io.StringIO()
    assert keys_set("acme", registry, stdin=io.StringIO("sk-2\n"), out=out) == 0
    assert "note: ACME_KEY is set in this environment and is used before the stored key" in (
        out.getvalue()
    )
    assert "from-env" not in out.getvalue()
