"""Sign in with ChatGPT (open-source flow) against the authlib server on 127.0.0.1: the first
login registers a client (``dynamic_agent_client`` → an issued id), later logins and refreshes
use the issued id with the RFC 8707 ``resource``, rotated refresh tokens are stored, the ID
token and the plan scope are checked, and no token shows in reprs or logs."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from auth.conftest import MemoryKeyring, manager
from auth.oauth_server import CANARY_TOKEN, DYNAMIC_CLIENT, OAuthTestServer
from auth.test_oauth_flows import _browser
from llmkit.auth.chatgpt import AGENT_NAME, PLAN_SCOPE, AgentRegistrations
from llmkit.auth.manager import AuthManager
from llmkit.auth.secret import Secret
from llmkit.auth.store import OAUTH_SERVICE, KeyringStore
from llmkit.auth.tokens import OAuthToken, TokenStore
from llmkit.errors import OAuthFlowError, TokenRefreshError
from llmkit.providers.config import OAuthConfig, ProviderConfig

SCOPES = ("openid", "profile", "email", "offline_access", "resource.invoke", PLAN_SCOPE)


def _chatgpt(server: OAuthTestServer) -> ProviderConfig:
    """The built-in's OAuth shape, with the test server as authorisation server and API."""
    return ProviderConfig(
        id="chatgpt-test",
        protocol="openai-chat",  # the auth does not depend on the protocol
        base_url=f"{server.base}/v1",
        oauth=OAuthConfig(
            client_id=DYNAMIC_CLIENT,
            registration="dynamic-agent",
            flow="pkce",
            authorization_url=f"{server.base}/authorize",
            token_url=f"{server.base}/token",
            scopes=SCOPES,
            redirect_path="/auth/callback",
        ),
    )


class Browser:
    def __init__(self, tamper_state: bool = False) -> None:
        self.opened: list[str] = []
        self.seen: list[str] = []
        self.tamper_state = tamper_state

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        _browser(url, self.seen, tamper_state=self.tamper_state)

    def query(self, index: int = -1) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.opened[index]).query)


async def _login(auth: AuthManager, provider: ProviderConfig) -> tuple[OAuthToken, Browser]:
    browser = Browser()
    token = await auth.login(provider, open_url=browser, wait=10)
    return token, browser


async def test_first_login_registers_and_later_logins_reuse_the_client(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    provider = _chatgpt(oauth_server)
    auth = manager(lock_dir)
    token, browser = await _login(auth, provider)
    query = browser.query()
    assert query["client_id"] == [DYNAMIC_CLIENT]
    assert query["agent_name_hint"] == [AGENT_NAME]
    assert query["resource"] == [provider.base_url]
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"][0] and query["state"][0]
    assert PLAN_SCOPE in query["scope"][0].split()
    host = query["ext_agent_host_id"][0]
    assert host.startswith("urn:uuid:")
    redirect = urlsplit(query["redirect_uri"][0])
    assert (redirect.hostname, redirect.path) == ("127.0.0.1", "/auth/callback")

    (issued,) = oauth_server.state.agent_clients
    assert oauth_server.state.agent_clients[issued] == host
    exchange = oauth_server.state.token_forms[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_id"] == issued  # never dynamic_agent_client at the token endpoint
    assert exchange["resource"] == provider.base_url
    assert token.access_token is not None and token.refresh_token is not None
    assert PLAN_SCOPE in (token.scope or "").split()
    registrations = AgentRegistrations(KeyringStore())
    assert registrations.client_id("chatgpt-test") == issued
    assert memory_keyring.items[(OAUTH_SERVICE, "chatgpt-test#agent-client")] == issued

    # A second login of the same account: the issued id, the same host id, no new registration.
    again, browser = await _login(manager(lock_dir), provider)
    query = browser.query()
    assert query["client_id"] == [issued]
    assert "agent_name_hint" not in query
    assert query["ext_agent_host_id"] == [host]
    assert list(oauth_server.state.agent_clients) == [issued]
    assert again.access_token != token.access_token

    # Another account on the same host: a new registration, the same host id.
    await manager(lock_dir).login(provider, account="work", open_url=Browser(), wait=10)
    assert len(oauth_server.state.agent_clients) == 2
    assert set(oauth_server.state.agent_clients.values()) == {host}


async def test_refresh_uses_the_issued_client_and_stores_the_rotated_token(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    provider = _chatgpt(oauth_server)
    auth = manager(lock_dir)
    token, _ = await _login(auth, provider)
    (issued,) = oauth_server.state.agent_clients
    assert token.access_token is not None and token.refresh_token is not None

    fresh = await auth.oauth_token(provider, rejected=token.access_token)  # as after a 401
    assert fresh is not None and fresh.refresh_token is not None
    form = oauth_server.state.token_forms[-1]
    assert form["grant_type"] == "refresh_token"
    assert form["client_id"] == issued
    assert form["resource"] == provider.base_url
    assert "scope" not in form  # the grant keeps its scopes (RFC 6749 §6)
    assert fresh.refresh_token != token.refresh_token  # rotated...
    stored = TokenStore(KeyringStore()).load("chatgpt-test")
    assert stored is not None and stored.refresh_token == fresh.refresh_token  # ...and stored

    # The used refresh token is dead (reuse detection), so only the stored one works.
    with pytest.raises(TokenRefreshError) as info:
        await auth._refresh(provider, "chatgpt-test", token.refresh_token)
    assert info.value.login_required
    assert oauth_server.state.reuse_detected == 1


async def test_requests_carry_the_bearer_token_and_nothing_leaks(
    oauth_server: OAuthTestServer,
    memory_keyring: MemoryKeyring,
    lock_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = _chatgpt(oauth_server)
    auth = manager(lock_dir)
    caplog.set_level(logging.DEBUG)
    token, _ = await _login(auth, provider)
    assert token.access_token is not None
    creds = await auth.credentials(provider)
    assert creds.kind == "oauth"
    assert creds.base_url is None  # the provider's base URL: api.openai.com/v1 for the built-in
    assert dict(creds.headers) == {"authorization": f"Bearer {token.access_token.reveal()}"}
    # The header works against the server's protected endpoint.
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{oauth_server.base}/v1/chat/completions", headers=dict(creds.headers), json={}
        )
    assert response.status_code == 200
    await auth.oauth_token(provider, rejected=token.access_token)  # a refresh, logged too
    evidence = " ".join(
        [repr(creds), repr(creds.headers), repr(token), str(token), repr(auth), caplog.text]
    )
    assert CANARY_TOKEN not in evidence
    assert "'***'" in repr(creds.headers)
    # The registration entries hold no token.
    for (_service, account), value in memory_keyring.items.items():
        if "#agent" in account:
            assert CANARY_TOKEN not in value


async def test_a_login_without_plan_usage_is_refused(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    oauth_server.state.grant_plan = False  # the user declined, or the plan is not eligible
    with pytest.raises(OAuthFlowError, match=r"chatgpt\.tokens\.use\.direct") as info:
        await _login(manager(lock_dir), _chatgpt(oauth_server))
    assert info.value.error == "plan_usage_not_granted"
    assert TokenStore(KeyringStore()).load("chatgpt-test") is None


@pytest.mark.parametrize(
    "claims",
    [{"nonce": "another-login"}, {"aud": ["oaiapp_someone_else"]}, {"iss": "https://evil.example"}],
)
async def test_an_id_token_for_another_login_is_refused(
    oauth_server: OAuthTestServer,
    memory_keyring: MemoryKeyring,
    lock_dir: Path,
    claims: dict[str, object],
) -> None:
    oauth_server.id_token_claims = claims  # type: ignore[attr-defined]
    with pytest.raises(OAuthFlowError) as info:
        await _login(manager(lock_dir), _chatgpt(oauth_server))
    assert info.value.error == "invalid_id_token"
    assert TokenStore(KeyringStore()).load("chatgpt-test") is None


async def test_a_redirect_without_the_issued_client_is_refused(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    oauth_server.omit_issued_client = True  # type: ignore[attr-defined]
    with pytest.raises(OAuthFlowError, match="registration") as info:
        await _login(manager(lock_dir), _chatgpt(oauth_server))
    assert info.value.error == "registration_incomplete"
    assert oauth_server.count("grant:authorization_code") == 0


async def test_a_mismatched_state_is_refused(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    with pytest.raises(OAuthFlowError) as info:
        await manager(lock_dir).login(
            _chatgpt(oauth_server), open_url=Browser(tamper_state=True), wait=10
        )
    assert info.value.error == "invalid_state"
    assert oauth_server.count("grant:authorization_code") == 0


async def test_refresh_without_a_stored_registration_says_log_in(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    provider = _chatgpt(oauth_server)
    issued = oauth_server.issue()
    TokenStore(KeyringStore()).save("chatgpt-test", OAuthToken.from_response(issued))
    stale = Secret(issued["access_token"])
    with pytest.raises(TokenRefreshError, match="llmkit auth login chatgpt-test") as info:
        await manager(lock_dir).oauth_token(provider, rejected=stale)
    assert info.value.login_required
