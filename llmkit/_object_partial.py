"""Partial objects from a growing JSON text, parsed incrementally.

The partials are the values that jiter's partial mode gives for the text so far
(``jiter.from_json(text, partial_mode="trailing-strings")``: incomplete JSON gives the value so
far, an unfinished string included), with two rules so that each partial *extends* the one
before it (see :func:`extends`):

- a number at the very end of the text is held back until a character after it shows that it
  is complete (``{"n": 1`` may still become ``{"n": 12``);
- a parse that does not extend the last partial is not emitted (a later one will).

:class:`PartialObjectParser` gets the same values without parsing the whole text again for each
delta: a scanner keeps the stack of open containers and only looks at the new characters (the
JSON grammar of RFC 8259: objects, arrays, strings, numbers, ``true``/``false``/``null``).
Scalars are decoded by jiter once, when complete; a new partial copies only the containers on
the path from the root to the growing edge, and shares every completed value with the partials
before it. Anything else (text that is not JSON, a duplicate key, ``NaN``, an invalid escape...)
switches that stream to the old way, a whole-text jiter parse for each delta, which gives
exactly the partials the old parser gave.
"""

from __future__ import annotations

import re
from typing import Final

import jiter

__all__ = ["PartialObjectParser", "extends"]

_NUMBER_CHARS = "0123456789.eE+-"


def _hold_back_number(text: str) -> str:
    """``text`` without a trailing run of number characters, unless the run continues a word
    (the ``e`` of ``true``, the digits in ``"abc12``). Only ever removes a suffix, so the
    parse can only show less; string text that is held back shows with the next delta."""
    core = text.rstrip(_NUMBER_CHARS)
    if len(core) == len(text) or (core and (core[-1].isalnum() or core[-1] == "_")):
        return text
    return core


def extends(old: object, new: object) -> bool:
    """True when ``new`` is ``old`` with more content: every key of an object is kept (with a
    value that extends the old one), lists only grow at the end, strings only grow at the end,
    and other values (numbers, booleans, null) stay equal (Python ``==``, so ``True`` equals
    ``1``: a guard, not a type check)."""
    # Equal subtrees are compared with == (in C); only the growing edge recurses.
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return False
        for key, value in old.items():
            if key not in new:
                return False
            other = new[key]
            if value != other and not extends(value, other):
                return False
        return True
    if isinstance(old, list):
        if not isinstance(new, list) or len(old) > len(new):
            return False
        return all(a == b or extends(a, b) for a, b in zip(old, new, strict=False))
    if isinstance(old, str):
        return isinstance(new, str) and new.startswith(old)
    return type(old) is type(new) and old == new


# Scanner states. _DONE and above: nothing more to scan.
_TOP: Final = 0  # before the root object
_KEY_OR_CLOSE: Final = 1  # after "{"
_KEY: Final = 2  # after "," in an object
_COLON: Final = 3  # after a key
_VALUE: Final = 4  # after ":", or after "," in an array
_VALUE_OR_CLOSE: Final = 5  # after "["
_AFTER: Final = 6  # after a value in a container: "," or the closing bracket
_STRING: Final = 7  # inside a string (a key or a value)
_DONE: Final = 8  # the root object is closed: the rest of the text is ignored
_DEAD: Final = 9  # the text does not start with an object: never a partial
_LEGACY: Final = 10  # not plain JSON: a whole-text parse per delta, as jiter sees it

_WS = re.compile(r"[ \t\n\r]*")
_PLAIN = re.compile(r'[^"\\\x00-\x1f\ud800-\udfff]*')  # string characters that stand for themselves
_NUMBER_RUN = re.compile(r"[0-9.eE+-]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_SMALL_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_HEX = re.compile(r"[0-9a-fA-F]*")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LITERALS: Final[dict[str, tuple[str, object]]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}
_ABSENT: Final = object()

# Emission budget: a partial copies the open containers (their lengths summed: the "copy
# cost", plus 1 per 64 characters of an open string). A partial is emitted for every delta
# that changes the value while the copy cost is at most _FREE_COPY; above it, at most once
# per (copy cost / _COPY_PER_CHAR) characters of text, so copying stays O(1) per character.
_FREE_COPY: Final = 1024
_COPY_PER_CHAR: Final = 16

Container = dict[str, object] | list[object]


class PartialObjectParser:
    """Feed JSON text deltas; get a new partial object each time the parsed value grows.

    The partials are those of jiter's partial mode on the whole text so far (with a trailing
    number held back until complete), each extending the one before; the last one, once the
    root object is closed, equals the parsed text.

    Cost: O(length of the delta) per delta for well-formed JSON, plus the copies of the open
    containers in each emitted partial (completed values are shared between partials, never
    copied). To keep that O(1) per character, a partial is emitted for every delta that grows
    the value while the open containers hold at most 1,024 items in total (an open string
    counts 1 per 64 characters); above that (a list of thousands of rows), at most once per
    (items / 16) characters of text, and always when the root object closes.

    Measured by ``bench/bench_object.py`` (rows of six fields, 8-character deltas): 3-6 µs
    per delta for a 10 kB, 100 kB or 1 MB object, where the whole-text parse took 70 µs at
    10 kB and 700 µs at 100 kB. Memory: the deltas (kept for :attr:`text`) and the value so
    far.

    Text that is not plain JSON (a duplicate key, ``NaN``, an invalid escape, garbage after a
    value...) switches the stream to a whole-text jiter parse per delta from there on,
    O(length so far), which gives exactly the partials of that parse.

    Partials share their completed values (dicts, lists) with the partials before and after
    them: treat them as read-only (``copy.deepcopy`` one to modify it). The parser never
    changes a partial once returned.
    """

    __slots__ = (
        "_dirty",
        "_is_key",
        "_keys",
        "_last",
        "_objs",
        "_parts",
        "_pending",
        "_root",
        "_run_after_word",
        "_run_len",
        "_shown",
        "_since",
        "_state",
        "_str_len",
        "_str_parts",
    )

    def __init__(self) -> None:
        self._parts: list[str] = []  # every delta, joined on demand
        self._last: dict[str, object] | None = None
        self._state: int = _TOP
        self._pending = ""  # the start of an unfinished number, literal or escape
        self._objs: list[Container] = []  # the open containers, root first (completed items)
        self._keys: list[str] = []  # per open object: the key of its open value ("" for lists)
        self._root: dict[str, object] | None = None
        self._dirty = False  # the value changed since the last partial
        self._since = 0  # characters fed since the last partial
        # the open string: decoded pieces, their length, whether it is a key, and for a value,
        # the trailing run of number characters (raw) and whether it follows a word character
        self._str_parts: list[str] = []
        self._str_len = 0
        self._is_key = False
        self._run_len = 0
        self._run_after_word = False
        self._shown = 0  # characters of the open value string shown

    @property
    def text(self) -> str:
        """The text fed so far."""
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def done(self) -> bool:
        """True once the root object is closed (scanned as plain JSON): every value in the
        last partial is then complete."""
        return self._state == _DONE

    @property
    def last(self) -> dict[str, object] | None:
        """The last partial returned, or None."""
        return self._last

    def feed(self, delta: str) -> dict[str, object] | None:
        """Add ``delta``; return the new partial object, or None when it did not change (or
        the text does not start a JSON object, or a partial is not due yet: see the class).
        Never raises: text that is not JSON only stops the partials."""
        if not delta:
            return None
        self._parts.append(delta)
        if self._state >= _DONE:
            return self._reparse() if self._state == _LEGACY else None
        self._since += len(delta)
        pending = self._pending
        self._scan(pending + delta if pending else delta)
        state = self._state
        if state == _LEGACY:
            return self._reparse()
        if not self._dirty or state == _DEAD:
            return None
        if state != _DONE:
            cost = sum(map(len, self._objs))
            if state == _STRING and not self._is_key:
                cost += self._shown >> 6
            if cost > _FREE_COPY and cost > _COPY_PER_CHAR * self._since:
                return None
        return self._emit()

    # -- the scanner ---------------------------------------------------------------------------

    def _scan(self, buf: str) -> None:
        """Advance the state over ``buf`` (the pending start of a token, then the delta)."""
        self._pending = ""
        n = len(buf)
        i = 0
        objs = self._objs
        while i < n:
            state = self._state
            if state == _STRING:
                i = self._string(buf, i)
                if i < 0:
                    return
                continue
            c = buf[i]
            if c in " \t\n\r":
                i = _WS.match(buf, i).end()  # type: ignore[union-attr]
                continue
            if state == _AFTER:
                if c == ",":
                    self._state = _KEY if isinstance(objs[-1], dict) else _VALUE
                elif c == ("}" if isinstance(objs[-1], dict) else "]"):
                    self._close()
                else:
                    self._state = _LEGACY
                    return
                i += 1
            elif state in (_VALUE, _VALUE_OR_CLOSE):
                if c == '"':
                    self._open_string(False)
                    i += 1
                elif c == "{" or c == "[":
                    self._open({} if c == "{" else [])
                    i += 1
                elif c == "]" and state == _VALUE_OR_CLOSE:
                    self._close()
                    i += 1
                elif c == "-" or "0" <= c <= "9":
                    end = _NUMBER_RUN.match(buf, i).end()  # type: ignore[union-attr]
                    if end == n:  # may go on: held back
                        self._pending = buf[i:]
                        return
                    token = buf[i:end]
                    if _SMALL_INT.fullmatch(token):
                        self._add(int(token))
                    elif _NUMBER.fullmatch(token):
                        try:
                            self._add(jiter.from_json(token.encode()))
                        except ValueError:  # out of range (over 4,300 digits)
                            self._state = _LEGACY
                            return
                    else:
                        self._state = _LEGACY
                        return
                    self._dirty = True
                    i = end
                elif c in _LITERALS:
                    word, value = _LITERALS[c]
                    if buf.startswith(word, i):
                        self._add(value)
                        self._dirty = True
                        i += len(word)
                    elif word.startswith(buf[i:]):  # unfinished, at the end
                        self._pending = buf[i:]
                        return
                    else:
                        self._state = _LEGACY
                        return
                else:
                    self._state = _LEGACY
                    return
            elif state in (_KEY_OR_CLOSE, _KEY):
                if c == '"':
                    self._open_string(True)
                elif c == "}" and state == _KEY_OR_CLOSE:
                    self._close()
                else:
                    self._state = _LEGACY
                    return
                i += 1
            elif state == _COLON:
                if c != ":":
                    self._state = _LEGACY
                    return
                self._state = _VALUE
                i += 1
            elif state == _TOP:
                if c != "{":
                    self._state = _DEAD  # jiter would give a list, a string, a number or fail
                    return
                self._open({})
                i += 1
            else:  # _DONE: whatever follows the root object is not read by jiter, but a lone
                # surrogate anywhere makes the text unencodable (no partial for it)
                if _SURROGATE.search(buf, i):
                    self._state = _LEGACY
                return

    def _open(self, container: Container) -> None:
        """Push a new container (the root, or the value of the innermost open one)."""
        self._objs.append(container)
        self._keys.append("")
        self._state = _KEY_OR_CLOSE if isinstance(container, dict) else _VALUE_OR_CLOSE
        self._dirty = True  # shown at once, empty

    def _close(self) -> None:
        """Pop the innermost container: it was shown as it is, so the value does not change."""
        container = self._objs.pop()
        self._keys.pop()
        if self._objs:
            self._add(container)
        else:
            assert isinstance(container, dict)
            self._root = container
            self._state = _DONE

    def _add(self, value: object) -> None:
        """Add a complete value to the innermost open container (never changed afterwards)."""
        container = self._objs[-1]
        if isinstance(container, list):
            container.append(value)
        else:
            container[self._keys[-1]] = value
        self._state = _AFTER

    def _open_string(self, is_key: bool) -> None:
        self._state = _STRING
        self._is_key = is_key
        self._str_parts = []
        self._str_len = 0
        self._run_len = 0
        self._run_after_word = False  # the opening quote is not a word character
        self._shown = 0
        if not is_key:
            self._dirty = True  # shown at once, empty

    def _string(self, buf: str, i: int) -> int:
        """Scan string characters from ``buf[i]``: the index after the closing quote, or -1
        when the buffer ends (the string stays open) or the text is not plain JSON."""
        n = len(buf)
        start = i
        escaped = False
        while True:
            i = _PLAIN.match(buf, i).end()  # type: ignore[union-attr]
            if i == n:
                self._take(buf[start:i], escaped)
                self._show_string(held=False)
                return -1
            c = buf[i]
            if c == '"':
                if not self._take(buf[start:i], escaped):
                    return -1
                return self._end_string(i + 1)
            if c != "\\":  # a control character or a lone surrogate: jiter decides
                self._state = _LEGACY
                return -1
            end = _escape_end(buf, i)
            if end < 0:
                self._state = _LEGACY
                return -1
            if end == 0:  # unfinished at the end of the buffer
                self._take(buf[start:i], escaped)
                self._pending = buf[i:]
                self._show_string(held=True)
                return -1
            escaped = True
            i = end

    def _take(self, raw: str, escaped: bool) -> bool:
        """Decode ``raw`` (whole characters and escapes of the open string) and append it.
        False (and the legacy state) when jiter rejects it."""
        if not raw:
            return True
        if escaped:
            try:
                text = jiter.from_json(f'"{raw}"'.encode())
            except ValueError:
                self._state = _LEGACY
                return False
        else:
            text = raw
        self._str_parts.append(text)
        self._str_len += len(text)
        # the trailing run of number characters in the raw text, as _hold_back_number sees it
        core = raw.rstrip(_NUMBER_CHARS)
        if core:
            self._run_len = len(raw) - len(core)
            last = core[-1]
            self._run_after_word = last.isalnum() or last == "_"
        else:
            self._run_len += len(raw)
        return True

    def _show_string(self, held: bool) -> None:
        """Update the shown length of an open value string at the end of the text (``held``:
        an unfinished escape ends the text, which jiter does not show)."""
        if self._state != _STRING or self._is_key:
            return
        shown = self._str_len
        if not held and not self._run_after_word:
            shown -= self._run_len  # plain characters: one per raw character
        if shown > self._shown:
            self._shown = shown
            self._dirty = True

    def _end_string(self, i: int) -> int:
        """The closing quote was read; ``i`` is the index after it."""
        value = "".join(self._str_parts)
        self._str_parts = []
        if self._is_key:
            container = self._objs[-1]
            if value in container:  # jiter keeps the last value: not an extension
                self._state = _LEGACY
                return -1
            self._keys[-1] = value
            self._state = _COLON
        else:
            if len(value) > self._shown:
                self._dirty = True
            self._add(value)
        return i

    # -- partials ------------------------------------------------------------------------------

    def _emit(self) -> dict[str, object]:
        """The new partial: copies of the open containers, each holding the next one."""
        self._dirty = False
        self._since = 0
        if self._state == _DONE:
            assert self._root is not None
            self._last = self._root
            return self._root
        child: object = _ABSENT
        if self._state == _STRING and not self._is_key:
            text = "".join(self._str_parts)
            self._str_parts = [text]
            child = text[: self._shown]
        keys = self._keys
        for index in range(len(self._objs) - 1, -1, -1):
            copy = self._objs[index].copy()
            if child is not _ABSENT:
                if isinstance(copy, list):
                    copy.append(child)
                else:
                    copy[keys[index]] = child
            child = copy
        assert isinstance(child, dict)
        self._last = child
        return child

    def _reparse(self) -> dict[str, object] | None:
        """The whole-text parse (the legacy state): jiter's value, if it extends the last."""
        try:
            value = jiter.from_json(
                _hold_back_number(self.text).encode(), partial_mode="trailing-strings"
            )
        except ValueError:
            return None
        if not isinstance(value, dict) or value == self._last:
            return None
        if self._last is not None and not extends(self._last, value):
            return None
        self._last = value
        return value


def _escape_end(buf: str, i: int) -> int:
    """The index after the escape at ``buf[i]`` (a backslash), with the low half of a
    surrogate pair; 0 when it is unfinished at the end of ``buf``; -1 when it is not valid
    JSON (or not the ``\\uXXXX`` a high surrogate needs after it: jiter decides)."""
    n = len(buf)
    if i + 1 >= n:
        return 0
    kind = buf[i + 1]
    if kind in '"\\/bfnrt':
        return i + 2
    if kind != "u":
        return -1
    digits = _HEX.match(buf, i + 2, i + 6).end() - (i + 2)  # type: ignore[union-attr]
    if i + 2 + digits < min(n, i + 6):
        return -1
    if digits < 4:
        return 0
    if not 0xD800 <= int(buf[i + 2 : i + 6], 16) <= 0xDBFF:
        return i + 6
    low = buf[i + 6 : i + 12]  # a high surrogate: the pair is decoded together
    if not "\\u".startswith(low[:2]):
        return -1
    if len(low) > 2 and _HEX.match(low, 2).end() < len(low):  # type: ignore[union-attr]
        return -1
    return i + 12 if len(low) == 6 else 0
