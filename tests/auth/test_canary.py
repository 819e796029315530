"""A canary key and canary tokens go through every credential path; every captured repr,
exception message, DEBUG log record (llmkit, httpx, httpcore, authlib) and traceback rendered
with local variables is searched for them: zero hits."""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

import llmkit
from auth.conftest import MemoryKeyring, manager, new_backend, provider_for
from auth.oauth_server import CANARY_TOKEN, OAuthTestServer
from llmkit.auth.copilot import ApiToken
from llmkit.auth.redact import RedactingFilter, install_log_redaction, redact
from llmkit.auth.secret import MaskedStr, Secret
from llmkit.auth.store import KeyringStore, KeyStore
from llmkit.auth.tokens import OAuthToken, TokenStore
from llmkit.errors import LLMKitError, TokenRefreshError
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry

CANARY_KEY = "sk-canary-key-8e77d2"
CANARIES = (CANARY_KEY, CANARY_TOKEN)


class Evidence:
    """Everything a user, a log file or an error tracker could see."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, *items: object) -> None:
        for item in items:
            self.texts.append(item if isinstance(item, str) else repr(item))

    def add_error(self, exc: BaseException) -> None:
        self.add(str(exc), repr(exc))
        self.add(
            "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
        )

    def assert_clean(self, caplog: pytest.LogCaptureFixture) -> None:
        for record in caplog.records:
            self.texts.append(record.getMessage())
            if record.exc_info and record.exc_info[1] is not None:
                self.add_error(record.exc_info[1])
        assert self.texts, "nothing was captured"
        hits = [t for t in self.texts for c in CANARIES if c in t]
        assert not hits, f"a secret leaked: {hits[0][:2000]}"


@pytest.fixture
def evidence(caplog: pytest.LogCaptureFixture) -> Evidence:
    caplog.set_level(logging.DEBUG)
    for name in ("llmkit", "httpx", "httpcore", "authlib"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    install_log_redaction()
    return Evidence()


def _registry(provider: ProviderConfig) -> ProviderRegistry:
    return ProviderRegistry([provider])


async def test_api_keys_never_leak(
    oauth_server: OAuthTestServer,
    memory_keyring: MemoryKeyring,
    evidence: Evidence,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = provider_for(oauth_server)
    registry = _registry(provider)
    # explicit key rejected with a 401 (passed as a Secret: a plain str argument would show
    # in the caller's own frame)
    with pytest.raises(LLMKitError) as info:
        await llmkit.generate_text(
            model="acme-oauth:m", prompt="hi", api_key=Secret(CANARY_KEY), registry=registry
        )
    evidence.add_error(info.value)
    # keychain key, streamed, also rejected
    KeyStore().set("acme-oauth", CANARY_KEY)
    stream = llmkit.stream_text(model="acme-oauth:m", prompt="hi", registry=registry)
    with pytest.raises(LLMKitError) as info:
        await stream.text
    evidence.add_error(info.value)
    # keychain key to a port nobody listens on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = provider.model_copy(update={"base_url": f"http://127.0.0.1:{port}/v1"})
    with pytest.raises(LLMKitError) as info:
        await llmkit.generate_text(model="acme-oauth:m", prompt="hi", registry=_registry(dead))
    evidence.add_error(info.value)
    creds = await manager(Path(".")).credentials(provider)
    evidence.add(creds, creds.headers, creds.secret, str(creds.secret), f"{creds.secret}")
    evidence.add(KeyStore(), memory_keyring.items.keys())
    assert oauth_server.count("/v1/chat/completions") == 2
    evidence.assert_clean(caplog)


async def test_oauth_tokens_never_leak(
    oauth_server: OAuthTestServer,
    memory_keyring: MemoryKeyring,
    evidence: Evidence,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    provider = provider_for(oauth_server)
    token = OAuthToken(
        Secret(f"{CANARY_TOKEN}-stale"),
        Secret(oauth_server.issue()["refresh_token"]),
        expires_at=time.time() + 3000,
        lifetime=3600.0,
    )
    TokenStore(KeyringStore()).save("acme-oauth", token)
    # a 401, one refresh, one retry: all logged at DEBUG
    result = await llmkit.generate_text(
        model="acme-oauth:m", prompt="hi", registry=_registry(provider)
    )
    assert result.text == "hello from oauth"
    assert oauth_server.count("grant:refresh_token") == 1
    stored = TokenStore(KeyringStore()).load("acme-oauth")
    evidence.add(token, stored, str(stored))
    # the old refresh token again: reuse, rejected
    TokenStore(KeyringStore()).save("acme-oauth", token.__class__(None, token.refresh_token))
    auth = manager(tmp_path)
    with pytest.raises(TokenRefreshError) as info:
        await auth.credentials(provider)
    evidence.add_error(info.value)
    evidence.add(auth, ApiToken(Secret(CANARY_TOKEN), 1.0, 1.0, "https://x"))
    secret_config = provider.oauth.model_copy(update={"client_secret": CANARY_KEY})  # type: ignore[union-attr]
    evidence.add(secret_config, provider.model_copy(update={"oauth": secret_config}))
    evidence.assert_clean(caplog)


def test_keychain_failures_never_leak(evidence: Evidence, caplog: pytest.LogCaptureFixture) -> None:
    class LockedKeyring(KeyringBackend):
        priority = 1

        def get_password(self, service: str, username: str) -> str | None:
            raise KeyringLocked("locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise KeyringLocked(f"cannot store {len(password)} characters")

        def delete_password(self, service: str, username: str) -> None:
            raise KeyringLocked("locked")

    keyring.set_keyring(new_backend(LockedKeyring))
    actions: list[Callable[[], object]] = [
        lambda: KeyStore().set("acme", CANARY_KEY),
        lambda: TokenStore(KeyringStore()).save(
            "acme", OAuthToken(Secret(CANARY_TOKEN), Secret(CANARY_TOKEN))
        ),
        lambda: KeyStore().get("acme"),
    ]
    for action in actions:
        with pytest.raises(LLMKitError) as info:
            action()
        evidence.add_error(info.value)
    evidence.assert_clean(caplog)


def test_log_records_are_redacted(evidence: Evidence, caplog: pytest.LogCaptureFixture) -> None:
    headers = {"authorization": MaskedStr(f"Bearer {CANARY_TOKEN}"), "x-api-key": CANARY_KEY}
    for name in ("llmkit.anything", "httpx", "httpcore.http11", "authlib.oauth2.client"):
        log = logging.getLogger(name)
        install_log_redaction()
        log.debug("headers %s", dict(headers))
        log.debug("Authorization: Bearer %s", CANARY_TOKEN)
        log.debug("[(b'x-api-key', b'%s')]", CANARY_KEY)
        log.info("HTTP Request: GET https://user:%s@host/v1?api_key=%s&x=1", CANARY_KEY, CANARY_KEY)
        log.debug("body grant_type=refresh_token&refresh_token=%s", CANARY_TOKEN)
    assert len(caplog.records) == 20
    evidence.assert_clean(caplog)


def test_redact_keeps_what_is_not_a_secret() -> None:
    text = "HTTP Request: POST https://api.example.com/v1/chat/completions 200 OK"
    assert redact(text) == text
    assert redact(f"api-key: {CANARY_KEY}") == "api-key: ***"
    assert redact(f"https://me:{CANARY_KEY}@h/x") == "https://***@h/x"
    assert redact(f"?code={CANARY_KEY}&state=s") == "?code=***&state=s"
    record = logging.LogRecord(
        "httpx", logging.DEBUG, "f", 1, "%s", (f"token {CANARY_TOKEN}",), None
    )
    assert RedactingFilter().filter(record)
    assert CANARY_TOKEN not in record.getMessage()


def test_secret_types_mask_themselves() -> None:
    secret = Secret(CANARY_KEY, "env:X")
    masked = MaskedStr(CANARY_KEY)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr(masked),
                  repr({"h": masked}), repr([masked]))  :  # fmt: skip
        assert CANARY_KEY not in shown
    assert masked == CANARY_KEY  # still the raw value for the HTTP client
    assert httpx.Headers({"x-api-key": masked})["x-api-key"] == CANARY_KEY
