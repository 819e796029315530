"""The opt-in plaintext file store, and the ``llmkit keys`` / ``llmkit auth`` commands."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from auth.conftest import MemoryKeyring, SecretService, provider_for
from auth.oauth_server import OAuthTestServer
from llmkit.auth.filestore import PlaintextFileStore
from llmkit.auth.manager import AuthManager
from llmkit.auth.store import SERVICE, KeyStore, default_store
from llmkit.cli.auth import auth_login, auth_logout, auth_status
from llmkit.cli.keys import keys_get, keys_set
from llmkit.cli.main import main
from llmkit.errors import KeychainError
from llmkit.providers import default_registry
from llmkit.providers.registry import ProviderRegistry


def test_file_store_is_0600_atomic_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "credentials.json"
    store = PlaintextFileStore(path)
    assert store.get(SERVICE, "acme") is None
    store.set(SERVICE, "acme", "k1")
    store.set(SERVICE, "other", "k2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.get(SERVICE, "acme") == "k1"
    store.set(SERVICE, "acme", "k1b")
    assert store.get(SERVICE, "acme") == "k1b"
    assert store.delete(SERVICE, "acme") is True
    assert store.delete(SERVICE, "acme") is False
    assert store.get(SERVICE, "other") == "k2"
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []  # every write replaced the file through a temp file


def test_file_store_refuses_unsafe_files(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    store = PlaintextFileStore(path)
    store.set(SERVICE, "acme", "k1")
    os.chmod(path, 0o644)
    with pytest.raises(KeychainError, match="chmod 600"):
        store.get(SERVICE, "acme")
    os.chmod(path, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(path)
    with pytest.raises(KeychainError, match="symlink"):
        PlaintextFileStore(link).get(SERVICE, "acme")
    with pytest.raises(KeychainError, match="symlink"):
        PlaintextFileStore(link).set(SERVICE, "acme", "k2")
    assert store.get(SERVICE, "acme") == "k1"  # the target was not touched
    path.write_text("not json")
    with pytest.raises(KeychainError, match="not a JSON object"):
        store.get(SERVICE, "acme")


def test_the_file_store_is_only_used_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the autouse fixture installed keyring's null backend: no silent fallback to a file
    with pytest.raises(KeychainError, match="no usable OS keychain"):
        KeyStore().set("acme", "k")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("LLMKIT_CREDENTIALS_FILE", str(tmp_path / "creds.json"))
    assert isinstance(default_store(), PlaintextFileStore)
    KeyStore().set("acme", "k")
    assert KeyStore().get("acme") == "k"


def test_keys_set_and_get_through_the_real_keychain(
    real_keyring: SecretService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-from-stdin-42\n"))
    assert main(["keys", "set", "openai"]) == 0
    assert real_keyring.lookup(SERVICE, "openai") == "sk-from-stdin-42"
    assert main(["keys", "get", "openai"]) == 0
    out = capsys.readouterr().out
    assert "16 characters" in out
    assert "sk-from-stdin-42" not in out
    assert main(["keys", "get", "openai", "--show"]) == 0
    assert capsys.readouterr().out.strip() == "sk-from-stdin-42"
    assert main(["keys", "delete", "openai"]) == 0
    assert main(["keys", "get", "openai"]) == 1
    assert real_keyring.lookup(SERVICE, "openai") is None


def test_keys_never_come_from_argv() -> None:
    with pytest.raises(SystemExit):
        main(["keys", "set", "openai", "sk-on-the-command-line"])


def test_keys_set_and_get_helpers(memory_keyring: MemoryKeyring) -> None:
    out = io.StringIO()
    assert keys_set("openai", default_registry(), stdin=io.StringIO("sk-1\n"), out=out) == 0
    assert keys_get("openai", out=out) == 0
    assert "sk-1" not in out.getvalue()


async def test_auth_login_status_logout(
    oauth_server: OAuthTestServer, memory_keyring: MemoryKeyring, lock_dir: Path
) -> None:
    import httpx

    provider = provider_for(oauth_server)
    registry = ProviderRegistry([provider])
    auth = AuthManager(lock_dir=lock_dir)

    class Terminal(io.StringIO):
        def write(self, text: str) -> int:  # the user reads the code and approves it
            if "enter the code:" in text:
                code = text.rsplit("enter the code: ", 1)[1].split("\n", 1)[0]
                httpx.get(f"{oauth_server.base}/device/approve", params={"user_code": code})
            return super().write(text)

    out = Terminal()
    assert await auth_login("acme-oauth", registry, manager=auth, out=out) == 0
    assert f"open {oauth_server.base}/device" in out.getvalue()
    assert "logged in to acme-oauth" in out.getvalue()
    status = io.StringIO()
    assert auth_status("acme-oauth", registry, manager=auth, out=status) == 0
    assert "logged in; access token expires in 60 min; refreshable" in status.getvalue()
    assert "canary" not in out.getvalue() + status.getvalue()
    assert await auth_logout("acme-oauth", registry, manager=auth, out=out) == 0
    status = io.StringIO()
    auth_status("acme-oauth", registry, manager=auth, out=status)
    assert "not logged in" in status.getvalue()
    assert auth_status("openai", default_registry(), manager=auth, out=status) == 1


def test_auth_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["auth", "login", "openai"]) == 1
    assert "no OAuth login" in capsys.readouterr().err
    assert main(["auth", "status"]) == 0
    assert "github-copilot: not logged in" in capsys.readouterr().out
