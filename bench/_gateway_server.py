"""The gateway benchmark's gateway: ``llmkit.server.create_app`` on uvicorn, in its own process.

    python bench/_gateway_server.py --upstream-port 8123 --max-concurrency 1000 --cpu 1

It serves a registry with one provider, ``bench`` (``openai-chat``, or ``anthropic-messages``
with ``--upstream-protocol``), whose base URL is the benchmark upstream (``bench/_server.py``),
with no gateway keys (a loopback gateway accepts every request). Models are
``bench:<anything>``. Before it serves it calls ``llmkit.transport.set_max_concurrency(...)``
(the gateway's own llmkit client: requests in flight and upstream connections per loop) and
raises ``RLIMIT_NOFILE``'s soft limit to the hard limit.

It listens on ``127.0.0.1`` (an ephemeral port) and prints ``PORT <n> PID <pid>`` on stdout
once uvicorn serves. It stops when its parent closes its stdin, on SIGTERM/SIGINT (uvicorn's
handlers) or after ``--max-lifetime`` seconds; it then prints one line ``STATS <json>``: the
retries llmkit logged (``llmkit.retry``) and the gateway's warnings (``llmkit.gateway``: upstream
failures), by reason, with when they happened; the uvicorn settings it ran with; the loop's lag
(how late a 50 ms sampler woke up); peak RSS (``VmHWM``) and CPU time.

Diagnostics and experiments, all off by default (they cost the gateway CPU): ``--trace`` (each
request's arrival, response start, first and last body message), ``--stall-dump SECONDS`` (the
loop thread's stack while its loop is stuck) and ``--yield-every N`` (give the loop back after
every N body messages).

uvicorn's HTTP implementation is reported as it chose it: ``--http auto`` is httptools when it
can be imported and h11 otherwise. The loop is asyncio's default (``asyncio.run``), which is what
uvicorn's ``--loop auto`` picks when uvloop is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout, llmkit not installed
    sys.path.insert(0, str(ROOT))

from _paced_server import raise_nofile_limit  # noqa: E402


class _Counter(logging.Handler):
    """Counts log records by a key (the retry reason, or the message's first words)."""

    def __init__(self, start: float) -> None:
        super().__init__(logging.DEBUG)
        self.start = start
        self.counts: dict[str, dict[str, Any]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "llmkit_retry", None)
        if isinstance(info, dict):
            key = f"retry after {info.get('reason')}"
        else:
            key = record.getMessage()[:300]
        when = time.monotonic() - self.start
        entry = self.counts.setdefault(key, {"count": 0, "first_s": when, "last_s": when})
        entry["count"] += 1
        entry["last_s"] = when


def _proc_status(field: str) -> float | None:
    """A ``/proc/self/status`` field in MiB (``VmHWM``, ``VmRSS``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def yield_every(app: Any, n: int) -> Any:
    """An experiment, off by default: an ASGI wrapper that lets the event loop run other tasks
    (``await asyncio.sleep(0)``) after every ``n`` response body messages of a request.

    Without it a streamed response whose upstream bytes are already buffered is encoded and
    written from the first event to the last in one task step, never giving the loop back."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        sent = 0

        async def send_and_yield(message: Any) -> None:
            nonlocal sent
            await send(message)
            if message["type"] == "http.response.body":
                sent += 1
                if sent % n == 0:
                    await asyncio.sleep(0)

        await app(scope, receive, send_and_yield)

    return wrapped


def trace(app: Any, out: list[list[float]]) -> Any:
    """A diagnostic, off by default: an ASGI wrapper that records, per request, when it arrived,
    when its response started, and when its first and last body messages were sent
    (``time.monotonic()``)."""
    clock = time.monotonic

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        row = [clock(), 0.0, 0.0, 0.0]
        out.append(row)

        async def traced(message: Any) -> None:
            await send(message)
            now = clock()
            if message["type"] == "http.response.start":
                row[1] = now
            elif message["type"] == "http.response.body":
                row[2] = row[2] or now
                row[3] = now

        await app(scope, receive, traced)

    return wrapped


def watch_stalls(loop: asyncio.AbstractEventLoop, limit: float, out: dict[str, int]) -> None:
    """A diagnostic: a thread that wakes every 50 ms and, while the loop has not run a 20 ms
    heartbeat for ``limit`` seconds, records the loop thread's innermost frames (counted by
    stack, for ``STATS``)."""
    import traceback

    beat = [time.monotonic()]

    def heartbeat() -> None:
        beat[0] = time.monotonic()
        loop.call_later(0.02, heartbeat)

    loop.call_soon(heartbeat)
    ident = threading.get_ident()

    def watch() -> None:
        while True:
            time.sleep(0.05)
            if time.monotonic() - beat[0] < limit:
                continue
            frame = sys._current_frames().get(ident)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)[-12:]
            key = " <- ".join(
                f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack)
            )
            out[key] = out.get(key, 0) + 1

    threading.Thread(target=watch, daemon=True, name="stall-watch").start()


async def serve(args: argparse.Namespace) -> dict[str, Any]:
    import uvicorn

    from llmkit import ProviderConfig, ProviderRegistry
    from llmkit.server import GatewayConfig, KeysFile, create_app
    from llmkit.transport import set_max_concurrency

    set_max_concurrency(args.max_concurrency)
    start = time.monotonic()
    retries, warnings = _Counter(start), _Counter(start)
    retry_log = logging.getLogger("llmkit.retry")
    retry_log.setLevel(logging.INFO)
    retry_log.addHandler(retries)
    gateway_log = logging.getLogger("llmkit.gateway")
    gateway_log.setLevel(logging.WARNING)  # no INFO line per request
    gateway_log.addHandler(warnings)
    gateway_log.propagate = False

    anthropic = args.upstream_protocol == "anthropic-messages"
    registry = ProviderRegistry(
        [
            ProviderConfig(
                id="bench",
                protocol=args.upstream_protocol,
                base_url=f"http://127.0.0.1:{args.upstream_port}/v1",
                auth="none",
                headers={"anthropic-version": "2023-06-01"} if anthropic else {},
            )
        ]
    )
    # No gateway keys: an empty keys file in a fresh folder (the gateway accepts every request).
    keys = KeysFile(Path(args.keys_dir) / "gateway-keys.json")
    app = create_app(GatewayConfig(), registry=registry, keys=keys)
    if args.yield_every:
        app = yield_every(app, args.yield_every)
    traced: list[list[float]] = []
    if args.trace:
        app = trace(app, traced)

    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when the listening
    # socket says TCP (a proto-0 socket leaves Nagle on: 40 ms stalls behind delayed ACKs).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    options: dict[str, Any] = {
        "http": args.http,
        "loop": "none",  # this coroutine already runs on the loop asyncio.run made
        "lifespan": "off",
        "log_level": "warning",
        "access_log": False,
        "backlog": args.backlog,
        "timeout_keep_alive": args.timeout_keep_alive,
    }
    if args.limit_concurrency:
        options["limit_concurrency"] = args.limit_concurrency
    config = uvicorn.Config(app, **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("uvicorn stopped while starting")
        await asyncio.sleep(0.01)
    if not config.loaded:
        config.load()
    http_class = config.http_protocol_class
    loop = asyncio.get_running_loop()

    lag = {"max_ms": 0.0, "samples": 0, "over_100ms": 0}

    async def sampler() -> None:
        interval = 0.05
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(interval)
            late = (time.perf_counter() - t0 - interval) * 1000
            lag["samples"] += 1
            lag["max_ms"] = max(lag["max_ms"], late)
            if late > 100:
                lag["over_100ms"] += 1

    sampling = asyncio.create_task(sampler())
    stalls: dict[str, int] = {}
    if args.stall_dump:
        watch_stalls(loop, args.stall_dump, stalls)

    def stop() -> None:
        server.should_exit = True

    # The parent holds our stdin open; EOF means stop (a daemon thread: no loop executor).
    def watch_stdin() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop)

    threading.Thread(target=watch_stdin, daemon=True).start()
    loop.call_later(args.max_lifetime, stop)
    print(f"PORT {sock.getsockname()[1]} PID {os.getpid()}", flush=True)
    await task
    sampling.cancel()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "uvicorn": uvicorn.__version__,
        "http_protocol": f"{http_class.__module__}.{http_class.__qualname__}",
        "loop": type(loop).__module__ + "." + type(loop).__qualname__,
        "backlog": args.backlog,
        "limit_concurrency": args.limit_concurrency or None,
        "timeout_keep_alive": args.timeout_keep_alive,
        "max_concurrency": args.max_concurrency,
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "retries": retries.counts,
        "warnings": warnings.counts,
        "yield_every": args.yield_every or None,
        "trace": traced,
        "loop_lag": lag,
        "stalls": stalls,
        "vm_hwm_mib": _proc_status("VmHWM"),
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument(
        "--upstream-protocol",
        default="openai-chat",
        choices=["openai-chat", "anthropic-messages"],
        help="the protocol the gateway speaks to the upstream",
    )
    parser.add_argument("--max-concurrency", type=int, default=1000)
    parser.add_argument("--http", default="auto", help="uvicorn --http: auto, h11, httptools")
    parser.add_argument("--backlog", type=int, default=2048, help="uvicorn --backlog")
    parser.add_argument("--limit-concurrency", type=int, default=0, help="0: no limit")
    parser.add_argument("--timeout-keep-alive", type=int, default=5)
    parser.add_argument("--keys-dir", required=True, help="a folder for an empty keys file")
    parser.add_argument("--max-lifetime", type=float, default=900.0, help="seconds")
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU (Linux)")
    parser.add_argument(
        "--yield-every",
        type=int,
        default=0,
        help="experiment: yield to the loop after every N body messages (0: never)",
    )
    parser.add_argument(
        "--nofile", type=int, default=0, help="experiment: this RLIMIT_NOFILE soft limit"
    )
    parser.add_argument("--trace", action="store_true", help="record each request's times")
    parser.add_argument(
        "--stall-dump",
        type=float,
        default=0.0,
        help="seconds: sample the loop thread's stack while its loop is stuck that long",
    )
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    if args.nofile:  # an experiment: a given soft limit (1024 is a common default)
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, hard))
    else:
        raise_nofile_limit()
    stats = asyncio.run(serve(args))
    print("STATS " + json.dumps(stats), flush=True)
    os._exit(0)  # do not wait for the stdin watcher thread


if __name__ == "__main__":
    main()
