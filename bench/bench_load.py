"""Load run: 1,000 concurrent ``stream_text`` streams of 500 deltas on one event loop.

    .venv/bin/python bench/bench_load.py                 # 1,000 streams x 500 deltas, 2 rounds
    .venv/bin/python bench/bench_load.py --streams 200   # smaller

The loopback server (``bench/_server.py``) runs in its own process. Each round starts every
stream at once and awaits them all; after the round the shared client is closed
(``llmkit.transport.http.close_client``) and the client process's open TCP sockets are counted
from ``/proc/self/fd``. Reports errors, wall time, sockets left open and RSS after each round
(growth between rounds shows whether memory is stable). Exits non-zero on any error, a wrong
delta count, or a socket left open.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from _server import ServerProcess  # noqa: E402


def rss_mib() -> float:
    """Resident set size of this process now, in MiB (Linux ``/proc/self/status``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_sockets() -> int:
    """TCP/Unix sockets this process holds open (``/proc/self/fd``)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


async def one_round(port: int, streams: int, deltas: int) -> dict[str, float]:
    from llmkit import ProviderConfig, ProviderRegistry, stream_text
    from llmkit.transport.http import close_client

    registry = ProviderRegistry(
        [
            ProviderConfig(
                id="load",
                protocol="openai-chat",
                base_url=f"http://127.0.0.1:{port}/v1",
                auth="none",
            )
        ]
    )

    async def one() -> int:
        count = 0
        async for event in stream_text(model="load:m", prompt="hi", registry=registry):
            if event.type == "text_delta":
                count += 1
        return count

    baseline = open_sockets()
    started = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(streams)), return_exceptions=True)
    wall = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    wrong = [r for r in results if isinstance(r, int) and r != deltas]
    peak_open = open_sockets() - baseline
    await close_client()
    gc.collect()
    await asyncio.sleep(0.1)
    if errors:
        print(f"first error: {errors[0]!r}", file=sys.stderr)
    return {
        "errors": len(errors),
        "wrong_counts": len(wrong),
        "wall_s": wall,
        "keepalive_after_round": peak_open,
        "open_after_close": open_sockets() - baseline,
        "rss_mib": rss_mib(),
    }


async def run(port: int, streams: int, deltas: int, rounds: int) -> list[dict[str, float]]:
    out = []
    for _ in range(rounds):
        out.append(await one_round(port, streams, deltas))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    before = rss_mib()
    with ServerProcess(deltas=args.deltas, events_per_write=8, max_lifetime=600) as server:
        rounds = asyncio.run(run(server.port, args.streams, args.deltas, args.rounds))
    print(f"{args.streams} concurrent streams x {args.deltas} deltas, {args.rounds} rounds")
    print(f"RSS before: {before:.1f} MiB")
    print("| round | errors | wrong delta counts | wall s | sockets open after close | RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(rounds, 1):
        print(
            f"| {i} | {r['errors']:.0f} | {r['wrong_counts']:.0f} | {r['wall_s']:.2f} | "
            f"{r['open_after_close']:.0f} | {r['rss_mib']:.1f} |"
        )
    if len(rounds) > 1:
        growth = rounds[-1]["rss_mib"] - rounds[0]["rss_mib"]
        print(f"RSS growth round 1 -> {len(rounds)}: {growth:+.1f} MiB")
    bad = any(r["errors"] or r["wrong_counts"] or r["open_after_close"] for r in rounds)
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
