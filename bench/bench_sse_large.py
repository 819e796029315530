"""Decoding one huge server-sent event: time should grow linearly with its size.

    .venv/bin/python bench/bench_sse_large.py            # 2, 8 and 32 MiB, 64 KiB reads

Feeds a single ``data:`` line of N MiB through ``llmkit.transport.sse.iter_sse`` in 64 KiB
network reads (no sockets) and prints seconds and seconds per MiB; a constant s/MiB means linear
time. The cap (``max_event_bytes``, default 64 MiB) is raised above the largest size here.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from llmkit.transport.sse import iter_sse


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes, size: int) -> None:
        self.body, self.size = body, size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        view = memoryview(self.body)
        for i in range(0, len(view), self.size):
            yield bytes(view[i : i + self.size])


async def decode(mib: int) -> float:
    body = b"data: " + b"x" * (mib << 20) + b"\n\n"
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_Chunks(body, 64 << 10)
    )
    started = time.perf_counter()
    events = [e async for e in iter_sse(response, max_event_bytes=128 << 20)]
    elapsed = time.perf_counter() - started
    assert len(events) == 1
    assert len(events[0].data) == mib << 20
    return elapsed


def main() -> None:
    print("| event size | seconds | s per MiB |")
    print("|---:|---:|---:|")
    for mib in (2, 8, 32):
        seconds = asyncio.run(decode(mib))
        print(f"| {mib} MiB | {seconds:.3f} | {seconds / mib:.4f} |")


if __name__ == "__main__":
    main()
