"""The schema of a structured output: its JSON Schema, its name, and how to validate the result.

A schema is either a Python type that pydantic can build a JSON Schema for (a ``BaseModel``
subclass, a dataclass, a ``TypedDict``), validated by a pydantic ``TypeAdapter``, or a raw JSON
Schema (a mapping), validated by the ``jsonschema`` library with the validator class of its
``$schema`` (Draft 2020-12 when it names none). The root must describe a JSON object: both
OpenAI Structured Outputs and Anthropic tool ``input_schema`` require one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from pydantic import JsonValue, TypeAdapter, ValidationError

from llmkit.errors import ConfigurationError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = ["InvalidObject", "ObjectSchema", "object_schema"]

T = TypeVar("T")

_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")


class InvalidObject(Exception):
    """The output failed validation; ``errors`` are ``{"loc", "msg", "type"}`` mappings."""

    def __init__(self, errors: list[dict[str, object]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _name(explicit: str | None, derived: object) -> str:
    """``explicit`` with characters outside ``[a-zA-Z0-9_-]`` replaced by ``_``; else the
    same of ``derived`` (a class name or title) without leading and trailing ``_``; else
    ``response``."""
    if explicit:
        return _NAME_CHARS.sub("_", explicit)[:64]
    name = _NAME_CHARS.sub("_", derived).strip("_")[:64] if isinstance(derived, str) else ""
    return name or "response"


def _root_is_object(schema: Mapping[str, object]) -> bool:
    node: object = schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        return False
    return node.get("type") == "object" or "properties" in node


class ObjectSchema(Generic[T]):
    """A structured-output schema.

    Attributes:
        json_schema: the JSON Schema sent to the provider.
        name: the schema (and forced tool) name, ``^[a-zA-Z0-9_-]{1,64}$``.
        description: what the object is for, or None.
    """

    json_schema: dict[str, JsonValue]
    name: str
    description: str | None

    def validate_json(self, text: str) -> T:
        """The validated object of ``text``.

        Raises:
            InvalidObject: ``text`` is not JSON or does not match the schema.
        """
        raise NotImplementedError


class _TypeSchema(ObjectSchema[T]):
    def __init__(self, tp: type[T], name: str | None, description: str | None) -> None:
        try:
            self._adapter: TypeAdapter[T] = TypeAdapter(tp)
            self.json_schema = cast("dict[str, JsonValue]", self._adapter.json_schema())
        except Exception as exc:  # pydantic raises several error types for unusable types
            raise ConfigurationError(
                f"cannot build a JSON Schema for {tp!r}: {exc}. Pass a pydantic model, a "
                "dataclass, a TypedDict or a JSON Schema dict."
            ) from exc
        self.name = _name(name, getattr(tp, "__name__", None))
        self.description = description

    def validate_json(self, text: str) -> T:
        try:
            return self._adapter.validate_json(text)
        except ValidationError as exc:
            raise InvalidObject(
                [
                    {"loc": tuple(e["loc"]), "msg": e["msg"], "type": e["type"]}
                    for e in exc.errors(include_url=False)
                ]
            ) from exc


class _RawSchema(ObjectSchema[dict[str, object]]):
    def __init__(
        self, schema: Mapping[str, object], name: str | None, description: str | None
    ) -> None:
        from jsonschema import validators
        from jsonschema.exceptions import SchemaError

        try:
            self.json_schema = cast(
                "dict[str, JsonValue]", json.loads(json.dumps(schema, allow_nan=False))
            )
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"the schema is not JSON-serialisable: {exc}") from exc
        cls = validators.validator_for(self.json_schema, default=validators.Draft202012Validator)
        try:
            cls.check_schema(self.json_schema)
        except SchemaError as exc:
            raise ConfigurationError(f"invalid JSON Schema: {exc.message}") from exc
        self._validator: Validator = cls(self.json_schema)
        self.name = _name(name, schema.get("title"))
        self.description = description

    def validate_json(self, text: str) -> dict[str, object]:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise InvalidObject(
                [{"loc": (), "msg": f"invalid JSON: {exc}", "type": "json_invalid"}]
            ) from exc
        errors = sorted(self._validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            raise InvalidObject(
                [
                    {"loc": tuple(e.absolute_path), "msg": e.message, "type": str(e.validator)}
                    for e in errors
                ]
            )
        return cast("dict[str, object]", value)


def object_schema(
    schema: type[T] | Mapping[str, object], name: str | None, description: str | None
) -> ObjectSchema[T] | ObjectSchema[dict[str, object]]:
    """Wrap a type or a raw JSON Schema.

    Args:
        schema: a pydantic model (or other type pydantic can describe) or a JSON Schema dict.
        name: the schema name; default: the type's ``__name__`` or the schema's ``title``
            (characters outside ``[a-zA-Z0-9_-]`` become ``_``), else ``response``.
        description: what the object is for.

    Raises:
        ConfigurationError: no JSON Schema can be built, the JSON Schema is invalid, or its root
            is not an object.
    """
    wrapped: ObjectSchema[T] | ObjectSchema[dict[str, object]]
    if isinstance(schema, Mapping):
        wrapped = _RawSchema(schema, name, description)
    else:
        wrapped = _TypeSchema(schema, name, description)
    if not _root_is_object(wrapped.json_schema):
        raise ConfigurationError(
            "the schema's root must be a JSON object (providers require one); wrap the value "
            'in a model with one field, e.g. {"type": "object", "properties": {"items": ...}}'
        )
    return wrapped
