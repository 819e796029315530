"""The shape of a final value: :class:`Output`, made from a type, a JSON Schema or a constructor.

One ``Output`` describes what a structured-output call (``generate_object`` / ``stream_object``
``schema=``, and the ``output=`` setting of the text calls) must produce, and turns what the
model wrote into the typed value:

- :attr:`Output.schema` is the JSON Schema to send: always an object, because providers need
  one at the root (OpenAI "Structured Outputs", "Supported schemas"; Anthropic tool
  ``input_schema``). An object shape (a pydantic model, a dataclass, a ``TypedDict``, a JSON
  Schema whose root is an object) is sent as it is; any other shape is wrapped in an object with
  one required property, :attr:`Output.wrapper`: ``elements`` for a list, ``result`` for a
  choice, ``value`` for anything else (the names of the Vercel AI SDK's ``output: "array"`` and
  ``"enum"`` strategies; pydantic-ai wraps the same way, in ``response``).
- :meth:`Output.from_arguments` (a tool call's parsed arguments) and :meth:`Output.from_text`
  (JSON text) unwrap and validate, raising :class:`~llmkit.errors.NoObjectGeneratedError`.

Nothing here imports pydantic or jsonschema until an ``Output`` is built.
"""

from __future__ import annotations

import builtins
import collections.abc
import inspect
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from enum import Enum
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    overload,
)

from llmkit.errors import ConfigurationError, NoObjectGeneratedError

if TYPE_CHECKING:
    from typing import TypeAlias

    from pydantic import JsonValue
    from typing_extensions import TypeForm

    from llmkit._object_schema import ValueValidator

__all__ = [
    "WRAPPER_KEYS",
    "Output",
    "OutputKind",
    "OutputLike",
    "error_summary",
    "to_output",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
E = TypeVar("E")
S = TypeVar("S", bound=str)
EnumT = TypeVar("EnumT", bound=Enum)

OutputKind = Literal["object", "array", "choice", "value"]
"""What an :class:`Output` holds: ``object`` (sent unwrapped), ``array`` (a list, wrapped in
``elements``), ``choice`` (one of fixed values, wrapped in ``result``) or ``value`` (any other
value, wrapped in ``value``)."""

WRAPPER_KEYS: Final[Mapping[str, str]] = {"array": "elements", "choice": "result", "value": "value"}
"""The property that wraps each non-object kind."""

_ARRAY_ORIGINS = (
    list,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.MutableSet,
)
_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)


def error_summary(errors: Sequence[Mapping[str, object]]) -> str:
    """``"no object generated: <loc>: <msg>; ..."`` for the first five problems."""

    def where(loc: object) -> str:
        return ".".join(str(p) for p in loc) if isinstance(loc, tuple) and loc else "(root)"

    shown = "; ".join(f"{where(e.get('loc'))}: {e.get('msg')}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"no object generated: {shown}{more}"


def _candidates(text: str) -> Iterator[str]:
    """``text``, then the contents of its Markdown code fences (```` ```json ... ``` ````),
    searched only when asked for."""
    yield text
    for match in _FENCE.finditer(text):
        yield match.group(1)


class Output(Generic[T_co]):
    """The shape of a final value, the JSON Schema sent for it, and how it is validated.

    Build one with :func:`to_output` (a type or a JSON Schema dict, as ``schema=`` and
    ``output=`` take them) or a constructor: :meth:`object`, :meth:`array`, :meth:`choice`,
    :meth:`value`. ``Output[T]`` is typed by the value it gives: ``Output.array(Contact)`` is
    an ``Output[list[Contact]]``. An ``Output`` is immutable and can be reused across calls.

    Attributes:
        kind: ``object``, ``array``, ``choice`` or ``value`` (:data:`OutputKind`).
        schema: the JSON Schema to send (a JSON object, root ``type: object``); for a non-object
            kind, ``{"type": "object", "properties": {<wrapper>: <the value's schema>},
            "required": [<wrapper>], "additionalProperties": false}`` with any ``$defs`` at
            the root. Protocols adapt it further where they need to (OpenAI strict mode:
            :func:`llmkit.protocols.openai_chat.response_format.strict_json_schema`).
        name: the schema's name, ``^[a-zA-Z0-9_-]{1,64}$`` (OpenAI ``json_schema.name``, or a
            tool's name): the given name, else the class name or the schema's ``title`` for
            an object, the enum's class name for an ``Enum`` choice, else ``response``.
        description: what the value is for, or None.
        wrapper: the wrapping property (``elements``, ``result``, ``value``: see
            :data:`WRAPPER_KEYS`), or None for an object.
    """

    __slots__ = ("_element", "_item", "_validator", "description", "kind", "name", "schema")

    kind: OutputKind
    schema: dict[str, JsonValue]
    name: str
    description: str | None

    def __init__(
        self,
        *,
        kind: OutputKind,
        schema: dict[str, JsonValue],
        name: str,
        description: str | None,
        validator: ValueValidator,
        item: builtins.object = None,
    ) -> None:
        """Internal: use :func:`to_output` or the constructors (:meth:`object`...)."""
        self.kind = kind
        self.schema = schema
        self.name = name
        self.description = description
        self._validator = validator
        self._item = item  # an array's item type (or raw items schema), for from_element
        self._element: ValueValidator | None = None

    @property
    def wrapper(self) -> str | None:
        """The property a non-object value is wrapped in (``elements``, ``result`` or
        ``value``), or None for an object."""
        return None if self.kind == "object" else WRAPPER_KEYS[self.kind]

    def __repr__(self) -> str:
        return f"Output(kind={self.kind!r}, name={self.name!r})"

    # -- constructors -----------------------------------------------------------------------

    @overload
    @staticmethod
    def object(
        shape: Mapping[str, builtins.object],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Output[dict[str, builtins.object]]: ...
    @overload
    @staticmethod
    def object(
        shape: TypeForm[T], *, name: str | None = None, description: str | None = None
    ) -> Output[T]: ...
    @staticmethod
    def object(
        shape: TypeForm[T] | Mapping[str, builtins.object],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Output[T] | Output[dict[str, builtins.object]]:
        """An object: a pydantic model, a dataclass, a ``TypedDict``, or a JSON Schema whose
        root is an object (the value is then a ``dict``). Sent unwrapped.

        Args:
            shape: the type or the JSON Schema dict.
            name: the schema name (default: the class name or the schema's ``title``).
            description: what the object is for.

        Raises:
            ConfigurationError: ``shape`` is not an object (use :meth:`array` or
                :meth:`value`), or no JSON Schema can be built for it.
        """
        output: Output[Any] = to_output(shape, name=name, description=description)
        if output.kind != "object":
            raise ConfigurationError(
                f"{shape!r} is not a JSON object: use Output.array(...) for a list or "
                "Output.value(...) for any other value"
            )
        return output

    @overload
    @staticmethod
    def array(
        item: Mapping[str, builtins.object],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Output[list[builtins.object]]: ...
    @overload
    @staticmethod
    def array(
        item: TypeForm[E], *, name: str | None = None, description: str | None = None
    ) -> Output[list[E]]: ...
    @staticmethod
    def array(
        item: TypeForm[E] | Mapping[str, builtins.object],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Output[list[E]] | Output[list[builtins.object]]:
        """A list of ``item`` values, sent as ``{"elements": [...]}``.

        ``stream_object`` then also has ``element_stream``: each element once complete and
        validated.

        Args:
            item: the element type (``Contact``, ``str``, ``Literal[...]``...) or the JSON
                Schema of one element (the value is then a list of plain JSON values).
            name: the schema name (default ``response``).
            description: what the list is for.

        Raises:
            ConfigurationError: no JSON Schema can be built for ``item``.
        """
        if isinstance(item, Mapping):
            from llmkit._object_schema import json_copy

            raw: dict[str, builtins.object] = {"type": "array", "items": json_copy(item)}
            return _from_schema(raw, name, description, force="array")  # type: ignore[return-value]
        return _from_type(list[item], name, description, force="array")  # type: ignore[valid-type]

    @overload
    @staticmethod
    def choice(
        options: type[EnumT], *, name: str | None = None, description: str | None = None
    ) -> Output[EnumT]: ...
    @overload
    @staticmethod
    def choice(
        options: Sequence[S], *, name: str | None = None, description: str | None = None
    ) -> Output[S]: ...
    @staticmethod
    def choice(
        options: Sequence[S] | type[EnumT],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Output[S] | Output[EnumT]:
        """One of fixed values, sent as ``{"result": "<option>"}``. ``stream_object`` yields
        no partial choice, only the final one.

        Args:
            options: the allowed strings (at least one, no duplicates), or an ``Enum`` class
                (the value is then its member).
            name: the schema name (default: the enum's class name, else ``response``).
            description: what the choice is about.

        Raises:
            ConfigurationError: no options, an option that is not a string, or a duplicate.
        """
        if isinstance(options, type):
            if not issubclass(options, Enum):
                raise ConfigurationError(
                    f"Output.choice takes strings or an Enum class, not {options!r}"
                )
            return _from_type(options, name, description, force="choice")
        values = list(options) if not isinstance(options, str) else [options]
        if not values or not all(isinstance(v, str) for v in values):
            raise ConfigurationError(
                f"Output.choice needs a list of one or more strings, got {options!r}"
            )
        if len(set(values)) != len(values):
            raise ConfigurationError(f"Output.choice got duplicate options: {values!r}")
        literal = Literal[tuple(values)]  # type: ignore[valid-type]
        return _from_type(literal, name, description, force="choice")

    @overload
    @staticmethod
    def value(
        shape: Mapping[str, builtins.object],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Output[builtins.object]: ...
    @overload
    @staticmethod
    def value(
        shape: TypeForm[T], *, name: str | None = None, description: str | None = None
    ) -> Output[T]: ...
    @staticmethod
    def value(
        shape: TypeForm[T] | Mapping[str, builtins.object],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Output[T] | Output[builtins.object]:
        """Any value, always sent wrapped as ``{"value": ...}`` (an ``int``, a ``str``, a
        union, a tuple, or an object that should be wrapped too).

        Args:
            shape: the type or the JSON Schema dict.
            name: the schema name (default ``response``).
            description: what the value is for.

        Raises:
            ConfigurationError: no JSON Schema can be built for ``shape``.
        """
        if isinstance(shape, Mapping):
            return _from_schema(shape, name, description, force="value")
        return _from_type(shape, name, description, force="value")

    def named(self, name: str | None = None, description: str | None = None) -> Output[T_co]:
        """A copy with another name and/or description (None keeps the current one)."""
        from llmkit._object_schema import schema_name

        copy = Output.__new__(Output)
        for slot in Output.__slots__:
            setattr(copy, slot, getattr(self, slot))
        if name is not None:
            copy.name = schema_name(name, None)
        if description is not None:
            copy.description = description
        return copy

    # -- validation ---------------------------------------------------------------------------

    def from_text(self, text: str) -> T_co:
        """The validated value of JSON text (the response text, or a tool call's arguments).

        Lenient where models are: the JSON may sit in a Markdown code fence (```` ```json ```` ...
        ```` ``` ````, also after some prose); for a wrapped kind, the bare value is accepted
        too (``["a", "b"]`` for ``{"elements": ["a", "b"]}``), and for a choice, the option
        written as plain text (``positive``).

        Args:
            text: the model's output.

        Returns:
            The value: an instance of the type, a ``dict`` for an object JSON Schema, the
            unwrapped value for the other kinds.

        Raises:
            NoObjectGeneratedError: the text is empty, is not JSON, or does not match
                (``.text`` is ``text``; ``.errors`` has ``loc`` paths into what the model
                wrote, the wrapper included).
        """
        from llmkit._object_schema import InvalidObject

        try:
            return self._parse(text)  # type: ignore[return-value]
        except InvalidObject as exc:
            raise NoObjectGeneratedError(
                error_summary(exc.errors), text=text, errors=exc.errors
            ) from None

    def from_arguments(self, arguments: Mapping[str, builtins.object]) -> T_co:
        """The validated value of a tool call's parsed arguments (the ``args`` of a
        ``tool_call`` event for the tool offered with :attr:`schema`).

        Args:
            arguments: the arguments object (for a wrapped kind, ``{wrapper: value}``; the
                bare value's fields are accepted too when the value is an object).

        Raises:
            NoObjectGeneratedError: the arguments do not match (``.text`` is their JSON).
        """
        try:
            text = json.dumps(arguments, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise NoObjectGeneratedError(
                f"no object generated: the arguments are not JSON: {exc}",
                text=repr(arguments),
                errors=[{"loc": (), "msg": str(exc), "type": "json_invalid"}],
            ) from None
        return self.from_text(text)

    def from_element(self, element: builtins.object) -> builtins.object:
        """One validated element of an array (a parsed JSON value: one item of a partial
        list), as ``stream_object``'s ``element_stream`` gives it.

        Raises:
            TypeError: this output is not an array.
            NoObjectGeneratedError: the element does not match the item schema.
        """
        from llmkit._object_schema import InvalidObject

        if self.kind != "array":
            raise TypeError(f"from_element is for array outputs, not {self.kind}")
        validator = self._element
        if validator is None:
            validator = self._element = _item_validator(self)
        text = json.dumps(element, ensure_ascii=False)
        try:
            return validator.validate_json(text)
        except InvalidObject as exc:
            raise NoObjectGeneratedError(
                "no object generated: an element does not match: "
                + error_summary(exc.errors).removeprefix("no object generated: "),
                text=text,
                errors=exc.errors,
            ) from None

    def _parse(self, text: str) -> builtins.object:
        """The validated, unwrapped value (see :meth:`from_text`).

        Raises:
            InvalidObject: with the problems.
        """
        from llmkit._object_schema import InvalidObject

        if not text.strip():
            raise InvalidObject([{"loc": (), "msg": "the output is empty", "type": "no_output"}])
        key = self.wrapper
        if key is None:  # validated straight from the text: one parse
            try:
                return self._validator.validate_json(text)
            except InvalidObject as exc:
                if any(e.get("type") != "json_invalid" for e in exc.errors):
                    raise
                for block in itertools.islice(_candidates(text), 1, None):
                    try:
                        json.loads(block)
                    except ValueError:
                        continue
                    return self._validator.validate_json(block)
                raise
        source: str | None = None
        parsed: builtins.object = None
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
            if self.kind == "choice":
                try:
                    return self._bare(json.dumps(text.strip().strip("\"'`")), key)
                except InvalidObject:
                    pass
            raise InvalidObject(
                [{"loc": (), "msg": f"invalid JSON: {first_error}", "type": "json_invalid"}]
            )
        if not (isinstance(parsed, dict) and key in parsed):
            try:
                return self._bare(source, key)
            except InvalidObject:
                if not isinstance(parsed, dict):
                    raise
        value = self._validator.validate_json(source)
        assert isinstance(value, dict)
        return value[key]

    def _bare(self, source: str, key: str | None) -> builtins.object:
        """Validate the JSON ``source`` as the bare (unwrapped) value; error paths as written."""
        from llmkit._object_schema import InvalidObject

        try:
            value = self._validator.validate_json(f'{{"{key}": {source}}}')
        except InvalidObject as exc:
            raise InvalidObject(
                [{**e, "loc": _unprefixed(e.get("loc"), key)} for e in exc.errors]
            ) from None
        assert isinstance(value, dict)
        return value[key]


def _unprefixed(loc: builtins.object, key: str | None) -> builtins.object:
    if isinstance(loc, tuple) and loc[:1] == (key,):
        return loc[1:]
    return loc


OutputLike: TypeAlias = Union["Output[object]", Mapping[str, object], "TypeForm[object]"]
"""What ``schema=`` (``generate_object``, ``stream_object``) and ``output=`` (the text calls)
take: an :class:`Output`, a JSON Schema dict, or a type (a pydantic model, a dataclass, a
``TypedDict``, ``list[X]``, ``Literal[...]``, an ``Enum``, ``int``, a union...)."""


@overload
def to_output(
    value: Output[T], *, name: str | None = None, description: str | None = None
) -> Output[T]: ...
@overload
def to_output(
    value: Mapping[str, object], *, name: str | None = None, description: str | None = None
) -> Output[object]: ...
@overload
def to_output(
    value: TypeForm[T], *, name: str | None = None, description: str | None = None
) -> Output[T]: ...
def to_output(
    value: Output[T] | Mapping[str, object] | TypeForm[T],
    *,
    name: str | None = None,
    description: str | None = None,
) -> Output[T] | Output[object]:
    """The :class:`Output` for a type, a JSON Schema dict or an ``Output``.

    - a pydantic model, a dataclass, a ``TypedDict``: an ``object`` (an instance of it);
    - a JSON Schema whose root is an object: an ``object`` (a ``dict``);
    - ``list[X]`` (``Sequence[X]``, ``set[X]``, ``tuple[X, ...]``) or ``{"type": "array"}``: an
      ``array`` (a ``list[X]``, or the type's own container);
    - ``Literal["a", "b"]``, an ``Enum`` class or ``{"enum": [...]}``: a ``choice`` (the option,
      or the enum member);
    - anything else (``int``, ``str``, ``bool``, a union, ``tuple[int, str]``...): a ``value``
      (an instance of the type);
    - an ``Output``: itself (a renamed copy when ``name`` or ``description`` is given).

    Args:
        value: the shape.
        name: the schema name (see :attr:`Output.name` for the default).
        description: what the value is for.

    Raises:
        ConfigurationError: ``value`` cannot be an output (None, a string, a number, a list of
            values, a function...: pass a type, a JSON Schema dict or an ``Output``), no JSON
            Schema can be built for it, or the JSON Schema is invalid.
    """
    if isinstance(value, Output):
        return value.named(name, description) if name or description else value
    if isinstance(value, Mapping):
        return _from_schema(value, name, description, force=None)
    if (
        value is None
        or isinstance(value, (str, bytes, int, float, list, tuple, set, dict))
        or inspect.isroutine(value)
    ):
        raise ConfigurationError(
            f"{value!r} cannot be an output: pass a type (a pydantic model, list[str], "
            "Literal['a', 'b'], int...), a JSON Schema dict, or an llmkit.Output "
            "(Output.choice([...]) for a list of options)"
        )
    return _from_type(value, name, description, force=None)


def _kind_of_type(tp: builtins.object) -> tuple[OutputKind | None, builtins.object]:
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


def _from_type(
    tp: builtins.object, name: str | None, description: str | None, force: OutputKind | None
) -> Output[Any]:
    from llmkit._object_schema import (
        TypeValidator,
        root_is_object,
        schema_name,
        type_adapter,
        wrapped_type_adapter,
    )

    kind, item = _kind_of_type(tp)
    if force == "array":
        item = get_args(tp)[0]
    kind = force or kind
    if kind is None:
        adapter, schema = type_adapter(tp)
        if root_is_object(schema):
            return Output(
                kind="object",
                schema=schema,
                name=schema_name(name, getattr(tp, "__name__", None)),
                description=description,
                validator=TypeValidator(adapter),
            )
        kind = "value"
    adapter, schema = wrapped_type_adapter(tp, WRAPPER_KEYS[kind])
    derived = tp.__name__ if isinstance(tp, type) and issubclass(tp, Enum) else None
    return Output(
        kind=kind,
        schema=schema,
        name=schema_name(name, derived),
        description=description,
        validator=TypeValidator(adapter),
        item=item,
    )


def _from_schema(
    raw: Mapping[str, object], name: str | None, description: str | None, force: OutputKind | None
) -> Output[object]:
    from llmkit._object_schema import (
        RawValidator,
        json_copy,
        root_is_object,
        schema_name,
        wrap_schema,
    )

    schema = json_copy(raw)
    RawValidator(schema)  # the schema as given must be valid
    title = schema.get("title")
    if force is None and root_is_object(schema):
        return Output(
            kind="object",
            schema=schema,
            name=schema_name(name, title),
            description=description,
            validator=RawValidator(schema),
        )
    kind: OutputKind = force or "value"
    if force is None and schema.get("type") == "array" and "prefixItems" not in schema:
        kind = "array"
    elif force is None and isinstance(schema.get("enum"), list):
        kind = "choice"
    wrapped = wrap_schema(schema, WRAPPER_KEYS[kind])
    return Output(
        kind=kind,
        schema=wrapped,
        name=schema_name(name, title),
        description=description,
        validator=RawValidator(wrapped),
    )


def _item_validator(output: Output[object]) -> ValueValidator:
    """The validator of one element of an array output."""
    from llmkit._object_schema import RawValidator, TypeValidator, type_adapter

    validator = output._validator
    if isinstance(validator, RawValidator):
        properties = output.schema["properties"]
        assert isinstance(properties, dict)
        array = properties["elements"]
        items = array.get("items", True) if isinstance(array, dict) else True
        return validator.sub(items if isinstance(items, dict) else {} if items else {"not": {}})
    adapter, _ = type_adapter(output._item)
    return TypeValidator(adapter)
