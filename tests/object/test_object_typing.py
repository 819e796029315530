"""Type checkers see ``generate_object(schema=Model)`` return a ``Model`` (mypy --strict on a
snippet; the repository's mypy cache makes it fast after the first run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """
from pydantic import BaseModel

from llmkit import generate_object, stream_object


class Book(BaseModel):
    title: str


async def check() -> None:
    typed = await generate_object(model="a:b", schema=Book)
    reveal_type(typed.object)
    stream = stream_object(model="a:b", schema=Book)
    reveal_type(await stream.object)
    async for partial in stream.partial_object_stream:
        reveal_type(partial)
    raw = await generate_object(model="a:b", schema={"type": "object"})
    reveal_type(raw.object)
    title: str = typed.object.title
    wrong: int = typed.object  # the one error expected
"""


def test_the_object_is_typed_by_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    notes = [line.split(": ", 2)[-1] for line in result.stdout.splitlines()]
    assert notes == [
        'Revealed type is "snippet.Book"',
        'Revealed type is "snippet.Book"',
        'Revealed type is "dict[str, object]"',
        'Revealed type is "dict[str, object]"',
        'Incompatible types in assignment (expression has type "Book", variable has type '
        '"int")  [assignment]',
    ], result.stdout + result.stderr


SHAPES = """
import dataclasses
from typing import Literal

from pydantic import BaseModel

from llmkit import generate_object, stream_object
from llmkit._output import Output, OutputLike, to_output


class Book(BaseModel):
    title: str


@dataclasses.dataclass
class Point:
    x: int


async def check() -> None:
    reveal_type((await generate_object(model="a:b", schema=list[Book])).object)
    reveal_type((await generate_object(model="a:b", schema=Literal["x", "y"])).object)
    reveal_type((await generate_object(model="a:b", schema=int)).object)
    reveal_type((await generate_object(model="a:b", schema=int | None)).object)
    reveal_type((await generate_object(model="a:b", schema=Output.array(Book))).object)
    reveal_type((await generate_object(model="a:b", schema=Output.choice(["x", "y"]))).object)
    reveal_type(to_output(tuple[int, str]))
    items = stream_object(model="a:b", schema=list[Book])
    async for partial in items.partial_object_stream:
        reveal_type(partial)
    async for element in items.element_stream:
        reveal_type(element)
    async for element in stream_object(model="a:b", schema=Output.array(Book)).element_stream:
        reveal_type(element)
    point = stream_object(model="a:b", schema=Point)
    async for partial_point in point.partial_object_stream:
        reveal_type(partial_point)
    value = stream_object(model="a:b", schema=int)
    async for partial_value in value.partial_object_stream:
        reveal_type(partial_value)
    value.element_stream  # the one error expected: not a list


def takes(output: OutputLike) -> None: ...


takes(list[Book])
takes(Literal["x", "y"])
takes(int | None)
takes(Book)
takes({"type": "object"})
takes(Output.array(Book))
"""


def test_every_shape_is_typed(tmp_path: Path) -> None:
    path = tmp_path / "shapes.py"
    path.write_text(SHAPES)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    notes = [line.split(": ", 2)[-1] for line in result.stdout.splitlines()]
    assert notes[:12] == [
        'Revealed type is "list[shapes.Book]"',
        "Revealed type is \"Literal['x'] | Literal['y']\"",
        'Revealed type is "int"',
        'Revealed type is "int | None"',
        'Revealed type is "list[shapes.Book]"',
        'Revealed type is "str"',
        'Revealed type is "llmkit._output.Output[tuple[int, str]]"',
        'Revealed type is "list[object]"',
        'Revealed type is "shapes.Book"',
        'Revealed type is "shapes.Book"',
        'Revealed type is "dict[str, object]"',
        'Revealed type is "object"',
    ], result.stdout + result.stderr
    assert len(notes) == 13 and notes[12].startswith("Invalid self argument"), result.stdout
