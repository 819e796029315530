"""The credential manager: one place that answers "which credential does this request use?".

Resolution per request: explicit ``api_key=`` → the provider's environment variable → OAuth
token (when the provider has an :class:`~llmkit.providers.config.OAuthConfig` and a login is
stored) → keychain key.

The environment comes before the stored credentials, as in the gh CLI (``GH_TOKEN`` over a
stored login), the AWS CLI and gcloud (environment variables over the credential files) and the
official OpenAI and Anthropic SDKs (which read only ``api_key=`` and the environment): a variable
is set for one shell, job or container on purpose, while the keychain holds the user's standing
default. It also means that a call whose key is in the environment never touches the keychain:
``keyring`` and its backends (D-Bus, Secret Service, ``cryptography``) are not even imported.

The keychain's answer for an API key (the key, or "none stored") is kept for ``key_cache_ttl``
seconds (default 60, ``LLMKIT_KEY_CACHE_TTL``) in a :class:`~llmkit.auth.store.KeyCache`, so a
call does not hop to a thread and the keychain every time. llmkit's own writes (``KeyStore``,
``llmkit keys``) drop the entry at once, and so does a 401 for a request that used it; a change
made outside llmkit (another process, ``secret-tool``) is seen once the entry expires, or after
:meth:`AuthManager.clear_key_cache`.

OAuth tokens are refreshed ``refresh_margin`` seconds (default 120, at most half the token's
lifetime) before they expire, and once after a 401. One refresh is in flight per credential:
inside a process an ``asyncio.Lock`` per credential and event loop, across processes a file
lock (``filelock``) in the user's cache directory. Under that lock the token is read again from
the store (another process may have refreshed it), and a rotated refresh token is stored before
the new access token is used, so two processes never spend the same refresh token.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import os
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from llmkit.auth.keys import env_api_key
from llmkit.auth.redact import install_log_redaction
from llmkit.auth.secret import MaskedStr, Secret
from llmkit.auth.store import SERVICE, KeyCache, SecretStore, default_store
from llmkit.errors import AuthError, MissingCredentialError, TokenRefreshError

if TYPE_CHECKING:
    # the OAuth machinery (and authlib) is imported by the methods that use it: a call with a
    # key never loads it
    from llmkit.auth.copilot import ApiToken
    from llmkit.auth.oauth import DeviceCodeCallback
    from llmkit.auth.tokens import OAuthToken, TokenStore
    from llmkit.providers.config import ProviderConfig

__all__ = ["AuthManager", "Credentials", "default_auth_manager", "set_default_auth_manager"]

CredentialKind = Literal["explicit", "oauth", "keychain", "env", "none"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """The credential for one request.

    Attributes:
        kind: where it came from.
        secret: the key or token (masked), or None (``kind="none"``).
        headers: the HTTP headers carrying it (values are
            :class:`~llmkit.auth.secret.MaskedStr`, so they print as ``'***'``).
        base_url: an API root that replaces the provider's (GitHub Copilot's token names it).
        account: the stored credential's account (OAuth).
    """

    kind: CredentialKind
    secret: Secret | None
    headers: Mapping[str, str]
    base_url: str | None = None
    account: str | None = None


def header_for(provider: ProviderConfig, secret: Secret | None) -> dict[str, str]:
    """The header carrying ``secret`` per the provider's auth scheme (masked values)."""
    if secret is None or provider.auth == "none":
        return {}
    if provider.auth == "bearer":
        return {"authorization": MaskedStr(f"Bearer {secret.reveal()}")}
    if provider.auth == "x-api-key":
        return {"x-api-key": secret.reveal()}
    if provider.auth == "x-goog-api-key":  # Gemini API reference, "API keys"
        return {"x-goog-api-key": secret.reveal()}
    return {"api-key": secret.reveal()}


def _read_done(
    reads: dict[str, asyncio.Task[Secret | None]], key: str, task: asyncio.Task[Secret | None]
) -> None:
    """A shared keychain read ended: forget it (the next miss reads again), and retrieve its
    error so that asyncio does not report it when every caller was cancelled meanwhile."""
    if reads.get(key) is task:
        del reads[key]
    if not task.cancelled():
        task.exception()


def _lock_dir() -> Path:
    override = os.environ.get("LLMKIT_LOCK_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("llmkit")) / "locks"


class AuthManager:
    """Resolves, refreshes and stores credentials.

    Args:
        store: the secret store (default :func:`~llmkit.auth.store.default_store`: the OS
            keychain, or the opt-in ``LLMKIT_CREDENTIALS_FILE``).
        refresh_margin: seconds before expiry at which a token is refreshed.
        lock_dir: the directory of the cross-process refresh locks (default
            ``LLMKIT_LOCK_DIR`` or ``<user cache dir>/llmkit/locks``).
        http_timeout: seconds for each token request.
        environ: the environment to read key variables from (default ``os.environ``).
        key_cache_ttl: seconds a keychain-resolved API key (or the absence of one) is reused
            before the keychain is read again (default ``LLMKIT_KEY_CACHE_TTL`` or 60; 0 reads
            the keychain on every call).
        clock: the key cache's clock in seconds (default ``time.monotonic``).
    """

    def __init__(
        self,
        store: SecretStore | None = None,
        *,
        refresh_margin: float = 120.0,
        lock_dir: str | os.PathLike[str] | None = None,
        http_timeout: float = 30.0,
        environ: Mapping[str, str] | None = None,
        key_cache_ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._key_cache = KeyCache(key_cache_ttl, timer=clock)
        self.refresh_margin = refresh_margin
        self._lock_dir = Path(lock_dir) if lock_dir is not None else None
        self.http_timeout = http_timeout
        self._environ = environ
        self._tokens: dict[str, OAuthToken] = {}
        self._api_tokens: dict[str, ApiToken] = {}
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()
        self._key_reads: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Task[Secret | None]]
        ] = weakref.WeakKeyDictionary()
        install_log_redaction()
        self.token_requests = 0
        """How many token endpoint / exchange requests this manager sent (for tests and
        monitoring)."""

    def __repr__(self) -> str:
        return f"AuthManager(store={self.store.description!r})"

    @property
    def store(self) -> SecretStore:
        """The secret store (resolved on first use, never at import)."""
        if self._store is None:
            self._store = default_store()
        return self._store

    @property
    def key_cache(self) -> KeyCache:
        """The keychain-resolved API keys this manager reuses (see the module doc)."""
        return self._key_cache

    def clear_key_cache(self) -> None:
        """Forget every cached keychain answer: the next call per provider reads the keychain.

        Needed only after the keychain was changed outside llmkit (llmkit's own writes
        invalidate the entry themselves), when waiting for the TTL will not do.
        """
        self._key_cache.clear()

    @property
    def token_store(self) -> TokenStore:
        """OAuth tokens in :attr:`store` (service ``llmkit-oauth``)."""
        from llmkit.auth.tokens import TokenStore

        return TokenStore(self.store)

    @staticmethod
    def account_key(provider: ProviderConfig, account: str | None = None) -> str:
        """The store account of a provider's OAuth login: ``<provider>`` or
        ``<provider>:<account>``."""
        return provider.id if not account else f"{provider.id}:{account}"

    # ------------------------------------------------------------------ resolution
    async def credentials(
        self,
        provider: ProviderConfig,
        explicit: str | Secret | None = None,
        *,
        account: str | None = None,
    ) -> Credentials:
        """The credential for one request to ``provider``: ``explicit``, else the provider's
        environment variable, else its OAuth login, else its keychain key (the module doc says
        why the environment comes before what is stored).

        Args:
            provider: the provider the request goes to.
            explicit: the call's ``api_key=`` (wins over everything).
            account: an OAuth login other than the provider's default one; asking for one skips
                the environment variable.

        Raises:
            MissingCredentialError: the provider needs a credential and none was found.
            KeychainError: the keychain exists but refused the read or timed out.
            TokenRefreshError: the OAuth token could not be refreshed (log in again).
        """
        if explicit is not None:
            secret = explicit if isinstance(explicit, Secret) else Secret(explicit)
            return Credentials("explicit", secret, header_for(provider, secret))
        if provider.auth == "none":
            return Credentials("none", None, {})
        if account is None:
            environ = os.environ if self._environ is None else self._environ
            from_env = env_api_key(provider, environ)
            if from_env is not None:
                return Credentials("env", from_env, header_for(provider, from_env))
        if provider.oauth is not None:
            oauth = await self._oauth_credentials(provider, account)
            if oauth is not None:
                return oauth
        stored = await self._keychain_key(provider)
        if stored is not None:
            return Credentials("keychain", stored, header_for(provider, stored))
        if not provider.api_key_required:
            return Credentials("none", None, {})
        raise MissingCredentialError(
            provider.id, provider.api_key_env, oauth=provider.oauth is not None
        )

    async def _keychain_key(self, provider: ProviderConfig) -> Secret | None:
        """The provider's key in the keychain, from the key cache when it is fresh.

        Concurrent first calls share one keychain read and all resume when it is done. (A
        lock around the read handed itself from waiter to waiter, one per event-loop turn:
        10,000 streams starting together queued behind it for tens of seconds.)
        """
        hit = self._key_cache.get(SERVICE, provider.id)
        if hit is not None:
            return hit.secret
        loop = asyncio.get_running_loop()
        reads = self._key_reads.setdefault(loop, {})
        read = reads.get(provider.id)
        if read is None:
            read = reads[provider.id] = loop.create_task(self._read_keychain_key(provider))
            read.add_done_callback(functools.partial(_read_done, reads, provider.id))
        return await asyncio.shield(read)  # a cancelled caller leaves the read to the others

    async def _read_keychain_key(self, provider: ProviderConfig) -> Secret | None:
        cache = self._key_cache
        hit = cache.get(SERVICE, provider.id)
        if hit is not None:
            return hit.secret
        generation = cache.generation
        stored = await asyncio.to_thread(self.store.get, SERVICE, provider.id)
        secret = Secret(stored, "keychain") if stored else None
        del stored
        cache.put(SERVICE, provider.id, secret, generation)
        return secret

    async def after_unauthorized(
        self, provider: ProviderConfig, rejected: Credentials
    ) -> Credentials | None:
        """New credentials after a 401, or None when retrying cannot help.

        Only OAuth credentials are refreshed: exactly once per rejected token, however many
        requests saw the 401 (the others get the token the first one obtained). A rejected
        keychain key is dropped from the key cache (the next call reads the keychain again,
        where the user may have stored a new key) and None is returned: the 401 is raised.

        Raises:
            TokenRefreshError: the refresh failed (log in again).
        """
        if rejected.kind == "keychain":
            self._key_cache.invalidate(SERVICE, provider.id, only=rejected.secret)
            return None
        if rejected.kind != "oauth" or provider.oauth is None or rejected.secret is None:
            return None
        fresh = await self._oauth_credentials(provider, rejected.account, rejected.secret)
        if fresh is None or fresh.secret == rejected.secret:
            return None
        return fresh

    async def _oauth_credentials(
        self, provider: ProviderConfig, account: str | None, rejected: Secret | None = None
    ) -> Credentials | None:
        assert provider.oauth is not None
        key = self.account_key(provider, account)
        exchange = provider.oauth.exchange
        login_rejected = None if exchange is not None else rejected
        token = await self.oauth_token(provider, account, rejected=login_rejected)
        if token is None or token.access_token is None:
            return None
        if exchange is None:
            return Credentials(
                "oauth", token.access_token, header_for(provider, token.access_token), None, account
            )
        api = await self._api_token(provider, key, token.access_token, rejected)
        headers = {**exchange.headers, **header_for(provider, api.token)}
        return Credentials("oauth", api.token, headers, api.api_base, account)

    # ------------------------------------------------------------------ locks
    def _lock(self, key: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        locks = self._locks.setdefault(loop, {})
        return locks.setdefault(key, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def _process_lock(self, key: str) -> AsyncIterator[None]:
        from filelock import FileLock, Timeout

        directory = self._lock_dir or _lock_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = hashlib.sha256(f"{self.store.description}|{key}".encode()).hexdigest()[:32]
        lock = FileLock(str(directory / f"{name}.lock"), thread_local=False)
        try:
            await asyncio.to_thread(lock.acquire, timeout=max(self.http_timeout * 2, 10.0))
        except Timeout:
            raise TokenRefreshError(
                f"another process held the refresh lock for {key!r} too long; retry",
                provider_id=key.split(":")[0],
                login_required=False,
            ) from None
        try:
            yield
        finally:
            lock.release()

    # ------------------------------------------------------------------ OAuth tokens
    def _usable(self, token: OAuthToken | None, rejected: Secret | None) -> bool:
        return (
            token is not None
            and token.access_token is not None
            and token.access_token != rejected
            and not token.needs_refresh(time.time(), self.refresh_margin)
        )

    async def oauth_token(
        self,
        provider: ProviderConfig,
        account: str | None = None,
        *,
        rejected: Secret | None = None,
    ) -> OAuthToken | None:
        """The provider's OAuth token set, refreshed when due; None when not logged in.

        Args:
            rejected: an access token the server refused (401): a token equal to it is
                refreshed even if not yet due.

        Raises:
            TokenRefreshError: the refresh failed; ``login_required`` says whether only a new
                login helps.
            KeychainError: the keychain refused the read or write.
        """
        assert provider.oauth is not None
        key = self.account_key(provider, account)
        cached = self._tokens.get(key)
        if self._usable(cached, rejected):
            return cached
        async with self._lock(key):
            cached = self._tokens.get(key)
            if self._usable(cached, rejected):
                return cached
            stored = await asyncio.to_thread(self.token_store.load, key)
            if stored is None:
                self._tokens.pop(key, None)
                return None
            if self._usable(stored, rejected):
                self._tokens[key] = stored
                return stored
            if stored.refresh_token is None:
                if stored.access_token is not None and stored.access_token != rejected:
                    self._tokens[key] = stored  # no expiry known and no way to refresh
                    return stored
                raise TokenRefreshError(
                    f"the {provider.id} login has expired and cannot be refreshed; log in "
                    f"again with `llmkit auth login {provider.id}`",
                    provider_id=provider.id,
                )
            async with self._process_lock(key):
                stored = await asyncio.to_thread(self.token_store.load, key)
                if stored is None:
                    return None
                if self._usable(stored, rejected) or stored.refresh_token is None:
                    self._tokens[key] = stored
                    return stored
                self.token_requests += 1
                fresh = await self._refresh(provider, key, stored.refresh_token)
                # Persist the (possibly rotated) refresh token before anyone uses the new
                # access token: a crash after this point loses nothing.
                await asyncio.to_thread(self.token_store.save, key, fresh)
                self._tokens[key] = fresh
                return fresh

    async def _refresh(self, provider: ProviderConfig, key: str, refresh: Secret) -> OAuthToken:
        from llmkit.auth.chatgpt import refresh_agent_token, uses_agent_registration
        from llmkit.auth.oauth import refresh_access_token

        assert provider.oauth is not None
        if uses_agent_registration(provider.oauth):
            # Sign in with ChatGPT (llmkit/auth/chatgpt.py): the issued client id and the
            # RFC 8707 resource (the provider's base URL) go with the refresh.
            return await refresh_agent_token(
                self.store,
                key,
                provider.oauth,
                refresh,
                resource=provider.base_url,
                provider_id=provider.id,
                timeout=self.http_timeout,
            )
        return await refresh_access_token(
            provider.oauth, refresh, provider_id=provider.id, timeout=self.http_timeout
        )

    async def _api_token(
        self, provider: ProviderConfig, key: str, login: Secret, rejected: Secret | None
    ) -> ApiToken:
        from llmkit.auth.copilot import exchange_copilot_token

        assert provider.oauth is not None
        assert provider.oauth.exchange is not None
        now = time.time()
        cached = self._api_tokens.get(key)
        if (
            cached
            and cached.token != rejected
            and not cached.needs_refresh(now, self.refresh_margin)
        ):
            return cached
        async with self._lock(key + "#exchange"):
            cached = self._api_tokens.get(key)
            now = time.time()
            if (
                cached
                and cached.token != rejected
                and not cached.needs_refresh(now, self.refresh_margin)
            ):
                return cached
            self.token_requests += 1
            api = await exchange_copilot_token(
                provider.oauth.exchange, login, provider_id=provider.id, timeout=self.http_timeout
            )
            self._api_tokens[key] = api
            return api

    # ------------------------------------------------------------------ login / logout
    async def login(
        self,
        provider: ProviderConfig,
        *,
        account: str | None = None,
        flow: Literal["device_code", "pkce"] | None = None,
        on_device_code: DeviceCodeCallback | None = None,
        open_url: Callable[[str], object] | None = None,
        wait: float = 300.0,
    ) -> OAuthToken:
        """Log in with the provider's OAuth flow and store the token set.

        Args:
            flow: override the config's flow.
            on_device_code: shows the device code (device flow; default prints it).
            open_url: opens the authorisation URL (PKCE; default ``webbrowser.open``).
            wait: seconds to wait for the browser redirect (PKCE).

        Raises:
            AuthError: the provider has no OAuth config.
            OAuthFlowError: the login failed; TokenRefreshError: a token exchange failed.
            KeychainError: the token could not be stored.
        """
        from llmkit.auth.chatgpt import login_with_registration, uses_agent_registration
        from llmkit.auth.oauth import device_code_login, pkce_login

        config = provider.oauth
        if config is None:
            raise AuthError(f"provider {provider.id!r} has no OAuth login; use an API key")
        key = self.account_key(provider, account)
        if uses_agent_registration(config):
            import webbrowser

            token = await login_with_registration(
                self.store,
                key,
                config,
                resource=provider.base_url,
                open_url=open_url or webbrowser.open,
                timeout=self.http_timeout,
                wait=wait,
            )
        elif (flow or config.flow) == "pkce":
            import webbrowser

            token = await pkce_login(
                config, open_url or webbrowser.open, timeout=self.http_timeout, wait=wait
            )
        else:
            token = await device_code_login(
                config, on_device_code or _print_code, timeout=self.http_timeout
            )
        self.token_requests += 1
        await asyncio.to_thread(self.token_store.save, key, token)
        self._tokens[key] = token
        self._api_tokens.pop(key, None)
        if config.exchange is not None and token.access_token is not None:
            await self._api_token(provider, key, token.access_token, None)
        return token

    async def logout(self, provider: ProviderConfig, *, account: str | None = None) -> bool:
        """Forget the stored token set. Returns False when there was none.

        Raises:
            KeychainError: the keychain refused the deletion.
        """
        key = self.account_key(provider, account)
        self._tokens.pop(key, None)
        self._api_tokens.pop(key, None)
        return await asyncio.to_thread(self.token_store.delete, key)


def _print_code(code: object) -> None:
    import sys

    user_code = getattr(code, "user_code", "")
    uri = getattr(code, "verification_uri", "")
    sys.stderr.write(f"Open {uri} and enter the code {user_code}\n")


_default: AuthManager | None = None


def default_auth_manager() -> AuthManager:
    """The process-wide manager used by ``stream_text`` and friends (created on first use)."""
    global _default
    if _default is None:
        _default = AuthManager()
    return _default


def set_default_auth_manager(manager: AuthManager | None) -> None:
    """Replace the process-wide manager (None: a fresh default on next use)."""
    global _default
    _default = manager
