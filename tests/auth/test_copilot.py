"""GitHub Copilot: device-code login, the exchange for a short-lived token kept in memory only,
the required headers, the API base allowlist, and the built-in provider."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmkit
from auth.conftest import MemoryKeyring, manager, provider_for
from auth.oauth_server import OAuthTestServer
from auth.test_oauth_flows import Approver
from llmkit.auth.copilot import check_api_base
from llmkit.auth.manager import set_default_auth_manager
from llmkit.auth.store import OAUTH_SERVICE
from llmkit.errors import AuthError, MissingCredentialError
from llmkit.providers import default_registry
from llmkit.providers.config import ProviderConfig, TokenExchange
from llmkit.providers.registry import ProviderRegistry

HEADERS = {"editor-version": "vscode/1.99.0", "copilot-integration-id": "vscode-chat"}


def _copilot(server: OAuthTestServer, allowed: tuple[str, ...] = ("127.0.0.1",)) -> ProviderConfig:
    base = provider_for(
        server,
        exchange=TokenExchange(
            url=f"{server.base}/copilot_internal/v2/token",
            allowed_api_hosts=allowed,
            headers=HEADERS,
        ),
    )
    return base.model_copy(update={"id": "copilot-test", "base_url": "https://unused.example/v1"})


async def _login(server: OAuthTestServer, provider: ProviderConfig, lock_dir: Path) -> object:
    user = Approver(server, after=1)
    auth = manager(lock_dir)

    async def on_code(code: object) -> None:
        user.on_code(code)  # type: ignore[arg-type]
        await user.sleep(0)  # the user approves right away

    await auth.login(provider, on_device_code=on_code)
    return auth


async def test_login_exchange_and_chat(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    provider = _copilot(oauth_server)
    auth = await _login(oauth_server, provider, lock_dir)
    assert oauth_server.count("/copilot_internal/v2/token") == 1
    stored = memory_keyring.items[(OAUTH_SERVICE, "copilot-test")]
    assert "copilot" not in stored  # the short-lived Copilot token is never stored
    creds = await auth.credentials(provider)  # type: ignore[attr-defined]
    assert creds.base_url == f"{oauth_server.base}/v1"  # from the exchange, allowlisted
    assert creds.headers["copilot-integration-id"] == "vscode-chat"
    assert creds.headers["authorization"].startswith("Bearer ")
    assert "-copilot-" in creds.headers["authorization"]
    assert oauth_server.count("/copilot_internal/v2/token") == 1  # cached in memory

    set_default_auth_manager(auth)  # type: ignore[arg-type]
    result = await llmkit.generate_text(
        model="copilot-test:gpt-4.1", prompt="hi", registry=ProviderRegistry([provider])
    )
    assert result.text == "hello from oauth"


async def test_a_401_from_copilot_exchanges_again_once(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    provider = _copilot(oauth_server)
    auth = await _login(oauth_server, provider, lock_dir)
    creds = await auth.credentials(provider)  # type: ignore[attr-defined]
    oauth_server.state.tokens.pop(creds.secret.reveal())  # the server drops it early
    set_default_auth_manager(auth)  # type: ignore[arg-type]
    result = await llmkit.generate_text(
        model="copilot-test:gpt-4.1", prompt="hi", registry=ProviderRegistry([provider])
    )
    assert result.text == "hello from oauth"
    assert oauth_server.count("/copilot_internal/v2/token") == 2
    assert oauth_server.count("/v1/chat/completions") == 2


async def test_an_api_base_off_the_allowlist_is_refused(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    provider = _copilot(oauth_server, allowed=("*.githubcopilot.com",))
    with pytest.raises(AuthError, match="refusing the API base"):
        await _login(oauth_server, provider, lock_dir)


def test_allowlist_rules() -> None:
    allowed = ("api.githubcopilot.com", "*.githubcopilot.com")
    assert check_api_base("https://api.githubcopilot.com/", allowed) == (
        "https://api.githubcopilot.com"
    )
    assert check_api_base("https://api.individual.githubcopilot.com", allowed)
    for bad in (
        "http://api.githubcopilot.com",  # not https
        "https://githubcopilot.com.evil.example",
        "https://evilgithubcopilot.com",
        "https://user:pw@api.githubcopilot.com",
    ):
        with pytest.raises(AuthError):
            check_api_base(bad, allowed)


async def test_the_builtin_provider(monkeypatch: pytest.MonkeyPatch, lock_dir: Path) -> None:
    copilot = default_registry().get("github-copilot")
    assert copilot.protocol == "openai-chat"
    assert copilot.oauth is not None
    assert copilot.oauth.flow == "device_code"
    assert copilot.oauth.device_authorization_url == "https://github.com/login/device/code"
    assert copilot.oauth.exchange is not None
    assert copilot.oauth.exchange.url.endswith("/copilot_internal/v2/token")
    assert "copilot-integration-id" in copilot.oauth.exchange.headers
    monkeypatch.delenv("GITHUB_COPILOT_API_KEY", raising=False)
    with pytest.raises(MissingCredentialError, match="llmkit auth login github-copilot"):
        await manager(lock_dir).credentials(copilot)  # not logged in, no key anywhere
