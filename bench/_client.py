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
from urllib.parse import urlsplit

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
async def setup_floor_openai(base: str, client: Any = None) -> RequestFn:
    """The httpx floor: httpx + httpx-sse + ``json.loads``, nothing else."""
    from httpx_sse import aconnect_sse

    client = client or _floor_client()
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


async def setup_floor_anthropic(base: str, client: Any = None) -> RequestFn:
    """The httpx floor on Anthropic's protocol."""
    from httpx_sse import aconnect_sse

    client = client or _floor_client()
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


# --------------------------------------------------------------------------- byte-level floors
def split_sse(buf: bytes, data: bytes) -> tuple[list[bytes], bytes]:
    """Split SSE bytes into complete events; returns their ``data`` payloads and the rest.

    ``buf`` is the incomplete tail of the previous call. Minimal on purpose (the floors'
    decoder): events end with ``\\n\\n`` and lines with ``\\n``, as OpenAI, Anthropic and the
    bench server send them (no ``\\r`` line endings); ``data:`` lines are joined with ``\\n``,
    every other field and comment is ignored, events without data are dropped.
    """
    if buf:
        data = buf + data
    events = data.split(b"\n\n")
    rest = events.pop()
    out = []
    for event in events:
        if event.startswith(b"data:") and b"\n" not in event:  # the common one-line event
            out.append(event[6:] if event[5:6] == b" " else event[5:])
            continue
        lines = [
            line[6:] if line[5:6] == b" " else line[5:]
            for line in event.split(b"\n")
            if line.startswith(b"data:")
        ]
        if lines:
            out.append(b"\n".join(lines))
    return out, rest


def _count_openai(loads: Callable[[bytes], Any]) -> Callable[[list[bytes]], int]:
    """Text deltas in a batch of OpenAI data payloads (the same reads as the httpx floor)."""

    def count(datas: list[bytes]) -> int:
        n = 0
        for data in datas:
            if data == b"[DONE]":
                continue
            choices = loads(data)["choices"]
            if choices and choices[0]["delta"].get("content"):
                n += 1
        return n

    return count


def _count_anthropic(loads: Callable[[bytes], Any]) -> Callable[[list[bytes]], int]:
    """Text deltas in a batch of Anthropic data payloads (the same reads as the httpx floor)."""

    def count(datas: list[bytes]) -> int:
        n = 0
        for data in datas:
            obj = loads(data)
            if obj["type"] == "content_block_delta" and obj["delta"]["type"] == "text_delta":
                n += 1
        return n

    return count


_HEAD, _SIZE, _DATA, _TRAILER, _LENGTH, _UNTIL_CLOSE = range(6)


class _H1Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: parses a response as the bytes arrive.

    Handles ``Transfer-Encoding: chunked`` (chunk extensions and trailers skipped),
    ``Content-Length`` and read-until-close bodies. The body goes straight to the SSE splitter
    and the payloads to ``count`` inside ``data_received``: no task switch, no queue, no
    object per event. That is as little as a Python asyncio client can do per event.
    """

    def __init__(self, count: Callable[[list[bytes]], int]) -> None:
        self.count = count
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = True
        self.future: asyncio.Future[int] | None = None
        self.state = _HEAD
        self.buf = b""
        self.sse = b""
        self.left = 0  # bytes left in the current chunk or Content-Length body
        self.deltas = 0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        fut = self.future
        if fut is not None and not fut.done():
            if self.state == _UNTIL_CLOSE and exc is None:
                self._body([])
                self._finish()
            else:
                fut.set_exception(exc or ConnectionError("connection closed mid-response"))

    def data_received(self, data: bytes) -> None:
        try:
            self._receive(data)
        except Exception as exc:  # a malformed response or a failed count: fail the request
            fut, self.future = self.future, None
            if fut is not None and not fut.done():
                fut.set_exception(exc)
            self.closed = True
            if self.transport is not None:
                self.transport.close()

    # internals
    def _receive(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        pos, end = 0, len(buf)
        payload: list[bytes] = []
        done = False
        while pos < end:
            state = self.state
            if state == _DATA:
                if end - pos >= self.left + 2:  # the rest of the chunk and its CRLF
                    stop = pos + self.left
                    if buf[stop : stop + 2] != b"\r\n":
                        raise ValueError("chunk not followed by CRLF")
                    payload.append(buf[pos:stop])
                    pos, self.left, self.state = stop + 2, 0, _SIZE
                    continue
                take = min(end - pos, self.left)
                if take:
                    payload.append(buf[pos : pos + take])
                    pos += take
                    self.left -= take
                break  # the rest of the chunk (or its CRLF) is still on its way
            if state == _SIZE:
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    break
                size = int(buf[pos:nl].split(b";", 1)[0], 16)
                pos = nl + 2
                self.left, self.state = size, (_DATA if size else _TRAILER)
            elif state == _HEAD:
                nl = buf.find(b"\r\n\r\n", pos)
                if nl < 0:
                    break
                self._head(buf[pos:nl])
                pos = nl + 4
                if self.state == _LENGTH and self.left == 0:
                    done = True
                    break
            elif state == _LENGTH:
                take = min(end - pos, self.left)
                payload.append(buf[pos : pos + take])
                pos += take
                self.left -= take
                if self.left == 0:
                    done = True
                    break
            elif state == _TRAILER:
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    break
                if nl == pos:  # the empty line after the last chunk
                    pos += 2
                    done = True
                    break
                pos = nl + 2  # a trailer field: skipped
            else:  # _UNTIL_CLOSE
                payload.append(buf[pos:])
                pos = end
        self.buf = buf[pos:] if pos < end else b""
        if payload:
            self._body(payload)
        if done:
            self._finish()

    def _head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        if status != 200:
            raise RuntimeError(f"HTTP {status}")
        self.state, self.left = _UNTIL_CLOSE, 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"transfer-encoding" and value.endswith(b"chunked"):
                self.state = _SIZE
            elif name == b"content-length" and self.state != _SIZE:
                self.state, self.left = _LENGTH, int(value)
            elif name == b"connection" and value == b"close":
                self.keep_alive = False
        if self.state == _UNTIL_CLOSE:
            self.keep_alive = False

    def _body(self, payload: list[bytes]) -> None:
        datas, self.sse = split_sse(self.sse, b"".join(payload))
        if datas:
            self.deltas += self.count(datas)

    def _finish(self) -> None:
        fut, self.future = self.future, None
        if fut is not None and not fut.done():
            fut.set_result(self.deltas)

    def send(self, request: bytes) -> asyncio.Future[int]:
        assert self.transport is not None
        self.future = asyncio.get_running_loop().create_future()
        self.state, self.buf, self.sse, self.left, self.deltas = _HEAD, b"", b"", 0, 0
        self.transport.write(request)
        return self.future


class _H1Pool:
    """Keep-alive connections to one host: reuse an idle one, else open a new one."""

    def __init__(self, host: str, port: int, count: Callable[[list[bytes]], int]) -> None:
        self.host, self.port, self.count = host, port, count
        self.idle: list[_H1Connection] = []

    async def request(self, raw: bytes) -> int:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:
                break
        else:
            loop = asyncio.get_running_loop()
            _, conn = await loop.create_connection(
                lambda: _H1Connection(self.count), self.host, self.port
            )
        try:
            n = await conn.send(raw)
        except BaseException:
            if conn.transport is not None:
                conn.transport.close()
            raise
        if conn.keep_alive and not conn.closed:
            self.idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        return n

    async def aclose(self) -> None:
        """Close every idle connection."""
        idle, self.idle = self.idle, []
        for conn in idle:
            if conn.transport is not None:
                conn.transport.close()
        await asyncio.sleep(0)  # let the transports finish closing


def _protocol_floor(
    base: str, path: str, headers: dict[str, str], body: dict[str, Any]
) -> RequestFn:
    import orjson

    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    count = _count_openai(orjson.loads) if "chat" in path else _count_anthropic(orjson.loads)
    pool = _H1Pool(host, port, count)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    start = (
        f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
        f"{head}content-length: "
    ).encode()
    dumps = orjson.dumps

    async def one(body: dict[str, Any] = body) -> int:
        data = dumps(body)  # encoded per request, as every other variant does
        return await pool.request(b"%s%d\r\n\r\n%s" % (start, len(data), data))

    one.aclose = pool.aclose  # type: ignore[attr-defined]
    return one


async def setup_floor_protocol_openai(base: str) -> RequestFn:
    """The physical floor: an ``asyncio.Protocol`` HTTP/1.1 client, bytes SSE, ``orjson``."""
    headers = {"authorization": "Bearer x", "accept": "text/event-stream"}
    return _protocol_floor(base, "/v1/chat/completions", headers, _openai_body())


async def setup_floor_protocol_anthropic(base: str) -> RequestFn:
    """The physical floor on Anthropic's protocol."""
    headers = {"x-api-key": "x", "anthropic-version": "2023-06-01"}
    return _protocol_floor(base, "/v1/messages", headers, _anthropic_body())


def _aiohttp_floor(
    url: str, headers: dict[str, str], body: dict[str, Any], openai: bool
) -> RequestFn:
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1000),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=5.0, sock_read=600.0),
        read_bufsize=1 << 14,  # as llmkit's shared client: the same transport, set up alike
    )
    headers = {"content-type": "application/json", **headers}
    count = _count_openai(json.loads) if openai else _count_anthropic(json.loads)
    dumps = json.dumps

    async def one(body: dict[str, Any] = body) -> int:
        n = 0
        rest = b""
        async with session.post(url, data=dumps(body).encode(), headers=headers) as response:
            response.raise_for_status()
            async for data in response.content.iter_any():
                datas, rest = split_sse(rest, data)
                if datas:
                    n += count(datas)
        return n

    one.aclose = session.close  # type: ignore[attr-defined]
    return one


async def setup_floor_aiohttp_openai(base: str) -> RequestFn:
    """``aiohttp.ClientSession`` + SSE split on bytes + ``json.loads``."""
    headers = {"authorization": "Bearer x", "accept": "text/event-stream"}
    return _aiohttp_floor(f"{base}/v1/chat/completions", headers, _openai_body(), True)


async def setup_floor_aiohttp_anthropic(base: str) -> RequestFn:
    """The aiohttp floor on Anthropic's protocol."""
    headers = {"x-api-key": "x", "anthropic-version": "2023-06-01"}
    return _aiohttp_floor(f"{base}/v1/messages", headers, _anthropic_body(), False)


def _httpx_aiohttp_client() -> Any:
    import httpx
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=5.0, read=600.0, write=60.0, pool=60.0),
        transport=AiohttpTransport(limits=limits),
    )


async def setup_floor_httpx_aiohttp_openai(base: str) -> RequestFn:
    """The httpx floor over httpx-aiohttp's ``AiohttpTransport`` (aiohttp does the HTTP)."""
    return await setup_floor_openai(base, _httpx_aiohttp_client())


async def setup_floor_httpx_aiohttp_anthropic(base: str) -> RequestFn:
    """The httpx-aiohttp floor on Anthropic's protocol."""
    return await setup_floor_anthropic(base, _httpx_aiohttp_client())


def _llmkit(base: str, protocol: str) -> RequestFn:
    from llmkit import ProviderConfig, ProviderRegistry, stream_text

    # the key from the environment, as most applications give it (the SDKs get api_key="x");
    # a provider without one would look in the OS keychain on the first call
    os.environ["BENCH_API_KEY"] = "x"
    registry = ProviderRegistry(
        [
            ProviderConfig(
                id="bench",
                protocol=protocol,
                base_url=f"{base}/v1",
                api_key_env="BENCH_API_KEY",
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
    "floor-protocol-openai": ("openai", setup_floor_protocol_openai),
    "floor-openai": ("openai", setup_floor_openai),
    "floor-aiohttp-openai": ("openai", setup_floor_aiohttp_openai),
    "floor-httpx-aiohttp-openai": ("openai", setup_floor_httpx_aiohttp_openai),
    "llmkit-openai": ("openai", setup_llmkit_openai),
    "openai-sdk": ("openai", setup_openai_sdk),
    "floor-protocol-anthropic": ("anthropic", setup_floor_protocol_anthropic),
    "floor-anthropic": ("anthropic", setup_floor_anthropic),
    "floor-aiohttp-anthropic": ("anthropic", setup_floor_aiohttp_anthropic),
    "floor-httpx-aiohttp-anthropic": ("anthropic", setup_floor_httpx_aiohttp_anthropic),
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
