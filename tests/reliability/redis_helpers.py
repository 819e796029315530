"""Helpers for the Redis-backed rate limit and cache tests: a real ``redis-server`` on 127.0.0.1
that can be killed and restarted on the same port, a loopback provider that records when each
request arrives, the sliding-window check, and the worker processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from llmkit.testing.mock import MockTurn, openai_chat_json, openai_chat_sse

REDIS_SERVER = shutil.which("redis-server")
WORKER = Path(__file__).with_name("redis_worker.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A throw-away ``redis-server`` (no persistence) on 127.0.0.1:``port``.

    :meth:`kill` ends it with SIGKILL (its data is gone); :meth:`start` brings up an empty one
    on the same port; :meth:`freeze` / :meth:`thaw` stop and continue it (SIGSTOP / SIGCONT:
    connections hang, the data stays).
    """

    def __init__(self, workdir: Path) -> None:
        assert REDIS_SERVER is not None
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        assert REDIS_SERVER is not None
        command = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        arrived = time.monotonic()
        request = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        with self.server.lock:
            self.server.arrivals.append(arrived)
            status, headers = self.server.script.pop(0) if self.server.script else (200, {})
        if status >= 400:
            error = {"error": {"message": "slow down", "type": "rate_limit_error"}}
            body, kind = json.dumps(error).encode(), "application/json"
        elif request.get("stream"):
            body, kind = openai_chat_sse(MockTurn(text="ok")), "text/event-stream"
        else:
            body, kind = openai_chat_json(MockTurn(text="ok")), "application/json"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.arrivals: list[float] = []
        self.script = script


class CountingProvider:
    """A loopback OpenAI-style provider that notes when each request arrives
    (``time.monotonic()`` of this process, as the handler starts) and answers ``ok`` (as a
    stream when the request asks for one).

    Args:
        script: the status and extra headers of the first responses, in order (an error status
            gets an OpenAI-style error body); the rest are 200.
    """

    def __init__(self, script: list[tuple[int, dict[str, str]]] | None = None) -> None:
        self._server = _Server(list(script or ()))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def arrivals(self) -> list[float]:
        with self._server.lock:
            return sorted(self._server.arrivals)

    def reset(self) -> None:
        """Forget the arrivals so far (the workers' warm-up calls)."""
        with self._server.lock:
            self._server.arrivals.clear()

    def __enter__(self) -> CountingProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def busiest_window(times: list[float], width: float, start: float = float("-inf")) -> int:
    """The most of ``times`` (sorted) in any window ``[t, t + width)`` with ``t >= start``.

    Every window worth checking starts at one of the times, so that is where they are tried.
    """
    most = 0
    for i, t in enumerate(times):
        if t < start:
            continue
        most = max(most, sum(1 for u in times[i:] if u < t + width))
    return most


def start_workers(
    count: int, provider: str, redis_url: str, **options: float
) -> list[subprocess.Popen[str]]:
    """Start ``count`` worker processes and wait until each has made its warm-up call (they then
    wait for :func:`go`). ``options`` become ``--name value`` arguments of ``redis_worker.py``."""
    args = [sys.executable, str(WORKER), provider, redis_url]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    workers = [
        subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(count)
    ]
    for worker in workers:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line.strip() == "ready", (line, worker.stderr.read() if worker.stderr else "")
    return workers


def go(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()


def results(workers: list[subprocess.Popen[str]], timeout: float = 120) -> list[dict[str, int]]:
    """Each worker's JSON report (its stderr must be empty)."""
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=timeout)
        assert worker.returncode == 0, err
        assert err == "", err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports
