"""What ``stream_object`` costs per delta as the object grows: 10 kB, 100 kB and 1 MB.

    .venv/bin/python bench/bench_object.py            # about 2 minutes (the old parser: 1 more)
    .venv/bin/python bench/bench_object.py --no-old   # without the old parser's numbers

The object is a pydantic ``Table`` (a title and a list of ``Row``: id, name, email, score,
active, tags), dumped with ``model_dump_json`` and streamed by ``llmkit.testing.MockModel``
(OpenAI chat protocol, JSON mode: the object is the response text) in 8-character text deltas,
in one network write. Each run is one ``stream_object`` call on a fresh registry: every partial
of ``partial_object_stream`` is consumed, then ``await result.object`` (pydantic validation).

Columns, CPU per text delta (µs), the median of ``--repeat`` runs after one warm-up run:

- ``streaming, process``: ``time.process_time()`` (user + sys) of the whole process from the
  first partial (after the first delta) to the end of ``partial_object_stream``, divided by the
  deltas in that window. The MockModel server is a thread of the same process, so this
  includes its work (it builds the SSE body, one ``json.dumps`` per delta, and writes it).
- ``streaming, client thread``: the same window, ``time.thread_time()`` of the event loop's
  thread alone: httpx, SSE decoding, the protocol, the result object and the partial objects.
- ``whole call, process``: process CPU of the whole call (request, stream, ``await
  result.object``) divided by all the deltas: it includes fixed costs per call (about 40 ms:
  the schema, the HTTP client, the connection), which weigh most on the 10 kB object.
- ``parser alone``: ``PartialObjectParser.feed`` for each delta, nothing else.

``old`` rows use the previous parser (a whole-text jiter parse per delta, kept below as
``ReparseParser``) in place of the current one, for the sizes up to ``--old-max`` bytes: it is
quadratic, so 1 MB would take about an hour. The ratio row divides the 1 MB numbers by the
10 kB ones (the target: at most 2).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import jiter  # noqa: E402
from pydantic import BaseModel  # noqa: E402

import llmkit._object_result as object_result  # noqa: E402
from llmkit import stream_object  # noqa: E402
from llmkit._object_partial import PartialObjectParser, _hold_back_number, extends  # noqa: E402
from llmkit.providers.registry import ProviderRegistry  # noqa: E402
from llmkit.testing import MockModel, MockTurn  # noqa: E402

SIZES = {"10 kB": 10_000, "100 kB": 100_000, "1 MB": 1_000_000}
PIECE = 8


class Row(BaseModel):
    id: int
    name: str
    email: str
    score: float
    active: bool
    tags: list[str]


class Table(BaseModel):
    title: str
    rows: list[Row]


def table_json(size: int) -> str:
    """A ``Table`` dump of at least ``size`` characters (whole rows)."""
    rows: list[Row] = []
    text = ""
    while len(text) < size:
        for i in range(len(rows), len(rows) + 20):
            rows.append(
                Row(
                    id=i,
                    name=f'Row {i} — José "Pepe" Núñez',
                    email=f"user{i}@example.com",
                    score=i * 0.37,
                    active=i % 3 == 0,
                    tags=["alpha", f"t{i % 7}", "line\nbreak"],
                )
            )
        text = Table(title="bench", rows=rows).model_dump_json()
    return text


class ReparseParser:
    """The previous parser, for comparison: a whole-text jiter parse per delta."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._last: dict[str, object] | None = None

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def last(self) -> dict[str, object] | None:
        return self._last

    def feed(self, delta: str) -> dict[str, object] | None:
        if not delta:
            return None
        self._parts.append(delta)
        text = "".join(self._parts)
        if len(self._parts) > 1:
            self._parts = [text]
        try:
            value = jiter.from_json(
                _hold_back_number(text).encode(), partial_mode="trailing-strings"
            )
        except ValueError:
            return None
        if not isinstance(value, dict) or value == self._last:
            return None
        if self._last is not None and not extends(self._last, value):
            return None
        self._last = value
        return value


@contextmanager
def parser_class(cls: Callable[[], object]) -> Iterator[None]:
    """Make ``stream_object`` use ``cls`` as its partial-object parser."""
    saved = object_result.PartialObjectParser
    object_result.PartialObjectParser = cls  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        object_result.PartialObjectParser = saved  # type: ignore[misc]


async def one_stream(text: str) -> dict[str, float]:
    """CPU seconds of one stream_object call: the whole call (``call``, process CPU) and the
    streaming window from the first partial to the last (``process``, ``thread``), with the
    number of deltas in that window and the partials."""
    registry = ProviderRegistry()
    with MockModel([MockTurn(text=text, piece=PIECE)], registry=registry) as mock:
        c0 = time.process_time()
        result = stream_object(model=mock.model, schema=Table, prompt="rows", registry=registry)
        partials = 0
        p0 = t0 = 0.0
        async for _partial in result.partial_object_stream:
            if not partials:  # the first delta ({"title") gives the first partial, {}
                p0, t0 = time.process_time(), time.thread_time()
            partials += 1
        p1, t1 = time.process_time(), time.thread_time()
        table = await result.object
        c1 = time.process_time()
    assert table.model_dump_json() == text
    deltas = -(-len(text) // PIECE)
    return {
        "call": (c1 - c0) / deltas,
        "process": (p1 - p0) / (deltas - 1),
        "thread": (t1 - t0) / (deltas - 1),
        "deltas": deltas,
        "partials": partials,
    }


def parser_alone(text: str, cls: Callable[[], object]) -> tuple[float, int]:
    """(CPU s, partials) of feeding the deltas to a parser."""
    deltas = [text[i : i + PIECE] for i in range(0, len(text), PIECE)]
    parser = cls()
    feed = parser.feed  # type: ignore[attr-defined]
    partials = 0
    t0 = time.process_time()
    for delta in deltas:
        if feed(delta) is not None:
            partials += 1
    return time.process_time() - t0, partials


def measure(text: str, cls: Callable[[], object], repeat: int) -> dict[str, float]:
    """Medians over ``repeat`` runs (after a warm-up run), per delta in µs."""
    with parser_class(cls):
        asyncio.run(one_stream(text))
        runs = [asyncio.run(one_stream(text)) for _ in range(repeat)]
    alone = [parser_alone(text, cls) for _ in range(repeat)]
    out = {
        key: statistics.median(r[key] for r in runs) * 1e6 for key in ("call", "process", "thread")
    }
    out["alone"] = statistics.median(a[0] for a in alone) / runs[0]["deltas"] * 1e6
    out["deltas"] = runs[0]["deltas"]
    out["partials"] = runs[0]["partials"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-old", action="store_true", help="skip the old parser")
    parser.add_argument("--old-max", type=int, default=100_000, help="largest size, old parser")
    parser.add_argument("--output", default=str(HERE / "results" / "object.md"))
    args = parser.parse_args()

    rows: list[tuple[str, str, int, dict[str, float]]] = []
    new: dict[str, dict[str, float]] = {}
    for label, size in SIZES.items():
        text = table_json(size)
        new[label] = measure(text, PartialObjectParser, args.repeat)
        rows.append(("incremental", label, len(text), new[label]))
        print(f"incremental {label}: {new[label]}", file=sys.stderr)
    if not args.no_old:
        for label, size in SIZES.items():
            if size <= args.old_max:
                text = table_json(size)
                old = measure(text, ReparseParser, args.repeat)
                rows.append(("old (whole-text parse)", label, len(text), old))
                print(f"old {label}: {old}", file=sys.stderr)

    lines = [
        f"`stream_object`, pydantic `Table` schema, `MockModel` (openai-chat), {PIECE}-character "
        f"text deltas; CPU µs per delta, median of {args.repeat} runs.",
        "",
        "| parser | object | bytes | deltas | partials | streaming, process | streaming, client "
        "thread | whole call, process | parser alone |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label, size, m in rows:
        lines.append(
            f"| {name} | {label} | {size:,} | {int(m['deltas']):,} | {int(m['partials']):,} "
            f"| {m['process']:.1f} | {m['thread']:.1f} | {m['call']:.1f} | {m['alone']:.2f} |"
        )
    small, big = new["10 kB"], new["1 MB"]
    ratios = " | ".join(
        f"**{big[key] / small[key]:.2f}**" for key in ("process", "thread", "call", "alone")
    )
    lines.append(f"| incremental | **1 MB / 10 kB** | | | | {ratios} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = "python bench/bench_object.py " + " ".join(sys.argv[1:])
    out.write_text(
        f"# llmkit stream_object benchmark: latest run\n\nCommand: `{command.strip()}`\n\n{text}",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
