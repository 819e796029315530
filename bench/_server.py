"""The benchmark's loopback server: streams pre-built 2,000-delta SSE responses.

Run as its own process so that the client's CPU time is measured alone::

    python bench/_server.py --deltas 2000 --max-lifetime 900

It listens on ``127.0.0.1`` on an ephemeral port and prints ``PORT <n>`` on stdout once ready.

- ``POST .../chat/completions``: an OpenAI ``chat.completion.chunk`` stream built by
  :func:`llmkit.testing.mock.openai_chat_sse`: a role chunk (empty content), exactly ``--deltas``
  content deltas, a finish chunk, a usage chunk and ``data: [DONE]``.
- ``POST .../messages``: an Anthropic Messages stream built by
  :func:`llmkit.testing.mock.anthropic_messages_sse`: ``message_start``, one text block of
  exactly ``--deltas`` ``text_delta`` events, ``message_delta``, ``message_stop``.

The bytes are built once. Each response is HTTP/1.1 with ``Transfer-Encoding: chunked``, one
HTTP chunk per SSE event (as real APIs flush each event) and ``--events-per-write`` events per
socket write; connections are kept alive. The server exits on SIGTERM/SIGINT, when its parent
closes stdin, or after ``--max-lifetime`` seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from typing_extensions import Self

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout, llmkit not installed
    sys.path.insert(0, str(ROOT))

PIECE = 4
"""Characters per text delta."""

_WORDS = "The quick brown fox jumps over the lazy dog while streaming tokens arrive one by one; "


def delta_text(deltas: int) -> str:
    """The text of a response with exactly ``deltas`` pieces of :data:`PIECE` characters."""
    size = deltas * PIECE
    return (_WORDS * (size // len(_WORDS) + 1))[:size]


def sse_bodies(deltas: int) -> dict[str, bytes]:
    """The raw SSE bytes of both protocols' responses."""
    from llmkit.testing.mock import MockTurn, anthropic_messages_sse, openai_chat_sse

    turn = MockTurn(text=delta_text(deltas), piece=PIECE, input_tokens=12, output_tokens=deltas)
    return {
        "openai": openai_chat_sse(turn, model="bench-model"),
        "anthropic": anthropic_messages_sse(turn, model="bench-model"),
    }


def chunked_writes(sse: bytes, events_per_write: int) -> list[bytes]:
    """The SSE stream as chunked-encoding socket writes (one HTTP chunk per event)."""
    events = [e + b"\n\n" for e in sse.split(b"\n\n") if e]
    chunks = [b"%x\r\n%s\r\n" % (len(e), e) for e in events]
    writes = [
        b"".join(chunks[i : i + events_per_write]) for i in range(0, len(chunks), events_per_write)
    ]
    writes[-1] += b"0\r\n\r\n"
    return writes


_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\n"
    b"x-request-id: req_bench\r\n"
    b"transfer-encoding: chunked\r\n"
    b"\r\n"
)
_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n"
    b'{"error":{"message":"no such endpoint"}}'
)


class Server:
    """Serves the pre-built streams; counts requests."""

    def __init__(self, deltas: int, events_per_write: int) -> None:
        bodies = sse_bodies(deltas)
        self.openai = chunked_writes(bodies["openai"], events_per_write)
        self.anthropic = chunked_writes(bodies["anthropic"], events_per_write)
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                path = parts[1] if len(parts) > 1 else ""
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                path = path.split("?", 1)[0]
                if path.endswith("/chat/completions"):
                    writes = self.openai
                elif path.endswith("/messages"):
                    writes = self.anthropic
                else:
                    writer.write(_NOT_FOUND)
                    await writer.drain()
                    continue
                writer.write(_HEAD)
                for data in writes:
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def serve(deltas: int, events_per_write: int, max_lifetime: float) -> None:
    app = Server(deltas, events_per_write)
    server = await asyncio.start_server(app.handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The parent holds our stdin open; EOF means it is gone.
    stdin_closed = loop.run_in_executor(None, sys.stdin.buffer.read)
    stdin_closed.add_done_callback(lambda _: stop.set())
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max_lifetime)
    server.close()
    print(f"served {app.requests} requests", file=sys.stderr, flush=True)
    os._exit(0)  # do not wait for the stdin reader thread


class ChildServer:
    """A benchmark server script run in a child process: it prints ``PORT <n>`` once listening
    and stops when its stdin closes (``with ...Process(...) as server: server.port``).

    Args:
        script: the server script.
        args: its command-line arguments.
        what: the server's name, for the error when it does not start.
        exit_wait: seconds to wait for it to exit before killing it.
    """

    def __init__(
        self, script: Path, args: list[str], what: str = "benchmark server", exit_wait: float = 5
    ) -> None:
        self.script, self.args, self.what, self.exit_wait = script, args, what, exit_wait
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen(
            [sys.executable, str(self.script.resolve()), *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"{self.what} did not start (said {line!r})")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc_info: object) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()  # the server stops on EOF
        try:
            proc.wait(timeout=self.exit_wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ServerProcess(ChildServer):
    """Runs this server in a child process (``with ServerProcess(...) as server: server.port``)."""

    def __init__(
        self,
        deltas: int = 2000,
        events_per_write: int = 8,
        max_lifetime: float = 900.0,
        cpu: int | None = None,
    ) -> None:
        args = [] if cpu is None else ["--cpu", str(cpu)]
        args += [
            "--deltas",
            str(deltas),
            "--events-per-write",
            str(events_per_write),
            "--max-lifetime",
            str(max_lifetime),
        ]
        super().__init__(Path(__file__), args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--events-per-write", type=int, default=8)
    parser.add_argument("--max-lifetime", type=float, default=900.0, help="seconds")
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU (Linux)")
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    asyncio.run(serve(args.deltas, args.events_per_write, args.max_lifetime))


if __name__ == "__main__":
    main()
