"""Helpers: feed text through a ReasoningExtractor as one text block, fold events, check the
event contract (every start matched by one end with the same id, deltas inside their block)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from llmkit.middleware import ReasoningExtractor
from llmkit.types.events import (
    FinishEvent,
    StreamEvent,
    StreamStartEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
)
from llmkit.types.usage import Usage


@dataclass
class Folded:
    """What a consumer folds from events: the joined reasoning and text, and the blocks in
    order as (kind, id, text)."""

    reasoning: str = ""
    text: str = ""
    blocks: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.blocks]


def check_contract(events: Sequence[StreamEvent]) -> None:
    """Every ``*_start`` has one ``*_end`` with the same id, ids are not reused, deltas come
    inside their open block; ``stream_start`` first and ``finish`` last when present."""
    open_blocks: dict[str, str] = {}
    seen: set[str] = set()
    for event in events:
        kind, _, phase = event.type.rpartition("_")
        if kind in ("text", "reasoning") and phase == "start":
            block_id = event.id  # type: ignore[union-attr]
            assert block_id not in seen, f"block id {block_id} reused"
            seen.add(block_id)
            open_blocks[block_id] = kind
        elif kind in ("text", "reasoning") and phase in ("delta", "end"):
            block_id = event.id  # type: ignore[union-attr]
            assert open_blocks.get(block_id) == kind, f"{event.type} outside its block {block_id}"
            if phase == "end":
                del open_blocks[block_id]
    assert not open_blocks, f"blocks never closed: {open_blocks}"
    if events and events[0].type == "stream_start":
        assert [e.type for e in events].count("finish") == 1
        assert events[-1].type == "finish"


def fold(events: Iterable[StreamEvent]) -> Folded:
    out = Folded()
    index: dict[str, int] = {}
    for event in events:
        if event.type in ("text_start", "reasoning_start"):
            index[event.id] = len(out.blocks)
            out.blocks.append((event.type.split("_")[0], event.id, ""))
        elif event.type == "text_delta" or event.type == "reasoning_delta":
            kind, block_id, text = out.blocks[index[event.id]]
            out.blocks[index[event.id]] = (kind, block_id, text + event.delta)
            if event.type == "text_delta":
                out.text += event.delta
            else:
                out.reasoning += event.delta
    return out


def stream_of(pieces: Iterable[str], block_id: str = "text-0") -> list[StreamEvent]:
    """A model's stream with one text block made of ``pieces`` (one delta each)."""
    usage = Usage(input_tokens=1, output_tokens=2)
    return [
        StreamStartEvent(),
        TextStartEvent(block_id),
        *(TextDeltaEvent(block_id, piece) for piece in pieces),
        TextEndEvent(block_id),
        FinishEvent("stop", "stop", usage),
    ]


def extract(pieces: Iterable[str], **options: object) -> list[StreamEvent]:
    """The events of ``ReasoningExtractor(**options)`` over a stream of ``pieces``."""
    extractor = ReasoningExtractor(**options)  # type: ignore[arg-type]
    out: list[StreamEvent] = []
    for event in stream_of(pieces):
        out += extractor.feed(event)
    out += extractor.end()
    return out
