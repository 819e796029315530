"""A worker process for ``test_redis_limits.py``: makes ``--requests`` calls to a loopback
provider through ``--tasks`` concurrent tasks, all under one ``RateLimit`` stored in Redis.

Usage: ``python redis_worker.py PROVIDER_URL REDIS_URL [--requests N] [--tasks N] [--limit N]
[--period S]``. Makes one warm-up call without the limit, prints ``ready``, waits for a line on
stdin, runs, then prints one JSON line:
``ok`` (calls answered), ``errors`` (calls that raised), ``down`` / ``back`` (warnings logged on
``llmkit.reliability`` that Redis is unreachable / answers again).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from llmkit import ProviderConfig, ProviderRegistry, generate_text
from llmkit.reliability import RateLimit


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.down = 0
        self.back = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "unreachable" in message:
            self.down += 1
        elif "answers again" in message:
            self.back += 1


async def run(args: argparse.Namespace) -> dict[str, int]:
    registry = ProviderRegistry(
        [
            ProviderConfig(
                id="loop",
                protocol="openai-chat",
                base_url=f"{args.provider}/v1",
                auth="none",
                api_key_required=False,
            )
        ]
    )
    # warm up outside the limit (imports, the connection pool, the Redis client): the first
    # call of a process is slower between admission and sending than the others
    await generate_text(model="loop:m", prompt="warm-up", registry=registry, retry=0)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    limit = RateLimit(requests_per_minute=args.limit, period=args.period, storage=args.redis)
    left = args.requests
    report = {"ok": 0, "errors": 0}

    async def task() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            try:
                await generate_text(
                    model="loop:m", prompt="hi", registry=registry, rate_limit=limit, retry=0
                )
            except Exception as exc:  # reported, not raised: the test counts them
                print(f"{type(exc).__name__}: {exc}", file=sys.stdout)
                report["errors"] += 1
            else:
                report["ok"] += 1

    await asyncio.gather(*(task() for _ in range(args.tasks)))
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("provider")
    parser.add_argument("redis")
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--limit", type=float, default=5)
    parser.add_argument("--period", type=float, default=2.0)
    args = parser.parse_args()
    counter = _Count()
    logger = logging.getLogger("llmkit.reliability")
    logger.addHandler(counter)
    logger.propagate = False
    report = asyncio.run(run(args))
    print(json.dumps({**report, "down": counter.down, "back": counter.back}), flush=True)


if __name__ == "__main__":
    main()
