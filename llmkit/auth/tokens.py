"""OAuth tokens: the masked token type, and their entries in the secret store.

A token set is stored as one JSON entry under service ``llmkit-oauth``. Windows Credential
Manager keeps at most 1,280 characters per entry
(:data:`~llmkit.auth.store.MAX_ENTRY_CHARS`): when the JSON is longer, the short-lived access
token is left out (it stays in memory; the next process refreshes), and if the rest is still
too long it is split deliberately into numbered parts ``<account>#1..n`` behind a head entry
holding the part count and a SHA-256 of the whole.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from llmkit.auth.secret import MaskedStr, Secret
from llmkit.auth.store import MAX_ENTRY_CHARS, OAUTH_SERVICE, SecretStore
from llmkit.errors import KeychainError

__all__ = ["OAuthToken", "TokenStore"]

_PART = 1200  # characters per part of a split entry (a part's JSON wrapper fits the limit)


@dataclass(frozen=True, slots=True, repr=False)
class OAuthToken:
    """An OAuth 2.0 token set. ``repr`` shows only the expiry and which parts are present.

    Attributes:
        access_token: the bearer token, or None when only the refresh token was stored.
        refresh_token: the refresh token (RFC 6749 §6), if the server issued one.
        expires_at: when the access token expires, seconds since the epoch on the LOCAL clock
            (computed from the relative ``expires_in`` when it arrived, so a server whose
            clock is off does not matter), or None when unknown.
        token_type: normally ``Bearer``.
        scope: the granted scopes, space-separated.
        lifetime: the access token's lifetime in seconds when issued, or None.
    """

    access_token: Secret | None
    refresh_token: Secret | None = None
    expires_at: float | None = None
    token_type: str = "Bearer"
    scope: str | None = None
    lifetime: float | None = None

    @classmethod
    def from_response(cls, data: Mapping[str, object], now: float | None = None) -> OAuthToken:
        """Build from a token endpoint's JSON (RFC 6749 §5.1).

        Args:
            data: the response object: ``access_token``, ``token_type``, ``expires_in``
                (seconds), ``refresh_token``, ``scope``.
            now: the local time the response arrived (default ``time.time()``).

        Raises:
            ValueError: no ``access_token``.
        """
        now = time.time() if now is None else now
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("the token response has no access_token")
        refresh = data.get("refresh_token")
        expires_in = data.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, (int, float, str)) else None
        if lifetime is not None and lifetime <= 0:
            lifetime = None
        scope = data.get("scope")
        return cls(
            access_token=Secret(access, "oauth"),
            refresh_token=Secret(refresh, "oauth")
            if isinstance(refresh, str) and refresh
            else None,
            expires_at=None if lifetime is None else now + lifetime,
            token_type=str(data.get("token_type") or "Bearer"),
            scope=scope if isinstance(scope, str) else None,
            lifetime=lifetime,
        )

    def needs_refresh(self, now: float, margin: float) -> bool:
        """True when the access token is missing or expires within the margin.

        The margin is capped at half the token's lifetime, so a token issued for 60 s is not
        refreshed on every request with a 120 s margin.
        """
        if self.access_token is None:
            return True
        if self.expires_at is None:
            return False
        if self.lifetime:
            margin = min(margin, self.lifetime / 2)
        return now >= self.expires_at - margin

    def with_refresh_token(self, refresh: Secret | None) -> OAuthToken:
        """A copy keeping ``refresh`` when the server sent no new refresh token (RFC 6749 §6)."""
        if self.refresh_token is not None or refresh is None:
            return self
        return replace(self, refresh_token=refresh)

    def to_json(self, *, include_access: bool = True) -> MaskedStr:
        """The stored form (a :class:`MaskedStr`: it holds the raw tokens)."""
        data: dict[str, object] = {"v": 1, "token_type": self.token_type}
        if include_access and self.access_token is not None:
            data["access_token"] = self.access_token.reveal()
            data["expires_at"] = self.expires_at
            data["lifetime"] = self.lifetime
        if self.refresh_token is not None:
            data["refresh_token"] = self.refresh_token.reveal()
        if self.scope:
            data["scope"] = self.scope
        return MaskedStr(json.dumps(data, separators=(",", ":")))

    @classmethod
    def from_json(cls, text: str) -> OAuthToken:
        """Parse :meth:`to_json`'s form.

        Raises:
            ValueError: not a stored token.
        """
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError("not a stored llmkit token")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        expires_at, lifetime = data.get("expires_at"), data.get("lifetime")
        return cls(
            access_token=Secret(access, "oauth") if isinstance(access, str) else None,
            refresh_token=Secret(refresh, "oauth") if isinstance(refresh, str) else None,
            expires_at=float(expires_at) if isinstance(expires_at, (int, float)) else None,
            token_type=str(data.get("token_type") or "Bearer"),
            scope=data.get("scope") if isinstance(data.get("scope"), str) else None,
            lifetime=float(lifetime) if isinstance(lifetime, (int, float)) else None,
        )

    def __repr__(self) -> str:
        parts = [
            "access_token=" + ("'***'" if self.access_token else "None"),
            "refresh_token=" + ("'***'" if self.refresh_token else "None"),
            f"expires_at={self.expires_at!r}",
        ]
        return f"OAuthToken({', '.join(parts)})"

    __str__ = __repr__


class TokenStore:
    """OAuth token sets in a :class:`~llmkit.auth.store.SecretStore` (service ``llmkit-oauth``).

    Args:
        store: the secret store.
        service: the service name.
        max_entry: the longest value written as one entry (characters).
    """

    def __init__(
        self, store: SecretStore, service: str = OAUTH_SERVICE, max_entry: int = MAX_ENTRY_CHARS
    ) -> None:
        self.store = store
        self.service = service
        self.max_entry = max_entry

    def load(self, account: str) -> OAuthToken | None:
        """The stored token set, or None.

        Raises:
            KeychainError: the store refused the read, or the entry is corrupt (log in again).
        """
        head = self.store.get(self.service, account)
        if head is None:
            return None
        token = self._decode(account, MaskedStr(head))
        if token is None:
            raise KeychainError(
                f"the stored OAuth token for {account!r} is corrupt; log in again with "
                f"`llmkit auth login {account.split(':')[0]}`"
            )
        return token

    def _decode(self, account: str, head: MaskedStr) -> OAuthToken | None:
        # Returns None instead of raising, so no frame holding raw token text is kept in a
        # traceback.
        try:
            meta = json.loads(head)
            if isinstance(meta, dict) and "parts" in meta:
                chunks = [
                    self.store.get(self.service, f"{account}#{i}")
                    for i in range(1, int(meta["parts"]) + 1)
                ]
                if any(c is None for c in chunks):
                    return None
                head = MaskedStr("".join(c for c in chunks if c is not None))
                if hashlib.sha256(head.encode()).hexdigest() != meta.get("sha256"):
                    return None
            del meta
            return OAuthToken.from_json(head)
        except (ValueError, TypeError, KeyError):
            return None

    def save(self, account: str, token: OAuthToken) -> None:
        """Store a token set, overwriting the old one (see the module doc for long values).

        Raises:
            KeychainError: the store refused the write.
        """
        text = token.to_json()
        if len(text) > self.max_entry:
            text = token.to_json(include_access=False)
        old_parts = self._part_count(account)
        if len(text) <= self.max_entry:
            self.store.set(self.service, account, text)
            parts = 0
        else:
            chunks = [text[i : i + _PART] for i in range(0, len(text), _PART)]
            for i, chunk in enumerate(chunks, 1):
                self.store.set(self.service, f"{account}#{i}", MaskedStr(chunk))
            sha = hashlib.sha256(text.encode()).hexdigest()
            head = {"v": 1, "parts": len(chunks), "sha256": sha}
            self.store.set(self.service, account, json.dumps(head))
            parts = len(chunks)
        for i in range(parts + 1, old_parts + 1):
            self.store.delete(self.service, f"{account}#{i}")

    def delete(self, account: str) -> bool:
        """Delete a token set and its parts; False when there was none.

        Raises:
            KeychainError: the store refused the deletion.
        """
        for i in range(1, self._part_count(account) + 1):
            self.store.delete(self.service, f"{account}#{i}")
        return self.store.delete(self.service, account)

    def _part_count(self, account: str) -> int:
        head = self.store.get(self.service, account)
        try:
            meta = json.loads(head) if head else None
        except ValueError:
            return 0
        return int(meta["parts"]) if isinstance(meta, dict) and "parts" in meta else 0
