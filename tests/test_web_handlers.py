"""llmkit from a web framework's handlers (FastAPI): ``async def`` handlers await the async forms,
``def`` handlers (run on the framework's worker threads) call the sync forms, concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from fastapi.testclient import TestClient

from llmkit import generate_text, generate_text_sync, stream_text
from llmkit.testing import MockModel


def test_async_and_sync_handlers_answer_concurrently() -> None:
    app = FastAPI()
    with MockModel(["Hello from the model!"]) as mock:

        @app.get("/async")
        async def answer_async() -> dict[str, str]:
            result = await generate_text(model=mock.model, prompt="Hi")
            return {"text": result.text}

        @app.get("/stream")
        async def answer_stream() -> dict[str, str]:
            return {"text": await stream_text(model=mock.model, prompt="Hi").text}

        @app.get("/sync")
        def answer_sync() -> dict[str, str]:
            return {"text": generate_text_sync(model=mock.model, prompt="Hi").text}

        with TestClient(app) as client, ThreadPoolExecutor(8) as pool:
            paths = ["/async", "/stream", "/sync"] * 8
            answers = list(pool.map(lambda path: client.get(path).json(), paths))
        assert answers == [{"text": "Hello from the model!"}] * len(paths)
        assert len(mock.requests) == len(paths)
