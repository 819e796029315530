"""Logins and refresh against a real authlib authorisation server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from auth.conftest import MemoryKeyring, manager, provider_for
from auth.oauth_server import CANARY_TOKEN, OAuthTestServer
from llmkit.auth.oauth import DeviceCode, device_code_login, pkce_login, refresh_access_token
from llmkit.auth.secret import Secret
from llmkit.auth.store import OAUTH_SERVICE
from llmkit.errors import OAuthFlowError, TokenRefreshError


class Approver:
    """The user at the verification page, approving (or denying) after a few polls."""

    def __init__(self, server: OAuthTestServer, after: int = 2, deny: bool = False) -> None:
        self.server = server
        self.after = after
        self.deny = deny
        self.code: DeviceCode | None = None
        self.sleeps: list[float] = []

    def on_code(self, code: DeviceCode) -> None:
        self.code = code

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) == self.after and self.code is not None:
            async with httpx.AsyncClient() as http:
                query = {"user_code": self.code.user_code, "deny": "1" if self.deny else "0"}
                response = await http.get(f"{self.server.base}/device/approve", params=query)
                assert response.status_code == 200


async def test_device_code_login_honours_interval_and_slow_down(
    oauth_server: OAuthTestServer,
) -> None:
    oauth_server.state.slow_down_polls = {2}  # the second poll is answered slow_down
    user = Approver(oauth_server, after=4)
    config = provider_for(oauth_server).oauth
    assert config is not None
    token = await device_code_login(config, user.on_code, sleep=user.sleep)
    assert user.code is not None
    assert user.code.verification_uri == f"{oauth_server.base}/device"
    assert user.code.interval == 1
    # RFC 8628 §3.5: every poll after a slow_down waits 5 s longer
    assert user.sleeps == [1, 1, 6, 6]
    assert oauth_server.count("grant:urn:ietf:params:oauth:grant-type:device_code") == 4
    assert token.access_token is not None
    assert token.access_token.reveal().startswith(CANARY_TOKEN)
    assert token.refresh_token is not None
    assert token.expires_at is not None


async def test_device_code_denied(oauth_server: OAuthTestServer) -> None:
    user = Approver(oauth_server, after=1, deny=True)
    config = provider_for(oauth_server).oauth
    assert config is not None
    with pytest.raises(OAuthFlowError, match="denied") as info:
        await device_code_login(config, user.on_code, sleep=user.sleep)
    assert info.value.error == "access_denied"


async def test_device_code_expires(oauth_server: OAuthTestServer) -> None:
    config = provider_for(oauth_server).oauth
    assert config is not None
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds * 200  # the user never comes back; time flies

    with pytest.raises(OAuthFlowError, match="expired") as info:
        await device_code_login(config, lambda code: None, sleep=sleep, clock=lambda: now[0])
    assert info.value.error == "expired_token"


def _browser(url: str, seen: list[str], tamper_state: bool = False) -> None:
    """The user's browser: follows the authorisation URL and its redirect to the loopback."""

    def run() -> None:
        target = url
        if tamper_state:
            target = url.replace("state=", "state=evil")
        with httpx.Client(follow_redirects=False) as http:
            response = http.get(target)
            seen.append(response.headers.get("location", ""))
            final = http.get(response.headers["location"])
            seen.append(final.text)

    threading.Thread(target=run, daemon=True).start()


async def test_pkce_login_over_a_loopback_redirect(oauth_server: OAuthTestServer) -> None:
    config = provider_for(oauth_server, flow="pkce").oauth
    assert config is not None
    seen: list[str] = []
    opened: list[str] = []

    def open_url(url: str) -> None:
        opened.append(url)
        _browser(url, seen)

    token = await pkce_login(config, open_url, wait=10)
    query = parse_qs(urlsplit(opened[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url SHA-256, no padding
    redirect = urlsplit(query["redirect_uri"][0])
    assert redirect.hostname == "127.0.0.1"
    assert redirect.port and redirect.port > 0
    assert seen[0].startswith(query["redirect_uri"][0])  # the server redirected there
    assert "Login complete" in seen[1]
    assert token.access_token is not None
    assert token.refresh_token is not None
    assert oauth_server.count("grant:authorization_code") == 1


async def test_pkce_rejects_a_mismatched_state(oauth_server: OAuthTestServer) -> None:
    config = provider_for(oauth_server, flow="pkce").oauth
    assert config is not None
    seen: list[str] = []
    with pytest.raises(OAuthFlowError, match="state did not match") as info:
        await pkce_login(config, lambda url: _browser(url, seen, tamper_state=True), wait=10)
    assert info.value.error == "invalid_state"
    assert oauth_server.count("grant:authorization_code") == 0  # the code was never redeemed


async def test_refresh_rotates_and_reuse_is_rejected(oauth_server: OAuthTestServer) -> None:
    config = provider_for(oauth_server).oauth
    assert config is not None
    issued = oauth_server.issue()
    first = Secret(issued["refresh_token"])
    rotated = await refresh_access_token(config, first, provider_id="acme-oauth")
    assert rotated.refresh_token is not None
    assert rotated.refresh_token != first  # rotation
    again = await refresh_access_token(config, rotated.refresh_token, provider_id="acme-oauth")
    assert again.refresh_token != rotated.refresh_token
    with pytest.raises(TokenRefreshError, match="log in again") as info:
        await refresh_access_token(config, first, provider_id="acme-oauth")  # reuse
    assert info.value.error == "invalid_grant"
    assert info.value.login_required
    assert "llmkit auth login acme-oauth" in str(info.value)
    assert oauth_server.state.reuse_detected == 1
    # reuse detection revoked the whole family, including the newest refresh token
    assert again.refresh_token is not None
    with pytest.raises(TokenRefreshError):
        await refresh_access_token(config, again.refresh_token, provider_id="acme-oauth")


async def test_manager_login_stores_the_token_and_logout_forgets_it(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    provider = provider_for(oauth_server)
    user = Approver(oauth_server, after=1)
    auth = manager(lock_dir)
    loop_sleep = asyncio.sleep

    async def on_code(code: DeviceCode) -> None:
        user.on_code(code)
        await loop_sleep(0)
        asyncio.get_running_loop().create_task(user.sleep(0))

    token = await auth.login(provider, on_device_code=on_code)
    assert token.access_token is not None
    stored = memory_keyring.items[(OAUTH_SERVICE, "acme-oauth")]
    assert token.access_token.reveal() in stored
    creds = await auth.credentials(provider)
    assert creds.kind == "oauth"
    assert creds.secret == token.access_token
    assert await auth.logout(provider) is True
    assert (OAUTH_SERVICE, "acme-oauth") not in memory_keyring.items
    assert await auth.logout(provider) is False
