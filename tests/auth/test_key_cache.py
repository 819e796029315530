"""The in-process cache of keychain-resolved API keys: one keychain read for many calls,
invalidated by llmkit's own writes and by a 401, expiring after its TTL (a fake clock), and
the keychain stack still imported only when the keychain is consulted."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

import llmkit
from auth.conftest import MemoryKeyring, SecretService, manager
from llmkit.auth.manager import AuthManager, set_default_auth_manager
from llmkit.auth.store import SERVICE, CachedKey, KeyCache, KeyringStore, KeyStore
from llmkit.cli.keys import keys_delete, keys_set
from llmkit.errors import AuthenticationError
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.mock import MockTurn, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer

KEY = "sk-cached-canary-8d2f"
PROVIDER = ProviderConfig(
    id="acme", protocol="openai-chat", base_url="https://acme.example/v1", api_key_env="ACME_KEY"
)


class CountingKeyring(MemoryKeyring):
    """The memory backend, counting reads of API keys (what a D-Bus round trip would cost)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        if service == SERVICE:
            self.reads += 1
        return super().get_password(service, username)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counting() -> CountingKeyring:
    backend = CountingKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_KEY", raising=False)
    monkeypatch.delenv("LLMKIT_KEY_CACHE_TTL", raising=False)


async def _key(auth: AuthManager, provider: ProviderConfig = PROVIDER) -> str:
    creds = await auth.credentials(provider)
    assert creds.secret is not None
    return creds.secret.reveal()


async def test_many_calls_read_the_keychain_once(counting: CountingKeyring, lock_dir: Path) -> None:
    counting.items[(SERVICE, "acme")] = KEY
    auth = manager(lock_dir)
    for _ in range(20):
        creds = await auth.credentials(PROVIDER)
        assert creds.kind == "keychain"
        assert creds.headers["authorization"] == f"Bearer {KEY}"
    assert counting.reads == 1


async def test_concurrent_first_calls_read_the_keychain_once(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    counting.items[(SERVICE, "acme")] = KEY
    auth = manager(lock_dir)
    keys = await asyncio.gather(*(_key(auth) for _ in range(50)))
    assert set(keys) == {KEY}
    assert counting.reads == 1


async def test_no_key_stored_is_cached_too(
    counting: CountingKeyring, lock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_KEY", raising=False)
    local = PROVIDER.model_copy(update={"api_key_required": False})
    auth = manager(lock_dir)
    for _ in range(5):
        assert (await auth.credentials(local)).kind == "none"
    assert counting.reads == 1
    KeyStore().set("acme", KEY)  # llmkit's own write: seen by the next call
    assert (await auth.credentials(local)).kind == "keychain"
    assert counting.reads == 2


async def test_a_key_in_the_environment_skips_the_keychain(
    counting: CountingKeyring, lock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting.items[(SERVICE, "acme")] = "sk-stored"
    monkeypatch.setenv("ACME_KEY", "from-env")
    auth = manager(lock_dir)
    for _ in range(3):
        assert (await auth.credentials(PROVIDER)).kind == "env"
    assert counting.reads == 0


async def test_each_provider_has_its_own_entry(counting: CountingKeyring, lock_dir: Path) -> None:
    other = PROVIDER.model_copy(update={"id": "other"})
    counting.items[(SERVICE, "acme")] = "sk-acme"
    counting.items[(SERVICE, "other")] = "sk-other"
    auth = manager(lock_dir)
    for _ in range(3):
        assert await _key(auth) == "sk-acme"
        assert await _key(auth, other) == "sk-other"
    assert counting.reads == 2


async def test_writes_through_llmkit_are_seen_by_the_next_call(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    KeyStore().set("acme", "sk-old")
    auth = manager(lock_dir)
    assert await _key(auth) == "sk-old"
    KeyStore().set("acme", "sk-new")
    assert await _key(auth) == "sk-new"
    KeyringStore().set(SERVICE, "acme", "sk-newer")  # the raw store invalidates as well
    assert await _key(auth) == "sk-newer"
    assert KeyStore().delete("acme")
    assert (
        await auth.credentials(PROVIDER.model_copy(update={"api_key_required": False}))
    ).kind == ("none")
    assert counting.reads == 4


async def test_the_keys_cli_invalidates(counting: CountingKeyring, lock_dir: Path) -> None:
    registry = ProviderRegistry([PROVIDER])
    out = io.StringIO()
    auth = manager(lock_dir)
    assert keys_set("acme", registry, stdin=io.StringIO("sk-cli-1\n"), out=out) == 0
    assert await _key(auth) == "sk-cli-1"
    assert keys_set("acme", registry, stdin=io.StringIO("sk-cli-2\n"), out=out) == 0
    assert await _key(auth) == "sk-cli-2"
    assert keys_delete("acme", out=out) == 0
    optional = PROVIDER.model_copy(update={"api_key_required": False})
    assert (await auth.credentials(optional)).kind == "none"


async def test_an_out_of_band_change_is_seen_after_the_ttl(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    clock = Clock()
    auth = manager(lock_dir, key_cache_ttl=60.0, clock=clock)
    counting.items[(SERVICE, "acme")] = "sk-old"
    assert await _key(auth) == "sk-old"
    counting.items[(SERVICE, "acme")] = "sk-new"  # another process, or secret-tool
    clock.now += 59.9
    assert await _key(auth) == "sk-old"
    assert counting.reads == 1
    clock.now += 0.2
    assert await _key(auth) == "sk-new"
    assert counting.reads == 2
    counting.items[(SERVICE, "acme")] = "sk-newest"
    auth.clear_key_cache()  # or at once, on request
    assert await _key(auth) == "sk-newest"
    assert counting.reads == 3


async def test_a_zero_ttl_reads_every_time(
    counting: CountingKeyring, lock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting.items[(SERVICE, "acme")] = KEY
    for _ in range(3):
        await _key(manager(lock_dir, key_cache_ttl=0))
    monkeypatch.setenv("LLMKIT_KEY_CACHE_TTL", "0")
    auth = manager(lock_dir)
    assert auth.key_cache.ttl == 0
    for _ in range(3):
        await _key(auth)
    assert counting.reads == 6


async def test_after_a_401_the_next_call_reads_the_keychain(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    counting.items[(SERVICE, "acme")] = "sk-revoked"
    auth = manager(lock_dir)
    rejected = await auth.credentials(PROVIDER)
    counting.items[(SERVICE, "acme")] = "sk-replaced"  # the user stored a new key elsewhere
    assert await _key(auth) == "sk-revoked"  # still cached
    assert await auth.after_unauthorized(PROVIDER, rejected) is None  # the 401 is raised
    assert await _key(auth) == "sk-replaced"
    assert counting.reads == 2


async def test_a_401_for_an_already_replaced_key_keeps_the_new_entry(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    counting.items[(SERVICE, "acme")] = "sk-old"
    auth = manager(lock_dir)
    old = await auth.credentials(PROVIDER)
    KeyStore().set("acme", "sk-new")
    assert await _key(auth) == "sk-new"
    await auth.after_unauthorized(PROVIDER, old)  # a late 401 for the old key
    assert await _key(auth) == "sk-new"
    assert counting.reads == 2


async def test_a_401_through_generate_text_invalidates_the_cached_key(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    unauthorized = ReplayResponse(
        b'{"error": {"message": "invalid api key", "type": "invalid_request_error"}}',
        status=401,
        content_type="application/json",
    )
    ok = ReplayResponse(openai_chat_sse(MockTurn(text="hello again")))
    auth = manager(lock_dir)
    set_default_auth_manager(auth)
    with ReplayServer([unauthorized, ok]) as server:
        provider = server.provider("acme", "openai-chat", api_key_required=True)
        registry = ProviderRegistry([provider])
        counting.items[(SERVICE, "acme")] = "sk-revoked"
        with pytest.raises(AuthenticationError):
            await llmkit.generate_text(model="acme:m", prompt="hi", registry=registry)
        assert len(server.requests) == 1  # an API key's 401 is not retried
        counting.items[(SERVICE, "acme")] = "sk-replaced"  # e.g. with secret-tool
        stream = llmkit.stream_text(model="acme:m", prompt="hi", registry=registry)
        assert await stream.text == "hello again"
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer sk-revoked",
        "Bearer sk-replaced",
    ]
    assert counting.reads == 2


def test_the_cache_never_shows_a_key() -> None:
    from llmkit.auth.secret import Secret

    cache = KeyCache(60.0)
    cache.put(SERVICE, "acme", Secret(KEY, "keychain"), cache.generation)
    entry = cache.get(SERVICE, "acme")
    assert isinstance(entry, CachedKey)
    assert isinstance(entry.secret, Secret)
    for text in (repr(cache), str(cache), repr(entry), repr(cache._entries)):
        assert KEY not in text
    assert repr(cache) == "KeyCache(ttl=60, entries=1)"


def test_a_read_older_than_an_invalidation_is_not_cached() -> None:
    from llmkit.auth.secret import Secret

    cache = KeyCache(60.0)
    generation = cache.generation  # a read starts
    cache.invalidate(SERVICE, "acme")  # a write lands meanwhile
    cache.put(SERVICE, "acme", Secret("sk-stale"), generation)
    assert cache.get(SERVICE, "acme") is None


def test_the_keychain_stack_is_imported_only_when_consulted() -> None:
    code = """if True:
        import asyncio, json, os, sys
        from llmkit.auth.manager import AuthManager
        from llmkit.providers.config import ProviderConfig
        p = ProviderConfig(id="acme", protocol="openai-chat", base_url="https://a.example/v1",
                           api_key_env="ACME_KEY")
        auth = AuthManager(lock_dir="/nonexistent")
        stack = ("keyring", "secretstorage", "jeepney")
        def loaded():
            return sorted(m for m in stack if m in sys.modules)
        asyncio.run(auth.credentials(p, "sk-explicit"))
        asyncio.run(auth.credentials(p.model_copy(update={"auth": "none"})))
        asyncio.run(auth.credentials(p))  # ACME_KEY is set: the keychain is not consulted
        before = loaded()
        del os.environ["ACME_KEY"]
        asyncio.run(auth.credentials(p.model_copy(update={"api_key_required": False})))
        print(json.dumps([before, "keyring" in sys.modules]))
    """
    env = {
        "PATH": "/usr/bin:/bin",
        "ACME_KEY": "from-env",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "LLMKIT_PROVIDERS_FILE": os.devnull,
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(out.stdout) == [[], True]


async def test_real_keychain_out_of_band_change(
    real_keyring: SecretService, lock_dir: Path
) -> None:
    KeyStore().set("acme", "sk-real-1")
    auth = manager(lock_dir)
    assert await _key(auth) == "sk-real-1"
    await asyncio.to_thread(  # what a user (or another program) does outside llmkit
        subprocess.run,
        ["secret-tool", "store", "--label=acme", "service", SERVICE, "username", "acme"],
        input="sk-real-2",
        env=real_keyring.env,
        text=True,
        check=True,
        timeout=10,
    )
    assert await _key(auth) == "sk-real-1"  # cached until the TTL
    auth.clear_key_cache()
    assert await _key(auth) == "sk-real-2"
    assert KeyStore().delete("acme")


async def test_concurrent_first_calls_resume_together(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    """1,000 calls waiting on the first keychain read all resume within a few loop turns of it
    (a lock handed from waiter to waiter took one turn each: 10,000 streams queued for tens of
    seconds). Counted in loop turns, not time."""
    counting.items[(SERVICE, "acme")] = KEY
    auth = manager(lock_dir)
    calls = [asyncio.ensure_future(_key(auth)) for _ in range(1000)]
    turns = 0
    while not all(c.done() for c in calls):
        if any(c.done() for c in calls):
            turns += 1  # turns between the first caller's return and the last one's
        await asyncio.sleep(0)
    assert {c.result() for c in calls} == {KEY}
    assert counting.reads == 1
    assert turns < 10


async def test_a_cancelled_caller_leaves_the_shared_read_to_the_others(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    counting.items[(SERVICE, "acme")] = KEY
    auth = manager(lock_dir)
    first, second = asyncio.ensure_future(_key(auth)), asyncio.ensure_future(_key(auth))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == KEY
    assert first.cancelled()
    assert counting.reads == 1


async def test_a_failed_shared_read_reaches_every_caller_and_is_not_cached(
    counting: CountingKeyring, lock_dir: Path
) -> None:
    counting.items[(SERVICE, "acme")] = KEY
    auth = manager(lock_dir)
    failures = 0

    def locked(service: str, account: str) -> str | None:
        nonlocal failures
        failures += 1
        raise llmkit.errors.KeychainError("the keychain is locked; unlock it and retry")

    auth.store.get = locked  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(*(_key(auth) for _ in range(5)), return_exceptions=True)
    finally:
        del auth.store.get
    assert all(isinstance(r, llmkit.errors.KeychainError) for r in results)
    assert failures == 1
    assert await _key(auth) == KEY  # the next call reads again
