"""Reasoning written into the text between tags: :func:`extract_reasoning`.

Open-weight reasoning models (DeepSeek-R1 and its distills, QwQ, Qwen3) write their reasoning
into the answer text as ``<think>...</think>`` when the server runs them without a reasoning
parser: Ollama's OpenAI-compatible endpoint without ``think``, vLLM without
``--reasoning-parser``, Groq with ``reasoning_format: "raw"`` (Groq API reference, Chat
Completions, ``reasoning_format``: "raw" keeps the ``<think>`` tags in the content), llama.cpp
with ``--reasoning-format none``. This middleware turns those sections into reasoning blocks,
as the Vercel AI SDK's ``extractReasoningMiddleware`` does (AI SDK reference,
"extractReasoningMiddleware": ``tagName``, ``separator``, ``startWithReasoning``).

DeepSeek-R1's newer chat templates put the opening ``<think>\\n`` into the prompt, so the
model's output starts inside the reasoning and only the closing tag arrives
(``start_with_reasoning=True``; DeepSeek-R1 model card, "Usage Recommendations").

By default the whitespace next to a tag is dropped (the models write ``<think>\\n`` and
``</think>\\n\\n``), as servers that parse the tags themselves do: Groq's ``parsed`` format
returns the reasoning and the answer without it (``strip=False`` keeps every character).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from llmkit.errors import InvalidArgumentError
from llmkit.middleware._base import GenerateNext, Middleware, StreamNext
from llmkit.types.events import (
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    StreamEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
)

if TYPE_CHECKING:
    from llmkit.types.events import ProviderMetadata
    from llmkit.types.options import CallOptions

__all__ = ["ExtractReasoningMiddleware", "ReasoningExtractor", "extract_reasoning"]


class _Block:
    """The state of one text block of the model's stream."""

    __slots__ = (
        "buffer",
        "id",
        "initial",
        "reasoning",
        "reasoning_count",
        "reasoning_id",
        "said_reasoning",
        "said_text",
        "started",
        "text_count",
        "text_id",
    )

    def __init__(self, block_id: str, reasoning_first: bool) -> None:
        self.id = block_id
        self.reasoning = reasoning_first  # inside a reasoning section
        self.initial = reasoning_first  # an opening tag may still come first, and is consumed
        self.buffer = ""  # held back: a possible start of a tag, or whitespace next to one
        self.started = False  # the current section has said something
        self.said_text = False
        self.said_reasoning = False
        self.text_id: str | None = None  # the open text segment
        self.reasoning_id: str | None = None  # the open reasoning block
        self.text_count = 0
        self.reasoning_count = 0


def _partial(buffer: str, tag: str) -> int:
    """How many characters at the end of ``buffer`` may be the start of ``tag`` (which has
    one ``<``, its first character)."""
    at = buffer.rfind("<", max(0, len(buffer) - len(tag) + 1))
    return len(buffer) - at if at >= 0 and tag.startswith(buffer[at:]) else 0


class ReasoningExtractor:
    """The sans-IO part of :class:`ExtractReasoningMiddleware`: stream events in (the
    model's), stream events out (tagged sections as reasoning blocks). One per call.

    Text blocks are split at the tags: the text before the first tag keeps the block's id;
    later text segments get ``<id>.<n>``, reasoning blocks ``<id>.reasoning-<n>``. A block
    opens at its first character, so no empty block is emitted (a text block's end that
    carries provider metadata is kept). Other events pass through unchanged.
    """

    __slots__ = ("_blocks", "_close", "_open", "_separator", "_start_with_reasoning", "_strip")

    def __init__(
        self,
        tag: str = "think",
        separator: str = "\n",
        *,
        start_with_reasoning: bool = False,
        strip: bool = True,
    ) -> None:
        self._open = f"<{tag}>"
        self._close = f"</{tag}>"
        self._separator = separator
        self._start_with_reasoning = start_with_reasoning
        self._strip = strip
        self._blocks: dict[str, _Block] = {}

    def feed(self, event: StreamEvent) -> list[StreamEvent]:
        """The events to hand on for ``event`` (none, itself, or several)."""
        if event.type == "text_delta":
            block = self._blocks.get(event.id)
            if block is None:
                block = self._blocks[event.id] = _Block(event.id, self._start_with_reasoning)
            delta = event.delta
            # the common case: inside the answer's first piece of text, nothing held back, no
            # tag possible: the event itself goes on
            if (
                block.text_id == event.id
                and not block.buffer
                and "<" not in delta
                and not (self._strip and delta[-1:].isspace())
            ):
                return [event]
            out: list[StreamEvent] = []
            self._push(block, delta, out)
            return out
        if event.type == "text_start":
            self._blocks[event.id] = _Block(event.id, self._start_with_reasoning)
            return []
        if event.type == "text_end":
            block = self._blocks.pop(event.id, None)
            if block is None:
                return [event]
            out = []
            self._end(block, event.provider_metadata, out)
            return out
        if event.type == "finish":
            out = self.end()
            out.append(event)
            return out
        return [event]

    def end(self) -> list[StreamEvent]:
        """Close every block still open (the stream ended without its ``text_end``)."""
        out: list[StreamEvent] = []
        for block in self._blocks.values():
            self._end(block, None, out)
        self._blocks.clear()
        return out

    # ------------------------------------------------------------------ one text block
    def _push(self, block: _Block, delta: str, out: list[StreamEvent]) -> None:
        if not delta:
            return
        # the common case: inside a section that has started, nothing held, no tag possible
        if not block.buffer and "<" not in delta and not (self._strip and delta[-1].isspace()):
            if block.text_id is not None:
                out.append(TextDeltaEvent(block.text_id, delta))
                return
            if block.reasoning_id is not None:
                out.append(ReasoningDeltaEvent(block.reasoning_id, delta))
                return
        text = block.buffer + delta
        while True:
            if block.initial:  # start_with_reasoning: an opening tag sent anyway is consumed
                head = text.lstrip()
                if head.startswith(self._open):
                    text = head[len(self._open) :]
                    block.initial = False
                elif self._open.startswith(head):
                    block.buffer = text  # whitespace or a part of the tag: wait
                    return
                else:
                    block.initial = False
            tag = self._close if block.reasoning else self._open
            at = text.find(tag)
            if at >= 0:
                self._say(block, text[:at], out, before_tag=True)
                self._switch(block, out)
                text = text[at + len(tag) :]
                continue
            cut = len(text) - _partial(text, tag)
            if self._strip:  # whitespace at the end may turn out to be next to a tag
                cut = len(text[:cut].rstrip())
            self._say(block, text[:cut], out, before_tag=False)
            block.buffer = text[cut:]
            return

    def _say(self, block: _Block, text: str, out: list[StreamEvent], *, before_tag: bool) -> None:
        if self._strip:
            if not block.started:
                text = text.lstrip()
            if before_tag:
                text = text.rstrip()
        if not text:
            return
        if block.reasoning:
            if not block.started and block.said_reasoning:
                text = self._separator + text
            if block.reasoning_id is None:
                block.reasoning_id = f"{block.id}.reasoning-{block.reasoning_count}"
                block.reasoning_count += 1
                out.append(ReasoningStartEvent(block.reasoning_id))
            out.append(ReasoningDeltaEvent(block.reasoning_id, text))
            block.said_reasoning = True
        else:
            if not block.started and block.said_text:
                text = self._separator + text
            if block.text_id is None:
                block.text_id = self._text_id(block)
                out.append(TextStartEvent(block.text_id))
            out.append(TextDeltaEvent(block.text_id, text))
            block.said_text = True
        block.started = True

    @staticmethod
    def _text_id(block: _Block) -> str:
        text_id = block.id if block.text_count == 0 else f"{block.id}.{block.text_count}"
        block.text_count += 1
        return text_id

    @staticmethod
    def _switch(block: _Block, out: list[StreamEvent]) -> None:
        if block.reasoning_id is not None:
            out.append(ReasoningEndEvent(block.reasoning_id))
            block.reasoning_id = None
        if block.text_id is not None:
            out.append(TextEndEvent(block.text_id))
            block.text_id = None
        block.reasoning = not block.reasoning
        block.started = False

    def _end(
        self, block: _Block, metadata: ProviderMetadata | None, out: list[StreamEvent]
    ) -> None:
        """The block's text is complete: what was held back is said (a part of a tag that
        never completed is text), its open blocks close."""
        text, block.buffer, block.initial = block.buffer, "", False
        self._say(block, text, out, before_tag=False)
        if block.reasoning_id is not None:
            out.append(ReasoningEndEvent(block.reasoning_id))
            block.reasoning_id = None
        if block.text_id is None and metadata is not None:  # keep the provider's data
            block.text_id = self._text_id(block)
            out.append(TextStartEvent(block.text_id))
        if block.text_id is not None:
            out.append(TextEndEvent(block.text_id, metadata))
            block.text_id = None


class ExtractReasoningMiddleware(Middleware):
    """Turns tagged reasoning in the text into reasoning blocks, streamed or not (made by
    :func:`extract_reasoning`; the events are described on :class:`ReasoningExtractor`).

    Attributes:
        tag: the tag name (``think``).
        separator: put between two reasoning sections, and between two text segments that a
            reasoning section separated.
        start_with_reasoning: the text starts inside a reasoning section.
        strip: drop the whitespace next to the tags.
    """

    def __init__(
        self,
        tag: str = "think",
        separator: str = "\n",
        *,
        start_with_reasoning: bool = False,
        strip: bool = True,
    ) -> None:
        if (
            not isinstance(tag, str)
            or not tag
            or any(c in tag for c in "<>/")
            or tag != tag.strip()
        ):
            raise InvalidArgumentError(
                f"extract_reasoning: tag must be a tag name without brackets, e.g. "
                f"tag='think' for <think>...</think>, not {tag!r}"
            )
        if not isinstance(separator, str):
            raise InvalidArgumentError(
                f"extract_reasoning: separator must be a string, not {type(separator).__name__}"
            )
        self.tag = tag
        self.separator = separator
        self.start_with_reasoning = start_with_reasoning
        self.strip = strip

    def extractor(self) -> ReasoningExtractor:
        """A fresh :class:`ReasoningExtractor` with this middleware's settings."""
        return ReasoningExtractor(
            self.tag,
            self.separator,
            start_with_reasoning=self.start_with_reasoning,
            strip=self.strip,
        )

    async def wrap_stream(
        self,
        do_stream: StreamNext,
        call: CallOptions,
        *,
        model: str,
        do_generate: GenerateNext,
    ) -> AsyncIterator[StreamEvent]:
        """The model's stream with its tagged sections as reasoning blocks; a tag split
        across deltas is found (the characters that may start a tag are held back until the
        next delta tells)."""
        feed = self.extractor().feed
        async for event in do_stream(call):
            for out in feed(event):
                yield out

    async def wrap_generate(
        self,
        do_generate: GenerateNext,
        call: CallOptions,
        *,
        model: str,
        do_stream: StreamNext,
    ) -> list[StreamEvent]:
        """The model's response with its tagged sections as reasoning blocks."""
        extractor = self.extractor()
        out: list[StreamEvent] = []
        for event in await do_generate(call):
            out += extractor.feed(event)
        out += extractor.end()
        return out

    def __repr__(self) -> str:
        return (
            f"extract_reasoning(tag={self.tag!r}, separator={self.separator!r}, "
            f"start_with_reasoning={self.start_with_reasoning}, strip={self.strip})"
        )


def extract_reasoning(
    tag: str = "think",
    separator: str = "\n",
    *,
    start_with_reasoning: bool = False,
    strip: bool = True,
) -> ExtractReasoningMiddleware:
    """Middleware that turns ``<tag>...</tag>`` sections of the model's text into reasoning.

    For models served without a reasoning parser, which write their reasoning into the text
    (see the module docstring). Streamed and non-streamed calls give the same reasoning and
    text; ``result.reasoning_text`` holds the sections, ``result.text`` the rest.

    Args:
        tag: the tag name, without brackets (``think`` for ``<think>...</think>``).
        separator: put between two reasoning sections, and between two pieces of text that a
            reasoning section separated (default a newline).
        start_with_reasoning: the text starts inside a reasoning section: the server put the
            opening tag into the prompt (DeepSeek-R1 templates), so only ``</think>`` arrives.
            An opening tag at the very start is consumed all the same.
        strip: drop the whitespace next to each tag (the ``\\n`` after ``<think>``, the
            ``\\n\\n`` after ``</think>``); ``False`` keeps every character.

    Returns:
        An :class:`ExtractReasoningMiddleware` for :func:`~llmkit.middleware.wrap_model`.

    Raises:
        InvalidArgumentError: ``tag`` is empty or has ``<``, ``>``, ``/`` or surrounding
            whitespace.
    """
    return ExtractReasoningMiddleware(
        tag, separator, start_with_reasoning=start_with_reasoning, strip=strip
    )
