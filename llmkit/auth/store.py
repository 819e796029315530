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
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from llmkit.auth.secret import MaskedStr
from llmkit.errors import KeychainError

__all__ = [
    "MAX_ENTRY_CHARS",
    "OAUTH_SERVICE",
    "SERVICE",
    "KeyStore",
    "KeyringStore",
    "SecretStore",
    "backend_problem",
    "default_store",
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
        self.store.set(self.service, provider_id, key)

    def delete(self, provider_id: str) -> bool:
        """Delete a provider's key. Returns False when there was none.

        Raises:
            KeychainError: no usable keychain, or it refused the deletion.
        """
        return self.store.delete(self.service, provider_id)
