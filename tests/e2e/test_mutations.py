"""Bad input stays typed: seeded mutations of every recorded fixture, through the whole stack.

Each recorded response (tests/fixtures, never edited) is mutated by a plain seeded generator:
truncation at a random byte; deleted, duplicated and swapped events (or JSON members and list
items); JSON values replaced by values of the wrong type (int, float, str, list, dict, null,
bool, a huge string, nesting hundreds or thousands of levels deep); invalid UTF-8 bytes; a wrong
or differently cased content type; wrong framing (merged events, no ``data:`` prefixes, NDJSON,
CRLF/CR line ends, an ``event: error`` name, a JSON body sent as SSE...). Every mutation runs
through ``stream_text`` and ``generate_text`` (with executable tools for the fixture's tool
names, so the tool loop runs the calls): most over an in-memory httpx transport, a smaller
sample over a real loopback socket in random network chunks.

Every outcome must be a completed run or an :class:`~llmkit.errors.LLMKitError`:

- no other exception escapes (``json``, ``TypeError``, pydantic, ``RecursionError``...);
- nothing hangs (each run has a generous safety timeout; hitting it is a failure);
- a completed stream ends with one ``finish`` and pairs every ``*_start`` with its ``*_end``,
  and its bytes contain the protocol's end marker (no truncated stream is accepted);
- an :class:`~llmkit.errors.APIError` raised after events were delivered keeps ``partial``.

Reproduce one fixture's run with ``pytest tests/e2e/test_mutations.py -k <fixture stem>``;
a failure lists the mutation names (``<kind>@<seed>``) that broke.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import fixture_util
import httpx
import pytest

from llmkit import generate_text, stream_text
from llmkit.errors import APIError, ConfigurationError, LLMKitError
from llmkit.protocols import get_protocol
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.replay import RecordedRequest, ReplayResponse, ReplayServer, random_chunks
from llmkit.tools import Tool
from llmkit.types.events import StreamEvent

SEED = 20250514
MEMORY_MUTATIONS = 40  # per fixture, each through stream_text and generate_text
LOOPBACK_MUTATIONS = 2  # per fixture, over a real socket
SAFETY_TIMEOUT = 30.0  # seconds per run; only a hang reaches it


def _supported(protocol: str) -> bool:
    try:
        get_protocol(protocol)
    except ConfigurationError:
        return False
    return True


ENTRIES = [e for e in fixture_util.manifest() if _supported(e["protocol"])]


# ---------------------------------------------------------------------------- mutations
@dataclass(frozen=True)
class Mutation:
    """One mutated response: its name (``kind@seed``), body, status and content type."""

    name: str
    body: bytes
    status: int
    content_type: str


_EVENT_SPLIT = re.compile(rb"(\r\n\r\n|\n\n|\r\r)")
_DEEP = "@@llmkit-deep-value@@"
_HUGE = "@@llmkit-huge-value@@"


def _events(body: bytes) -> list[bytes]:
    """SSE events with their terminating blank line (a trailing partial event kept last)."""
    parts = _EVENT_SPLIT.split(body)
    events = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        events.append(parts[-1])
    return events


def _wrong_value(rng: random.Random) -> object:
    kind = rng.choice(
        ["int", "float", "str", "list", "dict", "null", "bool", "huge", "deep", "deep"]
    )
    if kind == "int":
        return rng.choice([0, -1, 1, 7, 2**63, 10**30, 1747148049000])
    if kind == "float":
        return rng.choice([1e308, -0.5, 1.5, float("inf"), float("nan")])
    if kind == "str":
        return rng.choice(["", "x", "[DONE]", "null", "message_stop", "tool_calls", "0"])
    if kind == "list":
        return rng.choice([[], [1], [{"a": 1}], ["x", None]])
    if kind == "dict":
        return rng.choice([{}, {"type": "text"}, {"a": [1]}, {"index": 0}])
    if kind == "null":
        return None
    if kind == "bool":
        return rng.choice([True, False])
    return _HUGE if kind == "huge" else _DEEP


def _dumps(value: object, rng: random.Random) -> bytes:
    """JSON bytes of ``value`` with the huge / deep placeholders expanded."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    if _HUGE in text:
        huge = rng.choice(["x", "é", "\\n", "\\u00e9"]) * rng.randint(50_000, 400_000)
        text = text.replace(_HUGE, huge)
    while f'"{_DEEP}"' in text:
        depth = rng.choice([100, 200, 255, 256, 300, 1000, 3000])
        if rng.random() < 0.5:
            deep = "[" * depth + "1" + "]" * depth
        else:
            deep = '{"a":' * depth + "1" + "}" * depth
        text = text.replace(f'"{_DEEP}"', deep, 1)
    return text.encode()


def _slots(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Paths to every value inside a JSON document (the root excluded)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _slots(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _slots(item, (*path, index))


def _parent(doc: Any, path: tuple[object, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _mutate_json(doc: object, rng: random.Random) -> tuple[str, object]:
    """A wrong-type value, a deleted member/item, a duplicated or swapped item; or, when
    ``doc`` has no members, a wrong-type document."""
    slots = list(_slots(doc))
    if not slots:
        return "value", _wrong_value(rng)
    path = rng.choice(slots)
    parent = _parent(doc, path)
    key = path[-1]
    op = rng.choice(["value", "value", "value", "delete", "duplicate", "swap"])
    if op == "delete":
        del parent[key]
    elif op == "duplicate" and isinstance(parent, list):
        assert isinstance(key, int)  # a list's slots are its indices
        parent.insert(key, parent[key])
    elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
        assert isinstance(key, int)
        other = rng.randrange(len(parent))
        parent[key], parent[other] = parent[other], parent[key]
    else:
        op = "value"
        parent[key] = _wrong_value(rng)
    return op, doc


def _json_events(events: list[bytes]) -> list[tuple[int, bytes, object]]:
    """(position, data line, decoded data) of the events whose single data line is JSON."""
    found = []
    for position, event in enumerate(events):
        lines = [line for line in re.split(rb"\r\n|\r|\n", event) if line.startswith(b"data:")]
        if len(lines) != 1:
            continue
        try:
            found.append((position, lines[0], json.loads(lines[0][5:])))
        except ValueError:
            continue
    return found


def _mutate_sse(body: bytes, rng: random.Random) -> tuple[str, bytes, str | None]:
    """(kind, body, content type or None to keep it) of one SSE mutation."""
    events = _events(body)
    kind = rng.choice(
        [
            "truncate",
            "truncate",
            "delete",
            "duplicate",
            "swap",
            "value",
            "value",
            "value",
            "value",
            "utf8",
            "content_type",
            "framing",
        ]
    )
    if kind == "truncate":
        return kind, body[: rng.randrange(len(body) + 1)], None
    if kind in ("delete", "duplicate", "swap") and len(events) > 1:
        i = rng.randrange(len(events))
        if kind == "delete":
            del events[i]
        elif kind == "duplicate":
            events.insert(i, events[i])
        else:
            j = rng.randrange(len(events))
            events[i], events[j] = events[j], events[i]
        return kind, b"".join(events), None
    if kind == "utf8":
        return kind, _bad_utf8(body, rng), None
    if kind == "content_type":
        return kind, body, _content_type(rng)
    if kind == "framing":
        name, framed = _framing(body, events, rng)
        return f"framing-{name}", framed, None
    candidates = _json_events(events)
    if not candidates:
        return "truncate", body[: rng.randrange(len(body) + 1)], None
    position, line, doc = rng.choice(candidates)
    op, doc = _mutate_json(doc, rng)
    events[position] = events[position].replace(line, b"data: " + _dumps(doc, rng), 1)
    return f"json-{op}", b"".join(events), None


def _mutate_body(body: bytes, rng: random.Random) -> tuple[str, bytes, str | None]:
    """(kind, body, content type or None) of one mutation of a JSON body."""
    kind = rng.choice(
        ["truncate", "value", "value", "value", "value", "utf8", "content_type", "framing"]
    )
    if kind == "truncate":
        return kind, body[: rng.randrange(len(body) + 1)], None
    if kind == "utf8":
        return kind, _bad_utf8(body, rng), None
    if kind == "content_type":
        return kind, body, _content_type(rng)
    if kind == "framing":
        framing = rng.choice(["as-sse", "as-sse-done", "ndjson-twice", "bom"])
        if framing == "as-sse":
            return f"framing-{framing}", b"data: " + body + b"\n\n", "text/event-stream"
        if framing == "as-sse-done":
            framed = b"data: " + body + b"\n\ndata: [DONE]\n\n"
            return f"framing-{framing}", framed, "text/event-stream"
        if framing == "ndjson-twice":
            return f"framing-{framing}", body + b"\n" + body + b"\n", None
        return f"framing-{framing}", b"\xef\xbb\xbf" + body, None
    try:
        doc = json.loads(body)
    except ValueError:
        return "truncate", body[: rng.randrange(len(body) + 1)], None
    op, doc = _mutate_json(doc, rng)
    return f"json-{op}", _dumps(doc, rng), None


def _bad_utf8(body: bytes, rng: random.Random) -> bytes:
    bad = rng.choice([b"\xff", b"\x80", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80"])
    at = rng.randrange(len(body) + 1)
    return body[:at] + bad + body[at:]


def _content_type(rng: random.Random) -> str:
    return rng.choice(
        [
            "application/json",
            "text/html; charset=utf-8",
            "text/plain",
            "",
            "application/octet-stream",
            "application/x-ndjson",
            "TEXT/EVENT-STREAM",
            "Text/Event-Stream; charset=UTF-8",
        ]
    )


def _framing(body: bytes, events: list[bytes], rng: random.Random) -> tuple[str, bytes]:
    name = rng.choice(
        ["merged", "no-data-prefix", "ndjson", "crlf", "cr", "event-error", "comments", "no-end"]
    )
    if name == "merged":  # blank lines removed: events run together
        return name, re.sub(rb"\n\n", b"\n", body)
    if name == "no-data-prefix":
        return name, re.sub(rb"(?m)^data: ?", b"", body)
    if name == "ndjson":
        lines = [line[5:].strip() for _, line, _ in _json_events(events)]
        return name, b"\n".join(lines) + b"\n"
    if name == "crlf":
        return name, body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if name == "cr":
        return name, body.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    if name == "event-error" and events:
        i = rng.randrange(len(events))
        events[i] = b"event: error\n" + events[i]
        return name, b"".join(events)
    if name == "comments" and events:
        i = rng.randrange(len(events) + 1)
        events.insert(i, b": keep-alive\n\n")
        return name, b"".join(events)
    return "no-end", body.rstrip(b"\r\n")  # the last event is never terminated


def mutations(entry: Mapping[str, Any], count: int, salt: int) -> list[Mutation]:
    """``count`` reproducible mutations of one fixture."""
    data = fixture_util.body(dict(entry))
    natural = "text/event-stream" if entry["kind"] == "sse" else "application/json"
    base = zlib.crc32(str(entry["file"]).encode()) ^ SEED ^ salt
    out = []
    for n in range(count):
        seed = base + n
        rng = random.Random(seed)
        mutate = _mutate_sse if entry["kind"] == "sse" else _mutate_body
        kind, body, content_type = mutate(data, rng)
        out.append(Mutation(f"{kind}@{seed}", body, entry["http_status"], content_type or natural))
    return out


# ---------------------------------------------------------------------------- running
class _EchoTool(Tool):
    """An executable tool that accepts any arguments and returns how many it got."""

    @property
    def executable(self) -> bool:
        return True

    async def execute(self, args: Mapping[str, object]) -> object:
        return len(args)


def _tools(entry: Mapping[str, Any]) -> list[Tool]:
    expected = entry.get("expected") or {}
    names = {c.get("name") for c in expected.get("tool_calls") or []}
    return [_EchoTool(name=n) for n in sorted(n for n in names if isinstance(n, str))]


def _end_marker(protocol: str, body: bytes) -> bool:
    """The protocol's end of stream is somewhere in ``body`` (an independent, loose oracle)."""
    if protocol == "anthropic-messages":
        return b"message_stop" in body
    if protocol == "google-generative":  # no end marker: the last chunk has finishReason
        return re.search(rb'"(finishReason|blockReason)"\s*:\s*"', body) is not None
    if protocol == "openai-responses":
        return re.search(rb'"type"\s*:\s*"response\.(completed|incomplete)"', body) is not None
    return b"[DONE]" in body or re.search(rb'"finish_reason"\s*:\s*"', body) is not None


def _check_stream(events: list[StreamEvent]) -> str | None:
    """Why a completed stream is malformed, or None."""
    if not events or events[-1].type != "finish":
        return f"completed without a final finish: {[e.type for e in events[-3:]]}"
    if sum(e.type == "finish" for e in events) != 1:
        return "more than one finish"
    open_ids: dict[tuple[str, str], int] = {}
    for event in events:
        kind, _, edge = event.type.rpartition("_")
        if edge in ("start", "end") and kind in ("text", "reasoning", "tool_input"):
            key = (kind, event.id)  # type: ignore[union-attr]
            open_ids[key] = open_ids.get(key, 0) + (1 if edge == "start" else -1)
            if open_ids[key] not in (0, 1):
                return f"unpaired {event.type} {key}"
    unclosed = [k for k, v in open_ids.items() if v]
    return f"blocks never closed: {unclosed}" if unclosed else None


async def _stream(
    entry: Mapping[str, Any], mutation: Mutation, provider: ProviderConfig, client: Any
) -> str | None:
    """Run one mutation through ``stream_text``; the problem found, or None."""
    events: list[StreamEvent] = []
    result = stream_text(
        model=f"{provider.id}:m",
        prompt="hi",
        registry=ProviderRegistry([provider]),
        http_client=client,
        tools=_tools(entry),
        retry=0,
    )

    async def consume() -> None:
        async for event in result:
            events.append(event)

    try:
        await asyncio.wait_for(consume(), SAFETY_TIMEOUT)
    except LLMKitError as exc:
        if isinstance(exc, APIError) and events and exc.partial is None:
            return f"stream_text: {type(exc).__name__} after {len(events)} events without partial"
        return None
    except Exception as exc:  # the point of the test: nothing else may escape
        return f"stream_text raised {type(exc).__name__}: {str(exc)[:200]}"
    problem = _check_stream(events)
    if problem is None and not _end_marker(entry["protocol"], mutation.body):
        problem = "accepted a stream that has no end marker (truncated)"
    return f"stream_text: {problem}" if problem else None


async def _generate(
    entry: Mapping[str, Any], mutation: Mutation, provider: ProviderConfig, client: Any
) -> str | None:
    """Run one mutation through ``generate_text``; the problem found, or None."""
    try:
        result = await asyncio.wait_for(
            generate_text(
                model=f"{provider.id}:m",
                prompt="hi",
                registry=ProviderRegistry([provider]),
                http_client=client,
                tools=_tools(entry),
                retry=0,
            ),
            SAFETY_TIMEOUT,
        )
    except LLMKitError:
        return None
    except Exception as exc:
        return f"generate_text raised {type(exc).__name__}: {str(exc)[:200]}"
    if result.finish_reason not in ("stop", "length", "tool_calls", "content_filter", "other"):
        return f"generate_text: finish reason {result.finish_reason!r}"
    return None


def _memory_provider(entry: Mapping[str, Any]) -> ProviderConfig:
    return fixture_util.provider_for(dict(entry)).model_copy(
        update={
            "id": "mut",
            "base_url": "http://127.0.0.1:9/v1",
            "auth": "none",
            "api_key_required": False,
        }
    )


def _handler(mutation: Mutation, seed: int) -> Callable[[httpx.Request], httpx.Response]:
    chunks = random_chunks(seed, max_size=256)(mutation.body) if mutation.body else []

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            mutation.status, headers={"content-type": mutation.content_type}, content=body()
        )

    return handle


def _report(entry: Mapping[str, Any], problems: list[str]) -> str:
    shown = "\n  ".join(problems[:12])
    return f"{len(problems)} problem(s) with mutations of {entry['file']}:\n  {shown}"


@pytest.mark.version_independent
@pytest.mark.parametrize("entry", ENTRIES, ids=fixture_util.fixture_id)
async def test_mutations_in_memory_stay_typed(entry: dict[str, Any]) -> None:
    provider = _memory_provider(entry)
    problems = []
    for n, mutation in enumerate(mutations(entry, MEMORY_MUTATIONS, salt=0)):
        for run in (_stream, _generate):
            transport = httpx.MockTransport(_handler(mutation, n))
            async with httpx.AsyncClient(transport=transport) as client:
                problem = await run(entry, mutation, provider, client)
            if problem:
                problems.append(f"{mutation.name}: {problem}")
    assert not problems, _report(entry, problems)


# ---------------------------------------------------------------------------- loopback
_SERVED: dict[str, ReplayResponse] = {}


def _serve(request: RecordedRequest) -> ReplayResponse:
    return _SERVED[request.path.split("/")[2]]


@pytest.fixture(scope="module")
def mutation_server() -> Iterator[ReplayServer]:
    with ReplayServer(handler=_serve) as server:
        yield server


async def test_mutations_over_loopback_stay_typed(mutation_server: ReplayServer) -> None:
    """A sample of mutations over a real socket, in random network writes; some connections
    are dropped part-way (``close_after``)."""
    problems = []
    for entry in ENTRIES:
        for n, mutation in enumerate(mutations(entry, LOOPBACK_MUTATIONS, salt=0x5EED)):
            key = f"{fixture_util.fixture_id(entry)}-{n}"
            rng = random.Random(mutation.name)
            close_after = None
            if rng.random() < 0.2 and mutation.body:
                close_after = rng.randrange(len(mutation.body))
            _SERVED[key] = ReplayResponse(
                mutation.body,
                status=mutation.status,
                content_type=mutation.content_type,
                chunking=random_chunks(seed=rng.randrange(2**32), max_size=512),
                close_after=close_after,
            )
            provider = fixture_util.provider_for(entry).model_copy(
                update={
                    "id": "mut",
                    "base_url": f"{mutation_server.url}/m/{key}/v1",
                    "auth": "none",
                    "api_key_required": False,
                }
            )
            for run in (_stream, _generate):
                problem = await run(entry, mutation, provider, None)
                if problem:
                    problems.append(f"{key} {mutation.name} close_after={close_after}: {problem}")
    assert not problems, "\n  ".join(problems[:20])
