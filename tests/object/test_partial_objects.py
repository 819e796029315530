"""Partial objects: every partial extends the one before it, and the last one is the parsed
whole, however the JSON text is cut into deltas.

The JSON texts are the tool-call arguments of every recorded stream (OpenAI ``arguments``
deltas, Anthropic ``input_json_delta``), re-cut by hypothesis, plus arbitrary JSON objects.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from typing import Any

import fixture_util
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit._object_partial import PartialObjectParser, extends
from llmkit.errors import LLMKitError
from llmkit.protocols import get_protocol
from llmkit.protocols.base import run_sse
from llmkit.types.events import ToolCallEvent


def grows(old: object, new: object) -> bool:
    """The test's own definition of "new extends old" (independent of ``extends``)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(k in new and grows(v, new[k]) for k, v in old.items())
    if isinstance(old, list):
        return (
            isinstance(new, list)
            and len(new) >= len(old)
            and all(grows(old[i], new[i]) for i in range(len(old)))
        )
    if isinstance(old, str):
        return isinstance(new, str) and new[: len(old)] == old
    return type(old) is type(new) and old == new


@cache
def recorded_arguments() -> list[tuple[str, str]]:
    """(fixture stem, arguments JSON) of every client tool call in the recorded streams."""
    out: dict[str, str] = {}
    for protocol in ("openai-chat", "anthropic-messages"):
        for entry in fixture_util.entries(protocol, "sse"):
            try:
                events = run_sse(
                    get_protocol(protocol),
                    fixture_util.provider_for(entry),
                    fixture_util.decode_sse(fixture_util.body(entry)),
                )
            except LLMKitError:  # streams that end in an error (covered elsewhere)
                continue
            for event in events:
                if isinstance(event, ToolCallEvent) and event.args_json.strip():
                    out.setdefault(event.args_json, fixture_util.fixture_id(entry))
    return sorted((stem, args) for args, stem in out.items())


def cut(text: str, points: list[int]) -> list[str]:
    bounds = [0, *sorted({p for p in points if 0 < p < len(text)}), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def partials(deltas: list[str]) -> list[dict[str, object]]:
    parser = PartialObjectParser()
    out = []
    for delta in deltas:
        partial = parser.feed(delta)
        if partial is not None:
            out.append(partial)
    return out


def check(text: str, deltas: list[str]) -> list[dict[str, object]]:
    assert "".join(deltas) == text
    got = partials(deltas)
    assert got, f"no partial for {text!r}"
    for before, after in itertools.pairwise(got):
        assert before != after
        assert grows(before, after), (before, after)
    assert got[-1] == json.loads(text)
    return got


def test_the_recorded_streams_have_tool_arguments() -> None:
    stems = {stem for stem, _ in recorded_arguments()}
    assert len(recorded_arguments()) >= 20
    assert "openai-openai-chat-gpt4o-forced-tool-finish-stop" in stems
    assert "anthropic-anthropic-messages-haiku3-forced-tool-use" in stems


@pytest.mark.parametrize(
    ("stem", "args"), recorded_arguments(), ids=[s for s, _ in recorded_arguments()]
)
def test_recorded_arguments_one_character_at_a_time(stem: str, args: str) -> None:
    got = check(args, list(args))
    # one character at a time shows every intermediate state: strings grow visibly
    if any(isinstance(v, str) and len(v) > 3 for v in got[-1].values()):
        assert len(got) > len(got[-1])


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_recorded_arguments_any_chunking(data: st.DataObject) -> None:
    _stem, args = data.draw(st.sampled_from(recorded_arguments()), label="fixture")
    points = data.draw(st.lists(st.integers(0, len(args)), max_size=40), label="cuts")
    check(args, cut(args, points))


_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_json_value = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
_json_object = st.dictionaries(st.text(max_size=8), _json_value, max_size=6)


@settings(max_examples=100, deadline=None)
@given(
    obj=_json_object,
    ascii_only=st.booleans(),
    indent=st.sampled_from([None, 2]),
    data=st.data(),
)
def test_any_json_object_any_chunking(
    obj: dict[str, Any], ascii_only: bool, indent: int | None, data: st.DataObject
) -> None:
    text = json.dumps(obj, ensure_ascii=ascii_only, indent=indent)
    points = data.draw(st.lists(st.integers(0, len(text)), max_size=60), label="cuts")
    check(text, cut(text, points))


def test_numbers_are_held_back_until_complete() -> None:
    got = partials(['{"n": 1', "2", "3", ', "m": -4', ".5", "e1", "}"])
    assert got == [{}, {"n": 123}, {"n": 123, "m": -45.0}]


def test_literals_and_strings() -> None:
    got = partials(['{"ok": tr', "ue", ', "s": "ab', "c\\u00", 'e9", "n": nul', "l}"])
    assert got == [
        {},
        {"ok": True},
        {"ok": True, "s": "ab"},
        {"ok": True, "s": "abc"},  # the unfinished escape is not shown
        {"ok": True, "s": "abcé"},  # the unfinished literal is not shown
        {"ok": True, "s": "abcé", "n": None},
    ]


def test_text_before_the_object_gives_no_partial() -> None:
    parser = PartialObjectParser()
    assert parser.feed("Sure! Here it is: ") is None
    assert parser.feed('{"a": 1}') is None  # not JSON as a whole
    assert parser.text == 'Sure! Here it is: {"a": 1}'
    assert parser.last is None


def test_extends() -> None:
    assert extends({}, {"a": 1})
    assert extends({"a": "x"}, {"a": "xy", "b": [1]})
    assert extends({"a": [1]}, {"a": [1, 2]})
    assert not extends({"a": 1}, {"a": 12})
    assert not extends({"a": "xy"}, {"a": "x"})
    assert not extends({"a": [1, 2]}, {"a": [1]})
    assert not extends({"a": 1}, {})
    assert not extends({"a": False}, {"a": None})
    assert not extends({"a": {"b": "x"}}, {"a": {"b": "y"}})
    assert extends({"a": {"b": "x"}, "c": [{"d": 1}]}, {"a": {"b": "x"}, "c": [{"d": 1, "e": ""}]})
