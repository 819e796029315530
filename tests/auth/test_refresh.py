"""Safe refresh: proactive margin, single flight in a process (100 callers) and across two
processes, rotated refresh tokens stored before use, the 401 → one refresh → one retry path
through generate_text / stream_text, and clock skew."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from email.utils import formatdate
from pathlib import Path

import pytest

import llmkit
from auth.conftest import MemoryKeyring, SecretService, manager, provider_for
from auth.oauth_server import CANARY_TOKEN, OAuthTestServer
from llmkit.auth.copilot import _lifetime
from llmkit.auth.filestore import PlaintextFileStore
from llmkit.auth.secret import Secret
from llmkit.auth.store import KeyringStore, SecretStore
from llmkit.auth.tokens import OAuthToken, TokenStore
from llmkit.errors import AuthenticationError, TokenRefreshError
from llmkit.providers.registry import ProviderRegistry

REFRESH = "grant:refresh_token"


def _seed(server: OAuthTestServer, store: SecretStore, *, expires_in: float) -> OAuthToken:
    """Store a token set issued by the server whose access token expires in ``expires_in`` s."""
    issued = server.issue()
    token = OAuthToken(
        Secret(issued["access_token"]),
        Secret(issued["refresh_token"]),
        expires_at=time.time() + expires_in,
        lifetime=3600.0,
    )
    TokenStore(store).save("acme-oauth", token)
    return token


async def test_a_fresh_token_is_used_without_a_request(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    seeded = _seed(oauth_server, KeyringStore(), expires_in=1000)
    creds = await manager(lock_dir).credentials(provider_for(oauth_server))
    assert creds.secret == seeded.access_token
    assert oauth_server.count(REFRESH) == 0


async def test_refresh_inside_the_margin_persists_the_rotated_token_first(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    seeded = _seed(oauth_server, KeyringStore(), expires_in=100)  # inside the 120 s margin
    auth = manager(lock_dir)
    creds = await auth.credentials(provider_for(oauth_server))
    assert oauth_server.count(REFRESH) == 1
    assert creds.secret != seeded.access_token
    stored = TokenStore(KeyringStore()).load("acme-oauth")
    assert stored is not None
    assert stored.access_token == creds.secret
    assert stored.refresh_token is not None
    assert stored.refresh_token != seeded.refresh_token  # the rotated one is what is stored


async def test_a_hundred_concurrent_callers_cause_one_refresh(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    _seed(oauth_server, KeyringStore(), expires_in=-10)  # expired
    oauth_server.state.token_delay = 0.2  # keep the refresh in flight while the others arrive
    auth = manager(lock_dir)
    provider = provider_for(oauth_server)
    results = await asyncio.gather(*(auth.credentials(provider) for _ in range(100)))
    assert oauth_server.count(REFRESH) == 1
    assert auth.token_requests == 1
    assert len({c.secret.reveal() for c in results if c.secret}) == 1
    assert oauth_server.state.reuse_detected == 0


_CHILD = textwrap.dedent(
    """
    import asyncio, hashlib, json, os, sys, time
    from llmkit.auth.manager import AuthManager
    from llmkit.providers.config import ProviderConfig
    args = json.loads(sys.argv[1])
    provider = ProviderConfig.model_validate(args["provider"])
    if args["store"] == "file":
        from llmkit.auth.filestore import PlaintextFileStore
        store = PlaintextFileStore(args["path"])
    else:
        from llmkit.auth.store import KeyringStore
        store = KeyringStore()
    while not os.path.exists(args["go"]):
        time.sleep(0.005)
    auth = AuthManager(store, lock_dir=args["locks"])
    creds = asyncio.run(auth.credentials(provider))
    print(json.dumps({"sha": hashlib.sha256(creds.secret.reveal().encode()).hexdigest(),
                      "requests": auth.token_requests}))
    """
)


@pytest.mark.parametrize("kind", ["file", "gnome-keyring"])
def test_two_processes_cause_one_refresh(
    kind: str,
    oauth_server: OAuthTestServer,
    tmp_path: Path,
    lock_dir: Path,
    request: pytest.FixtureRequest,
) -> None:
    env = dict(os.environ)
    if kind == "file":
        store: SecretStore = PlaintextFileStore(tmp_path / "credentials.json")
        spec = {"store": "file", "path": str(tmp_path / "credentials.json")}
    else:
        service: SecretService = request.getfixturevalue("real_keyring")
        store = KeyringStore()
        env.update(
            DBUS_SESSION_BUS_ADDRESS=service.address,
            PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring",
        )
        spec = {"store": "keyring"}
    _seed(oauth_server, store, expires_in=-10)
    oauth_server.state.token_delay = 0.3
    go = tmp_path / "go"
    args = {
        **spec,
        "go": str(go),
        "locks": str(lock_dir),
        "provider": json.loads(provider_for(oauth_server).model_dump_json()),
    }
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(args)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(0.3)
    go.touch()
    outputs = [child.communicate(timeout=60) for child in children]
    for (_, err), child in zip(outputs, children, strict=True):
        assert child.returncode == 0, err
    results = [json.loads(out) for out, _ in outputs]
    assert oauth_server.count(REFRESH) == 1
    assert sorted(r["requests"] for r in results) == [0, 1]
    assert results[0]["sha"] == results[1]["sha"]  # both use the one new token
    assert oauth_server.state.reuse_detected == 0
    stored = TokenStore(store).load("acme-oauth")
    assert stored is not None
    assert stored.access_token is not None
    assert hashlib.sha256(stored.access_token.reveal().encode()).hexdigest() == results[0]["sha"]


def _registry(server: OAuthTestServer) -> ProviderRegistry:
    return ProviderRegistry([provider_for(server)])


async def test_a_401_refreshes_once_and_retries_once(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring
) -> None:
    issued = oauth_server.issue()
    revoked_early = OAuthToken(  # the server forgot this token although it is not due
        Secret(f"{CANARY_TOKEN}-revoked"),
        Secret(issued["refresh_token"]),
        expires_at=time.time() + 3000,
        lifetime=3600.0,
    )
    TokenStore(KeyringStore()).save("acme-oauth", revoked_early)
    result = await llmkit.generate_text(
        model="acme-oauth:test-model", prompt="hi", registry=_registry(oauth_server)
    )
    assert result.text == "hello from oauth"
    assert oauth_server.count("/v1/chat/completions") == 2
    assert oauth_server.count(REFRESH) == 1
    # streaming takes the same path (the refreshed token is now cached: no new refresh)
    stream = llmkit.stream_text(
        model="acme-oauth:test-model", prompt="hi", registry=_registry(oauth_server)
    )
    assert await stream.text == "hello from oauth"
    assert oauth_server.count(REFRESH) == 1


async def test_a_second_401_is_raised_after_exactly_one_refresh(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring
) -> None:
    _seed(oauth_server, KeyringStore(), expires_in=3000)
    oauth_server.state.reject_chat = True
    stream = llmkit.stream_text(
        model="acme-oauth:test-model", prompt="hi", registry=_registry(oauth_server)
    )
    with pytest.raises(AuthenticationError):
        await stream.text
    assert oauth_server.count("/v1/chat/completions") == 2
    assert oauth_server.count(REFRESH) == 1


async def test_a_401_with_an_api_key_is_not_retried(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring
) -> None:
    with pytest.raises(AuthenticationError):
        await llmkit.generate_text(
            model="acme-oauth:test-model",
            prompt="hi",
            api_key="sk-wrong",
            registry=_registry(oauth_server),
        )
    assert oauth_server.count("/v1/chat/completions") == 1
    assert oauth_server.count(REFRESH) == 0


async def test_a_revoked_refresh_token_says_log_in_again(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    TokenStore(KeyringStore()).save(
        "acme-oauth", OAuthToken(Secret("at-old"), Secret("rt-unknown"), expires_at=0.0)
    )
    with pytest.raises(TokenRefreshError, match="llmkit auth login acme-oauth") as info:
        await manager(lock_dir).credentials(provider_for(oauth_server))
    assert info.value.login_required
    assert info.value.error == "invalid_grant"


async def test_resolution_order(
    oauth_server: OAuthTestServer,
    memory_keyring: MemoryKeyring,
    lock_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # explicit -> environment -> OAuth login -> keychain key
    provider = provider_for(oauth_server)
    auth = manager(lock_dir)
    monkeypatch.delenv("ACME_OAUTH_KEY", raising=False)
    KeyringStore().set("llmkit", "acme-oauth", "from-keychain")
    assert (await auth.credentials(provider)).kind == "keychain"
    _seed(oauth_server, KeyringStore(), expires_in=3000)
    assert (await auth.credentials(provider)).kind == "oauth"
    monkeypatch.setenv("ACME_OAUTH_KEY", "from-env")  # the environment wins over stored ones
    assert (await auth.credentials(provider)).kind == "env"
    # naming an OAuth account asks for that login: the environment is skipped
    assert (await auth.credentials(provider, account="other")).kind == "keychain"
    explicit = await auth.credentials(provider, "sk-explicit")
    assert explicit.kind == "explicit"
    assert explicit.headers["authorization"] == "Bearer sk-explicit"


def test_clock_skew_is_tolerated() -> None:
    # OAuth: expiry comes from the relative expires_in and the local clock, whatever the
    # server's clock says.
    token = OAuthToken.from_response({"access_token": "a", "expires_in": 3600}, now=1000.0)
    assert token.expires_at == 4600.0
    assert not token.needs_refresh(4000.0, 120)
    assert token.needs_refresh(4500.0, 120)
    # A short-lived token is not refreshed on every call: the margin is at most half its life.
    short = OAuthToken.from_response({"access_token": "a", "expires_in": 60}, now=0.0)
    assert not short.needs_refresh(20.0, 120)
    # Copilot's absolute expires_at is measured against the server's Date header, so a local
    # clock one hour fast does not make a fresh token look expired.
    server_now = 1_700_000_000.0
    date = formatdate(server_now, usegmt=True)
    local_now = server_now + 3600
    assert _lifetime({"expires_at": server_now + 1800}, date, local_now) == 1800
    assert _lifetime({"expires_at": server_now + 1800, "refresh_in": 1500}, None, 0) == 1560
