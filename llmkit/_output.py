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

Nothing here imports pydantic or jsonschema until an ``Output`` is built; the schema building and
the lenient parsing live in :mod:`llmkit._object_schema`.
"""

from __future__ import annotations

import builtins
import inspect
import json
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, Union, overload

from llmkit._object_schema import (
    WRAPPER_KEYS,
    InvalidObject,
    OutputKind,
    Shape,
    item_validator,
    json_copy,
    parse_value,
    schema_name,
    shape_of_schema,
    shape_of_type,
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


def error_summary(errors: Sequence[Mapping[str, object]]) -> str:
    """``"no object generated: <loc>: <msg>; ..."`` for the first five problems."""

    def where(loc: object) -> str:
        return ".".join(str(p) for p in loc) if isinstance(loc, tuple) and loc else "(root)"

    shown = "; ".join(f"{where(e.get('loc'))}: {e.get('msg')}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"no object generated: {shown}{more}"


class Output(Generic[T_co]):
    """The shape of a final value, the JSON Schema sent for it, and how it is validated.

    Build one with :func:`to_output` (a type or a JSON Schema dict, as ``schema=`` and
    ``output=`` take them) or a constructor: :meth:`object`, :meth:`array`, :meth:`choice`,
    :meth:`value`. ``Output[T]`` is typed by the value it gives: ``Output.array(Contact)`` is
    an ``Output[list[Contact]]``. The calls that use an ``Output`` never change it: build it
    once and reuse it (treat :attr:`schema` as read-only; :meth:`named` gives a renamed copy).

    Using one yourself: send :attr:`schema` as a JSON Schema response format (name
    :attr:`name`, description :attr:`description`) and read the answer with
    :meth:`from_text`, or offer it as a tool (``ToolDefinition(name=output.name,
    description=..., parameters=output.schema)``) and read the call with
    :meth:`from_arguments`.

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

    __slots__ = ("_element", "_shape", "description", "name")

    name: str
    description: str | None

    def __init__(self, shape: Shape, description: str | None = None) -> None:
        """Internal: use :func:`to_output` or the constructors (:meth:`object`...)."""
        self._shape = shape
        self.name = shape.name
        self.description = description
        self._element: ValueValidator | None = None  # an array's item validator, once used

    @property
    def kind(self) -> OutputKind:
        """``object``, ``array``, ``choice`` or ``value``."""
        return self._shape.kind

    @property
    def schema(self) -> dict[str, JsonValue]:
        """The JSON Schema to send (an object; see the class docstring)."""
        return self._shape.schema

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
            raw: dict[str, builtins.object] = {"type": "array", "items": json_copy(item)}
            return Output(shape_of_schema(raw, name, "array"), description)
        array = list[item]  # type: ignore[valid-type]
        return Output(shape_of_type(array, name, "array"), description)

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
            return Output(shape_of_type(options, name, "choice"), description)
        values = list(options) if not isinstance(options, str) else [options]
        if not values or not all(isinstance(v, str) for v in values):
            raise ConfigurationError(
                f"Output.choice needs a list of one or more strings, got {options!r}"
            )
        if len(set(values)) != len(values):
            raise ConfigurationError(f"Output.choice got duplicate options: {values!r}")
        literal = Literal[tuple(values)]  # type: ignore[valid-type]
        return Output(shape_of_type(literal, name, "choice"), description)

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
            return Output(shape_of_schema(shape, name, "value"), description)
        return Output(shape_of_type(shape, name, "value"), description)

    def named(self, name: str | None = None, description: str | None = None) -> Output[T_co]:
        """A copy with another name and/or description (None keeps the current one)."""
        copy: Output[T_co] = Output(self._shape, self.description)
        copy.name = schema_name(name, None) if name is not None else self.name
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
        try:
            return parse_value(self._shape, text)  # type: ignore[return-value]
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
        if self.kind != "array":
            raise TypeError(f"from_element is for array outputs, not {self.kind}")
        validator = self._element
        if validator is None:
            validator = self._element = item_validator(self._shape)
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
        return Output(shape_of_schema(value, name, None), description)
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
    return Output(shape_of_type(value, name, None), description)
