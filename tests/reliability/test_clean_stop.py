"""Stopping early is clean: every way a user stops a stream, on each protocol, in a real
interpreter (a subprocess), closes the HTTP response before control returns, sets ``abort``,
runs ``on_finish`` once and prints nothing; the CLI in a closed pipe ends quietly; a client
that stops early leaves no traceback on a :class:`ReplayServer`/``MockModel``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import pytest

from llmkit import FinishInfo, stream_text
from llmkit._closing import close_now
from llmkit.testing.mock import MockModel, MockTurn, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer

SCRIPT = Path(__file__).with_name("stop_script.py")
PROTOCOLS = ["openai-chat", "anthropic-messages"]

STOPS = {
    # pattern: the abort reason it must record before control returns
    "break": "closed",
    "async_with_break": "closed",
    "break_aclose": "closed",
    "aclose": "closed",
    "raise_in_body": "closed",
    "text_stream_break": "closed",
    "cancel": "cancelled",
    "timeout": "cancelled",
    "tool_break": "closed",
    "tool_cancel": "cancelled",
}


def _run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "default", "PYTHONDEVMODE": ""}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("pattern", sorted(STOPS))
def test_each_way_of_stopping_is_clean(pattern: str, protocol: str) -> None:
    done = _run(str(SCRIPT), pattern, protocol)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["abort"] == STOPS[pattern]  # set before control returned
    assert report["pool_open"] == 0  # the connection was closed before control returned
    assert report["on_finish_at_return"] == 1
    assert report["on_finish"] == 1
    assert report["aborted"] == [True]
    assert report["disconnects"] >= 1  # the server saw the client go
    if pattern.startswith("tool"):
        assert report["tool"] == {"started": True, "cancelled": True}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_stream_left_open_when_the_loop_ends_is_closed_quietly(protocol: str) -> None:
    done = _run(str(SCRIPT), "exit_unclosed", protocol)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["on_finish"] == 1
    assert report["aborted"] == [True]
    assert report["disconnects"] >= 1


@pytest.fixture
def slow_provider(tmp_path: Path) -> Iterator[tuple[ReplayServer, dict[str, str]]]:
    body = openai_chat_sse(MockTurn(text="a long answer, " * 60, piece=4))
    cuts = list(range(200, len(body), 200))
    with ReplayServer([ReplayResponse(body, chunking=cuts, delay=0.02)]) as server:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            '[providers.slow]\nprotocol = "openai-chat"\n'
            f'base_url = "{server.url}/v1"\napi_key_required = false\n'
        )
        env = {**os.environ, "LLMKIT_PROVIDERS_FILE": str(providers)}
        yield server, env


@pytest.mark.parametrize("reader", ["head -c 1", "head -c 12"])
def test_cli_chat_into_a_closed_pipe_ends_quietly(
    slow_provider: tuple[ReplayServer, dict[str, str]], reader: str
) -> None:
    server, env = slow_provider
    command = f'"{sys.executable}" -m llmkit.cli.main chat -m slow:m hi | {reader}'
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    assert done.stderr == ""
    assert done.returncode == 141  # 128 + SIGPIPE, as a shell tool's
    assert "a long answer".startswith(done.stdout)
    assert len(server.requests) == 1


def test_cli_demo_events_into_a_closed_pipe_ends_quietly() -> None:
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m llmkit.cli.main demo --events --fast | head -n 3'],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == 3


async def test_mock_model_stays_quiet_when_a_client_stops_early(
    capfd: pytest.CaptureFixture[str],
) -> None:
    body_turn = MockTurn(text="stop me " * 400, piece=2)
    with MockModel([body_turn], chunking=64) as mock:
        for _ in range(3):
            async for event in stream_text(model=mock.model, prompt="hi"):
                if event.type == "text_delta":
                    break
        # the next requests are answered normally after the early stops
        assert (await stream_text(model=mock.model, prompt="hi").text).startswith("stop me")
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "ConnectionResetError" not in err
    assert "BrokenPipeError" not in err


async def test_a_cleanup_that_waits_finishes_in_a_task_that_aclose_awaits() -> None:
    finished: list[bool] = []

    async def on_finish(info: FinishInfo) -> None:
        await asyncio.sleep(0.01)  # real waiting: the stop cannot finish synchronously
        finished.append(info.aborted)

    with MockModel([MockTurn(text="stop me " * 400, piece=2)], chunking=64) as mock:
        result = stream_text(model=mock.model, prompt="hi", on_finish=on_finish)
        async for event in result:
            if event.type == "text_delta":
                break
        assert result.abort is not None  # recorded before the cleanup had to wait
        assert finished == []
        await result.aclose()  # awaits the rest of the cleanup
        assert finished == [True]
        assert await result.text == "st"  # what arrived before the stop


async def test_a_failing_cleanup_of_an_abandoned_stream_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def events() -> AsyncGenerator[int, None]:
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)
            raise RuntimeError("cleanup failed")

    gen = events()
    assert await gen.__anext__() == 1
    with caplog.at_level(logging.DEBUG, logger="llmkit"):
        assert close_now(gen) is None
    assert "cleanup failed" in caplog.text
