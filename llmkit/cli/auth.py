"""``llmkit auth login|logout|status <provider>``: OAuth logins kept in the OS keychain."""

from __future__ import annotations

import sys
import time
from typing import Literal, TextIO

from llmkit.auth.manager import AuthManager
from llmkit.auth.oauth import DeviceCode
from llmkit.errors import AuthError, KeychainError
from llmkit.providers.registry import ProviderRegistry

__all__ = ["auth_login", "auth_logout", "auth_status"]


async def auth_login(
    provider_id: str,
    registry: ProviderRegistry,
    *,
    manager: AuthManager | None = None,
    flow: Literal["device_code", "pkce"] | None = None,
    no_browser: bool = False,
    out: TextIO | None = None,
) -> int:
    """Log in: print the device code and URL (device flow) or open the browser (PKCE).

    Raises:
        NoSuchProviderError: unknown provider. AuthError: the provider has no OAuth login.
        OAuthFlowError: the login failed. KeychainError: the token could not be stored.
    """
    out = out or sys.stdout
    provider = registry.get(provider_id)
    if provider.oauth is None:
        raise AuthError(
            f"provider {provider_id!r} has no OAuth login; store an API key with "
            f"`llmkit keys set {provider_id}`"
        )
    manager = manager or AuthManager()

    def show_code(code: DeviceCode) -> None:
        out.write(
            f"To log in to {provider.name or provider.id}, open {code.verification_uri}\n"
            f"and enter the code: {code.user_code}\n"
            f"(it expires in {code.expires_in / 60:.0f} minutes; waiting...)\n"
        )
        out.flush()

    def open_url(url: str) -> None:
        out.write(f"Open this URL to log in:\n{url}\n")
        out.flush()
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    await manager.login(provider, flow=flow, on_device_code=show_code, open_url=open_url)
    out.write(f"logged in to {provider.id}; the token is in {manager.store.description}\n")
    return 0


async def auth_logout(
    provider_id: str,
    registry: ProviderRegistry,
    *,
    manager: AuthManager | None = None,
    out: TextIO | None = None,
) -> int:
    """Forget a provider's stored login. Exit code 1 if there was none.

    Raises:
        KeychainError: the keychain refused the deletion.
    """
    out = out or sys.stdout
    provider = registry.get(provider_id)
    if await (manager or AuthManager()).logout(provider):
        out.write(f"logged out of {provider.id}\n")
        return 0
    out.write(f"no stored login for {provider.id}\n")
    return 1


def auth_status(
    provider_id: str | None,
    registry: ProviderRegistry,
    *,
    manager: AuthManager | None = None,
    out: TextIO | None = None,
) -> int:
    """Show, for each OAuth provider (or one), whether a login is stored and when its access
    token expires. Never prints a token."""
    out = out or sys.stdout
    manager = manager or AuthManager()
    providers = [registry.get(provider_id)] if provider_id else registry.list()
    oauth = [p for p in providers if p.oauth is not None]
    if provider_id and not oauth:
        out.write(f"{provider_id}: no OAuth login (uses an API key)\n")
        return 1
    for provider in oauth:
        try:
            token = manager.token_store.load(provider.id)
        except KeychainError as exc:
            out.write(f"{provider.id}: keychain error: {exc}\n")
            continue
        if token is None:
            state = "not logged in"
        elif token.expires_at is None:
            state = "logged in (token does not expire)"
        else:
            left = token.expires_at - time.time()
            refresh = "; refreshable" if token.refresh_token else ""
            state = (
                f"logged in; access token expires in {left / 60:.0f} min{refresh}"
                if left > 0
                else f"logged in; access token expired{refresh}"
            )
        out.write(f"{provider.id}: {state}\n")
    return 0
