"""llmkit._output.Output: the JSON Schema sent for each shape (objects unwrapped, everything else
wrapped in one property) and how the model's output is unwrapped and validated."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from llmkit._output import WRAPPER_KEYS, Output, error_summary, to_output
from llmkit.errors import ConfigurationError, NoObjectGeneratedError


class Item(BaseModel):
    name: str
    qty: int


ITEM_SCHEMA = {
    "properties": {
        "name": {"title": "Name", "type": "string"},
        "qty": {"title": "Qty", "type": "integer"},
    },
    "required": ["name", "qty"],
    "title": "Item",
    "type": "object",
}


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str


def _wrapped(key: str, inner: dict[str, Any], **root: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: inner},
        "required": [key],
        "additionalProperties": False,
        **root,
    }


# ---------------------------------------------------------------------------- the schema sent
@pytest.mark.parametrize(
    ("shape", "kind", "schema"),
    [
        (Item, "object", ITEM_SCHEMA),
        (
            list[Item],
            "array",
            _wrapped(
                "elements",
                {"items": {"$ref": "#/$defs/Item"}, "type": "array"},
                **{"$defs": {"Item": ITEM_SCHEMA}},
            ),
        ),
        (
            list[str],
            "array",
            _wrapped("elements", {"items": {"type": "string"}, "type": "array"}),
        ),
        (
            tuple[int, ...],
            "array",
            _wrapped("elements", {"items": {"type": "integer"}, "type": "array"}),
        ),
        (
            Literal["positive", "negative"],
            "choice",
            _wrapped("result", {"enum": ["positive", "negative"], "type": "string"}),
        ),
        (
            Mood,
            "choice",
            _wrapped(
                "result",
                {"$ref": "#/$defs/Mood"},
                **{
                    "$defs": {"Mood": {"enum": ["happy", "sad"], "title": "Mood", "type": "string"}}
                },
            ),
        ),
        (int, "value", _wrapped("value", {"type": "integer"})),
        (bool, "value", _wrapped("value", {"type": "boolean"})),
        (
            int | None,
            "value",
            _wrapped("value", {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        ),
        (
            tuple[int, str],
            "value",
            _wrapped(
                "value",
                {
                    "maxItems": 2,
                    "minItems": 2,
                    "prefixItems": [{"type": "integer"}, {"type": "string"}],
                    "type": "array",
                },
            ),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_the_schema_is_an_object_and_non_objects_are_wrapped(
    shape: Any, kind: str, schema: dict[str, Any]
) -> None:
    output = to_output(shape)
    assert output.kind == kind
    assert output.schema == schema
    assert output.wrapper == (None if kind == "object" else WRAPPER_KEYS[kind])
    assert output.schema["type"] == "object"


def test_dataclasses_and_typed_dicts_are_objects() -> None:
    assert to_output(Point).kind == "object"
    assert to_output(Point).name == "Point"
    movie = to_output(Movie)
    assert movie.kind == "object"
    assert movie.from_text('{"title": "Up"}') == {"title": "Up"}


def test_raw_json_schemas() -> None:
    obj = to_output({"type": "object", "properties": {"a": {"type": "integer"}}, "title": "T"})
    assert (obj.kind, obj.wrapper, obj.name) == ("object", None, "T")
    array = to_output(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "array",
            "items": {"$ref": "#/$defs/n"},
            "$defs": {"n": {"type": "integer", "minimum": 0}},
        }
    )
    # $schema and $defs move to the root, so that "#/$defs/n" still resolves
    assert array.kind == "array"
    assert array.schema == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **_wrapped("elements", {"type": "array", "items": {"$ref": "#/$defs/n"}}),
        "$defs": {"n": {"type": "integer", "minimum": 0}},
    }
    assert array.from_text('{"elements": [1, 2]}') == [1, 2]
    with pytest.raises(NoObjectGeneratedError) as info:
        array.from_text('{"elements": [1, -2]}')
    assert [(e["loc"], e["type"]) for e in info.value.errors] == [(("elements", 1), "minimum")]
    # a recursive reference to the root is moved under the wrapper
    tree = {
        "type": "array",
        "items": {"anyOf": [{"type": "integer"}, {"$ref": "#"}]},
    }
    wrapped = to_output(tree)
    schema: Any = wrapped.schema
    inner = schema["properties"]["elements"]
    assert inner["items"]["anyOf"][1] == {"$ref": "#/properties/elements"}
    assert wrapped.from_text('{"elements": [1, [2, [3]]]}') == [1, [2, [3]]]
    choice = to_output({"enum": ["a", "b"]})
    assert (choice.kind, choice.wrapper) == ("choice", "result")
    assert choice.from_text("b") == "b"
    assert to_output({"type": "integer"}).from_text('{"value": 3}') == 3


def test_constructors() -> None:
    array: Output[list[Item]] = Output.array(Item, name="items", description="The items")
    assert (array.kind, array.name, array.description) == ("array", "items", "The items")
    assert array.schema == to_output(list[Item]).schema
    raw_array: Output[list[object]] = Output.array({"type": "string"})
    assert raw_array.from_text('{"elements": ["x"]}') == ["x"]
    choice: Output[str] = Output.choice(["yes", "no"])
    assert choice.schema == _wrapped("result", {"enum": ["yes", "no"], "type": "string"})
    mood: Output[Mood] = Output.choice(Mood)
    assert mood.name == "Mood"
    assert mood.from_arguments({"result": "sad"}) is Mood.SAD
    value: Output[Item] = Output.value(Item)  # an object, wrapped anyway
    assert value.wrapper == "value"
    assert value.from_text('{"value": {"name": "a", "qty": 1}}') == Item(name="a", qty=1)
    obj: Output[Item] = Output.object(Item)
    assert obj.kind == "object"
    raw_obj: Output[dict[str, object]] = Output.object({"type": "object"})
    assert raw_obj.from_text('{"k": 1}') == {"k": 1}
    raw_value: Output[object] = Output.value({"type": "object"})
    assert raw_value.from_text('{"value": {"k": 1}}') == {"k": 1}
    renamed = array.named("shopping list", "What to buy")
    assert (renamed.name, renamed.description) == ("shopping_list", "What to buy")
    assert (array.name, renamed.schema) == ("items", array.schema)  # a copy
    assert to_output(array) is array
    assert to_output(array, name="other").name == "other"
    assert repr(array) == "Output(kind='array', name='items')"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Output.object(int), "not a JSON object.*Output.value"),
        (lambda: Output.object(list[int]), "not a JSON object.*Output.array"),
        (lambda: Output.choice([]), "one or more strings"),
        (lambda: Output.choice(["a", 1]), "one or more strings"),  # type: ignore[type-var]
        (lambda: Output.choice(["a", "a"]), "duplicate"),
        (lambda: Output.choice(int), "strings or an Enum"),  # type: ignore[type-var]
        (lambda: to_output(None), "cannot be an output"),
        (lambda: to_output(["a", "b"]), r"cannot be an output.*Output\.choice"),  # type: ignore[call-overload]
        (lambda: to_output(3), "cannot be an output"),  # type: ignore[call-overload]
        (lambda: to_output(print), "cannot be an output"),  # type: ignore[call-overload]
        (lambda: to_output(type("Opaque", (), {})), "cannot build a JSON Schema"),
        (lambda: to_output({"type": "no-such-type"}), "invalid JSON Schema"),
        (lambda: to_output({"type": "object", "default": float("nan")}), "not JSON-serialisable"),
    ],
)
def test_what_cannot_be_an_output(make: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make()


def test_names() -> None:
    assert to_output(Item).name == "Item"
    assert to_output(list[Item]).name == "response"
    assert to_output(Literal["a"]).name == "response"
    assert to_output(int, name="the count!").name == "the_count_"
    assert to_output({"type": "array", "title": "Rows"}).name == "Rows"


# ---------------------------------------------------------------------------- validation
def test_from_text_unwraps_and_validates() -> None:
    items = to_output(list[Item])
    assert items.from_text('{"elements": [{"name": "a", "qty": 1}]}') == [Item(name="a", qty=1)]
    assert to_output(int).from_text('{"value": 42}') == 42
    assert to_output(Literal["a", "b"]).from_text('{"result": "b"}') == "b"
    assert to_output(Mood).from_text('{"result": "happy"}') is Mood.HAPPY
    assert to_output(tuple[int, str]).from_text('{"value": [1, "x"]}') == (1, "x")
    assert to_output(int | None).from_text('{"value": null}') is None
    assert to_output(Item).from_text('{"name": "a", "qty": 1}') == Item(name="a", qty=1)


@pytest.mark.parametrize(
    ("shape", "text", "value"),
    [
        (Item, '```json\n{"name": "a", "qty": 1}\n```', Item(name="a", qty=1)),
        (Item, 'Here it is:\n```\n{"name": "a", "qty": 1}\n```\nDone.', Item(name="a", qty=1)),
        (list[int], "[1, 2, 3]", [1, 2, 3]),  # the bare value
        (list[int], '```json\n{"elements": [1]}\n```', [1]),
        (int, "7", 7),
        (Literal["positive", "negative"], "positive", "positive"),  # plain text
        (Literal["positive", "negative"], ' "negative"\n', "negative"),
        (Mood, "sad", Mood.SAD),
        (dict[str, int] | list[int], '{"a": 1}', {"a": 1}),  # an object without the wrapper
    ],
)
def test_from_text_is_lenient_where_models_are(shape: Any, text: str, value: object) -> None:
    assert to_output(shape).from_text(text) == value


def test_from_text_errors_say_what_was_wrong() -> None:
    items = to_output(list[Item])
    with pytest.raises(NoObjectGeneratedError, match=r"elements\.1\.qty: Field required") as info:
        items.from_text('{"elements": [{"name": "a", "qty": 1}, {"name": "b"}]}')
    assert info.value.text == '{"elements": [{"name": "a", "qty": 1}, {"name": "b"}]}'
    assert [(e["loc"], e["type"]) for e in info.value.errors] == [
        (("elements", 1, "qty"), "missing")
    ]
    with pytest.raises(NoObjectGeneratedError) as info:
        items.from_text('[{"name": "a"}]')  # a bare list: paths as the model wrote them
    assert [e["loc"] for e in info.value.errors] == [(0, "qty")]
    with pytest.raises(NoObjectGeneratedError) as info:
        items.from_text('{"items": []}')  # an object without the wrapper: the wrapper is missing
    assert [(e["loc"], e["type"]) for e in info.value.errors] == [(("elements",), "missing")]
    with pytest.raises(NoObjectGeneratedError, match="invalid JSON") as info:
        items.from_text("Sure! [1, 2")
    assert [e["type"] for e in info.value.errors] == ["json_invalid"]
    with pytest.raises(NoObjectGeneratedError, match="empty") as info:
        items.from_text("  ")
    assert [e["type"] for e in info.value.errors] == ["no_output"]
    with pytest.raises(NoObjectGeneratedError, match="result: Input should be 'a' or 'b'"):
        to_output(Literal["a", "b"]).from_text('{"result": "c"}')
    with pytest.raises(NoObjectGeneratedError, match="invalid JSON"):
        to_output(Literal["a", "b"]).from_text("maybe c")


def test_from_arguments() -> None:
    items = to_output(list[Item])
    args: dict[str, object] = {"elements": [{"name": "a", "qty": 1}]}
    assert items.from_arguments(args) == [Item(name="a", qty=1)]
    with pytest.raises(NoObjectGeneratedError) as info:
        items.from_arguments({"elements": [{"name": "a", "qty": "many"}]})
    assert json.loads(info.value.text) == {"elements": [{"name": "a", "qty": "many"}]}
    assert [e["loc"] for e in info.value.errors] == [("elements", 0, "qty")]
    with pytest.raises(NoObjectGeneratedError, match="not JSON"):
        items.from_arguments({"elements": {1, 2}})
    # the bare value's fields (a wrapped object the model did not wrap)
    assert Output.value(Item).from_arguments({"name": "a", "qty": 1}) == Item(name="a", qty=1)


def test_from_element() -> None:
    items = to_output(list[Item])
    assert items.from_element({"name": "a", "qty": 1}) == Item(name="a", qty=1)
    with pytest.raises(NoObjectGeneratedError, match="an element does not match: qty"):
        items.from_element({"name": "a"})
    raw = Output.array({"type": "integer", "minimum": 1})
    assert raw.from_element(3) == 3
    with pytest.raises(NoObjectGeneratedError, match="minimum"):
        raw.from_element(0)
    with pytest.raises(TypeError, match="array"):
        to_output(int).from_element(1)


def test_error_summary() -> None:
    errors = [{"loc": ("a", i), "msg": "bad"} for i in range(7)]
    assert error_summary(errors) == (
        "no object generated: a.0: bad; a.1: bad; a.2: bad; a.3: bad; a.4: bad (and 2 more)"
    )
    assert error_summary([{"loc": (), "msg": "empty"}]) == "no object generated: (root): empty"
