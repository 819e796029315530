"""Gateway keys: what clients present to use the gateway (never a provider's key).

A key is ``llmkgw-`` and 43 URL-safe characters (256 random bits from :mod:`secrets`). It is
shown once, when created; the keys file keeps only its SHA-256 (a fast hash is enough for a
high-entropy key: there is nothing to guess), its id, a short hint (its first 10 characters),
and its restrictions. A presented key is hashed and compared with every stored hash with
:func:`hmac.compare_digest`.

The file is JSON::

    {"version": 1, "keys": [{"id": "3f9c1a2b", "sha256": "<64 hex>", "hint": "llmkgw-Ab1",
      "created": "2025-06-01T12:00:00Z", "name": "ci", "models": ["fast"],
      "rate_limit": {"requests_per_minute": 60}}]}

written with mode 0600, atomically (a temporary file in the same folder, ``fsync``, then
``os.replace``) under a file lock, so a running gateway never reads half a file. The gateway
re-reads it when it changes (keys created or revoked while it runs take effect at once).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from llmkit.reliability.ratelimit import RateLimit
from llmkit.server.config import GatewayConfigError

__all__ = ["KEY_PREFIX", "GatewayKey", "KeysFile", "hash_key"]

KEY_PREFIX = "llmkgw-"
_LOCK_TIMEOUT = 30.0  # seconds


def hash_key(key: str) -> str:
    """The stored form of a key: the SHA-256 of its UTF-8 bytes, in hex (64 characters)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GatewayKey:
    """One gateway key's record (never the key itself).

    Attributes:
        id: 8 hex characters naming the key (``llmkit gateway keys revoke <id>``).
        sha256: the key's SHA-256, hex.
        hint: the key's first 10 characters, to recognise it.
        created: when it was created (UTC, ISO 8601).
        name: a label, if given.
        models: the models the key may use (aliases or ``"provider:model"``, ``*`` patterns
            allowed: ``"openai:*"``); None: every model.
        rate_limit: the key's own limits (``requests_per_minute``, ``tokens_per_minute``,
            ``max_concurrency``), None: none.
    """

    id: str
    sha256: str = field(repr=False)
    hint: str = ""
    created: str = ""
    name: str | None = None
    models: tuple[str, ...] | None = None
    rate_limit: RateLimit | None = None

    def allows(self, model: str) -> bool:
        """Whether this key may use ``model`` (as the client sent it)."""
        if self.models is None:
            return True
        return any(fnmatchcase(model, pattern) for pattern in self.models)

    def to_json(self) -> dict[str, object]:
        """The record as stored in the file."""
        out: dict[str, object] = {
            "id": self.id,
            "sha256": self.sha256,
            "hint": self.hint,
            "created": self.created,
        }
        if self.name is not None:
            out["name"] = self.name
        if self.models is not None:
            out["models"] = list(self.models)
        if self.rate_limit is not None:
            out["rate_limit"] = self.rate_limit.model_dump(exclude_defaults=True)
        return out

    @classmethod
    def from_json(cls, data: object, where: str) -> GatewayKey:
        """A record read from the file.

        Raises:
            GatewayConfigError: a field is missing or of the wrong type (``where`` names the
                entry).
        """
        from pydantic import ValidationError

        if not isinstance(data, dict):
            raise GatewayConfigError(f"{where}: each key must be an object", key=where)
        key_id, digest = data.get("id"), data.get("sha256")
        if not isinstance(key_id, str) or not key_id:
            raise GatewayConfigError(f"{where}.id: missing or not a string", key=f"{where}.id")
        if not isinstance(digest, str) or len(digest) != 64:
            raise GatewayConfigError(
                f"{where}.sha256: missing or not 64 hex characters", key=f"{where}.sha256"
            )
        models = data.get("models")
        if models is not None and (
            not isinstance(models, list) or not all(isinstance(m, str) for m in models)
        ):
            raise GatewayConfigError(
                f"{where}.models: must be a list of model names", key=f"{where}.models"
            )
        limit = data.get("rate_limit")
        try:
            rate_limit = RateLimit.model_validate(limit) if limit is not None else None
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            sub = ".".join(str(p) for p in first["loc"])
            raise GatewayConfigError(
                f"{where}.rate_limit.{sub}: {first['msg']}", key=f"{where}.rate_limit.{sub}"
            ) from None
        name = data.get("name")
        return cls(
            id=key_id,
            sha256=digest.lower(),
            hint=str(data.get("hint", "")),
            created=str(data.get("created", "")),
            name=name if isinstance(name, str) else None,
            models=tuple(models) if models is not None else None,
            rate_limit=rate_limit,
        )


class KeysFile:
    """The gateway keys file (see the module docstring).

    Args:
        path: the file; it need not exist (no keys yet).

    Raises:
        GatewayConfigError: (from every reading method) the file is not valid JSON or an
            entry is malformed; the message names the file and the entry.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._stamp: tuple[int, int] | None = None
        self._keys: tuple[GatewayKey, ...] = ()

    def __repr__(self) -> str:
        return f"KeysFile({str(self.path)!r})"

    # ------------------------------------------------------------------ reading
    def keys(self) -> tuple[GatewayKey, ...]:
        """The stored keys, re-read when the file changed since the last call."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._keys = None, ()
            return ()
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._keys = self._read()
            self._stamp = stamp
        return self._keys

    def _read(self) -> tuple[GatewayKey, ...]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return ()
        except OSError as exc:
            raise GatewayConfigError(f"cannot read gateway keys file {self.path}: {exc}") from exc
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise GatewayConfigError(
                f"gateway keys file {self.path} is not valid JSON", path=self.path
            ) from None
        entries = data.get("keys", []) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise GatewayConfigError(
                f"gateway keys file {self.path}: 'keys' must be a list", key="keys", path=self.path
            )
        try:
            return tuple(GatewayKey.from_json(e, f"keys[{i}]") for i, e in enumerate(entries))
        except GatewayConfigError as exc:
            raise GatewayConfigError(
                f"gateway keys file {self.path}: {exc}", key=exc.key, path=self.path
            ) from None

    def find(self, presented: str) -> GatewayKey | None:
        """The record of a presented key, or None (compared in constant time per record;
        every record is compared, whatever matches)."""
        digest = hash_key(presented)
        found: GatewayKey | None = None
        for record in self.keys():
            if hmac.compare_digest(digest, record.sha256):
                found = record
        return found

    # ------------------------------------------------------------------ writing
    def create(
        self,
        *,
        models: tuple[str, ...] | None = None,
        rate_limit: RateLimit | None = None,
        name: str | None = None,
    ) -> tuple[str, GatewayKey]:
        """Make a new key and store its record.

        Returns:
            The key (to show once: it is not stored) and its record.
        """
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        with self._locked() as records:
            taken = {r.id for r in records}
            key_id = secrets.token_hex(4)
            while key_id in taken:  # pragma: no cover - 1 in 4 billion
                key_id = secrets.token_hex(4)
            record = GatewayKey(
                id=key_id,
                sha256=hash_key(key),
                hint=key[:10],
                created=created.replace("+00:00", "Z"),
                name=name,
                models=models,
                rate_limit=rate_limit,
            )
            records.append(record)
        return key, record

    def revoke(self, key_id: str) -> bool:
        """Remove the key ``key_id``; False when there is no such key."""
        with self._locked() as records:
            before = len(records)
            records[:] = [r for r in records if r.id != key_id]
            return len(records) != before

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[GatewayKey]]:
        """The records, to change in place, under the file lock; written back atomically."""
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with FileLock(str(self.path) + ".lock", timeout=_LOCK_TIMEOUT):
            records = list(self._read())
            yield records
            self._write(records)
        self._stamp = None

    def _write(self, records: list[GatewayKey]) -> None:
        data: dict[str, Any] = {"version": 1, "keys": [r.to_json() for r in records]}
        text = json.dumps(data, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".gateway-keys-", dir=self.path.parent)  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                os.fchmod(out.fileno(), 0o600)
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # the rename itself, durable
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
