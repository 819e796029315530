"""Sign in with ChatGPT for open-source clients: a ChatGPT plan pays for Responses API requests.

OpenAI documents this flow for open-source apps that run on the user's machine ("Sign in with
ChatGPT", https://developers.openai.com/siwc/quickstart: "ChatGPT plan usage is available to
all open-source partners"; https://developers.openai.com/siwc/token-sharing-open-source). It is
the authorisation code grant with PKCE S256 (RFC 7636) and OpenID Connect on a loopback
redirect (RFC 8252), with one addition, a per-user client registration
(https://developers.openai.com/siwc/token-sharing-open-source/sign-in, "Registration and
sign-in"):

- The first sign-in uses ``client_id=dynamic_agent_client`` with ``agent_name_hint`` (the app's
  name) and ``ext_agent_host_id`` (a value persisted per host). The redirect then carries the
  ``client_id`` OpenAI issued for this user's agent; it is saved before the code is redeemed and
  used for the code exchange, for every refresh and for later sign-ins of the same account.
  ``dynamic_agent_client`` itself is never used at the token endpoint.
- Requested scopes: ``openid profile email offline_access resource.invoke
  chatgpt.tokens.use.direct``, with ``resource=https://api.openai.com/v1`` (RFC 8707) on the
  authorisation request, the code exchange and the refresh. The grant must include
  ``chatgpt.tokens.use.direct`` (permission to use the plan), or the login is refused.
- The access token is a bearer token for the public Responses API, ``POST
  https://api.openai.com/v1/responses`` (…/token-sharing-open-source/models-and-inference); no
  other header is needed. Refresh tokens rotate on every refresh (stored at once by the
  :class:`~llmkit.auth.manager.AuthManager`).

The ID token from the token endpoint is checked for ``iss`` (the authorisation server's origin),
``aud`` (the issued client id), ``nonce`` and ``exp``. Its signature is not verified: it was
received directly from the token endpoint over TLS, which OpenID Connect Core 1.0 §3.1.3.7
(item 6) allows in place of the signature check. llmkit uses the ID token for no decision
beyond accepting this login.

This is not the Codex CLI's own login (its client id and ``chatgpt.com/backend-api/codex``):
that is OpenAI's first-party client, and the flow above is what OpenAI publishes for third-party
open-source clients. Where the registration is kept: the issued client id per login account
(``<account>#agent-client``) and the host id (``#agent-host-id``), both in the secret store
under service ``llmkit-oauth``, next to the tokens.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import inspect
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from llmkit.auth.loopback import LoopbackRedirect
from llmkit.auth.oauth import oauth_client, refresh_access_token
from llmkit.auth.secret import MaskedStr, Secret
from llmkit.auth.store import OAUTH_SERVICE, SecretStore
from llmkit.auth.tokens import OAuthToken
from llmkit.errors import OAuthFlowError, TokenRefreshError
from llmkit.providers.config import OAuthConfig

__all__ = [
    "AGENT_NAME",
    "DYNAMIC_AGENT_CLIENT",
    "PLAN_SCOPE",
    "AgentRegistrations",
    "agent_login",
    "login_with_registration",
    "refresh_agent_token",
    "uses_agent_registration",
]

DYNAMIC_AGENT_CLIENT = "dynamic_agent_client"
"""The first-time registration entrypoint (…/token-sharing-open-source/sign-in, step 2)."""

PLAN_SCOPE = "chatgpt.tokens.use.direct"
"""The scope that lets the token use the ChatGPT plan for Responses requests."""

AGENT_NAME = "llmkit"
"""``agent_name_hint``: the app's actual name, the same on every installation (sign-in doc)."""

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_HOST_ACCOUNT = "#agent-host-id"
_CLOCK_SKEW = 300.0  # seconds of leeway on exp / iat


def uses_agent_registration(config: OAuthConfig) -> bool:
    """True when the config asks for dynamic agent registration (``registration=
    "dynamic-agent"``): the login registers a per-user client and that client id is used
    afterwards."""
    return config.registration == "dynamic-agent"


class AgentRegistrations:
    """The issued client ids and this host's ``ext_agent_host_id`` in a secret store.

    Neither is a secret, but both belong with the login: the client id is reused for refreshes
    and later sign-ins of the same account, and the host id must stay the same for this host
    ("Choose and persist this host's ext_agent_host_id before its first sign-in").
    """

    def __init__(self, store: SecretStore, service: str = OAUTH_SERVICE) -> None:
        self.store = store
        self.service = service

    def client_id(self, account: str) -> str | None:
        """The client id issued for the login ``account``, or None before the first login."""
        value = self.store.get(self.service, f"{account}#agent-client")
        return value if value and _CLIENT_ID.match(value) else None

    def save_client_id(self, account: str, client_id: str) -> None:
        self.store.set(self.service, f"{account}#agent-client", client_id)

    def host_id(self) -> str:
        """This host's id (``urn:uuid:<random UUID>``), created and stored on first use."""
        value = self.store.get(self.service, _HOST_ACCOUNT)
        if not value:
            value = f"urn:uuid:{uuid.uuid4()}"
            self.store.set(self.service, _HOST_ACCOUNT, value)
        return value


def _issuer(config: OAuthConfig) -> str:
    parts = urlsplit(config.authorization_url or config.token_url)
    return f"{parts.scheme}://{parts.netloc}"


def _id_token_claims(id_token: object) -> dict[str, Any] | None:
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def _check_id_token(
    id_token: object, *, issuer: str, client_id: str, nonce: str, now: float
) -> str | None:
    """The reason the ID token is unacceptable, or None (OpenID Connect Core §3.1.3.7)."""
    claims = _id_token_claims(id_token)
    if claims is None:
        return "no readable ID token"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if claims.get("iss") != issuer:
        return "the ID token names another issuer"
    if client_id not in audiences:
        return "the ID token is not for this client"
    if len(audiences) > 1 and claims.get("azp") != client_id:
        return "the ID token's azp is not this client"
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
        claims["nonce"].encode(), nonce.encode()
    ):
        return "the ID token's nonce does not match this login"
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp + _CLOCK_SKEW < now:
        return "the ID token has expired"
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        return "the ID token names no subject"
    return None


async def agent_login(
    config: OAuthConfig,
    open_url: Callable[[str], Awaitable[Any] | Any],
    *,
    resource: str,
    host_id: str,
    client_id: str | None = None,
    agent_name: str = AGENT_NAME,
    on_registration: Callable[[str], Awaitable[None]] | None = None,
    timeout: float = 30.0,
    wait: float = 300.0,
) -> tuple[OAuthToken, str]:
    """Sign in with a per-user client registration (see the module doc).

    Args:
        config: the provider's OAuth config (``authorization_url``, ``token_url``, ``scopes``,
            ``redirect_path``); its ``client_id`` is the registration entrypoint.
        open_url: opens the authorisation URL for the user.
        resource: the API the token is for (RFC 8707), the provider's base URL.
        host_id: this host's ``ext_agent_host_id``.
        client_id: the client id issued at an earlier login of this account, or None to
            register (then ``agent_name_hint`` is sent).
        on_registration: awaited with the issued client id before the code is redeemed, so a
            failed exchange does not register another agent next time.

    Returns:
        The token set and the issued client id.

    Raises:
        OAuthFlowError: refused, ``state`` or the ID token did not match, the redirect carried
            no usable client id, plan usage was not granted, or the exchange failed.
    """
    from authlib.common.security import generate_token

    if not config.authorization_url:
        raise OAuthFlowError("this provider has no authorization_url")
    verifier = MaskedStr(generate_token(64))
    state = MaskedStr(generate_token(32))
    nonce = MaskedStr(generate_token(32))
    extra = {"resource": resource, "nonce": nonce, "ext_agent_host_id": host_id}
    if client_id is None:
        extra["agent_name_hint"] = agent_name
    entry = config.model_copy(update={"client_id": client_id or DYNAMIC_AGENT_CLIENT})
    async with LoopbackRedirect(config.redirect_path) as redirect:
        async with oauth_client(entry, redirect_uri=redirect.uri, timeout=timeout) as oauth:
            url, _ = oauth.create_authorization_url(
                config.authorization_url, state=state, code_verifier=verifier, **extra
            )
        opened = open_url(url)
        if inspect.isawaitable(opened):
            await opened
        params = await _redirect_params(redirect, wait)
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
        issued = str(params.get("client_id") or client_id or "")
        if (
            not _CLIENT_ID.match(issued)
            or issued == DYNAMIC_AGENT_CLIENT
            or (client_id is not None and issued != client_id)
        ):
            raise OAuthFlowError(
                "the sign-in did not complete the app registration (no usable client_id in "
                "the redirect); run the login again",
                error="registration_incomplete",
            )
        if on_registration is not None:
            await on_registration(issued)
        registered = config.model_copy(update={"client_id": issued})
        async with oauth_client(registered, redirect_uri=redirect.uri, timeout=timeout) as oauth:
            try:
                raw = dict(
                    await oauth.fetch_token(
                        config.token_url,
                        grant_type="authorization_code",
                        code=MaskedStr(params.get("code", "")),
                        code_verifier=verifier,
                        redirect_uri=redirect.uri,
                        resource=resource,
                    )
                )
            except Exception as exc:
                error = getattr(exc, "error", None)
                description = getattr(exc, "description", None) or type(exc).__name__
                raise OAuthFlowError(
                    f"exchanging the authorisation code failed: {error or 'error'}: {description}",
                    error=error if isinstance(error, str) else None,
                ) from None
    problem = _check_id_token(
        raw.pop("id_token", None),
        issuer=_issuer(config),
        client_id=issued,
        nonce=nonce,
        now=time.time(),
    )
    if problem is not None:
        raise OAuthFlowError(f"{problem}; run the login again", error="invalid_id_token")
    scope = raw.get("scope")
    granted = scope.split() if isinstance(scope, str) else []
    if PLAN_SCOPE not in granted:
        raise OAuthFlowError(
            "the sign-in did not grant ChatGPT plan usage (scope chatgpt.tokens.use.direct): "
            "allow it on the consent page, or check that the plan is eligible (Plus or Pro)",
            error="plan_usage_not_granted",
        )
    try:
        return OAuthToken.from_response(raw), issued
    except ValueError:
        raise OAuthFlowError("the token response has no access_token") from None


async def _redirect_params(redirect: LoopbackRedirect, wait: float) -> Mapping[str, str]:
    import asyncio

    try:
        return await asyncio.wait_for(redirect.result(), wait)
    except asyncio.TimeoutError:
        raise OAuthFlowError(
            f"no browser redirect arrived within {wait:g} s; run the login again"
        ) from None


async def login_with_registration(
    store: SecretStore,
    account: str,
    config: OAuthConfig,
    *,
    resource: str,
    open_url: Callable[[str], Awaitable[Any] | Any],
    timeout: float = 30.0,
    wait: float = 300.0,
) -> OAuthToken:
    """:func:`agent_login` with the registration kept in ``store``: the saved client id of
    ``account`` is reused, a newly issued one is saved before the code is redeemed."""
    import asyncio

    registrations = AgentRegistrations(store)
    saved = await asyncio.to_thread(registrations.client_id, account)
    host = await asyncio.to_thread(registrations.host_id)

    async def remember(client_id: str) -> None:
        if client_id != saved:
            await asyncio.to_thread(registrations.save_client_id, account, client_id)

    token, _ = await agent_login(
        config,
        open_url,
        resource=resource,
        host_id=host,
        client_id=saved,
        on_registration=remember,
        timeout=timeout,
        wait=wait,
    )
    return token


async def refresh_agent_token(
    store: SecretStore,
    account: str,
    config: OAuthConfig,
    refresh_token: Secret,
    *,
    resource: str,
    provider_id: str,
    timeout: float = 30.0,
) -> OAuthToken:
    """Refresh with the issued client id and ``resource`` (the refresh sends no ``scope``: the
    grant keeps the scopes it had, RFC 6749 §6).

    Raises:
        TokenRefreshError: no registration is stored (log in again), or the refresh failed.
    """
    import asyncio

    client_id = await asyncio.to_thread(AgentRegistrations(store).client_id, account)
    if client_id is None:
        raise TokenRefreshError(
            f"the {provider_id} login has no stored client registration; log in again with "
            f"`llmkit auth login {provider_id}`",
            provider_id=provider_id,
            login_required=True,
        )
    registered = config.model_copy(update={"client_id": client_id, "scopes": ()})
    return await refresh_access_token(
        registered,
        refresh_token,
        provider_id=provider_id,
        timeout=timeout,
        params={"resource": resource},
    )
