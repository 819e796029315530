"""extract_reasoning's state machine: tags found in any chunking (hypothesis), whitespace and
separators, start_with_reasoning, unterminated sections, the event contract."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import InvalidArgumentError
from llmkit.middleware import ReasoningExtractor, extract_reasoning
from llmkit.types.events import (
    FinishEvent,
    ReasoningDeltaEvent,
    ReasoningEndEvent,
    ReasoningStartEvent,
    StreamEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
    ToolCallEvent,
)
from llmkit.types.usage import Usage

from ._events import check_contract, extract, fold


def oracle(
    text: str,
    *,
    tag: str = "think",
    separator: str = "\n",
    start_with_reasoning: bool = False,
    strip: bool = True,
) -> tuple[str, str, list[str]]:
    """The documented result for a whole text, written independently of the state machine
    (with str.find): (reasoning, text, the kinds of the non-empty sections in order)."""
    opening, closing = f"<{tag}>", f"</{tag}>"
    reasoning = start_with_reasoning
    if start_with_reasoning and text.lstrip().startswith(opening):
        text = text.lstrip()[len(opening) :]
    sections: list[tuple[bool, str]] = []
    while True:
        mark = closing if reasoning else opening
        at = text.find(mark)
        if at < 0:
            piece = text.lstrip() if strip else text
            sections.append((reasoning, piece))
            break
        piece = text[:at].strip() if strip else text[:at]
        sections.append((reasoning, piece))
        text = text[at + len(mark) :]
        reasoning = not reasoning
    kept = [(r, piece) for r, piece in sections if piece]
    return (
        separator.join(piece for r, piece in kept if r),
        separator.join(piece for r, piece in kept if not r),
        ["reasoning" if r else "text" for r, _ in kept],
    )


def cuts(text: str, points: list[int]) -> list[str]:
    bounds = sorted({p % (len(text) + 1) for p in points} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<",
        "</",
        "<thi",
        "think>",
        ">",
        "/",
        "\n",
        "\n\n",
        " ",
        "a",
        "bc",
        "<b>",
        "é",
        "x<",
    ]
)
TEXTS = st.lists(PIECES, max_size=14).map("".join)
OPTIONS = st.fixed_dictionaries(
    {
        "strip": st.booleans(),
        "start_with_reasoning": st.booleans(),
        "separator": st.sampled_from(["\n", "", " | "]),
    }
)


@settings(max_examples=400, deadline=None)
@given(text=TEXTS, points=st.lists(st.integers(0, 200), max_size=12), options=OPTIONS)
def test_any_chunking_gives_the_documented_result(
    text: str, points: list[int], options: dict[str, object]
) -> None:
    events = extract(cuts(text, points), **options)
    check_contract(events)
    folded = fold(events)
    reasoning, answer, kinds = oracle(text, **options)  # type: ignore[arg-type]
    assert (folded.reasoning, folded.text, folded.kinds) == (reasoning, answer, kinds)
    assert all(block_text for _, _, block_text in folded.blocks)  # no empty block


@settings(max_examples=100, deadline=None)
@given(text=TEXTS, options=OPTIONS)
def test_one_character_per_delta_equals_one_delta(text: str, options: dict[str, object]) -> None:
    whole = fold(extract([text], **options))
    by_char = fold(extract(list(text), **options))
    assert (by_char.reasoning, by_char.text, by_char.kinds) == (
        whole.reasoning,
        whole.text,
        whole.kinds,
    )


def test_deepseek_shape_split_inside_the_tags() -> None:
    pieces = ["<th", "ink>", "\nI should ", "greet.\n</", "thi", "nk>\n\n", "Hello", "!"]
    events = extract(pieces)
    check_contract(events)
    assert [type(e).__name__ for e in events] == [
        "StreamStartEvent",
        "ReasoningStartEvent",
        "ReasoningDeltaEvent",
        "ReasoningDeltaEvent",
        "ReasoningEndEvent",
        "TextStartEvent",
        "TextDeltaEvent",
        "TextDeltaEvent",
        "TextEndEvent",
        "FinishEvent",
    ]
    folded = fold(events)
    assert folded.reasoning == "I should greet."
    assert folded.text == "Hello!"
    assert folded.blocks == [
        ("reasoning", "text-0.reasoning-0", "I should greet."),
        ("text", "text-0", "Hello!"),
    ]


def test_strip_false_keeps_every_character() -> None:
    folded = fold(extract(["<think>\nhm\n</think>\n\nHi"], strip=False))
    assert (folded.reasoning, folded.text) == ("\nhm\n", "\n\nHi")


def test_several_sections_are_joined_by_the_separator() -> None:
    text = "<think>one</think>A<think>two</think>B"
    folded = fold(extract([text], separator=" / "))
    assert (folded.reasoning, folded.text) == ("one / two", "A / B")
    assert folded.kinds == ["reasoning", "text", "reasoning", "text"]
    assert [block_id for _, block_id, _ in folded.blocks] == [
        "text-0.reasoning-0",
        "text-0",
        "text-0.reasoning-1",
        "text-0.1",
    ]


def test_start_with_reasoning_needs_only_the_closing_tag() -> None:
    folded = fold(extract(["Let me see.\n</th", "ink>\n\nYes."], start_with_reasoning=True))
    assert (folded.reasoning, folded.text) == ("Let me see.", "Yes.")
    # a server that sends the opening tag anyway: it is consumed, not reasoning text
    folded = fold(extract(["\n<thi", "nk>\nHm.</think>Yes."], start_with_reasoning=True))
    assert (folded.reasoning, folded.text) == ("Hm.", "Yes.")


def test_text_without_tags_passes_through_in_its_block() -> None:
    events = extract(["Hello ", "world", "\n"])
    check_contract(events)
    assert fold(events).blocks == [("text", "text-0", "Hello world\n")]


def test_an_unterminated_section_and_a_partial_tag_are_flushed_at_the_end() -> None:
    # cut by max_output_tokens while thinking: the reasoning so far is kept
    assert fold(extract(["<think>still thinking"])).reasoning == "still thinking"
    # a '<' that never became a tag is text
    assert fold(extract(["a <thi"])).text == "a <thi"


def test_an_empty_section_makes_no_block() -> None:
    events = extract(["<think>\n\n</think>\n\nAnswer"])  # DeepSeek's 'no thinking needed'
    assert fold(events).blocks == [("text", "text-0", "Answer")]


def test_a_custom_tag() -> None:
    folded = fold(extract(["<reasoning>r</reasoning>t"], tag="reasoning"))
    assert (folded.reasoning, folded.text) == ("r", "t")


def test_other_events_pass_through_and_text_end_metadata_is_kept() -> None:
    extractor = ReasoningExtractor()
    usage = Usage(input_tokens=1, output_tokens=1)
    call = ToolCallEvent("c1", "f", {}, "{}")
    events: list[StreamEvent] = [
        TextStartEvent("t"),
        TextDeltaEvent("t", "<think>r</think>"),
        call,
        TextEndEvent("t", provider_metadata={"google": {"thought_signature": "sig"}}),
        FinishEvent("stop", None, usage),
    ]
    out = [e for event in events for e in extractor.feed(event)]
    assert out == [
        ReasoningStartEvent("t.reasoning-0"),
        ReasoningDeltaEvent("t.reasoning-0", "r"),
        ReasoningEndEvent("t.reasoning-0"),
        call,
        TextStartEvent("t"),
        TextEndEvent("t", provider_metadata={"google": {"thought_signature": "sig"}}),
        FinishEvent("stop", None, usage),
    ]


def test_blocks_left_open_are_closed_before_finish() -> None:
    extractor = ReasoningExtractor()
    out = extractor.feed(TextDeltaEvent("t", "<think>abc"))  # a delta without a start
    out += extractor.feed(FinishEvent("stop", None, Usage()))
    check_contract(out)
    assert [e.type for e in out] == [
        "reasoning_start",
        "reasoning_delta",
        "reasoning_end",
        "finish",
    ]


@pytest.mark.parametrize("tag", ["", "<think>", "/think", " think", 3])
def test_a_bad_tag_is_refused(tag: object) -> None:
    with pytest.raises(InvalidArgumentError, match="tag name without brackets"):
        extract_reasoning(tag)  # type: ignore[arg-type]
