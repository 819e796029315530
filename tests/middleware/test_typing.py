"""Type checkers accept a wrapped model wherever a model goes, and a Middleware subclass
written with async generators (mypy --strict on a snippet)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """
from collections.abc import AsyncIterator

from pydantic import BaseModel

from llmkit import generate_object, generate_text, provider, stream_object, stream_text
from llmkit.middleware import (
    CallKind, GenerateNext, Middleware, StreamNext, WrappedModel, default_settings,
    extract_reasoning, logging_middleware, simulate_streaming, wrap_model,
)
from llmkit.types.events import StreamEvent
from llmkit.types.options import CallOptions


class Book(BaseModel):
    title: str


class Mine(Middleware):
    async def transform_options(
        self, call: CallOptions, *, kind: CallKind, model: str
    ) -> CallOptions:
        return call

    async def wrap_stream(
        self, do_stream: StreamNext, call: CallOptions, *, model: str, do_generate: GenerateNext
    ) -> AsyncIterator[StreamEvent]:
        async for event in do_stream(call):
            yield event

    async def wrap_generate(
        self, do_generate: GenerateNext, call: CallOptions, *, model: str, do_stream: StreamNext
    ) -> list[StreamEvent]:
        return await do_generate(call)


async def check() -> None:
    model = wrap_model("a:b", [Mine(), default_settings(temperature=0.2), extract_reasoning()])
    reveal_type(model)
    inline = wrap_model(provider("http://127.0.0.1:1/v1")("m"), simulate_streaming())
    twice: WrappedModel = wrap_model(inline, logging_middleware())
    await stream_text(model=model, prompt="hi").text
    await generate_text(model=twice, prompt="hi")
    reveal_type((await generate_object(model=model, schema=Book, prompt="hi")).object)
    await stream_object(model=model, schema=Book, prompt="hi").object
    wrap_model(model, Mine)  # the one error expected: a class, not an instance
"""


def test_a_wrapped_model_is_a_model_for_type_checkers(tmp_path: Path) -> None:
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
        'Revealed type is "llmkit.middleware._model.WrappedModel"',
        'Revealed type is "snippet.Book"',
        'Argument 2 to "wrap_model" has incompatible type "type[Mine]"; expected '
        '"Middleware | Sequence[Middleware]"  [arg-type]',
    ], result.stdout + result.stderr
