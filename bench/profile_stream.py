"""Profile one streaming variant under cProfile to inspect the hot path.

    .venv/bin/python bench/profile_stream.py                       # llmkit-openai, c=1
    .venv/bin/python bench/profile_stream.py --variant llmkit-anthropic --concurrency 10
    .venv/bin/python bench/profile_stream.py --sort tottime --top 40

Starts the benchmark server (``bench/_server.py``) in its own process, runs the variant in this
process exactly as ``bench_stream.py`` does (one warm-up request, then the measured requests),
profiles only the measured requests, and prints the top functions by cumulative time, then the
same functions as µs per text delta (own time and cumulative). cProfile slows Python code down
by roughly 1.5-2x, so read the per-delta numbers as shares, not absolute costs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _client import VARIANTS, measure  # noqa: E402
from _server import ServerProcess  # noqa: E402


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a built-in
    parts = Path(filename).parts
    for anchor in ("site-packages", "llmkit", "bench"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            start = i + 1 if anchor == "site-packages" else i
            return f"{'/'.join(parts[start:])}:{line}({name})"
    return f"{Path(filename).name}:{line}({name})"


def per_delta_table(stats: pstats.Stats, deltas: int, sort: str, top: int) -> str:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for func, (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        rows.append((func, ncalls, tottime, cumtime))
    key = 2 if sort == "tottime" else 3
    rows.sort(key=lambda r: r[key], reverse=True)
    lines = [
        f"{'calls/delta':>11} {'own µs/delta':>12} {'cum µs/delta':>12}  function",
    ]
    for func, ncalls, tottime, cumtime in rows[:top]:
        lines.append(
            f"{ncalls / deltas:11.2f} {tottime / deltas * 1e6:12.2f} "
            f"{cumtime / deltas * 1e6:12.2f}  {_where(func)}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--variant", default="llmkit-openai", choices=list(VARIANTS))
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--output", help="also save the raw profile here (for snakeviz etc.)")
    args = parser.parse_args()

    profiler = cProfile.Profile()
    with ServerProcess(args.deltas) as server:
        base = f"http://127.0.0.1:{server.port}"
        result = asyncio.run(
            measure(args.variant, base, args.concurrency, args.requests, args.deltas, profiler)
        )
    deltas = result["deltas"]
    if args.output:
        profiler.dump_stats(args.output)
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(
        f"{args.variant}: {args.requests} requests at concurrency {args.concurrency}, "
        f"{deltas} text deltas, {result['us_per_delta']:.1f} µs/delta of CPU under cProfile"
    )
    print(buf.getvalue())
    stats = pstats.Stats(profiler)  # unstripped, for paths
    print(f"Top {args.top} by {args.sort}, per text delta:")
    print(per_delta_table(stats, deltas, args.sort, args.top))


if __name__ == "__main__":
    main()
