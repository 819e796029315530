"""``llmkit chat`` as people use it, in a real process against a loopback provider: a
conversation from piped lines and through a pseudo terminal, the prompt from standard input,
``--version``, bare ``llmkit``, the status line while a retry waits, a closed pipe."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from llmkit.testing.mock import MockTurn, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer

ROOT = Path(__file__).resolve().parent.parent
LLMKIT = [sys.executable, "-m", "llmkit.cli.main"]


def _answers(*texts: str) -> list[ReplayResponse]:
    return [ReplayResponse(openai_chat_sse(MockTurn(text=t, piece=3))) for t in texts]


def _script(server: ReplayServer, *responses: ReplayResponse) -> None:
    for response in responses:
        server.add(response)


@pytest.fixture
def loopback(tmp_path: Path) -> Iterator[tuple[ReplayServer, dict[str, str]]]:
    """A ReplayServer named as provider ``p`` in the user's providers file (the test adds its
    responses)."""
    with ReplayServer() as server:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f'[providers.p]\nprotocol = "openai-chat"\nbase_url = "{server.url}/v1"\n'
            "api_key_required = false\n"
        )
        env = {**os.environ, "LLMKIT_PROVIDERS_FILE": str(providers), "NO_COLOR": "1"}
        yield server, env


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LLMKIT, *args], input=stdin, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )


def test_version_and_bare_llmkit() -> None:
    from llmkit import __version__

    done = subprocess.run([*LLMKIT, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"llmkit {__version__}"
    bare = subprocess.run(LLMKIT, capture_output=True, text=True, timeout=60)
    assert bare.returncode == 0
    assert bare.stdout.startswith("usage: llmkit")
    assert "chat" in bare.stdout and bare.stderr == ""


def test_a_conversation_from_piped_lines_keeps_the_history(
    loopback: tuple[ReplayServer, dict[str, str]],
) -> None:
    server, env = loopback
    _script(server, *_answers("Hello Ann.", "Your name is Ann.", "Brief."))
    lines = [
        "my name is Ann",
        "/model",
        "what is my name?",
        "/system Be brief.",
        '"""',
        "two",
        "lines",
        '"""',
        "/exit",
        "never sent",
    ]
    done = _run(["chat", "-i", "-m", "p:m"], env, "\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello Ann.\nYour name is Ann.\nBrief.\n"
    assert "model: p:m" in done.stderr
    assert "Traceback" not in done.stderr
    bodies = [r.json() for r in server.requests]
    assert len(bodies) == 3
    assert bodies[0]["messages"] == [{"role": "user", "content": "my name is Ann"}]  # type: ignore[index]
    second = bodies[1]["messages"]  # type: ignore[index]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[0]["content"] == "my name is Ann"
    assert second[1]["content"] == "Hello Ann."
    assert second[2]["content"] == "what is my name?"
    third = bodies[2]["messages"]  # type: ignore[index]
    assert third[0] == {"role": "system", "content": "Be brief."}
    assert third[-1] == {"role": "user", "content": "two\nlines"}
    assert len(third) == 6


def test_a_failed_turn_is_reported_and_the_conversation_goes_on(
    loopback: tuple[ReplayServer, dict[str, str]],
) -> None:
    server, env = loopback
    _script(
        server,
        ReplayResponse.json({"error": {"message": "bad", "type": "invalid_request_error"}}, 400),
        *_answers("fine"),
    )
    done = _run(["chat", "-i", "-m", "p:m"], env, "first\nsecond\n")
    assert done.returncode == 0, done.stderr
    assert "llmkit: BadRequestError" in done.stderr
    assert done.stdout == "fine\n"
    # the failed turn left no trace in the history
    assert server.requests[1].json()["messages"] == [{"role": "user", "content": "second"}]  # type: ignore[index]


@pytest.mark.parametrize("how", ["dash", "pipe"])
def test_the_prompt_from_standard_input(
    loopback: tuple[ReplayServer, dict[str, str]], how: str
) -> None:
    server, env = loopback
    _script(server, *_answers("summary"))
    args = ["chat", "-m", "p:m"] + (["-"] if how == "dash" else [])
    done = _run(args, env, "line one\nline two\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "summary\n"
    (request,) = server.requests
    assert request.json()["messages"] == [{"role": "user", "content": "line one\nline two"}]  # type: ignore[index]


def test_chat_into_head_exits_quietly(
    loopback: tuple[ReplayServer, dict[str, str]],
) -> None:
    server, env = loopback
    _script(server, *_answers("a long answer, " * 400))
    command = f'"{sys.executable}" -m llmkit.cli.main chat -m p:m "hi" | head -c 5'
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0  # head's status
    assert done.stdout == "a lon"
    assert done.stderr == ""


# ----------------------------------------------------------------------- a real terminal
needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="pexpect.spawn needs a POSIX pty")


def _spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "llmkit.cli.main", *args],
        env={**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"},
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 120),
    )
    return child


@needs_pty
def test_a_conversation_on_a_terminal(
    loopback: tuple[ReplayServer, dict[str, str]],
) -> None:
    server, env = loopback
    _script(server, *_answers("first answer", "second answer"))
    child = _spawn(["chat", "-m", "p:m"], env)
    try:
        child.expect("chatting with p:m")
        child.expect(">")  # prompt-toolkit's prompt (then cursor movements, not a space)
        child.send("hello there\r")
        child.expect("first answer")
        child.expect(r"\[stop; ")
        child.expect(">")
        # Esc Enter inserts a new line (prompt-toolkit), Enter sends
        child.send("line one\x1b\rline two\r")
        child.expect("second answer")
        child.expect(r"\[stop; ")
        child.expect(">")
        child.send("/exit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert len(server.requests) == 2
    second = server.requests[1].json()["messages"]  # type: ignore[index]
    assert [m["content"] for m in second] == ["hello there", "first answer", "line one\nline two"]


@needs_pty
def test_the_status_line_shows_a_retry_on_a_terminal(
    loopback: tuple[ReplayServer, dict[str, str]],
) -> None:
    server, env = loopback
    _script(
        server,
        ReplayResponse.json(
            {"error": {"message": "slow down", "type": "rate_limit_exceeded"}},
            429,
            headers={"retry-after": "1"},
        ),
        *_answers("after the wait"),
    )
    child = _spawn(["chat", "-m", "p:m", "hi"], env)
    started = time.monotonic()
    try:
        child.expect("waiting for p:m")
        child.expect(r"retrying after 429 in 1 s")
        child.expect("after the wait")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert time.monotonic() - started >= 1
    assert len(server.requests) == 2
