"""OAuth 2.0 logins and refresh, over authlib's httpx client (imported lazily).

- Device authorisation grant (RFC 8628): :func:`device_code_login`.
- Authorisation code with PKCE S256 (RFC 7636) on a loopback redirect (RFC 8252 §7.3):
  :func:`pkce_login`.
- Refresh (RFC 6749 §6): :func:`refresh_access_token`.

These functions do one exchange each; storing tokens, single-flight refresh and the 401 retry
live in :class:`~llmkit.auth.manager.AuthManager`. No function here logs or raises with a token,
a refresh token, a code verifier or an authorisation code in a message or a local variable that
a traceback would show unmasked.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from llmkit.auth.loopback import LoopbackRedirect
from llmkit.auth.redact import install_log_redaction
from llmkit.auth.secret import MaskedStr, Secret
from llmkit.auth.tokens import OAuthToken
from llmkit.errors import OAuthFlowError, TokenRefreshError
from llmkit.providers.config import OAuthConfig

__all__ = [
    "DEVICE_CODE_GRANT",
    "DeviceCode",
    "DeviceCodeCallback",
    "device_code_login",
    "pkce_login",
    "refresh_access_token",
]

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_LOGIN_AGAIN = {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"}


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """What the user needs for a device-code login (RFC 8628 §3.2).

    Attributes:
        user_code: the code to type at the verification page.
        verification_uri: the page to open.
        verification_uri_complete: the page with the code filled in, if the server sent one.
        expires_in: seconds until the code expires.
        interval: seconds between polls.
    """

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float


DeviceCodeCallback = Callable[[DeviceCode], "Awaitable[None] | None"]
"""Called once with the code to show (the CLI prints it; a GUI app shows a dialog)."""


def _http_errors() -> tuple[type[BaseException], ...]:
    import httpx

    errors: list[type[BaseException]] = [httpx.HTTPError, ValueError]
    try:
        import httpx2  # authlib >= 1.7 prefers it when installed

        errors.append(httpx2.HTTPError)
    except ImportError:
        pass
    return tuple(errors)


def oauth_client(config: OAuthConfig, *, redirect_uri: str | None = None, timeout: float) -> Any:
    """authlib's ``AsyncOAuth2Client`` for a provider (an async context manager).

    Public clients authenticate with ``client_id`` only (``none``, RFC 6749 §2.1); a configured
    ``client_secret`` is sent in the body (``client_secret_post``).
    """
    with warnings.catch_warnings():
        # authlib warns when it falls back from httpx2 to httpx; both work.
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    install_log_redaction()  # authlib may have brought httpx2 / httpcore2 loggers
    return AsyncOAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        token_endpoint_auth_method="client_secret_post" if config.client_secret else "none",
        scope=" ".join(config.scopes) or None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=timeout,
        follow_redirects=False,
    )


async def _maybe_await(value: object) -> None:
    if inspect.isawaitable(value):
        await value


def _oauth_error(exc: BaseException) -> tuple[str | None, str]:
    error = getattr(exc, "error", None)
    description = getattr(exc, "description", None)
    return (error if isinstance(error, str) else None), (
        str(description) if description else type(exc).__name__
    )


async def device_code_login(
    config: OAuthConfig,
    on_code: DeviceCodeCallback,
    *,
    timeout: float = 30.0,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> OAuthToken:
    """Log in with the device authorisation grant (RFC 8628).

    Requests a device code (§3.1), calls ``on_code`` once, then polls the token endpoint
    (§3.4) every ``interval`` seconds (default 5), adding 5 s on each ``slow_down`` (§3.5),
    until the user approves, denies, or the code expires (``expires_in``).

    Args:
        config: the provider's OAuth config (``device_authorization_url``, ``token_url``).
        on_code: shows the user code and URL to the user.
        timeout: seconds for each HTTP request.
        sleep: awaited between polls (tests pass a recorder).
        clock: monotonic seconds, for the code's expiry.

    Returns:
        The token set.

    Raises:
        OAuthFlowError: ``access_denied`` (the user said no), ``expired_token`` (the code ran
            out: start again), another OAuth error, or a network failure.
    """
    if not config.device_authorization_url:
        raise OAuthFlowError("this provider has no device_authorization_url")
    async with oauth_client(config, timeout=timeout) as oauth:
        form = {"client_id": config.client_id}
        if config.scopes:
            form["scope"] = " ".join(config.scopes)
        if config.client_secret:
            form["client_secret"] = config.client_secret
        try:
            response = await oauth.request(
                "POST",
                config.device_authorization_url,
                data=form,
                headers={"Accept": "application/json"},
                withhold_token=True,
            )
            data = response.json()
        except _http_errors() as exc:
            raise OAuthFlowError(
                f"could not reach the device authorisation endpoint ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400 or not isinstance(data, dict) or "device_code" not in data:
            error = data.get("error") if isinstance(data, dict) else None
            raise OAuthFlowError(
                f"the device authorisation request failed (HTTP {response.status_code}"
                f"{', ' + str(error) if error else ''})",
                error=error if isinstance(error, str) else None,
            )
        device_code = MaskedStr(data["device_code"])
        code = DeviceCode(
            user_code=str(data["user_code"]),
            verification_uri=str(data.get("verification_uri") or data.get("verification_url")),
            verification_uri_complete=data.get("verification_uri_complete"),
            expires_in=float(data.get("expires_in") or 900),
            interval=float(data.get("interval") or 5),
        )
        del data
        deadline = clock() + code.expires_in
        await _maybe_await(on_code(code))
        interval = code.interval
        while True:
            await sleep(interval)
            if clock() >= deadline:
                raise OAuthFlowError(
                    "the device code expired before the login was approved; run the login again",
                    error="expired_token",
                )
            try:
                raw = await oauth.fetch_token(
                    config.token_url, grant_type=DEVICE_CODE_GRANT, device_code=device_code
                )
                return OAuthToken.from_response(dict(raw))
            except Exception as exc:
                error, description = _oauth_error(exc)
                if error is None:
                    raise OAuthFlowError(
                        f"polling the token endpoint failed ({description})"
                    ) from None
                if error == "authorization_pending":
                    continue
                if error == "slow_down":
                    interval += 5
                    continue
                if error == "access_denied":
                    raise OAuthFlowError("the login was denied", error=error) from None
                if error == "expired_token":
                    raise OAuthFlowError(
                        "the device code expired before the login was approved; run the "
                        "login again",
                        error=error,
                    ) from None
                raise OAuthFlowError(
                    f"the device-code login failed: {error or 'error'}: {description}",
                    error=error,
                ) from None


async def pkce_login(
    config: OAuthConfig,
    open_url: Callable[[str], Awaitable[Any] | Any],
    *,
    timeout: float = 30.0,
    wait: float = 300.0,
) -> OAuthToken:
    """Log in with the authorisation code grant and PKCE (RFC 7636, S256).

    Listens on ``http://127.0.0.1:<ephemeral port><redirect_path>`` (RFC 8252 §7.3: the loopback
    IP literal, any port), opens the authorisation URL with ``open_url`` (a browser), checks the
    returned ``state`` (RFC 6749 §10.12) and exchanges the code with its verifier.

    Args:
        config: the provider's OAuth config (``authorization_url``, ``token_url``).
        open_url: opens the URL for the user (``webbrowser.open``; the CLI also prints it).
        timeout: seconds for each HTTP request.
        wait: seconds to wait for the redirect.

    Returns:
        The token set.

    Raises:
        OAuthFlowError: the user or server refused, ``state`` did not match, the redirect never
            came, or the code exchange failed.
    """
    from authlib.common.security import generate_token

    if not config.authorization_url:
        raise OAuthFlowError("this provider has no authorization_url")
    verifier = MaskedStr(generate_token(64))  # 43..128 unreserved characters (RFC 7636 §4.1)
    state = MaskedStr(generate_token(32))
    async with (
        LoopbackRedirect(config.redirect_path) as redirect,
        oauth_client(config, redirect_uri=redirect.uri, timeout=timeout) as oauth,
    ):
        url, _ = oauth.create_authorization_url(
            config.authorization_url, state=state, code_verifier=verifier
        )
        await _maybe_await(open_url(url))
        try:
            params = await asyncio.wait_for(redirect.result(), wait)
        except asyncio.TimeoutError:
            raise OAuthFlowError(
                f"no browser redirect arrived within {wait:g} s; run the login again"
            ) from None
        if not hmac.compare_digest(params.get("state", "").encode(), state.encode()):
            raise OAuthFlowError(
                "the redirect's state did not match this login (possible cross-site "
                "request forgery); run the login again",
                error="invalid_state",
            )
        if "error" in params:
            raise OAuthFlowError(
                f"the authorisation server refused the login: {params['error']}",
                error=params["error"],
            )
        try:
            raw = await oauth.fetch_token(
                config.token_url,
                grant_type="authorization_code",
                code=MaskedStr(params.get("code", "")),
                code_verifier=verifier,
                redirect_uri=redirect.uri,
            )
            return OAuthToken.from_response(dict(raw))
        except Exception as exc:
            error, description = _oauth_error(exc)
            raise OAuthFlowError(
                f"exchanging the authorisation code failed: {error or 'error'}: {description}",
                error=error,
            ) from None


async def refresh_access_token(
    config: OAuthConfig,
    refresh_token: Secret,
    *,
    provider_id: str,
    timeout: float = 30.0,
    params: Mapping[str, str] | None = None,
) -> OAuthToken:
    """Trade a refresh token for a new token set (RFC 6749 §6).

    When the server rotates refresh tokens the result carries the new one; otherwise it keeps
    ``refresh_token``. ``params`` are extra form fields of the request (e.g. an RFC 8707
    ``resource``).

    Raises:
        TokenRefreshError: ``login_required`` for ``invalid_grant`` (expired, revoked or
            already-used refresh token) and other client errors; not for network failures.
    """
    async with oauth_client(config, timeout=timeout) as oauth:
        try:
            raw = await oauth.refresh_token(
                config.token_url, refresh_token=refresh_token.reveal(), **(params or {})
            )
            token = OAuthToken.from_response(dict(raw))
        except Exception as exc:
            error, description = _oauth_error(exc)
            if error is None:
                raise TokenRefreshError(
                    f"could not refresh the {provider_id} token ({description}); check the "
                    "network and retry",
                    provider_id=provider_id,
                    login_required=False,
                ) from None
            raise TokenRefreshError(
                f"the {provider_id} login has expired or was revoked ({error}); log in again "
                f"with `llmkit auth login {provider_id}`",
                provider_id=provider_id,
                error=error,
                login_required=error in _LOGIN_AGAIN or error.startswith("invalid"),
            ) from None
    return token.with_refresh_token(refresh_token)
