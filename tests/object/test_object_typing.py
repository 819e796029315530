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
