"""API keys in the OS keychain, through ``keyring`` (service ``llmkit``, user = provider id).

Every keyring exception is mapped to :class:`~llmkit.errors.KeychainError` here, with a message
that says what to do. Calls are blocking (D-Bus, Keychain Services, Credential Manager); async
code runs them in a worker thread.
"""

from __future__ import annotations

from types import ModuleType

from llmkit.errors import KeychainError

__all__ = ["SERVICE", "KeyStore"]

SERVICE = "llmkit"

_NO_KEYCHAIN = (
    "no usable OS keychain: install and unlock one (macOS Keychain, Windows Credential Manager, "
    "or a Secret Service such as gnome-keyring / KWallet on Linux), or set the provider's "
    "environment variable instead"
)


class KeyStore:
    """Read, write and delete provider API keys in the OS keychain.

    Args:
        service: the keyring service name (default ``llmkit``).
    """

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    @staticmethod
    def _keyring() -> ModuleType:
        import keyring

        return keyring

    def _check_backend(self) -> None:
        keyring = self._keyring()
        backend = keyring.get_keyring()
        name = type(backend).__module__ + "." + type(backend).__name__
        if name.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
            raise KeychainError(f"{_NO_KEYCHAIN} (keyring backend: {name})")

    def get(self, provider_id: str) -> str | None:
        """The stored key for a provider, or None when there is none or no keychain exists.

        Raises:
            KeychainError: the keychain exists but refused the read (e.g. locked).
        """
        keyring = self._keyring()
        from keyring.errors import KeyringError, NoKeyringError

        try:
            value: str | None = keyring.get_password(self.service, provider_id)
        except NoKeyringError:
            return None
        except KeyringError as exc:
            raise KeychainError(
                f"the OS keychain refused to read the key for {provider_id!r} "
                f"({type(exc).__name__}); unlock it, or set the environment variable instead"
            ) from exc
        return value

    def set(self, provider_id: str, key: str) -> None:
        """Store (or overwrite) a provider's key.

        Raises:
            KeychainError: no usable keychain, or it refused the write.
        """
        self._check_backend()
        from keyring.errors import KeyringError

        try:
            self._keyring().set_password(self.service, provider_id, key)
        except KeyringError as exc:
            raise KeychainError(
                f"could not store the key for {provider_id!r}: {type(exc).__name__}; {_NO_KEYCHAIN}"
            ) from exc

    def delete(self, provider_id: str) -> bool:
        """Delete a provider's key. Returns False when there was none.

        Raises:
            KeychainError: no usable keychain, or it refused the deletion.
        """
        self._check_backend()
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            self._keyring().delete_password(self.service, provider_id)
        except PasswordDeleteError:
            return False
        except KeyringError as exc:
            raise KeychainError(
                f"could not delete the key for {provider_id!r}: {type(exc).__name__}"
            ) from exc
        return True
