"""Where llmkit's per-delta CPU goes, without network noise: layer by layer, in one process.

    .venv/bin/python bench/bench_layers.py            # about 30 s
    .venv/bin/python bench/bench_layers.py --repeat 9

Part 1 (sans-IO) feeds the benchmark's pre-built server-sent events, already split into
``ServerSentEvent`` objects, straight to the code that handles them, for both protocols:

- ``json.loads`` of each event's data alone (the JSON the unified events come from);
- the floor's work: ``json.loads`` plus reading the text delta out of the dicts;
- llmkit's protocol: ``protocol.parse_event(state, sse)`` for every event (its own ``json.loads``,
  the state machine, the event objects) plus ``protocol.finish``;
- one ``TextDeltaEvent`` construction alone.

"Events over JSON" is (protocol - ``json.loads``) / ``json.loads``: the target is that unified
events cost no more than the JSON they come from (ratio ≤ 1).

Part 2 (in-memory HTTP) runs the floor loop and ``stream_text`` over an ``httpx.MockTransport``
that returns the same bytes in the same writes: the whole client stack (httpx response
streaming, httpx-sse, llmkit's driver, result and accumulator) without sockets or h11, so the
difference between the two is what llmkit adds per delta.

Medians of ``--repeat`` interleaved runs; CPU time (``time.process_time``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _client  # noqa: E402
from _server import sse_bodies  # noqa: E402

ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from httpx_sse import ServerSentEvent  # noqa: E402

from llmkit import ProviderConfig, TextDeltaEvent  # noqa: E402
from llmkit.protocols import get_protocol  # noqa: E402

PROTOCOLS = {"openai": "openai-chat", "anthropic": "anthropic-messages"}


def split_events(raw: bytes) -> list[ServerSentEvent]:
    out = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        event, data = "", []
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
        out.append(ServerSentEvent(event=event or "message", data="\n".join(data)))
    return out


def _cpu(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.process_time()
    n = fn()
    return time.process_time() - start, n


# --------------------------------------------------------------------------- part 1: sans-IO
def sans_io_cases(
    events: list[ServerSentEvent], protocol: str, streams: int, deltas: int
) -> dict[str, Callable[[], int]]:
    loads = json.loads
    datas = [e.data for e in events]
    provider = ProviderConfig(
        id="bench",
        protocol=PROTOCOLS[protocol],
        base_url="http://127.0.0.1/v1",
        api_key_required=False,
    )
    proto = get_protocol(PROTOCOLS[protocol])

    def json_only() -> int:
        for _ in range(streams):
            for data in datas:
                if data != "[DONE]":
                    loads(data)
        return streams * deltas

    def floor_openai() -> int:
        n = 0
        for _ in range(streams):
            for data in datas:
                if data == "[DONE]":
                    continue
                choices = loads(data)["choices"]
                if choices and choices[0]["delta"].get("content"):
                    n += 1
        return n

    def floor_anthropic() -> int:
        n = 0
        for _ in range(streams):
            for data in datas:
                obj = loads(data)
                if obj["type"] == "content_block_delta" and obj["delta"]["type"] == "text_delta":
                    n += 1
        return n

    def llmkit_protocol() -> int:
        n = 0
        parse = proto.parse_event
        for _ in range(streams):
            state = proto.new_state(provider)
            for sse in events:
                for event in parse(state, sse):
                    if event.type == "text_delta":
                        n += 1
            proto.finish(state)
        return n

    def event_object() -> int:
        for _ in range(streams * deltas):
            TextDeltaEvent("0", "abcd")
        return streams * deltas

    return {
        "json.loads alone": json_only,
        "floor (json.loads + dict reads)": (
            floor_openai if protocol == "openai" else floor_anthropic
        ),
        "llmkit protocol.parse_event": llmkit_protocol,
        "one TextDeltaEvent alone": event_object,
    }


# --------------------------------------------------------------------------- part 2: in-memory
def mock_client(writes: dict[str, list[bytes]]) -> httpx.AsyncClient:
    async def body(chunks: list[bytes]) -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        which = "openai" if request.url.path.endswith("/chat/completions") else "anthropic"
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body(writes[which])
        )

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def grouped_writes(raw: bytes, per_write: int) -> list[bytes]:
    events = [e + b"\n\n" for e in raw.split(b"\n\n") if e]
    return [b"".join(events[i : i + per_write]) for i in range(0, len(events), per_write)]


async def in_memory_run(variant: str, client: httpx.AsyncClient, requests: int, deltas: int) -> int:
    base = "http://bench.invalid"
    if variant.startswith("floor"):
        # The benchmark's floor loop, on the mock client.
        original = _client._floor_client
        _client._floor_client = lambda: client
        try:
            one = await _client.VARIANTS[variant][1](base)
        finally:
            _client._floor_client = original
    else:
        from llmkit import ProviderRegistry, stream_text

        protocol = "openai-chat" if variant.endswith("openai") else "anthropic-messages"
        registry = ProviderRegistry(
            [
                ProviderConfig(
                    id="bench",
                    protocol=protocol,
                    base_url=f"{base}/v1",
                    api_key_required=False,
                )
            ]
        )

        async def one() -> int:
            n = 0
            result = stream_text(
                model="bench:bench-model",
                prompt="hi",
                max_output_tokens=4096,
                registry=registry,
                http_client=client,
            )
            async for event in result:
                if event.type == "text_delta":
                    n += 1
            return n

    await one()  # warm-up
    start = time.process_time()
    total = 0
    for _ in range(requests):
        n = await one()
        if n != deltas:
            raise RuntimeError(f"{variant}: expected {deltas} deltas, got {n}")
        total += n
    return int((time.process_time() - start) / total * 1e9)  # ns per delta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=20, help="streams per sans-IO run")
    parser.add_argument("--requests", type=int, default=20, help="requests per in-memory run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--events-per-write", type=int, default=8)
    parser.add_argument("--output", default=str(HERE / "results" / "layers.md"))
    args = parser.parse_args()
    bodies = sse_bodies(args.deltas)

    lines = [
        "### Per-delta cost by layer (sans-IO)",
        "",
        f"Median of {args.repeat} runs of {args.streams} streams of {args.deltas:,} deltas; µs "
        "of CPU per text delta (every event of the stream is processed, divided by text "
        "deltas).",
        "",
        "| protocol | json.loads alone | floor work | llmkit parse_event | "
        "events over JSON | one TextDeltaEvent |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for protocol in ("openai", "anthropic"):
        cases = sans_io_cases(split_events(bodies[protocol]), protocol, args.streams, args.deltas)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, fn in cases.items():
                cpu, n = _cpu(fn)
                if name != "json.loads alone" and name != "one TextDeltaEvent alone":
                    assert n == args.streams * args.deltas, (name, n)
                samples[name].append(cpu / (args.streams * args.deltas) * 1e6)
        med = {name: statistics.median(v) for name, v in samples.items()}
        js, floor = med["json.loads alone"], med["floor (json.loads + dict reads)"]
        parse, event = med["llmkit protocol.parse_event"], med["one TextDeltaEvent alone"]
        lines.append(
            f"| {protocol} | {js:.2f} | {floor:.2f} | {parse:.2f} | "
            f"{(parse - js) / js:.2f} | {event:.2f} |"
        )
        print(f"  sans-IO {protocol}: {med}", file=sys.stderr, flush=True)

    writes = {p: grouped_writes(bodies[p], args.events_per_write) for p in PROTOCOLS}
    variants = ["floor-openai", "llmkit-openai", "floor-anthropic", "llmkit-anthropic"]
    ns: dict[str, list[int]] = {v: [] for v in variants}

    async def part2() -> None:
        client = mock_client(writes)
        for _ in range(args.repeat):
            for v in variants:
                ns[v].append(await in_memory_run(v, client, args.requests, args.deltas))
        await client.aclose()

    asyncio.run(part2())
    med2 = {v: statistics.median(x) / 1000 for v, x in ns.items()}
    lines += [
        "",
        "### Per-delta cost over an in-memory transport (no sockets, no h11)",
        "",
        f"`httpx.MockTransport` returning the same bytes, {args.events_per_write} events per "
        f"chunk; median of {args.repeat} runs of {args.requests} sequential requests; µs of CPU "
        "per text delta.",
        "",
        "| protocol | floor | llmkit `stream_text` | llmkit adds | × floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for protocol in ("openai", "anthropic"):
        f, k = med2[f"floor-{protocol}"], med2[f"llmkit-{protocol}"]
        lines.append(f"| {protocol} | {f:.1f} | {k:.1f} | {k - f:+.1f} | {k / f:.2f} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = "python bench/bench_layers.py " + " ".join(sys.argv[1:])
    out.write_text(
        f"# llmkit per-layer benchmark: latest run\n\nCommand: `{command.strip()}`\n\n{text}",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
