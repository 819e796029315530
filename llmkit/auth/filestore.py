"""An explicit opt-in plaintext credentials file, for machines with no keychain.

Only used when passed as ``store=`` or named by ``LLMKIT_CREDENTIALS_FILE``; llmkit never falls
back to it by itself. The file is JSON ``{"<service>/<account>": "<value>"}``, mode 0600,
owned by the current user, never a symlink. Every write goes to a new temporary file in the
same directory (created 0600 with ``O_EXCL | O_NOFOLLOW``, ``fchmod`` again before any byte is
written), is ``fsync``-ed, then atomically replaces the file (``os.replace``) and the directory
is ``fsync``-ed, under a file lock so two processes cannot lose each other's updates.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from llmkit.auth.secret import MaskedStr
from llmkit.errors import KeychainError

__all__ = ["PlaintextFileStore"]

_LOCK_TIMEOUT = 30.0  # seconds to wait for another process's write


def _parse(raw: bytes) -> dict[str, str] | None:
    """The file's entries with :class:`MaskedStr` values, or None when it is not valid."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return {str(k): MaskedStr(v) for k, v in data.items()}


class PlaintextFileStore:
    """:class:`~llmkit.auth.store.SecretStore` in a 0600 JSON file. Secrets are NOT encrypted.

    Args:
        path: the file (created on the first write; its directory must exist or is created
            0700).

    Raises:
        KeychainError: (from every method) the path is a symlink, not a regular file, not owned
            by the current user, readable or writable by group or others, or not valid JSON.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()

    @property
    def description(self) -> str:
        """``plaintext file <path>``."""
        return f"plaintext file {self.path}"

    def __repr__(self) -> str:
        return f"PlaintextFileStore({str(self.path)!r})"

    def _check(self, st: os.stat_result) -> None:
        if stat.S_ISLNK(st.st_mode):
            raise KeychainError(f"refusing the credentials file {self.path}: it is a symlink")
        if not stat.S_ISREG(st.st_mode):
            raise KeychainError(f"refusing the credentials file {self.path}: not a regular file")
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            raise KeychainError(f"refusing the credentials file {self.path}: owned by another user")
        if st.st_mode & 0o077:
            raise KeychainError(
                f"refusing the credentials file {self.path}: mode {stat.S_IMODE(st.st_mode):o} "
                f"lets other users read or change it; run `chmod 600 {self.path}`"
            )

    def _read(self) -> dict[str, str]:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return {}
        self._check(st)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags)
        except OSError as exc:
            raise KeychainError(f"cannot open {self.path}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            self._check(os.fstat(handle.fileno()))
            data = _parse(handle.read())
        if data is None:
            raise KeychainError(f"the credentials file {self.path} is not a JSON object of strings")
        return data

    def _write(self, data: dict[str, str]) -> None:
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.path.is_symlink():
            raise KeychainError(f"refusing the credentials file {self.path}: it is a symlink")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(data, sort_keys=True).encode())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if hasattr(os, "O_DIRECTORY"):
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = FileLock(str(self.path) + ".lock", timeout=_LOCK_TIMEOUT, thread_local=False)
        try:
            with lock:
                yield
        except Timeout:
            raise KeychainError(f"the credentials file {self.path} stayed locked") from None

    @staticmethod
    def _key(service: str, account: str) -> str:
        return f"{service}/{account}"

    def get(self, service: str, account: str) -> str | None:
        """The stored value or None.

        Raises:
            KeychainError: the file is unsafe or unreadable.
        """
        return self._read().get(self._key(service, account))

    def set(self, service: str, account: str, value: str) -> None:
        """Store or overwrite a value (atomic replace of the whole file).

        Raises:
            KeychainError: the file is unsafe or unreadable.
        """
        value = MaskedStr(value)  # this frame may end up in a traceback
        with self._locked():
            data = self._read()
            data[self._key(service, account)] = value
            self._write(data)

    def delete(self, service: str, account: str) -> bool:
        """Delete a value; False when there was none.

        Raises:
            KeychainError: the file is unsafe or unreadable.
        """
        with self._locked():
            data = self._read()
            if data.pop(self._key(service, account), None) is None:
                return False
            self._write(data)
        return True
