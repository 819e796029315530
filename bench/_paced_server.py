"""The scale benchmark's loopback server: paced OpenAI chat streams, thousands at once.

Run as its own process (``bench/bench_scale.py`` starts it)::

    python bench/_paced_server.py --pace-ms 10,50 --seed 1

It listens on ``127.0.0.1`` on an ephemeral port (backlog 16,384, capped by the kernel's
``net.core.somaxconn``) and prints ``PORT <n>`` on stdout once ready. It raises its
``RLIMIT_NOFILE`` soft limit to the hard limit, so that it can hold 10,000 connections.

- ``POST .../chat/completions`` streams an OpenAI ``chat.completion.chunk`` stream built by
  :func:`llmkit.testing.mock.openai_chat_sse`. The request's ``model`` says how many deltas to
  send and seeds the pacing: ``<name>-<stream id>-<deltas>`` (e.g. ``scale-17-73``). The role
  chunk goes out at once; then each of the ``<deltas>`` content deltas after a random pause of
  ``--pace-ms LO,HI`` milliseconds (uniform, from a generator seeded with ``--seed`` and the
  stream id, so a stream's pauses do not depend on arrival order); then the finish chunk, the
  usage chunk and ``data: [DONE]`` together. One HTTP chunk per SSE event, keep-alive.
- ``GET /stats`` answers JSON counters: requests, streams completed, connections accepted,
  peak open connections, events written, the server's own CPU seconds, and how late its timers
  fired (a server that cannot keep the pace shows it here, not as a client cost). A connection
  that only asks for ``/stats`` is not counted as accepted.

Pacing uses one ``loop.call_later`` per event on an ``asyncio.Protocol`` (no task per
connection), so the server stays cheap next to the client it measures. It exits on
SIGTERM/SIGINT, when its parent closes stdin, or after ``--max-lifetime`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import signal
import sys
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [p for p in (str(ROOT), str(HERE)) if p not in sys.path]

from _server import PIECE, ChildServer, delta_text  # noqa: E402

BACKLOG = 16384

_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\n"
    b"x-request-id: req_scale\r\n"
    b"transfer-encoding: chunked\r\n"
    b"\r\n"
)


def raise_nofile_limit() -> tuple[int, int]:
    """Raise this process's open-file soft limit to its hard limit; returns (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _response(status: str, body: bytes, content_type: bytes = b"application/json") -> bytes:
    return b"HTTP/1.1 %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n%s" % (
        status.encode(),
        content_type,
        len(body),
        body,
    )


class PacedServer:
    """Shared state: the pre-built events of each stream length, and the counters."""

    def __init__(self, pace_lo_ms: float, pace_hi_ms: float, seed: int) -> None:
        self.lo, self.hi = pace_lo_ms / 1000, pace_hi_ms / 1000
        self.seed = seed
        self._events: dict[int, tuple[bytes, list[bytes], bytes]] = {}
        self.requests = 0
        self.completed = 0
        self.accepted = 0
        self.open = 0
        self.peak_open = 0
        self.events = 0
        self.late_sum = 0.0
        self.late_max = 0.0

    def events_for(self, deltas: int) -> tuple[bytes, list[bytes], bytes]:
        """(the role chunk, one chunk per delta, the finish + usage + [DONE] chunks and the
        last-chunk marker), each already framed as HTTP chunks."""
        cached = self._events.get(deltas)
        if cached is None:
            from llmkit.testing.mock import MockTurn, openai_chat_sse

            turn = MockTurn(
                text=delta_text(deltas), piece=PIECE, input_tokens=12, output_tokens=deltas
            )
            sse = openai_chat_sse(turn, model="scale-model")
            events = [e + b"\n\n" for e in sse.split(b"\n\n") if e]
            chunks = [b"%x\r\n%s\r\n" % (len(e), e) for e in events]
            if len(chunks) != deltas + 4:  # role, deltas, finish, usage, [DONE]
                raise RuntimeError(f"unexpected mock stream of {len(chunks)} events")
            cached = (
                chunks[0],
                chunks[1 : 1 + deltas],
                b"".join(chunks[1 + deltas :]) + b"0\r\n\r\n",
            )
            self._events[deltas] = cached
        return cached

    def stats(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "requests": self.requests,
            "completed": self.completed,
            "accepted": self.accepted,
            "open": self.open,
            "peak_open": self.peak_open,
            "events": self.events,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "timer_late_mean_ms": self.late_sum / self.events * 1000 if self.events else 0.0,
            "timer_late_max_ms": self.late_max * 1000,
            "peak_rss_mib": usage.ru_maxrss / 1024,
        }


class PacedConnection(asyncio.Protocol):
    """One client connection: reads requests, streams paced responses, keep-alive."""

    def __init__(self, server: PacedServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.streaming = False
        self.timer: asyncio.TimerHandle | None = None
        self.chunks: list[bytes] = []
        self.tail = b""
        self.i = 0
        self.rng = random.Random()
        self.due = 0.0
        self.streams = 0
        self.counted_out = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        s = self.server
        s.accepted += 1
        s.open += 1
        s.peak_open = max(s.peak_open, s.open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.open -= 1
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.streaming:
            self._next_request()

    def _next_request(self) -> None:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buf[:end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if len(self.buf) < end + 4 + length:
            return  # the body is still on its way
        body = self.buf[end + 4 : end + 4 + length]
        self.buf = self.buf[end + 4 + length :]
        parts = head[0].split(" ")
        method, path = parts[0], (parts[1] if len(parts) > 1 else "").split("?", 1)[0]
        assert self.transport is not None
        if method == "GET" and path == "/stats":
            if not self.counted_out and not self.streams:
                self.counted_out = True  # a stats-only connection is not a client connection
                self.server.accepted -= 1
            self.transport.write(_response("200 OK", json.dumps(self.server.stats()).encode()))
            return self._next_request()
        if not path.endswith("/chat/completions"):
            body = b'{"error":{"message":"no such endpoint"}}'
            self.transport.write(_response("404 Not Found", body))
            return self._next_request()
        try:
            model = str(json.loads(body)["model"])
            _, sid, count = model.rsplit("-", 2)
            deltas = int(count)
            if deltas < 1:
                raise ValueError(deltas)
        except (ValueError, KeyError, TypeError):
            msg = b'{"error":{"message":"model must be <name>-<stream id>-<deltas>"}}'
            self.transport.write(_response("400 Bad Request", msg))
            return self._next_request()
        self.server.requests += 1
        self.streams += 1
        first, self.chunks, self.tail = self.server.events_for(deltas)
        self.rng.seed(self.server.seed * 1_000_003 + zlib.crc32(sid.encode()))
        self.i = 0
        self.streaming = True
        self.transport.write(_HEAD + first)
        self._schedule()

    def _schedule(self) -> None:
        delay = self.rng.uniform(self.server.lo, self.server.hi)
        self.due = self.loop.time() + delay
        self.timer = self.loop.call_at(self.due, self._tick)

    def _tick(self) -> None:
        self.timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        s = self.server
        late = self.loop.time() - self.due
        s.late_sum += late
        s.late_max = max(s.late_max, late)
        s.events += 1
        transport.write(self.chunks[self.i])
        self.i += 1
        if self.i < len(self.chunks):
            self._schedule()
            return
        transport.write(self.tail)
        s.completed += 1
        self.streaming = False
        self._next_request()  # a pipelined request, if any


async def serve(pace_lo: float, pace_hi: float, seed: int, max_lifetime: float) -> None:
    app = PacedServer(pace_lo, pace_hi, seed)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: PacedConnection(app), "127.0.0.1", 0, backlog=BACKLOG)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stdin_closed = loop.run_in_executor(None, sys.stdin.buffer.read)
    stdin_closed.add_done_callback(lambda _: stop.set())
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max_lifetime)
    server.close()
    os._exit(0)  # do not wait for the stdin reader thread


class PacedServerProcess(ChildServer):
    """Runs this server in a child process (``with PacedServerProcess(...) as s: s.port``)."""

    def __init__(
        self,
        pace_ms: tuple[float, float] = (10.0, 50.0),
        seed: int = 1,
        max_lifetime: float = 1800.0,
        cpu: int | None = None,
    ) -> None:
        args = [] if cpu is None else ["--cpu", str(cpu)]
        args += [
            "--pace-ms",
            f"{pace_ms[0]:g},{pace_ms[1]:g}",
            "--seed",
            str(seed),
            "--max-lifetime",
            str(max_lifetime),
        ]
        super().__init__(Path(__file__), args, what="paced server", exit_wait=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pace-ms", default="10,50", help="LO,HI pause before each delta")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-lifetime", type=float, default=1800.0, help="seconds")
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU (Linux)")
    args = parser.parse_args()
    lo, hi = (float(x) for x in args.pace_ms.split(","))
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    raise_nofile_limit()
    asyncio.run(serve(lo, hi, args.seed, args.max_lifetime))


if __name__ == "__main__":
    main()
