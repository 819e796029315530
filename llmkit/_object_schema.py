"""JSON Schemas of structured output and how a value is validated against them.

The building blocks of :class:`llmkit.Output`: a Python type that pydantic can describe is
validated by a pydantic ``TypeAdapter`` (in JSON mode, from the text); a raw JSON Schema (a
mapping) by the ``jsonschema`` library with the validator class of its ``$schema`` (Draft
2020-12 when it names none). Both report problems the same way (:class:`InvalidObject`).

Providers need an object at the root (OpenAI Structured Outputs, "Supported schemas": "the root
level object must be an object"; Anthropic tool ``input_schema``; Gemini function parameters), so
other shapes are sent wrapped in an object with one required property (:func:`wrap_schema`,
:func:`wrapped_type_schema`).
"""

from __future__ import annotations

import collections.abc
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, cast, get_args, get_origin

from llmkit.errors import ConfigurationError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from pydantic import JsonValue, TypeAdapter

__all__ = [
    "WRAPPER_KEYS",
    "InvalidObject",
    "OutputKind",
    "RawValidator",
    "Shape",
    "TypeValidator",
    "ValueValidator",
    "item_validator",
    "json_copy",
    "parse_value",
    "root_is_object",
    "schema_name",
    "shape_of_schema",
    "shape_of_type",
    "type_adapter",
    "wrap_schema",
    "wrapped_type_adapter",
]

_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")
_DEFS = ("$defs", "definitions")
_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
_ARRAY_ORIGINS = (
    list,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.MutableSet,
)

OutputKind = Literal["object", "array", "choice", "value"]
"""What an output holds: ``object`` (sent unwrapped), ``array`` (a list, wrapped in
``elements``), ``choice`` (one of fixed values, wrapped in ``result``) or ``value`` (any other
value, wrapped in ``value``)."""

WRAPPER_KEYS: Final[Mapping[str, str]] = {"array": "elements", "choice": "result", "value": "value"}
"""The property that wraps each non-object kind."""


class InvalidObject(Exception):
    """The output failed validation; ``errors`` are ``{"loc", "msg", "type"}`` mappings."""

    def __init__(self, errors: list[dict[str, object]]) -> None:
        super().__init__(errors)
        self.errors = errors


def schema_name(explicit: str | None, derived: object) -> str:
    """``explicit`` with characters outside ``[a-zA-Z0-9_-]`` replaced by ``_`` (at most 64);
    else the same of ``derived`` (a class name or title) without leading and trailing ``_``;
    else ``response``."""
    if explicit:
        return _NAME_CHARS.sub("_", explicit)[:64]
    name = _NAME_CHARS.sub("_", derived).strip("_")[:64] if isinstance(derived, str) else ""
    return name or "response"


def root_is_object(schema: Mapping[str, object]) -> bool:
    """True when the schema's root (after a local ``$ref``) describes a JSON object."""
    node: object = schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        return False
    return node.get("type") == "object" or "properties" in node


def _json_error(exc: ValueError) -> InvalidObject:
    return InvalidObject([{"loc": (), "msg": f"invalid JSON: {exc}", "type": "json_invalid"}])


class ValueValidator:
    """Validates JSON text; subclasses for pydantic types and raw JSON Schemas."""

    __slots__ = ()

    def validate_json(self, text: str) -> object:
        """The validated value of ``text``.

        Raises:
            InvalidObject: ``text`` is not JSON or does not match.
        """
        raise NotImplementedError


def type_adapter(tp: Any) -> tuple[TypeAdapter[Any], dict[str, JsonValue]]:
    """A pydantic ``TypeAdapter`` for ``tp`` and its JSON Schema.

    Raises:
        ConfigurationError: pydantic cannot describe ``tp``.
    """
    from pydantic import TypeAdapter

    try:
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        schema = cast("dict[str, JsonValue]", adapter.json_schema())
    except Exception as exc:  # pydantic raises several error types for unusable types
        raise ConfigurationError(
            f"cannot build a JSON Schema for {tp!r}: {exc}. Pass a pydantic model, a "
            "dataclass, a TypedDict, a type such as list[str] or Literal['a', 'b'], or a JSON "
            "Schema dict."
        ) from exc
    return adapter, schema


def wrapped_type_adapter(tp: object, key: str) -> tuple[TypeAdapter[Any], dict[str, JsonValue]]:
    """A ``TypeAdapter`` for ``{key: tp}`` (a TypedDict with one required key) and the wrapped
    JSON Schema: ``{"type": "object", "properties": {key: <schema of tp>}, "required": [key],
    "additionalProperties": false}``, with pydantic's ``$defs`` at the root.

    Raises:
        ConfigurationError: pydantic cannot describe ``tp``.
    """
    from typing_extensions import TypedDict

    wrapper = TypedDict("wrapper", {key: tp})  # type: ignore[misc]
    adapter, schema = type_adapter(wrapper)
    inner = cast("dict[str, JsonValue]", cast("dict[str, Any]", schema["properties"])[key])
    if inner.get("title") == key.replace("_", " ").title():
        inner = {k: v for k, v in inner.items() if k != "title"}  # pydantic's field title
    wrapped: dict[str, JsonValue] = {
        "type": "object",
        "properties": {key: inner},
        "required": [key],
        "additionalProperties": False,
    }
    if "$defs" in schema:
        wrapped["$defs"] = schema["$defs"]
    return adapter, wrapped


def _rewrite_refs(node: object, prefix: str, keep: tuple[str, ...]) -> object:
    """``node`` with every local ``$ref`` outside ``keep`` moved under ``prefix``."""
    if isinstance(node, dict):
        out: dict[str, object] = {}
        for key, value in node.items():
            if (
                key == "$ref"
                and isinstance(value, str)
                and (value == "#" or value.startswith("#/"))
                and not value.startswith(keep)
            ):
                out[key] = "#" + prefix + value[1:]
            else:
                out[key] = _rewrite_refs(value, prefix, keep)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix, keep) for item in node]
    return node


def wrap_schema(inner: Mapping[str, JsonValue], key: str) -> dict[str, JsonValue]:
    """``{"type": "object", "properties": {key: inner}, "required": [key],
    "additionalProperties": false}`` for a raw JSON Schema: its ``$schema`` and definitions
    (``$defs``, ``definitions``) move to the root, and its other local ``$ref`` s (``#``,
    ``#/properties/...``) are rewritten to point under the wrapper."""
    body = {k: v for k, v in inner.items() if k not in ("$schema", *_DEFS)}
    keep = tuple(f"#/{d}/" for d in _DEFS if d in inner)
    body = cast("dict[str, JsonValue]", _rewrite_refs(body, f"/properties/{key}", keep))
    wrapped: dict[str, JsonValue] = {}
    if "$schema" in inner:
        wrapped["$schema"] = inner["$schema"]
    wrapped.update(
        {
            "type": "object",
            "properties": {key: body},
            "required": [key],
            "additionalProperties": False,
        }
    )
    for defs in _DEFS:
        if defs in inner:
            wrapped[defs] = inner[defs]
    return wrapped


def json_copy(schema: Mapping[str, object]) -> dict[str, JsonValue]:
    """A plain-JSON copy of a schema mapping.

    Raises:
        ConfigurationError: the schema is not JSON-serialisable.
    """
    try:
        return cast("dict[str, JsonValue]", json.loads(json.dumps(schema, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"the schema is not JSON-serialisable: {exc}") from exc


class TypeValidator(ValueValidator):
    """pydantic validation in JSON mode (``TypeAdapter.validate_json``)."""

    __slots__ = ("adapter",)

    def __init__(self, adapter: TypeAdapter[Any]) -> None:
        self.adapter = adapter

    def validate_json(self, text: str) -> object:
        from pydantic import ValidationError

        try:
            return self.adapter.validate_json(text)
        except ValidationError as exc:
            raise InvalidObject(
                [
                    {"loc": tuple(e["loc"]), "msg": e["msg"], "type": e["type"]}
                    for e in exc.errors(include_url=False)
                ]
            ) from exc


class RawValidator(ValueValidator):
    """``jsonschema`` validation with the validator class of the schema's ``$schema``."""

    __slots__ = ("validator",)

    def __init__(self, schema: dict[str, JsonValue]) -> None:
        """Check the schema.

        Raises:
            ConfigurationError: it is not a valid JSON Schema.
        """
        from jsonschema import validators
        from jsonschema.exceptions import SchemaError

        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except SchemaError as exc:
            raise ConfigurationError(f"invalid JSON Schema: {exc.message}") from exc
        self.validator: Validator = cls(schema)

    def sub(self, schema: Mapping[str, object]) -> RawValidator:
        """A validator for a subschema (its ``$ref`` s resolve against the whole schema)."""
        sub = object.__new__(RawValidator)
        sub.validator = self.validator.evolve(schema=schema)
        return sub

    def validate_json(self, text: str) -> object:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise _json_error(exc) from exc
        return self.validate_value(value)

    def validate_value(self, value: object) -> object:
        """``value`` (parsed JSON) when it matches.

        Raises:
            InvalidObject: it does not match.
        """
        errors = sorted(
            self.validator.iter_errors(cast("Any", value)), key=lambda e: list(e.absolute_path)
        )
        if errors:
            raise InvalidObject(
                [
                    {"loc": tuple(e.absolute_path), "msg": e.message, "type": str(e.validator)}
                    for e in errors
                ]
            )
        return value


# -- shapes: what an llmkit.Output is built from ------------------------------------------------


class Shape(NamedTuple):
    """The kind, the JSON Schema sent (always an object), the default name, the validator of
    the (wrapped) JSON, and an array's item type (a type, or None for a raw schema)."""

    kind: OutputKind
    schema: dict[str, JsonValue]
    name: str
    validator: ValueValidator
    item: object = None


def _kind_of_type(tp: object) -> tuple[OutputKind | None, object]:
    """The kind a type implies without building its schema (None: object or value, decided
    by its schema), and an array's item type."""
    origin = get_origin(tp)
    args = get_args(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "choice", None
    if origin is Literal:
        return "choice", None
    if tp in (list, set, frozenset) or tp is tuple:
        return "array", Any
    if origin in _ARRAY_ORIGINS and len(args) == 1:
        return "array", args[0]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return "array", args[0]
    return None, None


def shape_of_type(tp: object, name: str | None, force: OutputKind | None) -> Shape:
    """The shape of a type pydantic can describe (``force``: the kind to use instead of the
    one the type implies; ``array`` needs ``list[X]``).

    Raises:
        ConfigurationError: pydantic cannot describe ``tp``.
    """
    kind, item = _kind_of_type(tp)
    if force == "array":
        item = get_args(tp)[0]
    kind = force or kind
    if kind is None:
        adapter, schema = type_adapter(tp)
        if root_is_object(schema):
            derived = getattr(tp, "__name__", None)
            return Shape("object", schema, schema_name(name, derived), TypeValidator(adapter))
        kind = "value"
    adapter, schema = wrapped_type_adapter(tp, WRAPPER_KEYS[kind])
    derived = tp.__name__ if isinstance(tp, type) and issubclass(tp, Enum) else None
    return Shape(kind, schema, schema_name(name, derived), TypeValidator(adapter), item)


def shape_of_schema(raw: Mapping[str, object], name: str | None, force: OutputKind | None) -> Shape:
    """The shape of a raw JSON Schema (``force``: the kind to use instead of the one its root
    implies).

    Raises:
        ConfigurationError: the schema is not JSON-serialisable or not a valid JSON Schema.
    """
    schema = json_copy(raw)
    RawValidator(schema)  # the schema as given must be valid
    derived = schema.get("title")
    if force is None and root_is_object(schema):
        return Shape("object", schema, schema_name(name, derived), RawValidator(schema))
    kind: OutputKind = force or "value"
    if force is None and schema.get("type") == "array" and "prefixItems" not in schema:
        kind = "array"
    elif force is None and isinstance(schema.get("enum"), list):
        kind = "choice"
    wrapped = wrap_schema(schema, WRAPPER_KEYS[kind])
    return Shape(kind, wrapped, schema_name(name, derived), RawValidator(wrapped))


def item_validator(shape: Shape) -> ValueValidator:
    """The validator of one element of an array shape."""
    validator = shape.validator
    if isinstance(validator, RawValidator):
        properties = shape.schema["properties"]
        array = properties.get("elements") if isinstance(properties, dict) else None
        items = array.get("items", True) if isinstance(array, dict) else True
        return validator.sub(items if isinstance(items, dict) else {} if items else {"not": {}})
    adapter, _ = type_adapter(shape.item)
    return TypeValidator(adapter)


def _candidates(text: str) -> Iterator[str]:
    """``text``, then the contents of its Markdown code fences (```` ```json ... ``` ````),
    searched only when asked for."""
    yield text
    for match in _FENCE.finditer(text):
        yield match.group(1)


def parse_value(shape: Shape, text: str) -> object:
    """The validated, unwrapped value of what a model wrote (see ``Output.from_text`` for the
    leniency: code fences, the bare value, a choice as plain text).

    Raises:
        InvalidObject: with the problems.
    """
    if not text.strip():
        raise InvalidObject([{"loc": (), "msg": "the output is empty", "type": "no_output"}])
    validator = shape.validator
    key = None if shape.kind == "object" else WRAPPER_KEYS[shape.kind]
    if key is None:  # validated straight from the text: one parse
        try:
            return validator.validate_json(text)
        except InvalidObject as exc:
            if any(e.get("type") != "json_invalid" for e in exc.errors):
                raise
            for block in itertools.islice(_candidates(text), 1, None):
                try:
                    json.loads(block)
                except ValueError:
                    continue
                return validator.validate_json(block)
            raise
    source: str | None = None
    parsed: object = None
    first_error: ValueError | None = None
    for candidate in _candidates(text):
        try:
            parsed = json.loads(candidate)
        except ValueError as exc:
            first_error = first_error or exc
            continue
        source = candidate
        break
    if source is None:
        if shape.kind == "choice":
            try:
                return _bare(validator, json.dumps(text.strip().strip("\"'`")), key)
            except InvalidObject:
                pass
        raise InvalidObject(
            [{"loc": (), "msg": f"invalid JSON: {first_error}", "type": "json_invalid"}]
        )
    if not (isinstance(parsed, dict) and key in parsed):
        try:
            return _bare(validator, source, key)
        except InvalidObject:
            if not isinstance(parsed, dict):
                raise
    value = validator.validate_json(source)
    assert isinstance(value, dict)
    return value[key]


def _bare(validator: ValueValidator, source: str, key: str) -> object:
    """Validate the JSON ``source`` as the bare (unwrapped) value; error paths as written."""
    try:
        value = validator.validate_json(f'{{"{key}": {source}}}')
    except InvalidObject as exc:
        raise InvalidObject(
            [{**e, "loc": _unprefixed(e.get("loc"), key)} for e in exc.errors]
        ) from None
    assert isinstance(value, dict)
    return value[key]


def _unprefixed(loc: object, key: str) -> object:
    if isinstance(loc, tuple) and loc[:1] == (key,):
        return loc[1:]
    return loc
