"""Streaming benchmark: client CPU per delta and peak RSS, llmkit vs the floor vs the SDKs.

    .venv/bin/python bench/bench_stream.py               # full run, about 3 minutes on 2 idle cores
    .venv/bin/python bench/bench_stream.py --repeat 3    # floors and llmkit 3 times (median)
    .venv/bin/python bench/bench_stream.py --quick       # smoke run (200-delta responses)

A loopback server (``bench/_server.py``, its own process) streams 2,000-delta responses; each
(variant, concurrency) pair runs in a fresh client process (``bench/_client.py``) that warms up
once and then measures its own CPU time (user + sys) over all its requests. Variants, for each
protocol: the physical floor (an ``asyncio.Protocol`` HTTP/1.1 client, SSE split on bytes,
``orjson``), the httpx floor (httpx + httpx-sse + ``json.loads``), the aiohttp floor, the
httpx-over-aiohttp floor, llmkit ``stream_text``, and the official SDK. Every cell reports its
ratio to the physical floor of the same protocol measured in the same run. Concurrency levels
run one after the other, with the variants interleaved inside each level so that drift hits
them alike. On Linux with 2+ CPUs the server is pinned to
CPU 0 and each client to CPU 1 (``--no-pin`` to disable).

Prints a Markdown report and writes it to ``bench/results/latest.md`` (raw numbers in
``bench/results/latest.json``). This measures; it never fails on a number. It fails only when a
variant did not receive exactly the expected number of text deltas per response.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _client import DEFAULT_VARIANTS, VARIANTS  # noqa: E402
from _server import ServerProcess  # noqa: E402

PHYSICAL = {"openai": "floor-protocol-openai", "anthropic": "floor-protocol-anthropic"}
"""The physical floor: what a Python asyncio client cannot go below (the ``× floor`` column)."""
FLOOR = {"openai": "floor-openai", "anthropic": "floor-anthropic"}
"""The httpx floor: httpx + httpx-sse + ``json.loads`` (llmkit's stack until now)."""
LLMKIT = {"openai": "llmkit-openai", "anthropic": "llmkit-anthropic"}
SDK = {"openai": "openai-sdk", "anthropic": "anthropic-sdk"}

STACKS = {
    "floor-protocol": "physical floor: asyncio.Protocol HTTP/1.1 + bytes SSE + orjson",
    "floor": "httpx floor: httpx + httpx-sse + json.loads",
    "floor-aiohttp": "aiohttp floor: aiohttp (16 KiB reads, as llmkit) + bytes SSE + json.loads",
    "floor-httpx-aiohttp": "httpx-aiohttp floor: httpx over AiohttpTransport + httpx-sse",
    "llmkit": "llmkit stream_text",
    "openai-sdk": "official SDK",
    "anthropic-sdk": "official SDK",
    "anthropic-sdk-stream": "official SDK, messages.stream() helper",
}


def stack(variant: str) -> str:
    """What a variant runs, in a few words (for the report)."""
    for prefix in ("floor-httpx-aiohttp", "floor-aiohttp", "floor-protocol", "floor", "llmkit"):
        if variant.startswith(prefix + "-"):
            return STACKS[prefix]
    return STACKS.get(variant, variant)


FULL: dict[str, Any] = {
    "deltas": 2000,
    "concurrency": [1, 10, 100],
    "requests": [60, 80, 200],  # floors and llmkit: the close comparison, measured longer
    "sdk_requests": [6, 10, 100],  # the SDKs: several times slower, wide margins
}
QUICK: dict[str, Any] = {
    "deltas": 200,
    "concurrency": [1, 10, 100],
    "requests": [10, 20, 100],
    "sdk_requests": [5, 10, 100],
}


def run_client(
    variant: str, port: int, concurrency: int, requests: int, deltas: int, cpu: int | None
) -> Any:
    cmd = [
        sys.executable,
        str(HERE / "_client.py"),
        "--variant",
        variant,
        "--port",
        str(port),
        "--concurrency",
        str(concurrency),
        "--requests",
        str(requests),
        "--deltas",
        str(deltas),
    ]
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"variant {variant} at concurrency {concurrency} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load() -> str:
    """1-minute load average: other work on the machine makes the numbers noisier."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def git_commit() -> str:
    """Short sha of HEAD, with ``+dirty`` when tracked files differ from it."""
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


def environment() -> dict[str, str]:
    return {
        "date": dt.date.today().isoformat(),
        "commit": git_commit(),
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "httpx": _version("httpx"),
        "httpx-sse": _version("httpx-sse"),
        "aiohttp": _version("aiohttp"),
        "httpx-aiohttp": _version("httpx-aiohttp"),
        "orjson": _version("orjson"),
        "pydantic": _version("pydantic"),
        "openai": _version("openai"),
        "anthropic": _version("anthropic"),
    }


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def summarize(raw: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """(variant, concurrency) → medians over repeats, and paired ratios to the floors.

    A ratio is the median over repeats of (variant / floor of the same protocol in the same
    repeat), so slow drift of the machine between repeats cancels out. ``ratio`` is to the
    physical floor, ``ratio_httpx`` to the httpx floor. An SDK cell run fewer times than the
    floors pairs with the floors' runs of the same repeat index.
    """
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in raw:
        groups.setdefault((row["variant"], row["concurrency"]), []).append(row)

    def paired(rows: list[dict[str, Any]], floor: str, c: int) -> float | None:
        floor_rows = {r["repeat"]: r for r in groups.get((floor, c), [])}
        ratios = [
            r["us_per_delta"] / floor_rows[r["repeat"]]["us_per_delta"]
            for r in rows
            if r["repeat"] in floor_rows
        ]
        return _median(ratios) if ratios else None

    out: dict[tuple[str, int], dict[str, Any]] = {}
    for (variant, c), rows in groups.items():
        protocol = rows[0]["protocol"]
        us = [r["us_per_delta"] for r in rows]
        out[(variant, c)] = {
            "protocol": protocol,
            "us_per_delta": _median(us),
            "us_min": min(us),
            "us_max": max(us),
            "ratio": paired(rows, PHYSICAL[protocol], c),
            "ratio_httpx": paired(rows, FLOOR[protocol], c),
            "ratio_llmkit": paired(rows, LLMKIT[protocol], c),
            "wall_s": _median([r["wall_s"] for r in rows]),
            "requests": rows[0]["requests"],
            "deltas": rows[0]["deltas"],
            "peak_rss_mib": _median([r["peak_rss_mib"] for r in rows]),
            "rss_setup_mib": _median([r["rss_setup_mib"] for r in rows]),
            "runs": len(rows),
        }
    return out


def _is_sdk(variant: str) -> bool:
    return "sdk" in variant


def _requests(plan: dict[str, Any], variant: str, level: int) -> int:
    i = plan["concurrency"].index(level)
    key = "sdk_requests" if _is_sdk(variant) else "requests"
    return int(plan[key][i])


def report(
    summary: dict[tuple[str, int], dict[str, Any]],
    variants: list[str],
    plan: dict[str, Any],
    env: dict[str, str],
    elapsed: float,
) -> str:
    levels: list[int] = plan["concurrency"]
    repeat = plan["repeat"]

    def us(cell: dict[str, Any]) -> str:
        text = f"{cell['us_per_delta']:.1f}"
        if cell["runs"] > 1:
            text += f" ({cell['us_min']:.1f}-{cell['us_max']:.1f})"
        return text

    def ratio(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    floor_req = ", ".join(f"{r} at c={c}" for c, r in zip(levels, plan["requests"], strict=True))
    sdk_req = ", ".join(f"{r} at c={c}" for c, r in zip(levels, plan["sdk_requests"], strict=True))
    lines = [
        f"Commit {env['commit']}; CPU: {env['cpu']} ({env['cpus']} CPUs); {env['date']}.",
        "",
        "### Client CPU per text delta",
        "",
        f"Responses of {plan['deltas']:,} text deltas. Requests measured (after one warm-up "
        f"request): floors and llmkit {floor_req}; SDKs {sdk_req}. "
        + (
            f"Median of {repeat} runs per floor and llmkit cell and {plan['repeat_sdk']} per "
            "SDK cell (range in brackets). "
            if repeat > 1 or plan["repeat_sdk"] > 1
            else "One run per cell. "
        )
        + "µs/delta = CPU time of the client process (user + sys) / text deltas received; "
        "× floor = that over the physical floor (`floor-protocol-*`: an `asyncio.Protocol` "
        "HTTP/1.1 client, SSE split on bytes, `orjson.loads`) on the same protocol in the same "
        "run (the median of per-run ratios).",
        "",
        "| variant | stack | "
        + " | ".join(f"c={c} µs/delta | c={c} × floor" for c in levels)
        + " |",
        "|---|---|" + "---:|---:|" * len(levels),
    ]
    for v in variants:
        cells = []
        for c in levels:
            cell = summary.get((v, c))
            cells.append(us(cell) if cell else "-")
            cells.append(ratio(cell["ratio"] if cell else None))
        lines.append(f"| {v} | {stack(v)} | " + " | ".join(cells) + " |")

    httpx_floor_run = any((FLOOR[p], c) in summary for p in FLOOR for c in levels)
    if httpx_floor_run:
        lines += [
            "",
            "### Ratio to the httpx floor",
            "",
            "The same cells over the httpx floor (`floor-openai` / `floor-anthropic`: httpx + "
            "httpx-sse + `json.loads`), the median of per-run ratios.",
            "",
            "| variant | " + " | ".join(f"c={c} × httpx floor" for c in levels) + " |",
            "|---|" + "---:|" * len(levels),
        ]
        for v in variants:
            cells = [
                ratio(summary[(v, c)]["ratio_httpx"]) if (v, c) in summary else "-" for c in levels
            ]
            lines.append(f"| {v} | " + " | ".join(cells) + " |")

    lines += [
        "",
        "### Peak memory and wall time",
        "",
        "Peak RSS of the client process (`ru_maxrss`, MiB: interpreter, imports, buffers). "
        "*Setup* is the peak after imports and client construction, before the first request. "
        "Wall time covers the measured requests only.",
        "",
        "| variant | setup MiB | "
        + " | ".join(f"c={c} peak MiB | c={c} wall s" for c in levels)
        + " |",
        "|---|---:|" + "---:|---:|" * len(levels),
    ]
    for v in variants:
        setups = [summary[(v, c)]["rss_setup_mib"] for c in levels if (v, c) in summary]
        cells = [f"{min(setups):.1f}" if setups else "-"]
        for c in levels:
            cell = summary.get((v, c))
            cells.append(f"{cell['peak_rss_mib']:.1f}" if cell else "-")
            cells.append(f"{cell['wall_s']:.2f}" if cell else "-")
        lines.append(f"| {v} | " + " | ".join(cells) + " |")

    lines += ["", "### llmkit and the official SDKs", ""]
    for protocol in ("openai", "anthropic"):
        lk, sdk = LLMKIT[protocol], SDK[protocol]
        for c in levels:
            a, b = summary.get((lk, c)), summary.get((sdk, c))
            if a and b and b["ratio_llmkit"] is not None:
                x = b["ratio_llmkit"]
                word = "cheaper" if x >= 1 else "**more expensive**"
                factor = x if x >= 1 else 1 / x
                lines.append(
                    f"- c={c}: llmkit is {factor:.2f}× {word} than the {protocol} SDK "
                    f"({lk} {a['us_per_delta']:.1f} µs/delta, {sdk} {b['us_per_delta']:.1f})"
                )

    lines += ["", "### Targets (measured, not asserted)", ""]
    for protocol in ("openai", "anthropic"):
        lk, sdk = LLMKIT[protocol], SDK[protocol]
        for c in levels:
            cell = summary.get((lk, c))
            if cell and cell["ratio_httpx"] is not None:
                verdict = "met" if cell["ratio_httpx"] <= 1.25 else "**missed**"
                lines.append(
                    f"- {lk}, c={c}: {cell['ratio_httpx']:.2f}× the httpx floor "
                    f"(target ≤ 1.25×): {verdict}"
                )
        for c in levels:
            a, b = summary.get((lk, c)), summary.get((sdk, c))
            if a and b and b["ratio_llmkit"] is not None:
                x = b["ratio_llmkit"]
                ok = x >= 3.0 if protocol == "openai" else x > 1.0
                target = "≥ 3×" if protocol == "openai" else "> 1×"
                verdict = "met" if ok else "**missed**"
                lines.append(f"- {sdk} costs {x:.2f}× {lk}, c={c} (target {target}): {verdict}")

    lines += [
        "",
        "### Environment",
        "",
        "; ".join(f"{k}: {v}" for k, v in env.items()) + f"; whole benchmark {elapsed:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fast smoke run")
    parser.add_argument(
        "--variants",
        default=",".join(DEFAULT_VARIANTS),
        help=f"comma-separated, from {', '.join(VARIANTS)}",
    )
    parser.add_argument("--concurrency", help="comma-separated levels, e.g. 1,10,100")
    parser.add_argument("--requests", help="requests per level for floor and llmkit: 30,50,100")
    parser.add_argument("--sdk-requests", help="requests per level for the SDKs: 6,20,100")
    parser.add_argument("--deltas", type=int, help="text deltas per response")
    parser.add_argument("--events-per-write", type=int, default=8)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per floor and llmkit cell (median)"
    )
    parser.add_argument("--repeat-sdk", type=int, default=1, help="runs per SDK cell (median)")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and client to separate CPUs"
    )
    parser.add_argument("--output", default=str(HERE / "results" / "latest.md"))
    args = parser.parse_args()

    plan: dict[str, Any] = dict(QUICK if args.quick else FULL)
    if args.deltas:
        plan["deltas"] = args.deltas
    if args.concurrency:
        # A level of the plan keeps its request counts; another runs max(c, 10) (SDKs: 5).
        base = dict(plan)
        plan["concurrency"] = [int(x) for x in args.concurrency.split(",")]
        for key, least in (("requests", 10), ("sdk_requests", 5)):
            known = dict(zip(base["concurrency"], base[key], strict=True))
            plan[key] = [known.get(c, max(c, least)) for c in plan["concurrency"]]
    for key, given in (("requests", args.requests), ("sdk_requests", args.sdk_requests)):
        if given:
            plan[key] = [int(x) for x in given.split(",")]
        if len(plan[key]) != len(plan["concurrency"]):
            parser.error(f"--{key.replace('_', '-')} needs one number per concurrency level")
    plan["repeat"] = args.repeat
    plan["repeat_sdk"] = args.repeat_sdk
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants: {unknown}")
    # Server on CPU 0, client on CPU 1: no migrations, and the server never steals the
    # client's core (the client's CPU time is what is measured).
    pin = not args.no_pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    plan["pinned"] = pin

    env = environment()
    env["load average at start"] = _load()
    raw: list[dict[str, Any]] = []
    start = time.perf_counter()
    with ServerProcess(plan["deltas"], args.events_per_write, cpu=0 if pin else None) as server:
        for c in plan["concurrency"]:
            for rep in range(max(args.repeat, args.repeat_sdk)):
                for v in variants:
                    if rep >= (args.repeat_sdk if _is_sdk(v) else args.repeat):
                        continue
                    n = _requests(plan, v, c)
                    row = run_client(v, server.port, c, n, plan["deltas"], 1 if pin else None)
                    row["repeat"] = rep
                    raw.append(row)
                    print(
                        f"  {v:<30} c={c:<4} {row['us_per_delta']:8.1f} µs/delta  "
                        f"{row['peak_rss_mib']:6.1f} MiB  {row['wall_s']:6.2f} s wall",
                        file=sys.stderr,
                        flush=True,
                    )
    elapsed = time.perf_counter() - start
    env["load average at end"] = _load()
    text = report(summarize(raw), variants, plan, env, elapsed)
    print(text)
    command = "python bench/bench_stream.py " + " ".join(sys.argv[1:])
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"# llmkit streaming benchmark: latest run\n\nCommand: `{command.strip()}`\n\n{text}",
        encoding="utf-8",
    )
    out.with_suffix(".json").write_text(
        json.dumps({"environment": env, "plan": plan, "runs": raw}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {out} and {out.with_suffix('.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
