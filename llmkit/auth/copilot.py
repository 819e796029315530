"""GitHub Copilot: the GitHub login token is exchanged for a short-lived Copilot API token.

After a device-code login with GitHub (RFC 8628, ``https://github.com/login/device/code``),
``GET https://api.github.com/copilot_internal/v2/token`` with ``Authorization: token <GitHub
token>`` answers ``{"token": ..., "expires_at": <epoch s>, "refresh_in": <s>, "endpoints":
{"api": "https://api.<plan>.githubcopilot.com"}}``. The Copilot token is kept in memory only
and exchanged again before it expires; the GitHub token lives in the keychain. The API base the
response names is checked against the config's allowlist (a tampered or unexpected answer must
not redirect prompts and tokens elsewhere).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from llmkit.auth.secret import MaskedStr, Secret
from llmkit.errors import AuthError, TokenRefreshError
from llmkit.providers.config import TokenExchange

__all__ = ["DEFAULT_COPILOT_API", "ApiToken", "check_api_base", "exchange_copilot_token"]

DEFAULT_COPILOT_API = "https://api.githubcopilot.com"


@dataclass(frozen=True, slots=True, repr=False)
class ApiToken:
    """A short-lived API token from a token exchange (never stored).

    Attributes:
        token: the token.
        expires_at: expiry on the LOCAL clock (seconds since the epoch).
        lifetime: seconds it was valid for when issued.
        api_base: the API root to send requests to.
    """

    token: Secret
    expires_at: float
    lifetime: float
    api_base: str

    def needs_refresh(self, now: float, margin: float) -> bool:
        """True within ``min(margin, lifetime / 2)`` seconds of expiry."""
        return now >= self.expires_at - min(margin, self.lifetime / 2)

    def __repr__(self) -> str:
        return f"ApiToken(token='***', expires_at={self.expires_at!r}, api_base={self.api_base!r})"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_base(url: str, allowed_hosts: tuple[str, ...]) -> str:
    """Return ``url`` without a trailing slash if its host is allowed.

    ``allowed_hosts`` entries are exact hosts or ``*.suffix`` patterns; ``https`` is required
    except for loopback hosts.

    Raises:
        AuthError: the URL is not https, has credentials, or names a host not in the list.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    secure = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
    allowed = any(
        host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
        for pattern in (p.lower() for p in allowed_hosts)
    )
    if not secure or not allowed or parts.username or parts.password:
        raise AuthError(
            f"refusing the API base {parts.scheme}://{host} from the token exchange: not an "
            f"allowed host ({', '.join(allowed_hosts)}) over https"
        )
    return url.rstrip("/")


def _lifetime(data: dict[str, object], date_header: str | None, now: float) -> float:
    """Seconds the token is valid for, tolerating a skewed local clock.

    ``expires_at`` is absolute on GitHub's clock: measured against the response's ``Date``
    header when present, else ``refresh_in`` (relative) is used, else the local clock.
    """
    expires_at = data.get("expires_at")
    refresh_in = data.get("refresh_in")
    if isinstance(expires_at, (int, float)) and date_header:
        try:
            server_now = parsedate_to_datetime(date_header).timestamp()
            return max(float(expires_at) - server_now, 0.0)
        except (TypeError, ValueError):
            pass
    if isinstance(refresh_in, (int, float)) and refresh_in > 0:
        return float(refresh_in) + 60.0
    if isinstance(expires_at, (int, float)):
        return max(float(expires_at) - now, 0.0)
    return 600.0


async def exchange_copilot_token(
    exchange: TokenExchange,
    github_token: Secret,
    *,
    provider_id: str,
    timeout: float = 30.0,
    now: float | None = None,
) -> ApiToken:
    """Exchange the GitHub token for a Copilot API token.

    Raises:
        TokenRefreshError: GitHub refused the token (401/403: logged out, revoked, or no
            Copilot subscription; ``login_required``) or the exchange failed.
        AuthError: the API base in the answer is not on the allowlist.
    """
    import httpx

    headers = {
        "accept": "application/json",
        **exchange.headers,
        "authorization": MaskedStr(f"token {github_token.reveal()}"),
    }
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            response = await http.get(exchange.url, headers=headers)
        data = response.json() if response.status_code < 400 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise TokenRefreshError(
            f"the {provider_id} token exchange failed ({type(exc).__name__}); retry",
            provider_id=provider_id,
            login_required=False,
        ) from None
    received = time.time() if now is None else now
    if response.status_code in (401, 403, 404):
        raise TokenRefreshError(
            f"GitHub refused the Copilot token exchange (HTTP {response.status_code}): the "
            f"login was revoked or the account has no Copilot access; log in again with "
            f"`llmkit auth login {provider_id}`",
            provider_id=provider_id,
            login_required=True,
            error=f"http_{response.status_code}",
        )
    raw = data.pop("token", None) if isinstance(data, dict) else None
    token = Secret(raw, "oauth-exchange") if isinstance(raw, str) and raw else None
    del raw  # only the masked Secret stays in this frame
    if not isinstance(data, dict) or token is None:
        raise TokenRefreshError(
            f"the {provider_id} token exchange answered HTTP {response.status_code} without a "
            "token; retry",
            provider_id=provider_id,
            login_required=False,
        )
    endpoints = data.get("endpoints")
    api = endpoints.get("api") if isinstance(endpoints, dict) else None
    api_base = check_api_base(
        api if isinstance(api, str) and api else DEFAULT_COPILOT_API, exchange.allowed_api_hosts
    )
    lifetime = _lifetime(data, response.headers.get("date"), received)
    return ApiToken(
        token=token,
        expires_at=received + lifetime,
        lifetime=lifetime,
        api_base=api_base,
    )
