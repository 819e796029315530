"""Scale run: 1,000, 5,000 and 10,000 paced concurrent ``stream_text`` streams on ONE event loop.

    .venv/bin/python bench/bench_scale.py                      # 1,000, 5,000, 10,000 streams
    .venv/bin/python bench/bench_scale.py --streams 1000,10000
    .venv/bin/python bench/bench_scale.py --streams 200 --deltas 20,40   # smoke run

For each stream count N, a fresh loopback server (``bench/_paced_server.py``, its own process)
and a fresh client process (this script with ``--child``) are started. The client raises its
open-file limit, sizes llmkit's per-loop gate and pool to N
(``llmkit.transport.set_max_concurrency``), sends one warm-up stream, then starts N
``llmkit.stream_text`` calls at once on one event loop, each consuming every event. Each stream
asks for its own number of deltas (``--deltas LO,HI``, seeded) and the server sends each delta
after a random pause of ``--pace-ms LO,HI`` milliseconds.

Reported per N: errors by exception type (with messages), text deltas received vs expected,
wall time, client CPU (user + sys) and CPU per delta, peak RSS (``ru_maxrss``) and the peak of
the current RSS sampled from ``/proc/self/statm`` during the run (and per 1,000 streams above
the baseline after the warm-up), the most streams in flight at once, and the client's open TCP
sockets (``/proc/self/fd`` inodes found in ``/proc/net/tcp*``) once all streams finished and
again after ``llmkit.transport.http.close_client()``.

Prints Markdown and writes ``bench/results/scale.md`` (raw numbers in ``scale.json``). Never
fails on a number: it exits non-zero only if a stream errored, a stream received a wrong
number of deltas, or a socket was still open after the shared client was closed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [p for p in (str(ROOT), str(HERE)) if p not in sys.path]

from _paced_server import PacedServerProcess, raise_nofile_limit  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}


# --------------------------------------------------------------------------- measurements
def rss_mib() -> float:
    """Current resident set size (``/proc/self/statm``), MiB."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE / (1 << 20)
    except OSError:
        return float("nan")


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_split() -> tuple[float, float]:
    """(user, sys) CPU seconds of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def open_tcp_sockets() -> dict[str, int]:
    """This process's open TCP sockets by state: ``/proc/self/fd`` → ``socket:[inode]``, matched
    against ``/proc/net/tcp`` and ``/proc/net/tcp6`` (Linux; empty elsewhere)."""
    inodes = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return {}
    for fd in fds:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    states: Counter[str] = Counter()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if len(fields) > 9 and fields[9] in inodes:
                        states[TCP_STATES.get(fields[3], fields[3])] += 1
        except OSError:
            continue
    return dict(states)


async def server_stats(port: int) -> dict[str, Any]:
    """The paced server's counters (``GET /stats``), over a plain socket (not llmkit)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /stats HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length)
    writer.close()
    await writer.wait_closed()
    return dict(json.loads(body))


def describe(exc: BaseException) -> str:
    """``Type: message`` and its cause chain (``<- CauseType: message``) on one line, with the
    per-stream model name and the port masked so that equal errors group together."""
    parts = []
    cur: BaseException | None = exc
    while cur is not None and len(parts) < 5:
        text = str(cur).replace("\n", " ")[:240]
        text = re.sub(r"model=[^,)\s]+", "model=…", text)
        text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
        parts.append(f"{type(cur).__module__}.{type(cur).__qualname__}: {text}".rstrip(": "))
        cur = cur.__cause__ or cur.__context__
    return " <- ".join(parts)


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --------------------------------------------------------------------------- client process
CLIENTS = ("llmkit", "floor-aiohttp", "floor-protocol")


def set_gate(n: int) -> str:
    """Let ``n`` requests be in flight on one loop; returns how it was done."""
    import llmkit.transport
    import llmkit.transport.http as http

    if hasattr(llmkit.transport, "set_max_concurrency"):
        llmkit.transport.set_max_concurrency(n)
        return f"llmkit.transport.set_max_concurrency({n})"
    # Older llmkit: the gate reads MAX_CONCURRENCY when the loop's gate is made, the pool
    # reads DEFAULT_LIMITS when the loop's client is made.
    http.MAX_CONCURRENCY = n  # type: ignore[misc]
    note = f"fallback: llmkit.transport.http.MAX_CONCURRENCY = {n}"
    limits = getattr(http, "DEFAULT_LIMITS", None)
    if limits is not None:
        import httpx

        http.DEFAULT_LIMITS = httpx.Limits(  # type: ignore[misc]
            max_connections=n,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
        )
        note += f" and DEFAULT_LIMITS.max_connections = {n}"
    return note + " (no set_max_concurrency in this llmkit)"


def make_client(
    kind: str, port: int, retries: int | None = None
) -> tuple[Callable[..., Awaitable[int]], str, Callable[[], Awaitable[None]]]:
    """``(one, gate, aclose)``: ``one(model, expected, on_first)`` runs one stream and returns
    its text deltas (``on_first()`` is called at the first one, llmkit only); ``gate`` says how
    the concurrency limit was set; ``aclose()`` closes the client's connections."""
    base = f"http://127.0.0.1:{port}"
    if kind == "llmkit":
        from llmkit import ProviderConfig, ProviderRegistry, stream_text

        extra: dict[str, Any] = {} if retries is None else {"retry": retries}
        registry = ProviderRegistry(
            [
                ProviderConfig(
                    id="scale",
                    protocol="openai-chat",
                    base_url=f"{base}/v1",
                    auth="none",
                )
            ]
        )

        async def one_llmkit(model: str, expected: int, on_first: Callable[[], None]) -> int:
            n = 0
            finished = False
            result = stream_text(model=f"scale:{model}", prompt="hi", registry=registry, **extra)
            async for event in result:
                if event.type == "text_delta":
                    if n == 0:
                        on_first()
                    n += 1
                elif event.type == "finish":
                    finished = True
            if not finished:
                raise RuntimeError("stream ended without a finish event")
            return n

        from llmkit.transport.http import close_client

        return one_llmkit, "", close_client

    # The floors of bench_stream.py, with one request body per stream.
    from _client import _aiohttp_floor, _openai_body, _protocol_floor

    headers = {"authorization": "Bearer x", "accept": "text/event-stream"}
    body = _openai_body()
    if kind == "floor-protocol":
        floor = _protocol_floor(base, "/v1/chat/completions", headers, body)
        gate = "no limit (floor-protocol: a connection per stream)"
    elif kind == "floor-aiohttp":
        floor = _aiohttp_floor(f"{base}/v1/chat/completions", headers, body, True)
        gate = "aiohttp.TCPConnector(limit=1000)"
    else:
        raise ValueError(kind)

    async def one_floor(model: str, expected: int, on_first: Callable[[], None]) -> int:
        return await floor({**body, "model": model})  # type: ignore[call-arg]

    return one_floor, gate, floor.aclose  # type: ignore[attr-defined]


async def run_child(args: argparse.Namespace) -> dict[str, Any]:
    client = args.client
    gate = set_gate(args.streams) if client == "llmkit" else ""
    one, floor_gate, aclose = make_client(client, args.port, args.retries)
    gate = gate or floor_gate
    lo, hi = (int(x) for x in args.deltas.split(","))
    rng = random.Random(args.seed)
    wanted = [rng.randint(lo, hi) for _ in range(args.streams)]
    t0 = time.perf_counter()
    counts = {"in_flight": 0, "peak_in_flight": 0, "first": 0, "ok": 0, "failed": 0}
    durations: list[float] = []
    first_delta: list[float] = []
    error_times: list[float] = []
    attempts: Counter[int] = Counter()

    async def stream(model: str, expected: int) -> int:
        started = time.perf_counter()
        entered = False

        def on_first() -> None:
            nonlocal entered
            entered = True
            first_delta.append(time.perf_counter() - started)
            counts["first"] += 1
            counts["in_flight"] += 1
            counts["peak_in_flight"] = max(counts["peak_in_flight"], counts["in_flight"])

        try:
            n = await one(model, expected, on_first)
            if n != expected:
                raise RuntimeError(f"expected {expected} text deltas, got {n}")
        except BaseException as exc:
            counts["failed"] += 1
            error_times.append(time.perf_counter() - t0)
            attempts[getattr(exc, "attempts", 1)] += 1
            raise
        finally:
            if entered:
                counts["in_flight"] -= 1
        counts["ok"] += 1
        durations.append(time.perf_counter() - started)
        return n

    # Warm-up: imports, the shared client, the first connection.
    await stream(f"warmup-w-{lo}", lo)
    durations.clear()
    first_delta.clear()
    counts.update(first=0, ok=0, failed=0, peak_in_flight=0)
    gc.collect()
    sockets_before = open_tcp_sockets()
    rss_base = rss_mib()
    rss_peak = rss_base
    lags: list[float] = []
    timeline: list[dict[str, float]] = []
    stop = asyncio.Event()

    async def sample() -> None:
        """RSS every ``--sample-ms``; how late each wake-up is (the loop's lag); a timeline
        row every second."""
        nonlocal rss_peak
        period = args.sample_ms / 1000
        next_row = 0.0
        while not stop.is_set():
            rss = rss_mib()
            rss_peak = max(rss_peak, rss)
            now = time.perf_counter() - t0
            if now >= next_row:
                next_row = now + 1.0
                timeline.append(
                    {
                        "t": now,
                        "first_delta": counts["first"],
                        "in_flight": counts["in_flight"],
                        "ok": counts["ok"],
                        "failed": counts["failed"],
                        "cpu_s": cpu_s() - cpu0,
                        "rss_mib": rss,
                    }
                )
            woke = time.perf_counter()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), period)
            lags.append(time.perf_counter() - woke - period)

    print("START", flush=True)  # the parent's timeline starts now
    t0 = time.perf_counter()
    cpu0 = cpu_s()
    user0, sys0 = cpu_split()
    sampler = asyncio.create_task(sample())
    tasks = [asyncio.ensure_future(stream(f"scale-{i}-{n}", n)) for i, n in enumerate(wanted)]
    _, pending = await asyncio.wait(tasks, timeout=args.timeout)
    timed_out = len(pending)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    user1, sys1 = cpu_split()
    stop.set()
    await sampler
    rss_peak = max(rss_peak, rss_mib())
    rss_end = rss_mib()

    received = 0
    errors: Counter[str] = Counter()
    messages: dict[str, Counter[str]] = {}
    for task in tasks:
        if task.cancelled():
            continue
        exc = task.exception()
        if exc is None:
            received += task.result()
            continue
        name = type(exc).__qualname__
        errors[name] += 1
        messages.setdefault(name, Counter())[describe(exc)] += 1
    if timed_out:
        errors["bench timeout (stream still running)"] += timed_out

    await asyncio.sleep(0.2)  # let closed connections settle
    sockets_done = open_tcp_sockets()
    pooled = None
    stats = await server_stats(args.port)
    if client == "llmkit":
        from llmkit.transport import http

        if hasattr(http, "connections_open"):
            pooled = http.connections_open()
    await aclose()  # llmkit: llmkit.transport.http.close_client()
    gc.collect()
    await asyncio.sleep(0.5)
    sockets_closed = open_tcp_sockets()

    return {
        "streams": args.streams,
        "client": client,
        "retries": args.retries,
        "gate": gate,
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "errors": dict(errors),
        "error_messages": {k: v.most_common(5) for k, v in messages.items()},
        "error_time_s": [quantile(error_times, q) for q in (0.0, 0.5, 1.0)],
        "attempts_of_failed": {str(k): v for k, v in sorted(attempts.items())},
        "deltas_expected": sum(wanted),
        "deltas_received": received,
        "wall_s": wall,
        "cpu_s": cpu,
        "user_s": user1 - user0,
        "sys_s": sys1 - sys0,
        "us_per_delta": cpu / received * 1e6 if received else None,
        "rss_base_mib": rss_base,
        "rss_peak_sampled_mib": rss_peak,
        "rss_end_mib": rss_end,
        "ru_maxrss_mib": peak_rss_mib(),
        "loop_lag_ms": [quantile(lags, q) * 1000 for q in (0.5, 0.99, 1.0)],
        "peak_in_flight": counts["peak_in_flight"] if client == "llmkit" else None,
        "first_delta_s": [quantile(first_delta, q) for q in (0.5, 0.99)],
        "duration_s": [quantile(durations, q) for q in (0.5, 0.99, 1.0)],
        "sockets_before": sockets_before,
        "sockets_after_streams": sockets_done,
        "pool_connections_after_streams": pooled,
        "sockets_after_close": sockets_closed,
        "server": stats,
        "timeline": timeline,
    }


def child_main(args: argparse.Namespace) -> None:
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    raise_nofile_limit()
    result = asyncio.run(run_child(args))
    print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- orchestration
def git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def tcp_to_port(port: int) -> dict[str, int]:
    """Client-side TCP sockets to ``port`` on this machine by state, and the server's accept
    queue (``listen_queue``: connections the kernel completed that the server has not
    accepted yet), from ``/proc/net/tcp``."""
    states: Counter[str] = Counter()
    hexport = f"{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                local, remote, state = fields[1], fields[2], fields[3]
                if remote.endswith(":" + hexport):
                    states[TCP_STATES.get(state, state)] += 1
                elif state == "0A" and local.endswith(":" + hexport):
                    states["listen_queue"] = int(fields[4].split(":")[1], 16)
    except OSError:
        pass
    return dict(states)


def listen_counters() -> dict[str, int]:
    """Machine-wide ``TcpExt`` counters of connections dropped at a full accept queue."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return {}
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return {k: int(table[k]) for k in ("ListenOverflows", "ListenDrops") if k in table}
    return {}


def server_stats_sync(port: int) -> dict[str, Any]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/stats")
        return dict(json.loads(conn.getresponse().read()))
    except (OSError, ValueError):
        return {}
    finally:
        conn.close()


def run_one(client: str, n: int, args: argparse.Namespace, pin: bool) -> dict[str, Any]:
    lo, hi = (float(x) for x in args.pace_ms.split(","))
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--client",
        client,
        "--streams",
        str(n),
        "--deltas",
        args.deltas,
        "--seed",
        str(args.seed),
        "--timeout",
        str(args.timeout),
        "--sample-ms",
        str(args.sample_ms),
    ]
    if args.retries is not None:
        cmd += ["--retries", str(args.retries)]
    if pin:
        cmd += ["--cpu", "1"]
    net0 = listen_counters()
    timeline: list[dict[str, Any]] = []
    with PacedServerProcess((lo, hi), seed=args.seed, cpu=0 if pin else None) as server:
        proc = subprocess.Popen(
            [*cmd, "--port", str(server.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        stdout, stderr = proc.stdout, proc.stderr
        assert stdout is not None
        assert stderr is not None
        out: list[str] = []
        err: list[str] = []
        readers = [
            threading.Thread(target=lambda: err.append(stderr.read()), daemon=True),
        ]
        readers[0].start()
        line = stdout.readline()  # START: the streams begin (EOF if the client died)
        readers.append(threading.Thread(target=lambda: out.append(stdout.read()), daemon=True))
        readers[1].start()
        t0 = time.perf_counter()
        deadline = t0 + args.timeout + 300
        # The parent samples from outside the client (on the server's CPU when pinned), so
        # the client's CPU is not spent on it.
        while line.startswith("START") and proc.poll() is None:
            if time.perf_counter() > deadline:
                proc.kill()
                break
            stats = server_stats_sync(server.port)
            row: dict[str, Any] = {"t": time.perf_counter() - t0, **tcp_to_port(server.port)}
            row.update(
                server_requests=stats.get("requests"),
                server_open=stats.get("open"),
                server_cpu_s=stats.get("cpu_s"),
            )
            timeline.append(row)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)
        proc.wait()
        for reader in readers:
            reader.join(timeout=10)
    net1 = listen_counters()
    stderr_text = "".join(err)
    lines = (line + "".join(out)).strip().splitlines()
    if proc.returncode != 0 or not lines or not lines[-1].startswith("{"):
        return {
            "client": client,
            "streams": n,
            "crashed": proc.returncode,
            "stderr": stderr_text[-4000:],
        }
    result = dict(json.loads(lines[-1]))
    result["net_timeline"] = timeline
    result["listen_drops"] = {k: net1[k] - net0.get(k, 0) for k in net1}
    if stderr_text.strip():
        result["stderr"] = stderr_text[-2000:]
    return result


def _sockets(states: dict[str, int]) -> str:
    total = sum(states.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{k} {v}" for k, v in sorted(states.items())) + ")"


def failed(r: dict[str, Any]) -> bool:
    return bool(
        "crashed" in r
        or r["errors"]
        or r["deltas_received"] != r["deltas_expected"]
        or sum(r["sockets_after_close"].values())
    )


def _timeline(r: dict[str, Any], rows: int = 12) -> list[str]:
    """A few rows of the run's timeline: the client's counters next to the parent's view of the
    connections (client sockets by state, the server's accept queue and requests)."""
    client, net = r.get("timeline") or [], r.get("net_timeline") or []
    if not client:
        return []
    step = max(1, len(client) // rows)
    picked = client[::step]
    if picked[-1] is not client[-1]:
        picked.append(client[-1])
    out = [
        "| t s | client CPU s | RSS MiB | streams with a first delta | in flight | finished | "
        "failed | server requests | client sockets ESTABLISHED / SYN_SENT | accept queue |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in picked:
        near = min(net, key=lambda x: abs(x["t"] - row["t"])) if net else {}
        requests = near.get("server_requests")
        first, flying = (
            (f"{row['first_delta']:,}", f"{row['in_flight']:,}")
            if r["client"] == "llmkit"
            else ("-", "-")  # the floors have no hook at their first delta
        )
        out.append(
            f"| {row['t']:.0f} | {row['cpu_s']:.1f} | {row['rss_mib']:.0f} | "
            f"{first} | {flying} | {row['ok']:,} | "
            f"{row['failed']:,} | {'-' if requests is None else f'{requests - 1:,}'} | "
            f"{near.get('ESTABLISHED', 0):,} / {near.get('SYN_SENT', 0):,} | "
            f"{near.get('listen_queue', 0):,} |"
        )
    return out


def report(results: list[dict[str, Any]], args: argparse.Namespace, env: dict[str, str]) -> str:
    lo, hi = (float(x) for x in args.deltas.split(","))
    plo, phi = (float(x) for x in args.pace_ms.split(","))
    nominal = (lo + hi) / 2 * (plo + phi) / 2 / 1000  # mean deltas x mean pause, seconds
    what = "`llmkit.stream_text` streams"
    if args.client != "llmkit":
        what += (
            " (and, for comparison, the same streams through the floors of `bench_stream.py`: "
            "`floor-aiohttp` is aiohttp + bytes SSE + `json.loads`, `floor-protocol` the "
            "`asyncio.Protocol` client + `orjson`)"
        )
    lines = [
        f"Commit {env['commit']}; CPU: {env['cpu']} ({env['cpus']} CPUs); {env['date']}.",
        "",
        f"N concurrent {what} on one event loop against a loopback server in its own process. "
        f"Each stream asks for {args.deltas.replace(',', '-')} text deltas (seeded) and the "
        f"server pauses {args.pace_ms.replace(',', '-')} ms (uniform, seeded) before each "
        f"delta, so a stream lasts about {nominal:.1f} s if nothing is late. Client CPU is "
        "user + sys of the client process during the N streams; RSS per 1,000 streams is "
        "(sampled peak RSS − RSS after the warm-up) / N × 1,000. Loop lag: how late a task "
        f"sleeping {args.sample_ms:g} ms wakes up.",
        "",
        "| client | streams | errors | deltas received / expected | wall s | client CPU s "
        "(user + sys) | µs/delta | peak in flight | RSS base MiB | RSS peak MiB (sampled) | "
        "ru_maxrss MiB | RSS MiB per 1,000 streams | sockets open after streams | sockets "
        "open after close_client |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        if "crashed" in r:
            lines.append(
                f"| {r['client']} | {r['streams']:,} | crashed (exit {r['crashed']}) |" + " |" * 11
            )
            continue
        errors = ", ".join(f"{k} {v:,}" for k, v in r["errors"].items()) or "0"
        per_k = (r["rss_peak_sampled_mib"] - r["rss_base_mib"]) / r["streams"] * 1000
        us = f"{r['us_per_delta']:.1f}" if r["us_per_delta"] else "-"
        peak = "-" if r["peak_in_flight"] is None else f"{r['peak_in_flight']:,}"
        closed = _sockets(r["sockets_after_close"])
        lines.append(
            f"| {r['client']} | {r['streams']:,} | {errors} | {r['deltas_received']:,} / "
            f"{r['deltas_expected']:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} "
            f"({r['user_s']:.1f} + {r['sys_s']:.1f}) | {us} | "
            f"{peak} | {r['rss_base_mib']:.0f} | "
            f"{r['rss_peak_sampled_mib']:.0f} | {r['ru_maxrss_mib']:.0f} | {per_k:.1f} | "
            f"{_sockets(r['sockets_after_streams'])} | {closed} |"
        )
    lines += [
        "",
        "| client | streams | first delta p50 / p99 s | stream p50 / p99 / max s | loop lag p50 / "
        "p99 / max ms | server requests | server connections accepted (warm-up's included) | "
        "server peak open "
        "connections | server CPU s | server timers late mean / max ms | accept-queue drops | "
        "pool connections after streams |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "crashed" in r:
            continue
        s = r["server"]
        pooled = r["pool_connections_after_streams"]
        fd, du, lag = r["first_delta_s"], r["duration_s"], r["loop_lag_ms"]
        drops = r.get("listen_drops", {})
        first = "-" if fd[0] != fd[0] else f"{fd[0]:.2f} / {fd[1]:.2f}"  # NaN: not measured
        lines.append(
            f"| {r['client']} | {r['streams']:,} | {first} | {du[0]:.2f} / {du[1]:.2f} / "
            f"{du[2]:.2f} | {lag[0]:.0f} / {lag[1]:.0f} / {lag[2]:.0f} | "
            f"{s['requests'] - 1:,} (+1 warm-up) | {s['accepted']:,} | "
            f"{s['peak_open']:,} | {s['cpu_s']:.1f} | "
            f"{s['timer_late_mean_ms']:.1f} / {s['timer_late_max_ms']:.0f} | "
            f"{drops.get('ListenOverflows', '-')} | "
            f"{'-' if pooled is None else f'{pooled:,}'} |"
        )
    notes = []
    for r in results:
        if "crashed" in r:
            notes.append(
                f"- {r['client']}, {r['streams']:,} streams: crashed:\n\n```\n{r['stderr']}\n```"
            )
            continue
        for name, msgs in r["error_messages"].items():
            for msg, count in msgs:
                notes.append(
                    f"- {r['client']}, {r['streams']:,} streams, {count:,}× `{name}`: `{msg}`"
                )
        if r["errors"]:
            t = r["error_time_s"]
            tries = ", ".join(f"{v:,} after {k}" for k, v in r["attempts_of_failed"].items())
            notes.append(
                f"- {r['client']}, {r['streams']:,} streams: the failures were raised between "
                f"{t[0]:.1f} s "
                f"and {t[2]:.1f} s (median {t[1]:.1f} s) after the start; attempts per failed "
                f"stream (llmkit retries included): {tries}"
            )
        if r.get("stderr"):
            tail = r["stderr"].strip().splitlines()[-5:]
            notes.append(
                f"- {r['client']}, {r['streams']:,} streams, client stderr (last lines): `"
                + " / ".join(line.strip() for line in tail)
                + "`"
            )
    gates = sorted({r["gate"] for r in results if "gate" in r})
    lines += ["", "### Errors and notes", ""]
    lines += notes or ["- no errors"]
    lines += [f"- concurrency limit: {g}" for g in gates]
    lines.append(
        "- llmkit retries: "
        + ("llmkit's default policy" if args.retries is None else f"retry={args.retries}")
        + "; a connection attempt that timed out never reaches the server as a request, so "
        "server connections accepted above the stream count are retried connects"
    )
    nofile = sorted({tuple(r["nofile"]) for r in results if "nofile" in r})
    lines += [f"- client RLIMIT_NOFILE (soft, hard): {n}" for n in nofile]
    for r in results:
        rows = _timeline(r)
        if rows:
            lines += ["", f"### Timeline: {r['client']}, {r['streams']:,} streams", "", *rows]
    lines += [
        "",
        "### Environment",
        "",
        "; ".join(f"{k}: {v}" for k, v in env.items()),
        "",
    ]
    return "\n".join(lines)


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _sysctl(name: str) -> str:
    try:
        return Path("/proc/sys/" + name.replace(".", "/")).read_text().strip()
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", default="1000,5000,10000", help="comma-separated counts")
    parser.add_argument("--deltas", default="50,100", help="LO,HI text deltas per stream")
    parser.add_argument("--pace-ms", default="10,50", help="LO,HI ms before each delta")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per stream count")
    parser.add_argument("--sample-ms", type=float, default=50.0, help="RSS sampling period")
    parser.add_argument(
        "--client",
        default="llmkit",
        help="comma-separated, from llmkit (the default), floor-aiohttp, floor-protocol: the "
        "floors of bench_stream.py under the same load, for comparison",
    )
    parser.add_argument(
        "--retries",
        type=int,
        help="llmkit: retry=N on every call (default: llmkit's own policy, 2 retries)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    parser.add_argument("--output", default=str(HERE / "results" / "scale.md"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.streams = int(args.streams)
        child_main(args)
        return

    counts = [int(x) for x in args.streams.split(",")]
    clients = [c.strip() for c in args.client.split(",") if c.strip()]
    unknown = set(clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {sorted(unknown)}; choose from {', '.join(CLIENTS)}")
    pin = not args.no_pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    if pin:
        os.sched_setaffinity(0, {0})  # the parent's sampling shares the server's CPU
    env = {
        "date": dt.date.today().isoformat(),
        "commit": git_commit(),
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
        "cpu": cpu_model(),
        "httpx": _version("httpx"),
        "aiohttp": _version("aiohttp"),
        "httpx-aiohttp": _version("httpx-aiohttp"),
        "pinned (server CPU 0, client CPU 1)": str(pin),
        "net.core.somaxconn": _sysctl("net.core.somaxconn"),
        "load average at start": f"{os.getloadavg()[0]:.2f}",
    }
    results = []
    for n in counts:
        for client in clients:
            started = time.perf_counter()
            r = run_one(client, n, args, pin)
            results.append(r)
            if "crashed" in r:
                print(f"  {client} {n:>6} streams: crashed", file=sys.stderr, flush=True)
                continue
            print(
                f"  {client} {n:>6} streams: {sum(r['errors'].values())} errors, "
                f"{r['deltas_received']}/{r['deltas_expected']} deltas, "
                f"wall {r['wall_s']:.1f} s, cpu {r['cpu_s']:.1f} s, "
                f"RSS peak {r['rss_peak_sampled_mib']:.0f} MiB "
                f"({time.perf_counter() - started:.0f} s with setup)",
                file=sys.stderr,
                flush=True,
            )
    env["load average at end"] = f"{os.getloadavg()[0]:.2f}"
    text = report(results, args, env)
    print(text)
    command = "python bench/bench_scale.py " + " ".join(sys.argv[1:])
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"# llmkit scale run: paced concurrent streams on one loop\n\n"
        f"Command: `{command.strip()}`\n\n{text}",
        encoding="utf-8",
    )
    out.with_suffix(".json").write_text(
        json.dumps({"environment": env, "results": results}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {out} and {out.with_suffix('.json')}", file=sys.stderr)
    raise SystemExit(1 if any(failed(r) for r in results) else 0)


if __name__ == "__main__":
    main()
