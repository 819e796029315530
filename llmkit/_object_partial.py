"""Partial objects from a growing JSON text, parsed by jiter's partial mode.

The parsing is jiter's (``jiter.from_json(data, partial_mode="trailing-strings")``: incomplete
JSON gives the value so far, an unfinished string included). llmkit adds two rules so that each
partial *extends* the one before it (see :func:`extends`):

- a number at the very end of the text is held back until a character after it shows that it
  is complete (``{"n": 1`` may still become ``{"n": 12``);
- a parse that does not extend the last partial is not emitted (a later one will).
"""

from __future__ import annotations

import re

import jiter

__all__ = ["PartialObjectParser", "extends"]

# A number token at the end of the text, not part of a word (true/false/null or string text).
_TRAILING_NUMBER = re.compile(r"(?<![A-Za-z0-9_])-?[0-9][0-9.eE+-]*$")


def extends(old: object, new: object) -> bool:
    """True when ``new`` is ``old`` with more content: every key of an object is kept (with a
    value that extends the old one), lists only grow at the end, strings only grow at the end,
    and other values (numbers, booleans, null) stay equal."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(
            key in new and extends(value, new[key]) for key, value in old.items()
        )
    if isinstance(old, list):
        return (
            isinstance(new, list)
            and len(old) <= len(new)
            and all(extends(a, b) for a, b in zip(old, new, strict=False))
        )
    if isinstance(old, str):
        return isinstance(new, str) and new.startswith(old)
    return type(old) is type(new) and old == new


class PartialObjectParser:
    """Feed JSON text deltas; get a new partial object each time the parsed value grows.

    Parsing the whole text again for each delta costs O(length); objects are small, and jiter
    parses a few kB in microseconds.
    """

    __slots__ = ("_last", "_parts")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._last: dict[str, object] | None = None

    @property
    def text(self) -> str:
        """The text fed so far."""
        return "".join(self._parts)

    @property
    def last(self) -> dict[str, object] | None:
        """The last partial returned, or None."""
        return self._last

    def feed(self, delta: str) -> dict[str, object] | None:
        """Add ``delta``; return the new partial object, or None when it did not change (or
        the text does not start a JSON object yet)."""
        if not delta:
            return None
        self._parts.append(delta)
        text = "".join(self._parts)
        if len(self._parts) > 1:
            self._parts = [text]
        match = _TRAILING_NUMBER.search(text)
        if match is not None:
            text = text[: match.start()]
        try:
            value = jiter.from_json(text.encode(), partial_mode="trailing-strings")
        except ValueError:
            return None
        if not isinstance(value, dict) or value == self._last:
            return None
        if self._last is not None and not extends(self._last, value):
            return None
        self._last = value
        return value
