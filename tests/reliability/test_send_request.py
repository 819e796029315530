"""send_request: one non-chat request (embeddings, images, audio) through the call machinery:
retries, fallbacks, credentials, and raw (multipart) bodies sent as they are."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from llmkit._driver import Target, make_connection, resolve_target, send_request
from llmkit.errors import APIStatusError
from llmkit.protocols.base import BuiltRequest
from llmkit.providers.registry import ProviderRegistry
from llmkit.reliability import RetryPolicy
from llmkit.testing import ReplayResponse, ReplayServer

from .helpers import FakeSleep


def _build(path: str, content: bytes | None = None) -> Callable[[Target], BuiltRequest]:
    def build(target: Target) -> BuiltRequest:
        headers = {"content-type": "multipart/form-data; boundary=x"} if content else {}
        body = {} if content else {"input": "hi", "model": target.model_id}
        return BuiltRequest(
            f"{target.provider.base_url}{path}", headers, body, stream=False, content=content
        )

    return build


async def test_a_raw_body_is_sent_as_is_after_a_retry() -> None:
    replies = [
        ReplayResponse.json({"error": {"message": "busy"}}, status=503),
        ReplayResponse.json({"ok": True}),
    ]
    with ReplayServer(replies) as server:
        registry = ProviderRegistry([server.provider("p", "openai-chat")])
        target = resolve_target("p:m", registry)
        connection = make_connection(retry=RetryPolicy(sleep=FakeSleep()))
        raw = b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\n\x00\x01\r\n--x--\r\n"
        sent = await send_request(target, _build("/audio/transcriptions", raw), connection)
        body, answered, attempts = sent.body, sent.target, sent.attempts
    assert b'"ok"' in body
    assert answered is target and attempts == 2
    received = server.requests[-1]
    assert received.body == raw
    assert received.headers["content-type"].startswith("multipart/form-data")


async def test_a_fallback_answers_with_its_own_request() -> None:
    failing = ReplayServer([ReplayResponse.json({"error": {"message": "down"}}, status=500)])
    working = ReplayServer([ReplayResponse.json({"data": []})])
    with failing, working:
        registry = ProviderRegistry(
            [failing.provider("a", "openai-chat"), working.provider("b", "openai-chat")]
        )
        target = resolve_target("a:m1", registry)
        connection = make_connection(retry=0, fallback_models=["b:m2"], registry=registry)
        sent = await send_request(target, _build("/embeddings"), connection)
        body, answered, attempts = sent.body, sent.target, sent.attempts
    assert answered.name == "b:m2" and attempts == 2
    assert working.requests[-1].json() == {"input": "hi", "model": "m2"}
    assert b"data" in body


async def test_an_error_status_is_raised_labelled() -> None:
    with ReplayServer([ReplayResponse.json({"error": {"message": "nope"}}, status=400)]) as server:
        registry = ProviderRegistry([server.provider("p", "openai-chat")])
        target = resolve_target("p:m", registry)
        with pytest.raises(APIStatusError) as info:
            await send_request(target, _build("/embeddings"), make_connection(retry=0))
    assert info.value.status_code == 400
    assert info.value.provider_id == "p" and info.value.model_id == "m"
