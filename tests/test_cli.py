"""The llmkit CLI: demo plays every shipped stream end to end; providers; keys."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from auth.conftest import MemoryKeyring

from llmkit.cli.demo import DEMO_STREAMS
from llmkit.cli.keys import keys_delete, keys_list, keys_set
from llmkit.cli.main import main
from llmkit.providers import default_registry

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "tests/fixtures/MANIFEST.json").read_text())["files"]


def _expected(file: str) -> dict[str, object]:
    return next(e["expected"] for e in MANIFEST if e["file"].endswith("/" + file))


def test_demo_streams_are_unchanged_fixture_copies() -> None:
    for stream in DEMO_STREAMS:
        shipped = (ROOT / "llmkit/cli/demo_streams" / stream.file).read_bytes()
        assert shipped == (ROOT / "tests/fixtures/sse" / stream.file).read_bytes()


def test_demo_as_a_user_runs_it() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "llmkit.cli.main", "demo", "--fast"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert f"{len(DEMO_STREAMS)} streams played" in out.stdout
    gpt4o = _expected("openai-openai-chat-gpt4o-text-then-tool-call.sse")
    assert str(gpt4o["text"]).splitlines()[0] in out.stdout
    tool = gpt4o["tool_calls"][0]  # type: ignore[index]
    assert f"tool call: {tool['name']}({json.dumps(tool['arguments'])})" in out.stdout
    assert "server tool: web_search" in out.stdout
    assert "(signed)" in out.stdout
    assert "finish: tool_calls (raw 'tool_use')" in out.stdout
    groq = _expected("groq-openai-chat-llama3-text-x-groq-usage.sse")["usage"]
    # usage comes from x_groq.usage only with Groq's quirk flag: the demo must use it
    assert f"usage: input {groq['input_tokens']}, output {groq['output_tokens']}" in out.stdout  # type: ignore[index]


def test_demo_events_mode_prints_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--fast", "--events"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    events = [json.loads(line) for line in lines]
    assert sum(e["type"] == "stream_start" for e in events) == len(DEMO_STREAMS)
    assert sum(e["type"] == "finish" for e in events) == len(DEMO_STREAMS)


def test_providers_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers"]) == 0
    out = capsys.readouterr().out
    for provider in default_registry().list():
        assert provider.id in out


def test_keys_set_list_delete() -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    out = io.StringIO()
    assert (
        keys_set("openai", default_registry(), stdin=io.StringIO("sk-secret-123\n"), out=out) == 0
    )
    assert backend.items[("llmkit", "openai")] == "sk-secret-123"
    assert "sk-secret-123" not in out.getvalue()
    listing = io.StringIO()
    assert keys_list(default_registry(), out=listing) == 0
    assert "sk-secret-123" not in listing.getvalue()
    row = next(line for line in listing.getvalue().splitlines() if line.startswith("openai "))
    assert "yes" in row
    assert keys_delete("openai", out=out) == 0
    assert keys_delete("openai", out=out) == 1


def test_keys_set_without_a_keychain_fails_with_advice(capsys: pytest.CaptureFixture[str]) -> None:
    # the autouse fixture installed keyring's null backend
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdin", io.StringIO("sk-x\n"))
        assert main(["keys", "set", "openai"]) == 1
    assert "no usable OS keychain" in capsys.readouterr().err


def test_chat_reports_a_missing_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["chat", "hi", "-m", "openai:gpt-4.1-mini"]) == 1
    err = capsys.readouterr().err
    assert "MissingCredentialError" in err
    assert "OPENAI_API_KEY" in err


class _NoReading:
    """A stdin that is not a terminal and fails the test if it is read."""

    def readline(self, size: int = -1) -> str:
        raise AssertionError("asked for the key although no keychain can keep it")

    def isatty(self) -> bool:
        return False


def test_keys_commands_check_the_keychain_first(capsys: pytest.CaptureFixture[str]) -> None:
    # the autouse fixture installed keyring's null backend: no usable keychain
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdin", _NoReading())
        assert main(["keys", "set", "openai"]) == 1
    err = capsys.readouterr().err
    assert "keychain unavailable" in err
    assert "no usable OS keychain: install and unlock one" in err  # the fix
    for command in (["keys", "get", "openai"], ["keys", "delete", "openai"]):
        assert main(command) == 1
        assert "keychain unavailable" in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("keychain unavailable")
    rows = [line for line in out.splitlines() if line.startswith("openai ")]
    assert rows and "unavailable" in rows[0]
    assert not any(line.split()[1:2] == ["no"] for line in out.splitlines())
