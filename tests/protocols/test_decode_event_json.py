"""decode_event_json (jiter, then json.loads for what jiter refuses) gives exactly what
json.loads gives: the same value for any JSON text, and the same error for any non-JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.protocols._common import JSON_ERRORS, decode_event_json

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(_json_values, st.booleans())
def test_same_value_as_json_loads(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(decode_event_json(text), json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "\\ud800"}',  # a lone surrogate escape: jiter refuses it, json.loads keeps it
        "[" * 300 + "]" * 300,  # deeper than jiter's nesting limit of 200
        '{"a": NaN, "b": Infinity}',
        '{"a": 1, "a": 2}',  # the last duplicate wins, as in json.loads
        '{"a": 123456789012345678901234567890}',
    ],
)
def test_what_jiter_refuses_or_bends_still_decodes_as_json_loads(text: str) -> None:
    assert _same(decode_event_json(text), json.loads(text))


@pytest.mark.parametrize("text", ['{"a": 1} x', '{"a": "x\ty"}', "{", "", "[DONE"])
def test_not_json_raises_json_loads_error(text: str) -> None:
    with pytest.raises(JSON_ERRORS) as ours:
        decode_event_json(text)
    with pytest.raises(JSON_ERRORS) as theirs:
        json.loads(text)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)
