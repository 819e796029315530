"""The gateway's config file, keys file, listen-address check and CLI commands (no server)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from llmkit.cli.main import main
from llmkit.reliability.ratelimit import RateLimit
from llmkit.server.config import (
    GatewayConfig,
    GatewayConfigError,
    InsecureListenError,
    check_listen_address,
    is_loopback,
    load_config,
)
from llmkit.server.keys import KEY_PREFIX, KeysFile, hash_key


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "llmkit-gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        port = 9000
        default_model = "fast"
        keys_file = "keys.json"
        max_body_bytes = 1024

        [aliases]
        fast = ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"]
        smart = "anthropic:claude-sonnet-4-5"
        """,
    )
    config = load_config(path)
    assert config.port == 9000
    assert config.host == "127.0.0.1"
    assert config.aliases["smart"] == ("anthropic:claude-sonnet-4-5",)
    assert config.candidates("fast") == ("openai:gpt-4o-mini", "anthropic:claude-haiku-4-5")
    assert config.candidates("openai:gpt-4.1") == ("openai:gpt-4.1",)
    assert config.keys_path() == tmp_path / "keys.json"
    assert config.max_body_bytes == 1024
    assert GatewayConfig().max_body_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("prot = 1", "prot", "unknown key"),
        ('port = "x"', "port", "integer"),
        ("port = 70000", "port", "65535"),
        ("max_body_bytes = 0", "max_body_bytes", "greater than"),
        ('[aliases]\nfast = ["gpt-4o"]', "aliases", "provider:model"),
        ("[aliases]\nfast = []", "aliases", "at least one"),
        ("[aliases]\nfast = 3", "aliases.fast", ""),
        ("port = ", "", "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(GatewayConfigError) as caught:
        load_config(path)
    assert caught.value.key == key
    assert str(path) in str(caught.value)
    assert words in str(caught.value)


def test_keys_are_stored_hashed_0600(tmp_path: Path) -> None:
    keys = KeysFile(tmp_path / "sub" / "keys.json")
    assert keys.keys() == ()
    key, record = keys.create(models=("fast",), rate_limit=RateLimit(requests_per_minute=5))
    assert key.startswith(KEY_PREFIX)
    assert len(key) - len(KEY_PREFIX) >= 43  # 256 random bits, URL-safe base64
    raw = keys.path.read_text(encoding="utf-8")
    assert key not in raw
    assert hash_key(key) in raw
    assert stat.S_IMODE(os.stat(keys.path).st_mode) == 0o600
    assert record.sha256 == hash_key(key)
    assert key not in repr(record)
    assert keys.find(key) == record
    assert keys.find(key + "x") is None
    assert keys.find("") is None
    other = KeysFile(keys.path)  # another process's view: the same records
    assert other.find(key) == record
    assert other.keys()[0].rate_limit == RateLimit(requests_per_minute=5)
    assert other.keys()[0].allows("fast")
    assert not other.keys()[0].allows("openai:gpt-4o")
    assert keys.revoke(record.id)
    assert not keys.revoke(record.id)
    assert other.find(key) is None  # re-read after the change


def test_key_model_patterns(tmp_path: Path) -> None:
    _, record = KeysFile(tmp_path / "k.json").create(models=("openai:*", "fast"))
    assert record.allows("openai:gpt-4o")
    assert record.allows("fast")
    assert not record.allows("anthropic:claude-haiku-4-5")


def test_bad_keys_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{nope", encoding="utf-8")
    with pytest.raises(GatewayConfigError, match="not valid JSON"):
        KeysFile(path).keys()
    path.write_text(json.dumps({"keys": [{"id": "a", "sha256": "short"}]}), encoding="utf-8")
    with pytest.raises(GatewayConfigError) as caught:
        KeysFile(path).keys()
    assert caught.value.key == "keys[0].sha256"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_listen_address(host, keys_configured=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org", ""])
def test_non_loopback_needs_a_key(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(InsecureListenError, match="llmkit gateway keys create"):
        check_listen_address(host, keys_configured=False)
    check_listen_address(host, keys_configured=True)


def test_cli_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--keys-file", str(tmp_path / "keys.json")]
    assert main(["gateway", "keys", "list", *where]) == 0
    assert "no gateway keys" in capsys.readouterr().out
    args = ["gateway", "keys", "create", "--models", "fast, openai:*", "--rpm", "30"]
    assert main([*args, "--name", "ci", *where]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith(KEY_PREFIX)
    assert "shown only now" in err
    record = KeysFile(tmp_path / "keys.json").find(key)
    assert record is not None
    assert record.models == ("fast", "openai:*")
    assert record.rate_limit == RateLimit(requests_per_minute=30)
    assert main(["gateway", "keys", "list", *where]) == 0
    listed = capsys.readouterr().out
    assert record.id in listed
    assert key not in listed
    assert "30/min" in listed
    assert main(["gateway", "keys", "revoke", record.id, *where]) == 0
    assert main(["gateway", "keys", "revoke", record.id, *where]) == 1
    assert KeysFile(tmp_path / "keys.json").keys() == ()


def test_cli_keys_file_from_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write(tmp_path, 'keys_file = "gw.json"\n')
    assert main(["gateway", "keys", "create", "--config", str(config)]) == 0
    key = capsys.readouterr().out.strip()
    assert KeysFile(tmp_path / "gw.json").find(key) is not None


def test_serve_refuses_a_public_address_without_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path, f'keys_file = "{tmp_path / "none.json"}"\n')
    code = main(["serve", "--host", "0.0.0.0", "--port", "0", "--config", str(config)])
    assert code == 1
    err = capsys.readouterr().err
    assert "InsecureListenError" in err
    assert "llmkit gateway keys create" in err


def test_serve_reports_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write(tmp_path, "hots = '0.0.0.0'\n")
    assert main(["serve", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "GatewayConfigError" in err
    assert "hots" in err


def test_importing_llmkit_does_not_import_the_server() -> None:
    import subprocess
    import sys

    code = (
        "import sys, llmkit, llmkit.server; "
        "print(any(m.split('.')[0] in ('starlette', 'uvicorn') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
