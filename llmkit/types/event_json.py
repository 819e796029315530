"""Stream events from JSON: the inverse of :func:`~llmkit.types.events.event_to_dict`.

:func:`event_from_dict` reads the dict that ``event_to_dict`` writes (or the same dict after a
``json.dumps`` / ``json.loads`` round trip) back into the event, with the exact types the
dataclass declares: a ``datetime`` from its ISO 8601 text, a ``Decimal`` cost from its exact
string, :class:`~llmkit.types.usage.Usage` and :class:`~llmkit.types.warnings.CallWarning`
objects from their dicts, tuples where the event has tuples, ``float`` where it has floats.
So ``event_from_dict(json.loads(event_to_json(e))) == e`` for every event whose free-form values
(``args``, ``result``, ``raw``, ``provider_metadata``) are JSON values (a tuple inside them comes
back as a list, as JSON has no tuples).

The reader is driven by the event classes' own type annotations, so an event class added to the
:data:`~llmkit.types.events.StreamEvent` union is read without a change here.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from llmkit.errors import InvalidArgumentError
from llmkit.types import events as _events

__all__ = ["event_from_dict", "event_from_json"]

_HOW = (
    "pass the dict that llmkit.types.events.event_to_dict wrote (or its JSON from "
    "event_to_json), unchanged"
)


class _Problem(Exception):
    """A field that cannot be read: ``where`` is its dotted path, ``what`` the reason."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what


@functools.cache
def _event_classes() -> dict[str, type]:
    """Every class of the StreamEvent union by its ``type`` value."""
    out: dict[str, type] = {}
    for cls in typing.get_args(_events.StreamEvent):
        type_field = next(f for f in dataclasses.fields(cls) if f.name == "type")
        out[str(type_field.default)] = cls
    return out


@functools.cache
def _hints(cls: type) -> dict[str, object]:
    """The resolved field annotations of a dataclass (``from __future__`` strings evaluated;
    names a module imports only for type checking, such as ``Decimal``, supplied here)."""
    extra = {"Decimal": Decimal, "datetime": datetime, "Mapping": Mapping}
    return typing.get_type_hints(cls, localns=extra)


def _kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), "an array" if isinstance(value, list) else "an object"
    )


def _convert(value: object, hint: object, where: str) -> object:
    """``value`` (a JSON value) as the type ``hint`` says, or :class:`_Problem`."""
    origin = typing.get_origin(hint)
    if hint is object:
        return value
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(hint)
        if value is None:
            if type(None) in options:
                return None
            raise _Problem(where, "is null, which this field does not take")
        present = [option for option in options if option is not type(None)]
        if len(present) == 1:  # X | None: X's own problem, at its own depth
            return _convert(value, present[0], where)
        problems = []
        for option in present:
            try:
                return _convert(value, option, where)
            except _Problem as exc:
                problems.append(exc.what)
        raise _Problem(where, " or ".join(dict.fromkeys(problems)))
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value in allowed and isinstance(value, str):
            return value
        raise _Problem(where, f"is {value!r}, expected one of {', '.join(map(repr, allowed))}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise _Problem(where, f"is {_kind(value)}, expected a string")
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _Problem(where, f"is {_kind(value)}, expected true or false")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Problem(where, f"is {_kind(value)}, expected an integer")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _Problem(where, f"is {_kind(value)}, expected a number")
    if hint is datetime:
        return _datetime(value, where)
    if hint is Decimal:
        return _decimal(value, where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise _Problem(where, f"is {_kind(value)}, expected an array")
        (item, _ellipsis) = typing.get_args(hint)
        return tuple(_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is Mapping or origin is dict:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise _Problem(where, f"is {_kind(value)}, expected an object")
        _key, item = typing.get_args(hint)
        return {k: _convert(v, item, f"{where}.{k}") for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise _Problem(where, f"is {_kind(value)}, expected an object")
        return _build(hint, value, where)
    raise _Problem(where, f"has a type llmkit cannot read from JSON ({hint!r})")


def _datetime(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise _Problem(where, f"is {_kind(value)}, expected an ISO 8601 date-time string")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _Problem(where, f"is {value!r}, not an ISO 8601 date-time") from None


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Problem(where, f"is {_kind(value)}, expected an exact decimal string ('0.0042')")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _Problem(where, f"is {value!r}, not a decimal number") from None
    if not number.is_finite():
        raise _Problem(where, f"is {value!r}, not a finite decimal number")
    return number


def _build(cls: type, data: Mapping[str, object], where: str) -> object:
    """An instance of the dataclass ``cls`` from ``data`` (its init fields, by name)."""
    hints = _hints(cls)
    init = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in init and not (k == "type" and "type" not in init)]
    if unknown:
        raise _Problem(
            f"{where}.{unknown[0]}",
            f"is not a field of {cls.__name__} (its fields: {', '.join(init)})",
        )
    values: dict[str, object] = {}
    for name, f in init.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _Problem(f"{where}.{name}", "is missing")
            continue
        values[name] = _convert(data[name], hints[name], f"{where}.{name}")
    return cls(**values)


def event_from_dict(data: Mapping[str, object]) -> _events.StreamEvent:
    """The stream event a dict describes: the inverse of
    :func:`~llmkit.types.events.event_to_dict`.

    Args:
        data: a dict with the event's ``type`` (``"text_delta"``, ``"finish"``...) and its
            fields by name, as ``event_to_dict`` writes it (after ``json.loads`` too). Fields
            with a default may be left out. ``created`` is an ISO 8601 string, ``usage`` an
            object of :class:`~llmkit.types.usage.Usage` fields with ``cost`` as an exact
            decimal string (USD), ``warnings`` an array of
            :class:`~llmkit.types.warnings.CallWarning` objects.

    Returns:
        The event, with the types its class declares (``datetime``, ``Decimal``, tuples,
        ``Usage``); equal to the event ``event_to_dict`` was given when its free-form values
        were JSON values.

    Raises:
        InvalidArgumentError: ``type`` is missing or names no event, a required field is
            missing, a field has a wrong type or value, or the dict has a field the event does
            not have. The message and ``problems`` name the field (``finish.usage.cost``).
    """
    if not isinstance(data, Mapping):
        problem = f"event: is {_kind(data)}, expected an object"
        raise InvalidArgumentError(
            f"cannot read a stream event: {problem}; {_HOW}", problems=[problem]
        )
    kind = data.get("type")
    classes = _event_classes()
    cls = classes.get(kind) if isinstance(kind, str) else None
    if cls is None:
        what = "is missing" if "type" not in data else f"is {kind!r}, which names no event"
        problem = f"type: {what} (known: {', '.join(sorted(classes))})"
        raise InvalidArgumentError(
            f"cannot read a stream event: {problem}; {_HOW}, or upgrade llmkit if a newer "
            "version wrote it",
            problems=[problem],
        )
    try:
        event = _build(cls, data, str(kind))
    except _Problem as exc:
        raise InvalidArgumentError(
            f"cannot read a {kind!r} stream event: {exc.where}: {exc.what}; {_HOW}",
            problems=[f"{exc.where}: {exc.what}"],
        ) from None
    return typing.cast(_events.StreamEvent, event)


def event_from_json(text: str | bytes) -> _events.StreamEvent:
    """The stream event a JSON text describes: the inverse of
    :func:`~llmkit.types.events.event_to_json`.

    Args:
        text: one JSON object (str, or UTF-8 bytes).

    Returns:
        The event (see :func:`event_from_dict`).

    Raises:
        InvalidArgumentError: the text is not JSON, or the object is not an event (see
            :func:`event_from_dict`).
    """
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise InvalidArgumentError(
            f"cannot read a stream event: the text is not JSON ({exc}); {_HOW}",
            problems=[f"event: not JSON ({exc})"],
        ) from exc
    return event_from_dict(data)
