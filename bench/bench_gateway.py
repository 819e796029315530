"""Gateway benchmark: concurrent streamed requests through ``llmkit serve``'s app, on loopback.

    .venv/bin/python bench/bench_gateway.py                          # c = 1, 10, 100, 1,000
    .venv/bin/python bench/bench_gateway.py --concurrency 1000       # the 1,000-stream cell only
    .venv/bin/python bench/bench_gateway.py --concurrency 10 --requests 50 --deltas 50  # smoke

Three kinds of process, each its own:

- the upstream: ``bench/_server.py`` (OpenAI chat streams of ``--deltas`` text deltas, 8 SSE
  events per socket write), one for the whole run;
- the gateway: ``bench/_gateway_server.py``, ``llmkit.server.create_app`` on uvicorn, whose
  registry has one ``openai-chat`` provider pointing at the upstream (no gateway keys), with
  ``llmkit.transport.set_max_concurrency`` at least the concurrency and ``RLIMIT_NOFILE``
  raised. A fresh gateway per cell, so its peak RSS (``VmHWM``) belongs to that cell;
- the client: this script with ``--child``, a fresh process per cell: aiohttp, SSE split on
  bytes and the text-delta counters of ``bench/_client.py``. It sends one warm-up request, then
  ``--requests`` requests with ``--concurrency`` in flight to ``POST /v1/chat/completions`` or
  ``POST /v1/messages`` (``stream: true``), checks that every response carries exactly
  ``--deltas`` text deltas and its end (``[DONE]`` / ``message_stop``), and reads the gateway's
  and the upstream's CPU time (``/proc/<pid>/stat`` utime + stime) before and after.

Beside each concurrency level, in the same run and against the same upstream, a direct llmkit
``stream_text`` client (``bench/_client.py``'s ``llmkit-openai``) gives the cost of one llmkit
call: what the gateway pays per request before encoding the events again and serving them.

On Linux with 2+ CPUs the gateway (and the direct llmkit client) run on CPU 1, the upstream and
the gateway's client on CPU 0. Prints Markdown and writes ``bench/results/gateway.md`` and
``gateway.json``. It never fails on a number: only on an error or a wrong delta count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [p for p in (str(ROOT), str(HERE)) if p not in sys.path]

from _client import (  # noqa: E402
    _anthropic_body,
    _count_anthropic,
    _count_openai,
    _openai_body,
    split_sse,
)
from _paced_server import raise_nofile_limit  # noqa: E402
from _server import ServerProcess  # noqa: E402
from bench_scale import describe, listen_counters, quantile  # noqa: E402
from bench_stream import _cpu_model, _load, _version, git_commit, run_client  # noqa: E402

ENDPOINTS = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
}
DIRECT = {"openai-chat": "llmkit-openai", "anthropic-messages": "llmkit-anthropic"}
"""The direct llmkit variant (``bench/_client.py``) for the upstream protocol."""
MODEL = "bench:bench-model"
"""The gateway's provider ``bench`` and the upstream's model."""

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --------------------------------------------------------------------------- /proc readings
def proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + sys, every thread) of process ``pid``, from ``/proc/<pid>/stat``."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def proc_status_mib(pid: int, field: str) -> float | None:
    """A ``/proc/<pid>/status`` memory field (``VmHWM``: peak RSS, ``VmRSS``) in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------- client process
def _mask(text: str) -> str:
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)


class StreamError(Exception):
    """A response that was not a complete stream: a non-200 status, or no end event."""


def make_request(args: argparse.Namespace) -> tuple[Any, Any]:
    """The lean client: aiohttp, SSE split on bytes, ``orjson``. Returns (session, one) where
    ``one()`` sends a request and returns (text deltas, seconds to the first delta)."""
    import aiohttp
    import orjson

    openai = args.endpoint == "openai"
    url = f"http://127.0.0.1:{args.gateway_port}{ENDPOINTS[args.endpoint]}"
    body = _openai_body() if openai else _anthropic_body()
    body["model"] = MODEL
    data = orjson.dumps(body)
    headers = {"content-type": "application/json", "accept": "text/event-stream"}
    if not openai:
        headers["anthropic-version"] = "2023-06-01"
    count = _count_openai(orjson.loads) if openai else _count_anthropic(orjson.loads)
    end_mark = b"[DONE]" if openai else b'"message_stop"'
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(args.concurrency, 100)),
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=args.connect_timeout, sock_read=args.read_timeout
        ),
    )
    clock = time.perf_counter

    async def one() -> tuple[int, float]:
        n = 0
        rest = b""
        last = b""
        t0 = clock()
        first = 0.0
        async with session.post(url, data=data, headers=headers) as response:
            if response.status != 200:
                text = (await response.read())[:300].decode("utf-8", "replace")
                raise StreamError(f"HTTP {response.status}: {text}")
            async for chunk in response.content.iter_any():
                datas, rest = split_sse(rest, chunk)
                if datas:
                    if not n:
                        first = clock() - t0
                    n += count(datas)
                    last = datas[-1]
        if end_mark not in last:
            raise StreamError(f"the stream ended without {end_mark.decode()} ({n} text deltas)")
        return n, first

    return session, one


async def run_child(args: argparse.Namespace) -> dict[str, Any]:
    raise_nofile_limit()
    session, one = make_request(args)
    expected = args.deltas
    n, _ = await one()  # warm-up: the gateway's codec and upstream connection, our imports
    if n != expected:
        raise SystemExit(f"warm-up: expected {expected} text deltas, got {n}")
    errors: dict[str, dict[str, Any]] = {}
    ttfd: list[float] = []
    durations: list[float] = []
    received = 0
    miscounts = 0
    ok = 0
    remaining = args.requests
    rss_before = proc_status_mib(args.gateway_pid, "VmRSS")
    overflows0 = listen_counters()
    gw0, up0 = proc_cpu_s(args.gateway_pid), proc_cpu_s(args.upstream_pid)
    cpu0, start = time.process_time(), time.perf_counter()

    async def worker() -> None:
        nonlocal remaining, received, miscounts, ok
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            try:
                n, first = await one()
            except Exception as exc:  # every failure is counted and described, none is fatal
                key = _mask(describe(exc))
                when = time.perf_counter() - start
                entry = errors.setdefault(
                    key,
                    {"type": type(exc).__name__, "count": 0, "first_s": when, "last_s": when},
                )
                entry["count"] += 1
                entry["last_s"] = when
                continue
            received += n
            if n != expected:
                miscounts += 1
                continue
            ok += 1
            ttfd.append(first)
            durations.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(min(args.concurrency, args.requests))))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    gw_cpu = proc_cpu_s(args.gateway_pid) - gw0
    up_cpu = proc_cpu_s(args.upstream_pid) - up0
    overflows1 = listen_counters()
    await session.close()
    deltas = max(received, 1)
    return {
        "endpoint": args.endpoint,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "ok": ok,
        "errors": errors,
        "error_count": sum(e["count"] for e in errors.values()),
        "miscounts": miscounts,
        "deltas": received,
        "deltas_expected": args.requests * expected,
        "wall_s": wall,
        "gateway_cpu_s": gw_cpu,
        "gateway_us_per_delta": gw_cpu / deltas * 1e6,
        "gateway_rss_after_warmup_mib": rss_before,
        "gateway_peak_rss_mib": proc_status_mib(args.gateway_pid, "VmHWM"),
        "upstream_cpu_s": up_cpu,
        "upstream_us_per_delta": up_cpu / deltas * 1e6,
        "client_cpu_s": cpu,
        "client_us_per_delta": cpu / deltas * 1e6,
        "ttfd_p50_ms": quantile(ttfd, 0.5) * 1000,
        "ttfd_p99_ms": quantile(ttfd, 0.99) * 1000,
        "duration_p50_s": quantile(durations, 0.5),
        "duration_p99_s": quantile(durations, 0.99),
        "listen_overflows": {k: overflows1.get(k, 0) - v for k, v in overflows0.items()},
    }


def child_main(args: argparse.Namespace) -> None:
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    print(json.dumps(asyncio.run(run_child(args))), flush=True)


# --------------------------------------------------------------------------- the gateway
class GatewayProcess:
    """``bench/_gateway_server.py`` in a child process; ``stats`` after it stops."""

    def __init__(self, upstream_port: int, args: argparse.Namespace, cpu: int | None) -> None:
        self.keys_dir = tempfile.TemporaryDirectory(prefix="llmkit-bench-gateway-")
        self.cmd = [
            sys.executable,
            str(HERE / "_gateway_server.py"),
            "--upstream-port",
            str(upstream_port),
            "--upstream-protocol",
            args.upstream_protocol,
            "--max-concurrency",
            str(args.max_concurrency),
            "--http",
            args.http,
            "--backlog",
            str(args.backlog),
            "--limit-concurrency",
            str(args.limit_concurrency),
            "--timeout-keep-alive",
            str(args.timeout_keep_alive),
            "--keys-dir",
            self.keys_dir.name,
        ]
        if args.stall_dump:
            self.cmd += ["--stall-dump", str(args.stall_dump)]
        if args.yield_every:
            self.cmd += ["--yield-every", str(args.yield_every)]
        if args.gateway_nofile:
            self.cmd += ["--nofile", str(args.gateway_nofile)]
        if cpu is not None:
            self.cmd += ["--cpu", str(cpu)]
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self.port = self.pid = 0
        self.stats: dict[str, Any] = {}
        self.log = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GatewayProcess:
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, cwd=ROOT
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.proc.kill()
            self.stderr.seek(0)
            raise RuntimeError(
                f"the gateway did not start (said {line!r}):\n{self.stderr.read().decode()}"
            )
        parts = line.split()
        self.port, self.pid = int(parts[1]), int(parts[3])
        return self

    def __exit__(self, *exc_info: object) -> None:
        proc = self.proc
        if proc is None:
            return
        try:  # communicate() closes stdin: the gateway stops on EOF, prints its STATS line
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        for line in out.decode().splitlines():
            if line.startswith("STATS "):
                self.stats = json.loads(line[6:])
        self.stderr.seek(0)
        self.log = self.stderr.read().decode("utf-8", "replace")
        self.stderr.close()
        self.keys_dir.cleanup()


def run_gateway_cell(
    endpoint: str, concurrency: int, requests: int, upstream: ServerProcess, args: Any, pin: bool
) -> dict[str, Any]:
    assert upstream.proc is not None
    with GatewayProcess(upstream.port, args, 1 if pin else None) as gateway:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--endpoint",
            endpoint,
            "--gateway-port",
            str(gateway.port),
            "--gateway-pid",
            str(gateway.pid),
            "--upstream-pid",
            str(upstream.proc.pid),
            "--concurrency",
            str(concurrency),
            "--requests",
            str(requests),
            "--deltas",
            str(args.deltas),
            "--connect-timeout",
            str(args.connect_timeout),
            "--read-timeout",
            str(args.read_timeout),
        ]
        if pin:
            cmd += ["--cpu", "0"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=ROOT)
    if proc.returncode != 0:
        row: dict[str, Any] = {
            "endpoint": endpoint,
            "concurrency": concurrency,
            "requests": requests,
            "failed": f"the client exited with {proc.returncode}: {proc.stderr[-2000:]}",
        }
    else:
        row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["gateway"] = gateway.stats
    row["gateway_log"] = gateway.log[-4000:]
    row["gateway_log_lines"] = len(gateway.log.splitlines())
    return row


def run_direct_cell(
    variant: str, concurrency: int, requests: int, upstream: ServerProcess, args: Any, pin: bool
) -> dict[str, Any]:
    try:
        return run_client(
            variant, upstream.port, concurrency, requests, args.deltas, 1 if pin else None
        )
    except SystemExit as exc:  # run_client exits on a failed variant: record it, go on
        return {"variant": variant, "concurrency": concurrency, "failed": str(exc)[-2000:]}


# --------------------------------------------------------------------------- report
def cell_failed(row: dict[str, Any]) -> bool:
    return bool(
        row.get("failed")
        or row.get("error_count")
        or row.get("miscounts")
        or row.get("deltas") != row.get("deltas_expected", row.get("deltas"))
    )


def _f(value: Any, fmt: str = ".1f") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, fmt)


def report(
    rows: list[dict[str, Any]],
    direct: dict[int, dict[str, Any]],
    plan: dict[str, Any],
    env: dict[str, str],
    elapsed: float,
) -> str:
    gw = next((r["gateway"] for r in rows if r.get("gateway")), {})
    lines = [
        f"Commit {env['commit']}; CPU: {env['cpu']} ({env['cpus']} CPUs); {env['date']}; "
        f"load average {env['load average at start']} at the start, "
        f"{env['load average at end']} at the end.",
        "",
        f"Responses of {plan['deltas']:,} text deltas ({plan['events_per_write']} SSE events per "
        f"upstream socket write). Gateway: uvicorn {gw.get('uvicorn', '?')} "
        f"(`{gw.get('http_protocol', '?').rsplit('.', 1)[-1]}`, "
        f"loop `{gw.get('loop', '?').rsplit('.', 1)[-1]}`, backlog {plan['backlog']}, "
        f"limit_concurrency {plan['limit_concurrency'] or 'none'}"
        + (
            f"; experiment: yields to its loop every {plan['yield_every']} body messages"
            if plan["yield_every"]
            else ""
        )
        + "), "
        f"`set_max_concurrency({plan['max_concurrency']})`, upstream provider protocol "
        f"`{plan['upstream_protocol']}`, no gateway keys; a fresh gateway and client process per "
        f"cell, one warm-up request each. "
        + (
            "Pinned: gateway and direct llmkit client on CPU 1, upstream and gateway client on "
            "CPU 0. "
            if plan["pinned"]
            else "Not pinned. "
        )
        + "µs/delta = CPU time (user + sys, from `/proc/<pid>/stat`, 10 ms ticks) / text "
        "deltas received.",
        "",
        "### Through the gateway",
        "",
        "| endpoint | c | requests | errors | deltas received / expected | gateway CPU s | "
        "gateway µs/delta | direct llmkit µs/delta | gateway − llmkit µs | gateway / llmkit | "
        "gateway peak RSS MiB | wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d = direct.get(r["concurrency"], {})
        if r.get("failed"):
            lines.append(
                f"| {r['endpoint']} | {r['concurrency']} | {r['requests']} | client failed | "
                "- | - | - | - | - | - | - | - |"
            )
            continue
        lk = d.get("us_per_delta")
        us = r["gateway_us_per_delta"]
        lines.append(
            f"| {r['endpoint']} | {r['concurrency']:,} | {r['requests']:,} | "
            f"{r['error_count'] + r['miscounts']} | {r['deltas']:,} / {r['deltas_expected']:,} | "
            f"{r['gateway_cpu_s']:.2f} | {us:.1f} | {_f(lk)} | "
            f"{_f(us - lk if lk else None)} | {_f(us / lk if lk else None, '.2f')}× | "
            f"{_f(r['gateway_peak_rss_mib'])} | {r['wall_s']:.2f} |"
        )
    lines += [
        "",
        "*direct llmkit* = `stream_text` on the same upstream in its own process "
        f"(`{plan['direct_variant']}`, the same c and requests): the upstream side of every "
        "gateway request. The rest of the gateway's cost is parsing the request, encoding every "
        "event again, Starlette and uvicorn (one HTTP chunk and socket write per event).",
        "",
        "### Latency, the other processes and the gateway's loop",
        "",
        "Time to first delta and stream duration as the gateway's client saw them (successful "
        "streams); the upstream's and the client's CPU per delta; the gateway's loop lag (how "
        "late a 50 ms timer fired: the longest single blocking stretch); retries its llmkit "
        "logged; accept-queue overflows on the machine during the cell.",
        "",
        "| endpoint | c | TTFD p50 ms | TTFD p99 ms | duration p50 s | duration p99 s | "
        "upstream µs/delta | client µs/delta | gateway RSS after warm-up MiB | loop lag max ms | "
        "retries | listen overflows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.get("failed"):
            continue
        g = r.get("gateway", {})
        retries = sum(e["count"] for e in g.get("retries", {}).values())
        overflow = sum(r.get("listen_overflows", {}).values())
        lines.append(
            f"| {r['endpoint']} | {r['concurrency']:,} | {_f(r['ttfd_p50_ms'])} | "
            f"{_f(r['ttfd_p99_ms'])} | {_f(r['duration_p50_s'], '.3f')} | "
            f"{_f(r['duration_p99_s'], '.3f')} | {r['upstream_us_per_delta']:.1f} | "
            f"{r['client_us_per_delta']:.1f} | {_f(r['gateway_rss_after_warmup_mib'])} | "
            f"{_f(g.get('loop_lag', {}).get('max_ms'), '.0f')} | {retries} | {overflow} |"
        )
    lines += [
        "",
        "### Direct llmkit client (same upstream, same run)",
        "",
        "| c | requests | µs/delta | peak RSS MiB | wall s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for c, d in sorted(direct.items()):
        if d.get("failed"):
            lines.append(f"| {c:,} | - | failed | - | - |")
            continue
        lines.append(
            f"| {c:,} | {d['requests']:,} | {d['us_per_delta']:.1f} | {d['peak_rss_mib']:.1f} | "
            f"{d['wall_s']:.2f} |"
        )

    problems = [r for r in rows if cell_failed(r)] + [d for d in direct.values() if d.get("failed")]
    lines += ["", "### Errors", ""]
    if not problems:
        total = sum(r.get("requests", 0) for r in rows)
        lines.append(
            f"None: all {total:,} requests through the gateway got every text delta and the "
            "end of their stream; every direct llmkit cell passed."
        )
    for r in problems:
        where = f"{r.get('endpoint', r.get('variant'))}, c={r['concurrency']}"
        if r.get("failed"):
            lines.append(f"- {where}: **failed**: `{r['failed'].strip()[-600:]}`")
            continue
        if r.get("miscounts"):
            lines.append(f"- {where}: {r['miscounts']} responses with a wrong delta count")
        for message, e in sorted(r["errors"].items(), key=lambda kv: -kv[1]["count"]):
            lines.append(
                f"- {where}: {e['count']} × `{message}` "
                f"(between {e['first_s']:.2f} and {e['last_s']:.2f} s into the cell)"
            )
    for r in rows:
        g = r.get("gateway", {})
        for kind in ("retries", "warnings"):
            for message, e in g.get(kind, {}).items():
                lines.append(
                    f"- gateway {kind[:-1]} ({r['endpoint']}, c={r['concurrency']}): "
                    f"{e['count']} × `{message}`"
                )
        if r.get("gateway_log", "").strip():
            tail = r["gateway_log"].strip().splitlines()[-3:]
            lines.append(
                f"- gateway stderr ({r['endpoint']}, c={r['concurrency']}, "
                f"{r['gateway_log_lines']} lines), last: `{' / '.join(tail)[:600]}`"
            )
    lines += [
        "",
        "### Environment",
        "",
        "; ".join(f"{k}: {v}" for k, v in env.items()) + f"; whole benchmark {elapsed:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def environment() -> dict[str, str]:
    import datetime as dt
    import platform

    return {
        "date": dt.date.today().isoformat(),
        "commit": git_commit(),
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "uvicorn": _version("uvicorn"),
        "starlette": _version("starlette"),
        "h11": _version("h11"),
        "httptools": _version("httptools"),
        "uvloop": _version("uvloop"),
        "aiohttp": _version("aiohttp"),
        "httpx": _version("httpx"),
        "orjson": _version("orjson"),
        "somaxconn": _read("/proc/sys/net/core/somaxconn"),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "unknown"


def _levels(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--concurrency", default="1,10,100,1000", help="levels, e.g. 1,10,1000")
    parser.add_argument(
        "--requests", default="1000", help="requests per level: one number, or one per level"
    )
    parser.add_argument("--deltas", type=int, default=200, help="text deltas per response")
    parser.add_argument("--events-per-write", type=int, default=8, help="upstream SSE batching")
    parser.add_argument("--endpoints", default="openai,anthropic", help="openai, anthropic")
    parser.add_argument(
        "--upstream-protocol",
        default="openai-chat",
        choices=sorted(DIRECT),
        help="the gateway's provider protocol (and the direct llmkit client's)",
    )
    parser.add_argument("--no-direct", action="store_true", help="skip the direct llmkit cells")
    parser.add_argument(
        "--max-concurrency", type=int, help="the gateway's set_max_concurrency (default: max c)"
    )
    parser.add_argument("--http", default="auto", help="uvicorn --http (auto, h11, httptools)")
    parser.add_argument("--backlog", type=int, default=2048, help="uvicorn --backlog")
    parser.add_argument("--limit-concurrency", type=int, default=0, help="uvicorn; 0: none")
    parser.add_argument("--timeout-keep-alive", type=int, default=5, help="uvicorn, seconds")
    parser.add_argument("--connect-timeout", type=float, default=5.0, help="client, seconds")
    parser.add_argument("--read-timeout", type=float, default=120.0, help="client, seconds")
    parser.add_argument(
        "--yield-every",
        type=int,
        default=0,
        help="experiment: the gateway yields to its loop every N body messages (0: never)",
    )
    parser.add_argument(
        "--gateway-nofile",
        type=int,
        default=0,
        help="experiment: the gateway's RLIMIT_NOFILE soft limit (default: raised to the hard)",
    )
    parser.add_argument(
        "--stall-dump",
        type=float,
        default=0.0,
        help="diagnostic: sample the gateway's stack while its loop is stuck this many seconds",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    parser.add_argument("--output", default=str(HERE / "results" / "gateway.md"))
    # the client process
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", choices=list(ENDPOINTS), help=argparse.SUPPRESS)
    parser.add_argument("--gateway-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--gateway-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--upstream-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        args.concurrency = int(args.concurrency)
        args.requests = int(args.requests)
        child_main(args)
        return

    levels = _levels(args.concurrency)
    counts = _levels(args.requests)
    if len(counts) == 1:
        counts = counts * len(levels)
    if len(counts) != len(levels):
        parser.error("--requests needs one number, or one per concurrency level")
    endpoints = [e.strip() for e in args.endpoints.split(",") if e.strip()]
    unknown = [e for e in endpoints if e not in ENDPOINTS]
    if unknown:
        parser.error(f"unknown endpoints: {unknown}")
    args.max_concurrency = args.max_concurrency or max(levels)
    pin = not args.no_pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    raise_nofile_limit()  # the upstream inherits it
    plan = {
        "concurrency": levels,
        "requests": counts,
        "deltas": args.deltas,
        "events_per_write": args.events_per_write,
        "endpoints": endpoints,
        "upstream_protocol": args.upstream_protocol,
        "direct_variant": DIRECT[args.upstream_protocol],
        "max_concurrency": args.max_concurrency,
        "http": args.http,
        "backlog": args.backlog,
        "limit_concurrency": args.limit_concurrency,
        "timeout_keep_alive": args.timeout_keep_alive,
        "yield_every": args.yield_every,
        "gateway_nofile": args.gateway_nofile or "hard limit",
        "connect_timeout": args.connect_timeout,
        "read_timeout": args.read_timeout,
        "pinned": pin,
    }
    env = environment()
    env["load average at start"] = _load()
    rows: list[dict[str, Any]] = []
    direct: dict[int, dict[str, Any]] = {}
    start = time.perf_counter()
    lifetime = 3600.0
    with ServerProcess(
        args.deltas, args.events_per_write, max_lifetime=lifetime, cpu=0 if pin else None
    ) as upstream:
        for c, n in zip(levels, counts, strict=True):
            for endpoint in endpoints:
                row = run_gateway_cell(endpoint, c, n, upstream, args, pin)
                rows.append(row)
                if row.get("failed"):
                    print(f"  gateway {endpoint:<9} c={c:<5} FAILED", file=sys.stderr, flush=True)
                else:
                    print(
                        f"  gateway {endpoint:<9} c={c:<5} {row['gateway_us_per_delta']:7.1f} "
                        f"µs/delta  errors {row['error_count']}  miscounts {row['miscounts']}  "
                        f"{row['deltas']}/{row['deltas_expected']} deltas  "
                        f"{row['gateway_peak_rss_mib']:.0f} MiB  {row['wall_s']:.2f} s",
                        file=sys.stderr,
                        flush=True,
                    )
            if not args.no_direct:
                d = run_direct_cell(plan["direct_variant"], c, n, upstream, args, pin)
                direct[c] = d
                if not d.get("failed"):
                    print(
                        f"  direct  {d['variant']:<9} c={c:<5} {d['us_per_delta']:7.1f} µs/delta"
                        f"  {d['peak_rss_mib']:.0f} MiB  {d['wall_s']:.2f} s",
                        file=sys.stderr,
                        flush=True,
                    )
    elapsed = time.perf_counter() - start
    env["load average at end"] = _load()
    text = report(rows, direct, plan, env, elapsed)
    print(text)
    command = "python bench/bench_gateway.py " + " ".join(sys.argv[1:])
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"# llmkit gateway benchmark: latest run\n\nCommand: `{command.strip()}`\n\n{text}",
        encoding="utf-8",
    )
    out.with_suffix(".json").write_text(
        json.dumps(
            {"environment": env, "plan": plan, "gateway": rows, "direct": list(direct.values())},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {out} and {out.with_suffix('.json')}", file=sys.stderr)
    bad = [r for r in rows if cell_failed(r)] + [d for d in direct.values() if d.get("failed")]
    if bad:
        print(f"{len(bad)} cells had errors or miscounts", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
