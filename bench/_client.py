"""One benchmark client variant, run in its own fresh process.

    python bench/_client.py --variant llmkit-openai --port 8123 --concurrency 10 --requests 20

Imports only what the variant needs, warms up with one request, then runs ``--requests``
streaming requests with ``--concurrency`` of them in flight on one event loop and one shared
client, and prints one JSON line: CPU seconds of this process (``time.process_time()``,
user + sys) and wall seconds of the measured part, text deltas consumed, peak RSS
(``ru_maxrss``) before the warm-up and at the end.

Every variant counts the text deltas of every response and fails unless each response had
exactly ``--deltas`` of them: a benchmark that silently reads nothing is worthless.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout, llmkit not installed
    sys.path.insert(0, str(ROOT))

RequestFn = Callable[[], Awaitable[int]]
"""Sends one streaming request, consumes all of it, returns its number of text deltas."""

MODEL = "bench-model"
PROMPT = "Write a long story."
MAX_TOKENS = 4096


def _openai_body() -> dict[str, Any]:
    # The same body llmkit sends for this call (model, messages, stream, stream_options).
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def _anthropic_body() -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": MAX_TOKENS,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
    }


def _floor_client() -> Any:
    import httpx

    # The same limits and timeouts as llmkit's shared client.
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=5.0, read=600.0, write=60.0, pool=60.0),
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=200),
    )


# --------------------------------------------------------------------------- variants
async def setup_floor_openai(base: str) -> RequestFn:
    """The floor of the stack: httpx + httpx-sse + ``json.loads``, nothing else."""
    from httpx_sse import aconnect_sse

    client = _floor_client()
    url = f"{base}/v1/chat/completions"
    headers = {"authorization": "Bearer x", "accept": "text/event-stream"}
    body = _openai_body()
    loads = json.loads

    async def one() -> int:
        n = 0
        async with aconnect_sse(client, "POST", url, json=body, headers=headers) as source:
            async for sse in source.aiter_sse():
                data = sse.data
                if data == "[DONE]":
                    # Read on to the end of the response (as llmkit and the SDK do): leaving
                    # early would close the connection instead of returning it to the pool.
                    continue
                choices = loads(data)["choices"]
                if choices and choices[0]["delta"].get("content"):
                    n += 1
        return n

    return one


async def setup_floor_anthropic(base: str) -> RequestFn:
    """The floor on Anthropic's protocol."""
    from httpx_sse import aconnect_sse

    client = _floor_client()
    url = f"{base}/v1/messages"
    headers = {"x-api-key": "x", "anthropic-version": "2023-06-01"}
    body = _anthropic_body()
    loads = json.loads

    async def one() -> int:
        n = 0
        async with aconnect_sse(client, "POST", url, json=body, headers=headers) as source:
            async for sse in source.aiter_sse():
                obj = loads(sse.data)
                if obj["type"] == "content_block_delta" and obj["delta"]["type"] == "text_delta":
                    n += 1
        return n

    return one


def _llmkit(base: str, protocol: str) -> RequestFn:
    from llmkit import ProviderConfig, ProviderRegistry, stream_text

    registry = ProviderRegistry(
        [
            ProviderConfig(
                id="bench",
                protocol=protocol,
                base_url=f"{base}/v1",
                api_key_required=False,
                headers={"anthropic-version": "2023-06-01"}
                if protocol == "anthropic-messages"
                else {},
            )
        ]
    )
    model = f"bench:{MODEL}"
    max_tokens = MAX_TOKENS if protocol == "anthropic-messages" else None

    async def one() -> int:
        n = 0
        finished = False
        result = stream_text(
            model=model, prompt=PROMPT, max_output_tokens=max_tokens, registry=registry
        )
        async for event in result:  # every unified event, as an application would
            if event.type == "text_delta":
                n += 1
            elif event.type == "finish":
                finished = True
        if not finished:
            raise RuntimeError("llmkit stream ended without a finish event")
        return n

    return one


async def setup_llmkit_openai(base: str) -> RequestFn:
    """llmkit ``stream_text`` on ``openai-chat`` (its shared per-loop client)."""
    return _llmkit(base, "openai-chat")


async def setup_llmkit_anthropic(base: str) -> RequestFn:
    """llmkit ``stream_text`` on ``anthropic-messages``."""
    return _llmkit(base, "anthropic-messages")


async def setup_openai_sdk(base: str) -> RequestFn:
    """The official openai SDK: ``chat.completions.create(stream=True)``.

    Its default client already allows 1,000 connections (100 kept alive), enough for
    concurrency 100, so its own default HTTP client is used.
    """
    import openai

    client = openai.AsyncOpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0)

    async def one() -> int:
        n = 0
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                n += 1
        return n

    return one


async def setup_anthropic_sdk(base: str) -> RequestFn:
    """The official anthropic SDK: ``messages.create(stream=True)`` (raw typed events).

    Its default client already allows 1,000 connections (100 kept alive).
    """
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=base, api_key="x", max_retries=0)

    async def one() -> int:
        n = 0
        stream = await client.messages.create(
            model=MODEL,
            max_tokens=MAX_TOKENS,
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
        )
        async for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                n += 1
        return n

    return one


async def setup_anthropic_sdk_stream(base: str) -> RequestFn:
    """The anthropic SDK's helper ``messages.stream()`` (also accumulates a message snapshot).

    Not in the default set; run it with ``--variants anthropic-sdk-stream``.
    """
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=base, api_key="x", max_retries=0)

    async def one() -> int:
        n = 0
        async with client.messages.stream(
            model=MODEL, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            async for event in stream:
                if event.type == "text":
                    n += 1
        return n

    return one


VARIANTS: dict[str, tuple[str, Callable[[str], Awaitable[RequestFn]]]] = {
    # name: (protocol, setup)
    "floor-openai": ("openai", setup_floor_openai),
    "llmkit-openai": ("openai", setup_llmkit_openai),
    "openai-sdk": ("openai", setup_openai_sdk),
    "floor-anthropic": ("anthropic", setup_floor_anthropic),
    "llmkit-anthropic": ("anthropic", setup_llmkit_anthropic),
    "anthropic-sdk": ("anthropic", setup_anthropic_sdk),
    "anthropic-sdk-stream": ("anthropic", setup_anthropic_sdk_stream),
}
DEFAULT_VARIANTS = [v for v in VARIANTS if v != "anthropic-sdk-stream"]


# --------------------------------------------------------------------------- measurement
def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


async def run_requests(one: RequestFn, concurrency: int, requests: int, deltas: int) -> int:
    """``requests`` calls, ``concurrency`` at a time; returns the deltas consumed."""
    remaining = requests
    total = 0

    async def worker() -> None:
        nonlocal remaining, total
        while remaining > 0:
            remaining -= 1
            n = await one()
            if n != deltas:
                raise RuntimeError(f"expected {deltas} text deltas in a response, got {n}")
            total += n

    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))
    return total


async def measure(
    variant: str,
    base: str,
    concurrency: int,
    requests: int,
    deltas: int,
    profiler: Any = None,
) -> dict[str, Any]:
    """Set up ``variant``, warm up once, then measure ``requests`` requests at ``concurrency``."""
    protocol, setup = VARIANTS[variant]
    one = await setup(base)
    rss_setup = peak_rss_mib()
    await run_requests(one, 1, 1, deltas)  # warm-up: connection, lazy imports, caches
    if profiler is not None:
        profiler.enable()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    total = await run_requests(one, concurrency, requests, deltas)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if profiler is not None:
        profiler.disable()
    return {
        "variant": variant,
        "protocol": protocol,
        "concurrency": concurrency,
        "requests": requests,
        "deltas": total,
        "cpu_s": cpu,
        "wall_s": wall,
        "us_per_delta": cpu / total * 1e6,
        "rss_setup_mib": rss_setup,
        "peak_rss_mib": peak_rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="one benchmark client variant")
    parser.add_argument("--variant", required=True, choices=list(VARIANTS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--deltas", type=int, default=2000, help="text deltas per response")
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU (Linux)")
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    base = f"http://127.0.0.1:{args.port}"
    result = asyncio.run(measure(args.variant, base, args.concurrency, args.requests, args.deltas))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
