"""Per-stream state of the Responses protocol and the helpers the stream and body parsers
share (see :mod:`.wire` for the mapping)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from llmkit.protocols._blocks import Blocks
from llmkit.protocols.base import StreamState
from llmkit.types.events import ResponseMetadataEvent, StreamEvent

__all__ = [
    "METADATA_KEY",
    "OpenAIResponsesState",
    "OutputItem",
    "as_str",
    "created_at",
    "emit_metadata",
]

METADATA_KEY = "openai"
"""The ``provider_metadata`` / ``provider_options`` key of the OpenAI family (shared with
``openai-chat``: ``provider_options["openai"]`` reaches either protocol)."""


class OutputItem:
    """One output item of the answer."""

    __slots__ = ("block", "done", "id", "kind", "name", "phase", "real_id", "streamed", "texts")

    def __init__(self, item_id: str, kind: str, real_id: bool) -> None:
        self.id = item_id
        self.kind = kind
        self.real_id = real_id
        self.done = False
        self.streamed = False  # deltas arrived (else the done item's text is used)
        self.block: str | None = None  # the reasoning / tool block
        self.name = ""
        self.phase: object = None
        self.texts: dict[int, str] = {}  # content index → open text block id


@dataclass(slots=True)
class OpenAIResponsesState(StreamState):
    """Per-stream state of the Responses protocol.

    Attributes:
        provider_id: the provider, for error context.
        blocks: open blocks (start/end pairing, tool arguments).
        metadata_sent: the ``response_metadata`` event was emitted.
        model_id: the model as served, for error context.
        items: output items by item id; by_index: item ids by ``output_index``.
        text_item, text_index, text_block: the text block of the latest text delta (a cache).
        delta_item: the reasoning or tool item of the latest reasoning/arguments delta.
        client_calls: function calls emitted (a ``completed`` answer with some is
            ``tool_calls``).
        refusal: refusal text pieces.
        sources: sources emitted, for their ids.
        raw_finish: the raw finish reason (status, ``incomplete:<reason>``).
        usage: the final usage object.
    """

    provider_id: str | None = None
    blocks: Blocks = field(default_factory=Blocks)
    metadata_sent: bool = False
    model_id: str | None = None
    items: dict[str, OutputItem] = field(default_factory=dict)
    by_index: dict[int, str] = field(default_factory=dict)
    text_item: object = None
    text_index: object = None
    text_block: str = ""
    delta_item: OutputItem | None = None
    client_calls: int = 0
    refusal: list[str] = field(default_factory=list)
    sources: int = 0
    raw_finish: str | None = None
    usage: object = None


def created_at(value: object) -> datetime | None:
    """``created_at`` (unix seconds) as an aware UTC datetime, or None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):
            return None
    return None


def as_str(value: object, what: str) -> str:
    if type(value) is not str:
        raise TypeError(f"{what} is {type(value).__name__}, not a string")
    return value


def emit_metadata(state: OpenAIResponsesState, response: object, out: list[StreamEvent]) -> None:
    if state.metadata_sent or not isinstance(response, dict):
        return
    state.metadata_sent = True
    response_id, model = response.get("id"), response.get("model")
    state.model_id = model if isinstance(model, str) and model else None
    out.append(
        ResponseMetadataEvent(
            response_id if isinstance(response_id, str) and response_id else None,
            state.model_id,
            created_at(response.get("created_at")),
        )
    )
