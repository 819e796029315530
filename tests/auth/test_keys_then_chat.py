"""Issue 4's "done when": ``llmkit keys set openai`` followed by ``llmkit chat -m openai:...``
uses the keychain key. Real gnome-keyring on a private D-Bus; the built-in ``openai`` provider is
pointed at a loopback server through the user's providers file, as a user would."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import llmkit.providers
from auth.conftest import SecretService
from llmkit.auth.store import SERVICE
from llmkit.cli.main import main
from llmkit.testing.mock import MockTurn, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer

KEY = "sk-keychain-then-chat-5c1d"


@pytest.fixture
def openai_on_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    body = openai_chat_sse(MockTurn(text="pong from loopback"))
    with ReplayServer([ReplayResponse(body)]) as server:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            "[providers.openai]\n"
            'protocol = "openai-chat"\n'
            f'base_url = "{server.url}/v1"\n'
            'api_key_env = "OPENAI_API_KEY"\n'
        )
        monkeypatch.setenv("LLMKIT_PROVIDERS_FILE", str(providers))
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        monkeypatch.setattr(llmkit.providers, "_default", None)  # re-read the file
        yield server
        monkeypatch.setattr(llmkit.providers, "_default", None)


def test_keys_set_then_chat_uses_the_keychain_key(
    real_keyring: SecretService,
    openai_on_loopback: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{KEY}\n"))
    assert main(["keys", "set", "openai"]) == 0
    assert real_keyring.lookup(SERVICE, "openai") == KEY
    assert main(["chat", "ping", "-m", "openai:gpt-4.1-mini"]) == 0
    out = capsys.readouterr()
    assert "pong from loopback" in out.out
    assert KEY not in out.out + out.err
    (request,) = openai_on_loopback.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.json()
    assert isinstance(body, dict)
    assert body["model"] == "gpt-4.1-mini"
    assert main(["keys", "delete", "openai"]) == 0
