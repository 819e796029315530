"""Where llmkit's per-delta CPU goes, without network noise: layer by layer, in one process.

    .venv/bin/python bench/bench_layers.py            # about 45 s
    .venv/bin/python bench/bench_layers.py --repeat 31

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
streaming, SSE decoding, llmkit's driver, result and accumulator) without sockets or h11, so the
difference between the two is what llmkit adds per delta. Two intermediate stages add llmkit's
layers one at a time (its ``parse_event``, then its SSE decoder) to show where the difference
comes from.

The best (lowest) of ``--repeat`` interleaved runs, as ``timeit`` reports: on a shared machine
other work only ever adds time. CPU time (``time.process_time``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
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
        auth="none",
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


STAGES = {
    "floor": "floor: httpx-sse + `json.loads`",
    "parse": "+ llmkit `parse_event` instead of dict reads",
    "sse": "+ llmkit SSE decoding (`transport.sse.iter_sse`)",
    "stream_text": "llmkit `stream_text` (driver, result)",
}


def _stage_request(
    stage: str, protocol: str, client: httpx.AsyncClient
) -> Callable[[], Awaitable[int]]:
    """One request through the stack up to ``stage`` (not the floor, which is
    ``_client``'s own loop); the request returns the text deltas it saw."""
    from httpx_sse import aconnect_sse

    from llmkit import ProviderRegistry, stream_text
    from llmkit.transport.sse import iter_sse

    base = "http://127.0.0.1:9"  # never connected to: the mock transport answers
    provider = ProviderConfig(
        id="bench", protocol=PROTOCOLS[protocol], base_url=f"{base}/v1", auth="none"
    )
    proto = get_protocol(PROTOCOLS[protocol])
    if protocol == "openai":
        url, body = f"{base}/v1/chat/completions", _client._openai_body()
    else:
        url, body = f"{base}/v1/messages", _client._anthropic_body()

    async def parse() -> int:
        n = 0
        state = proto.new_state(provider)
        async with aconnect_sse(client, "POST", url, json=body) as source:
            async for sse in source.aiter_sse():
                for event in proto.parse_event(state, sse):
                    n += event.type == "text_delta"
        proto.finish(state)
        return n

    async def sse() -> int:
        n = 0
        state = proto.new_state(provider)
        async with client.stream("POST", url, json=body) as response:
            async for item in iter_sse(response):
                for event in proto.parse_event(state, item):
                    n += event.type == "text_delta"
        proto.finish(state)
        return n

    registry = ProviderRegistry([provider])

    async def full() -> int:
        n = 0
        result = stream_text(
            model="bench:bench-model",
            prompt="hi",
            max_output_tokens=4096,
            registry=registry,
            http_client=client,
        )
        async for event in result:
            n += event.type == "text_delta"
        return n

    return {"parse": parse, "sse": sse, "stream_text": full}[stage]


async def in_memory_run(
    stage: str, protocol: str, client: httpx.AsyncClient, requests: int, deltas: int
) -> int:
    """ns of CPU per text delta for ``requests`` sequential requests (after one warm-up)."""
    one: Callable[[], Awaitable[int]]
    if stage == "floor":
        original = _client._floor_client
        _client._floor_client = lambda: client
        try:
            one = await _client.VARIANTS[f"floor-{protocol}"][1]("http://127.0.0.1:9")
        finally:
            _client._floor_client = original
    else:
        one = _stage_request(stage, protocol, client)
    await one()  # warm-up
    start = time.process_time()
    total = 0
    for _ in range(requests):
        n = await one()
        if n != deltas:
            raise RuntimeError(f"{stage} ({protocol}): expected {deltas} deltas, got {n}")
        total += n
    return int((time.process_time() - start) / total * 1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=20, help="streams per sans-IO run")
    parser.add_argument("--requests", type=int, default=10, help="requests per in-memory run")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--events-per-write", type=int, default=8)
    parser.add_argument("--output", default=str(HERE / "results" / "layers.md"))
    args = parser.parse_args()
    bodies = sse_bodies(args.deltas)

    lines = [
        "### Per-delta cost by layer (sans-IO)",
        "",
        f"Best of {args.repeat} runs of {args.streams} streams of {args.deltas:,} deltas; µs "
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
        med = {name: min(v) for name, v in samples.items()}
        js, floor = med["json.loads alone"], med["floor (json.loads + dict reads)"]
        parse, event = med["llmkit protocol.parse_event"], med["one TextDeltaEvent alone"]
        lines.append(
            f"| {protocol} | {js:.2f} | {floor:.2f} | {parse:.2f} | "
            f"{(parse - js) / js:.2f} | {event:.2f} |"
        )
        print(f"  sans-IO {protocol}: {med}", file=sys.stderr, flush=True)

    writes = {p: grouped_writes(bodies[p], args.events_per_write) for p in PROTOCOLS}
    ns: dict[tuple[str, str], list[int]] = {(p, st): [] for p in PROTOCOLS for st in STAGES}

    async def part2() -> None:
        client = mock_client(writes)
        for _ in range(args.repeat):
            for protocol, stage in ns:
                ns[(protocol, stage)].append(
                    await in_memory_run(stage, protocol, client, args.requests, args.deltas)
                )
        await client.aclose()

    asyncio.run(part2())
    us = {key: min(x) / 1000 for key, x in ns.items()}
    lines += [
        "",
        "### Per-delta cost over an in-memory transport (no sockets, no h11)",
        "",
        f"`httpx.MockTransport` returning the same bytes, {args.events_per_write} events per "
        f"chunk; best of {args.repeat} runs of {args.requests} sequential requests; µs of CPU "
        "per text delta. Each column adds one llmkit layer to the floor: its protocol's "
        "`parse_event` instead of the floor's dict reads, then its own SSE decoding instead of "
        "`aiter_text` + httpx-sse, then the whole `stream_text` (request building, credential "
        "lookup, retry and timeout bookkeeping, step loop, result accumulator).",
        "",
        "| protocol | " + " | ".join(STAGES.values()) + " | llmkit adds | × floor |",
        "|---|" + "---:|" * (len(STAGES) + 2),
    ]
    for protocol in PROTOCOLS:
        cells = [f"{us[(protocol, st)]:.1f}" for st in STAGES]
        f, k = us[(protocol, "floor")], us[(protocol, "stream_text")]
        lines.append(f"| {protocol} | " + " | ".join(cells) + f" | {k - f:+.1f} | {k / f:.2f} |")
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
