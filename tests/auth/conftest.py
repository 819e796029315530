"""Real parts for the credential tests: a Secret Service keychain (gnome-keyring on a private
D-Bus session) and an OAuth 2.0 server on 127.0.0.1 (authlib's server-side grants)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import keyring
import pytest
from keyring.backend import KeyringBackend

from auth.oauth_server import CLIENT_ID, OAuthTestServer
from llmkit.auth.manager import AuthManager, set_default_auth_manager
from llmkit.providers.config import OAuthConfig, ProviderConfig

B = TypeVar("B", bound=KeyringBackend)

_TOOLS = ("dbus-daemon", "gnome-keyring-daemon", "secret-tool", "dbus-send")
_INSTALL = "apt-get install -y gnome-keyring dbus libsecret-tools"


class SecretService:
    """A running private D-Bus session with an unlocked gnome-keyring."""

    def __init__(self, address: str, env: dict[str, str]) -> None:
        self.address = address
        self.env = env

    def lookup(self, service: str, account: str) -> str | None:
        """``secret-tool lookup service <s> username <a>`` (keyring's attribute names)."""
        result = subprocess.run(
            ["secret-tool", "lookup", "service", service, "username", account],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout if result.returncode == 0 else None


def _wait_for_secrets(env: dict[str, str], deadline: float) -> None:
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [
                "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ],
            env=env, capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
        if "boolean true" in probe.stdout:
            return
        time.sleep(0.05)
    pytest.fail("gnome-keyring-daemon did not register org.freedesktop.secrets within 15 s")


@pytest.fixture(scope="session")
def secret_service() -> Iterator[SecretService]:
    """Start ``dbus-daemon --session`` and ``gnome-keyring-daemon --unlock`` with a temporary
    HOME; stop both at the end. Fails (never skips) when the programs are missing."""
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"the real-keychain tests need {', '.join(missing)}: run `{_INSTALL}` "
            "(.ci/run does this itself)"
        )
    home = Path(tempfile.mkdtemp(prefix="llmkit-keyring-"))
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    dbus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert dbus.stdout is not None
    address = dbus.stdout.readline().strip()
    if not address:
        dbus.kill()
        pytest.fail("dbus-daemon printed no address")
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert daemon.stdin is not None
    daemon.stdin.write(b"llmkit-test-keyring-password")
    daemon.stdin.close()
    try:
        _wait_for_secrets(env, time.monotonic() + 15)
        yield SecretService(address, env)
    finally:
        for proc in (daemon, dbus):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def real_keyring(secret_service: SecretService, monkeypatch: pytest.MonkeyPatch) -> SecretService:
    """keyring's SecretService backend on the private bus, for one test."""
    from keyring.backends import SecretService as backend_module

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    backend = new_backend(backend_module.Keyring)
    keyring.set_keyring(backend)
    return secret_service


def new_backend(cls: type[B]) -> B:
    """A new instance of a keyring backend class, typed: keyring's ``KeyringBackend.__init__``
    (no arguments) has no annotations, so calling a backend class directly is an untyped call."""
    return cls()


class MemoryKeyring(KeyringBackend):
    """A keyring backend in a dict (for tests about logic, not about the keychain)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's __init__ is unannotated
        self.items: dict[tuple[str, str], str] = {}
        self.writes = 0
        self.locked = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            from keyring.errors import KeyringLocked

            raise KeyringLocked("locked")
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("none")


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    with OAuthTestServer() as server:
        yield server


def provider_for(
    server: OAuthTestServer, flow: str = "device_code", **extra: object
) -> ProviderConfig:
    """An OpenAI-chat provider whose OAuth login and API are the test server."""
    oauth = OAuthConfig(
        client_id=CLIENT_ID,
        flow=flow,
        device_authorization_url=f"{server.base}/device_authorization",
        authorization_url=f"{server.base}/authorize",
        token_url=f"{server.base}/token",
        scopes=("chat",),
        **extra,
    )
    return ProviderConfig(
        id="acme-oauth",
        protocol="openai-chat",
        base_url=f"{server.base}/v1",
        api_key_env="ACME_OAUTH_KEY",
        oauth=oauth,
    )


@pytest.fixture
def lock_dir(tmp_path: Path) -> Path:
    path = tmp_path / "locks"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def _fresh_default_manager(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("LLMKIT_LOCK_DIR", str(tmp_path / "default-locks"))
    monkeypatch.delenv("LLMKIT_CREDENTIALS_FILE", raising=False)
    set_default_auth_manager(None)
    yield
    set_default_auth_manager(None)


def manager(lock_dir: Path, **kwargs: object) -> AuthManager:
    return AuthManager(lock_dir=lock_dir, **kwargs)  # type: ignore[arg-type]
