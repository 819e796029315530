"""The incremental partial-object parser gives, delta for delta, what a whole-text parse gives.

``Reparse`` below is the parser llmkit had before (jiter's partial mode on the whole text for
each delta, a trailing number held back, a parse that does not extend the last one dropped):
the reference. For JSON texts (arbitrary values with escapes, unicode, surrogate pairs, numbers,
whitespace; pydantic dumps) and broken ones (truncated, garbage inserted, duplicate keys,
``NaN``), cut into deltas at random points, the new parser returns the same thing as the
reference after every delta; partials already returned never change; valid JSON never falls
back to the whole-text parse. Large containers (more than 1,024 open items) get fewer
partials, each equal to the reference's at that delta.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import jiter
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from llmkit._object_partial import (
    _COPY_PER_CHAR,
    _FREE_COPY,
    _LEGACY,
    PartialObjectParser,
    _hold_back_number,
    extends,
)

from .test_partial_objects import cut, grows


class Reparse:
    """The previous parser, verbatim: a whole-text jiter parse per delta."""

    def __init__(self) -> None:
        self.text = ""
        self.last: dict[str, object] | None = None

    def feed(self, delta: str) -> dict[str, object] | None:
        if not delta:
            return None
        self.text += delta
        try:
            value = jiter.from_json(
                _hold_back_number(self.text).encode(), partial_mode="trailing-strings"
            )
        except ValueError:
            return None
        if not isinstance(value, dict) or value == self.last:
            return None
        if self.last is not None and not extends(self.last, value):
            return None
        self.last = value
        return value


def run(deltas: list[str]) -> tuple[PartialObjectParser, list[dict[str, object] | None]]:
    """Feed the deltas; check that no partial changes after it was returned."""
    parser = PartialObjectParser()
    got: list[dict[str, object] | None] = []
    kept: list[tuple[dict[str, object], dict[str, object]]] = []
    for delta in deltas:
        partial = parser.feed(delta)
        got.append(partial)
        if partial is not None:
            kept.append((partial, copy.deepcopy(partial)))
    for partial, snapshot in kept:
        assert partial == snapshot
    assert parser.text == "".join(deltas)
    return parser, got


def same_as_reparse(deltas: list[str]) -> list[dict[str, object] | None]:
    """The new parser's results, delta by delta, equal the reference's (small objects)."""
    parser, got = run(deltas)
    reference = Reparse()
    want = [reference.feed(delta) for delta in deltas]
    assert list(map(repr, got)) == list(map(repr, want))  # types too, and NaN == NaN
    emitted = [p for p in got if p is not None]
    for before, after in itertools.pairwise(emitted):
        assert repr(before) != repr(after)
        assert grows(before, after) or "nan" in repr(before), (before, after)
    assert repr(parser.last) == repr(reference.last)
    return got


def valid(text: str, deltas: list[str]) -> None:
    parser, _ = run(deltas)
    assert parser._state != _LEGACY, text  # plain JSON never needs the whole-text parse
    same_as_reparse(deltas)
    assert parser.last == json.loads(text)


_text = st.text(max_size=10) | st.text(alphabet='"\\/\b\f\n\r\t\x00\x1f aé😀\u2028', max_size=10)
_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, -0.0, 1e-7, 1.5e300, 123456789012345678, 10**19])
    | _text
)
_value = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=24,
)
_object = st.dictionaries(_text, _value, max_size=6)
_dumps = st.sampled_from(
    [
        {},
        {"ensure_ascii": False},
        {"indent": 2},
        {"indent": "\t", "ensure_ascii": False},
        {"separators": (",", ":")},
        {"separators": (" , ", " :\r\n ")},
    ]
)


@settings(max_examples=300, deadline=None)
@given(obj=_object, dumps=_dumps, lead=st.sampled_from(["", " ", "\n\t"]), data=st.data())
def test_json_objects_cut_anywhere(
    obj: dict[str, Any], dumps: dict[str, Any], lead: str, data: st.DataObject
) -> None:
    text = lead + json.dumps(obj, **dumps) + data.draw(st.sampled_from(["", " ", "\n"]))
    points = data.draw(st.lists(st.integers(0, len(text)), max_size=80), label="cuts")
    valid(text, cut(text, points))


@settings(max_examples=60, deadline=None)
@given(obj=_object, dumps=_dumps)
def test_json_objects_one_character_at_a_time(obj: dict[str, Any], dumps: dict[str, Any]) -> None:
    text = json.dumps(obj, **dumps)
    valid(text, list(text))


class Row(BaseModel):
    id: int
    name: str
    score: float
    tags: list[str]
    active: bool | None
    extra: dict[str, int]


class Table(BaseModel):
    title: str
    rows: list[Row]


_row = st.builds(
    Row,
    id=st.integers(-(10**12), 10**12),
    name=_text,
    score=st.floats(allow_nan=False, allow_infinity=False),
    tags=st.lists(_text, max_size=3),
    active=st.none() | st.booleans(),
    extra=st.dictionaries(_text, st.integers(), max_size=2),
)


@settings(max_examples=100, deadline=None)
@given(table=st.builds(Table, title=_text, rows=st.lists(_row, max_size=5)), data=st.data())
def test_pydantic_dumps_cut_anywhere(table: Table, data: st.DataObject) -> None:
    text = table.model_dump_json(indent=data.draw(st.sampled_from([None, 2])))
    points = data.draw(st.lists(st.integers(0, len(text)), max_size=60), label="cuts")
    valid(text, cut(text, points))
    assert Table.model_validate(json.loads(text)) == table


_junk = st.text(alphabet='{}[]:,"\\ utrefalsn0123456789.eE+-xNaI\x00\ud800', max_size=4)


@settings(max_examples=300, deadline=None)
@given(obj=_object, dumps=_dumps, data=st.data())
def test_broken_json_gives_what_the_whole_text_parse_gives(
    obj: dict[str, Any], dumps: dict[str, Any], data: st.DataObject
) -> None:
    text = json.dumps(obj, **dumps)
    edit = data.draw(st.sampled_from(["insert", "delete", "truncate", "prefix", "suffix"]))
    at = data.draw(st.integers(0, len(text)), label="at")
    junk = data.draw(_junk, label="junk")
    if edit == "insert":
        text = text[:at] + junk + text[at:]
    elif edit == "delete":
        text = text[:at] + text[at + len(junk) + 1 :]
    elif edit == "truncate":
        text = text[:at]
    elif edit == "prefix":
        text = junk + text
    else:
        text = text + junk
    points = data.draw(st.lists(st.integers(0, len(text)), max_size=40), label="cuts")
    same_as_reparse(cut(text, points))


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "x", "a": "xy", "b": 1}',  # a duplicate key that extends: the reparse shows it
        '{"a": "x", "a": "y", "b": 1}',  # one that does not: no more partials
        '{"a": {"k": 1, "k": [2]}, "b": 1}',
        '{"a": NaN, "b": Infinity, "c": -Infinity}',
        '{"a": 1x, "b": 2}',
        '{"a": truex}',
        '{"a": 1 2, "b": 3}',
        '{"a": 01}',
        '{"a": "\\ud83d\\u0041"}',
        '{"a": "\\ude00"}',
        '{"a": "\\ud83dx"}',
        '{"a": "\\q"}',
        '{"a": "tab\there"}',
        '{"a": "lone \ud800"}',
        '{"a": [1,]}',
        pytest.param('{"a": ' + "1" * 5000 + ', "b": 2}', id="int-out-of-jiter-range"),
        pytest.param('{"a": ' + "1" * 300 + ', "b": 2.5e-3000, "c": 1e999}', id="big-numbers"),
        '{"a": 1} trailing {"b": 2}',
        'Sure: {"a": 1}',
        '[{"a": 1}]',
        '\ufeff{"a": 1}',
    ],
)
def test_not_plain_json(text: str) -> None:
    same_as_reparse(list(text))
    same_as_reparse(cut(text, [3, 9, 14]))
    same_as_reparse([text])


def test_surrogate_pairs_and_escapes_split_anywhere() -> None:
    text = json.dumps({"e": 'a😀b\n"\\/é\u2028 12', "k😀": ["😀", "x\\u0041"]})
    assert "\\ud83d\\ude00" in text
    for size in range(1, 14):
        valid(text, [text[i : i + size] for i in range(0, len(text), size)])


def test_number_held_back_in_a_string_as_by_the_whole_text_parse() -> None:
    got = same_as_reparse(['{"s": "ab 1', "2", "3x", ' 4"}'])
    assert got == [{"s": "ab "}, None, {"s": "ab 123x"}, {"s": "ab 123x 4"}]


def test_partials_share_completed_values() -> None:
    parser = PartialObjectParser()
    first = parser.feed('{"a": {"b": [1, 2]}, "c": "x')
    second = parser.feed('y"}')
    assert first == {"a": {"b": [1, 2]}, "c": "x"}
    assert second == {"a": {"b": [1, 2]}, "c": "xy"}
    assert first is not None and second is not None
    assert first["a"] is second["a"]  # completed: shared, not copied


def test_big_containers_get_fewer_partials_each_the_whole_text_parse() -> None:
    obj = {"t": "x", "nums": list(range(_FREE_COPY + 400)), "after": [{"s": "longer string"}]}
    text = json.dumps(obj)
    deltas = [text[i : i + 8] for i in range(0, len(text), 8)]
    parser, got = run(deltas)
    assert parser.last == obj
    assert [p for p in got if p is not None][-1] == obj
    fed = ""
    emitted: list[tuple[int, dict[str, object]]] = []
    for delta, partial in zip(deltas, got, strict=True):
        fed += delta
        if partial is None:
            continue
        # what the whole-text parse of this prefix shows (it would have emitted it)
        want = jiter.from_json(_hold_back_number(fed).encode(), partial_mode="trailing-strings")
        assert partial == want
        if emitted:
            assert grows(emitted[-1][1], partial)
        emitted.append((len(fed), partial))
    closed = text.index("]")  # where the list of numbers closes
    big = [
        at - before_at
        for (before_at, before), (at, _) in itertools.pairwise(emitted)
        if len(before.get("nums", ())) >= _FREE_COPY and at <= closed  # type: ignore[arg-type]
    ]
    assert len(big) > 10
    # copies of more than _FREE_COPY items: one partial per (items / _COPY_PER_CHAR)
    # characters, give or take a delta
    low, high = _FREE_COPY // _COPY_PER_CHAR, (_FREE_COPY + 402) // _COPY_PER_CHAR + 8
    assert all(low <= gap <= high for gap in big), big
    assert len(emitted) < len(deltas)
