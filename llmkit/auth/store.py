"""Secrets in the OS keychain through ``keyring``, refusing backends that keep nothing.

Entries: service ``llmkit`` holds API keys (account = provider id), service ``llmkit-oauth``
holds OAuth tokens (account = provider id, or ``<provider>:<account>``). Every keyring
exception becomes a :class:`~llmkit.errors.KeychainError` whose message says what to do, and
never chains the original (keyring's frames hold the password as a local variable).

Every call runs in a daemon thread with a timeout (``LLMKIT_KEYCHAIN_TIMEOUT`` seconds, default
20), so a locked keychain that waits on a password prompt cannot hang the caller. keyring's
``fail`` and ``null`` backends, ``keyrings.alt`` plaintext files and an empty chain are
refused for writes (reads return None, so resolution falls through to the environment); a
plaintext file is only used when asked for explicitly
(:class:`~llmkit.auth.filestore.PlaintextFileStore`).

:class:`KeyCache` keeps keychain-resolved API keys in memory for a short time (the
:class:`~llmkit.auth.manager.AuthManager` holds one), so a request does not hop to a thread and
the keychain on every call. Every write or deletion through :class:`KeyringStore` or
:class:`KeyStore` (and so ``llmkit keys``) drops the entry from every live cache in the process.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from llmkit.auth.secret import MaskedStr, Secret
from llmkit.errors import KeychainError

if TYPE_CHECKING:
    from cachetools import TTLCache

__all__ = [
    "DEFAULT_KEY_CACHE_TTL",
    "MAX_ENTRY_CHARS",
    "OAUTH_SERVICE",
    "SERVICE",
    "CachedKey",
    "KeyCache",
    "KeyStore",
    "KeyringStore",
    "SecretStore",
    "backend_problem",
    "default_store",
    "invalidate_cached_key",
]

SERVICE = "llmkit"
OAUTH_SERVICE = "llmkit-oauth"
MAX_ENTRY_CHARS = 1280
"""Longest value written as one entry: Windows Credential Manager keeps at most 2,560 bytes
(``CRED_MAX_CREDENTIAL_BLOB_SIZE``), which keyring stores as UTF-16, so 1,280 characters."""

_T = TypeVar("_T")

NO_KEYCHAIN = (
    "no usable OS keychain: install and unlock one (macOS Keychain, Windows Credential "
    "Manager, or a Secret Service such as gnome-keyring or KWallet on Linux; on a headless "
    "Linux box see the credentials guide), or set the provider's environment variable instead"
)


@runtime_checkable
class SecretStore(Protocol):
    """Where llmkit keeps secrets: ``(service, account) -> value``."""

    @property
    def description(self) -> str:
        """A human name for messages (``keyring backend SecretService``, ``file /path``)."""
        ...

    def get(self, service: str, account: str) -> str | None:
        """The value (ideally a :class:`~llmkit.auth.secret.MaskedStr`), or None."""
        ...

    def set(self, service: str, account: str, value: str) -> None:
        """Store or overwrite a value."""
        ...

    def delete(self, service: str, account: str) -> bool:
        """Delete a value; False when there was none."""
        ...


def _name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def backend_problem(backend: object) -> str | None:
    """Why a keyring backend cannot keep secrets, or None when it can.

    Refused: ``keyring.backends.fail`` (no keychain found), ``keyring.backends.null``
    (keeps nothing), any ``keyrings.alt`` plaintext backend, and a chainer with no usable
    backend or with a plaintext one.
    """
    name = _name(backend)
    if name.startswith("keyring.backends.fail."):
        return f"keyring found no keychain (backend {name})"
    if name.startswith("keyring.backends.null."):
        return f"the keyring backend keeps nothing (backend {name})"
    if name.startswith("keyrings.alt.") and "plaintext" in name.lower():
        return f"the keyring backend writes secrets to a plain file (backend {name})"
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        inner = list(getattr(backend, "backends", ()))
        problems = [backend_problem(b) for b in inner]
        plaintext = [p for p in problems if p and "plain file" in p]
        if plaintext:
            return plaintext[0]
        if not inner or all(problems):
            return "keyring's chain of backends is empty"
    return None


def _timeout_default() -> float:
    try:
        return float(os.environ.get("LLMKIT_KEYCHAIN_TIMEOUT", "20"))
    except ValueError:
        return 20.0


DEFAULT_KEY_CACHE_TTL = 60.0
"""Seconds a keychain-resolved API key is reused before the keychain is read again (the
``LLMKIT_KEY_CACHE_TTL`` environment variable overrides it; 0 turns the cache off)."""


def _key_cache_ttl_default() -> float:
    try:
        return float(os.environ.get("LLMKIT_KEY_CACHE_TTL", DEFAULT_KEY_CACHE_TTL))
    except ValueError:
        return DEFAULT_KEY_CACHE_TTL


@dataclass(frozen=True, slots=True)
class CachedKey:
    """One :class:`KeyCache` entry: what the keychain answered.

    Attributes:
        secret: the stored key (a :class:`~llmkit.auth.secret.Secret`, so it never shows in a
            repr), or None: the keychain holds no key for this account.
    """

    secret: Secret | None


_caches: weakref.WeakSet[KeyCache] = weakref.WeakSet()
_caches_lock = threading.Lock()


def invalidate_cached_key(service: str, account: str) -> None:
    """Drop ``service``/``account`` from every live :class:`KeyCache` in this process.

    Called by llmkit's own writes and deletions (:class:`KeyringStore`, :class:`KeyStore`);
    call it after changing the keychain some other way, or wait for the cache's TTL.
    """
    with _caches_lock:
        caches = list(_caches)
    for cache in caches:
        cache.invalidate(service, account)


class KeyCache:
    """Keychain answers (a key, or "no key") kept in memory for ``ttl`` seconds, per
    ``(service, account)``. Thread-safe.

    A read that started before an invalidation does not refill the cache: take
    :attr:`generation` before reading the keychain and pass it to :meth:`put`.

    Args:
        ttl: seconds an entry lives (default ``LLMKIT_KEY_CACHE_TTL`` or
            :data:`DEFAULT_KEY_CACHE_TTL`); 0 or less keeps nothing.
        timer: the clock, in seconds (default ``time.monotonic``; tests pass a fake one).
        maxsize: the most entries kept (the least recently used one goes first).
    """

    def __init__(
        self,
        ttl: float | None = None,
        *,
        timer: Callable[[], float] = time.monotonic,
        maxsize: int = 1024,
    ) -> None:
        self.ttl = _key_cache_ttl_default() if ttl is None else float(ttl)
        self._lock = threading.Lock()
        self._generation = 0
        self._maxsize = maxsize
        self._timer = timer
        # made by the first put (cachetools is imported only when the keychain is read)
        self._entries: TTLCache[tuple[str, str], CachedKey] | None = None
        with _caches_lock:
            _caches.add(self)

    def __repr__(self) -> str:
        return f"KeyCache(ttl={self.ttl:g}, entries={len(self)})"

    def __len__(self) -> int:
        with self._lock:
            return 0 if self._entries is None else len(self._entries)

    @property
    def generation(self) -> int:
        """A counter bumped by every invalidation (see :meth:`put`)."""
        return self._generation

    def get(self, service: str, account: str) -> CachedKey | None:
        """The live entry, or None when the keychain must be read."""
        if self._entries is None:
            return None
        with self._lock:
            return self._entries.get((service, account))

    def put(self, service: str, account: str, secret: Secret | None, generation: int) -> None:
        """Remember the keychain's answer, unless an invalidation happened since
        ``generation`` was taken (the answer may be older than the write)."""
        if self.ttl <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            if self._entries is None:
                from cachetools import TTLCache

                self._entries = TTLCache(self._maxsize, self.ttl, timer=self._timer)
            self._entries[(service, account)] = CachedKey(secret)

    def invalidate(self, service: str, account: str, *, only: Secret | None = None) -> None:
        """Drop one entry (with ``only``: only while it still holds that key)."""
        with self._lock:
            self._generation += 1
            if self._entries is None:
                return
            entry = self._entries.get((service, account))
            if entry is not None and (only is None or entry.secret == only):
                del self._entries[(service, account)]

    def clear(self) -> None:
        """Drop every entry: the next lookup of each key reads the keychain."""
        with self._lock:
            self._generation += 1
            if self._entries is not None:
                self._entries.clear()


def call_with_timeout(fn: Callable[[], _T], timeout: float, what: str) -> _T:
    """Run ``fn`` in a daemon thread; wait at most ``timeout`` seconds.

    A keychain waiting on a password prompt keeps its thread blocked, but not the caller (a
    daemon thread does not keep the process alive either).

    Raises:
        KeychainError: the call did not finish in time.
        Exception: whatever ``fn`` raised.
    """
    future: concurrent.futures.Future[_T] = concurrent.futures.Future()

    def work() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the caller
            future.set_exception(exc)

    threading.Thread(target=work, name="llmkit-keychain", daemon=True).start()
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        raise KeychainError(
            f"the OS keychain did not answer within {timeout:g} s while {what}: it may be "
            "locked and waiting for a password prompt. Unlock it and retry, raise "
            "LLMKIT_KEYCHAIN_TIMEOUT, or set the provider's environment variable instead"
        ) from None


class KeyringStore:
    """:class:`SecretStore` over the ``keyring`` package (the OS keychain).

    Args:
        timeout: seconds each keychain call may take (default ``LLMKIT_KEYCHAIN_TIMEOUT`` or
            20).
        backend: a keyring backend to use instead of ``keyring.get_keyring()``.
    """

    def __init__(self, timeout: float | None = None, backend: Any = None) -> None:
        self.timeout = _timeout_default() if timeout is None else timeout
        self._backend = backend

    def _get_backend(self) -> Any:
        if self._backend is not None:
            return self._backend
        import keyring

        return keyring.get_keyring()

    @property
    def description(self) -> str:
        """``keyring backend <module.Class>``."""
        return f"keyring backend {_name(self._get_backend())}"

    def usable(self) -> str | None:
        """None when the backend keeps secrets, else why not (see :func:`backend_problem`)."""
        return backend_problem(self._get_backend())

    def _refuse(self) -> Any:
        backend = self._get_backend()
        problem = backend_problem(backend)
        if problem:
            raise KeychainError(f"{NO_KEYCHAIN} ({problem})")
        return backend

    def get(self, service: str, account: str) -> str | None:
        """The stored value; None when there is none or no usable keychain exists.

        Raises:
            KeychainError: the keychain exists but refused the read (locked) or timed out.
        """
        from keyring.errors import KeyringError, NoKeyringError

        backend = self._get_backend()
        if backend_problem(backend):
            return None
        try:
            value: str | None = call_with_timeout(
                lambda: backend.get_password(service, account), self.timeout, "reading"
            )
        except NoKeyringError:
            return None
        except (KeyringError, OSError, RuntimeError) as exc:
            raise KeychainError(
                f"the OS keychain refused to read {service}/{account} ({type(exc).__name__}); "
                "unlock it, or set the provider's environment variable instead"
            ) from None
        return None if value is None else MaskedStr(value)

    def set(self, service: str, account: str, value: str) -> None:
        """Store or overwrite a value.

        Raises:
            KeychainError: no usable keychain, the value is longer than
                :data:`MAX_ENTRY_CHARS`, or the keychain refused the write or timed out.
        """
        from keyring.errors import KeyringError

        value = MaskedStr(value)  # this frame may end up in a traceback
        backend = self._refuse()
        if len(value) > MAX_ENTRY_CHARS:
            raise KeychainError(
                f"a value of {len(value)} characters is longer than one keychain entry may be "
                f"({MAX_ENTRY_CHARS}, the Windows Credential Manager limit)"
            )
        try:
            call_with_timeout(
                lambda: backend.set_password(service, account, value), self.timeout, "writing"
            )
        except (KeyringError, OSError, RuntimeError) as exc:
            raise KeychainError(
                f"could not store {service}/{account}: {type(exc).__name__}; {NO_KEYCHAIN}"
            ) from None
        finally:  # even a failed or timed-out write may have changed the entry
            invalidate_cached_key(service, account)

    def delete(self, service: str, account: str) -> bool:
        """Delete a value. Returns False when there was none.

        Raises:
            KeychainError: no usable keychain, or it refused the deletion or timed out.
        """
        from keyring.errors import KeyringError, PasswordDeleteError

        backend = self._refuse()
        try:
            call_with_timeout(
                lambda: backend.delete_password(service, account), self.timeout, "deleting"
            )
        except PasswordDeleteError:
            return False
        except (KeyringError, OSError, RuntimeError) as exc:
            raise KeychainError(
                f"could not delete {service}/{account}: {type(exc).__name__}"
            ) from None
        finally:
            invalidate_cached_key(service, account)
        return True


def default_store() -> SecretStore:
    """The store llmkit uses when none is given: the OS keychain, or the plaintext file named
    by ``LLMKIT_CREDENTIALS_FILE`` when that variable is set (an explicit opt-in)."""
    path = os.environ.get("LLMKIT_CREDENTIALS_FILE")
    if path:
        from llmkit.auth.filestore import PlaintextFileStore

        return PlaintextFileStore(path)
    return KeyringStore()


class KeyStore:
    """Provider API keys (service ``llmkit``, account = provider id) in a :class:`SecretStore`.

    :meth:`set` and :meth:`delete` drop the key from every :class:`KeyCache` in the process, so
    the next request sees the change.

    Args:
        service: the service name (default ``llmkit``).
        store: where to keep them (default :func:`default_store`).
    """

    def __init__(self, service: str = SERVICE, store: SecretStore | None = None) -> None:
        self.service = service
        self.store = store or default_store()

    def get(self, provider_id: str) -> str | None:
        """The stored key, or None (also when no usable keychain exists).

        Raises:
            KeychainError: the keychain exists but refused the read (e.g. locked).
        """
        return self.store.get(self.service, provider_id)

    def set(self, provider_id: str, key: str) -> None:
        """Store (or overwrite) a provider's key.

        Raises:
            KeychainError: no usable keychain, or it refused the write.
        """
        key = MaskedStr(key)  # this frame may end up in a traceback
        try:
            self.store.set(self.service, provider_id, key)
        finally:  # every AuthManager in the process sees the new key on its next call
            invalidate_cached_key(self.service, provider_id)

    def delete(self, provider_id: str) -> bool:
        """Delete a provider's key. Returns False when there was none.

        Raises:
            KeychainError: no usable keychain, or it refused the deletion.
        """
        try:
            return self.store.delete(self.service, provider_id)
        finally:
            invalidate_cached_key(self.service, provider_id)
