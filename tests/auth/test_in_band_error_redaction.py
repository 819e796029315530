"""A 200 response whose in-band error echoes the request's key (an ``error`` event in a stream,
an error object in a JSON body) must not put it into the exception either: these errors are
built by the protocol, past the transport's non-2xx boundary, and cleaned in the driver."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable

import pytest

from llmkit import ProviderRegistry, generate_text, stream_text
from llmkit.errors import APIError
from llmkit.testing.replay import RecordedRequest, ReplayResponse, ReplayServer

KEY = "0123456789abcdef0123456789abcdef-inband"
"""No well-known key shape: only the request's own credential list can catch it."""


def _echo(protocol: str, stream: bool) -> Callable[[RecordedRequest], ReplayResponse]:
    def handler(request: RecordedRequest) -> ReplayResponse:
        key = request.headers.get("x-api-key") or request.headers["authorization"][7:]
        message = f"upstream rejected key {key}"
        if protocol == "anthropic-messages":
            error = {"type": "error", "error": {"type": "overloaded_error", "message": message}}
            if stream:
                body = f"event: error\ndata: {json.dumps(error)}\n\n".encode()
                return ReplayResponse(body)
            return ReplayResponse.json(error)
        error = {"error": {"message": message, "type": "server_error", "code": key}}
        if stream:
            return ReplayResponse(f"data: {json.dumps(error)}\n\n".encode())
        return ReplayResponse.json(error)

    return handler


def _registry(server: ReplayServer, protocol: str) -> ProviderRegistry:
    config = server.provider("echo", protocol, api_key_env="LLMKIT_TEST_INBAND_KEY")
    return ProviderRegistry([config])


def _assert_clean(error: BaseException) -> None:
    rendered = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    for text in (str(error), repr(error), rendered, repr(vars(error))):
        assert KEY not in text
    assert "***" in str(error)


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "generate"])
async def test_in_band_error_does_not_carry_the_key(
    protocol: str, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMKIT_TEST_INBAND_KEY", KEY)
    with ReplayServer(handler=_echo(protocol, stream)) as server:
        registry = _registry(server, protocol)
        with pytest.raises(APIError) as info:
            if stream:
                await stream_text(model="echo:m", prompt="hi", registry=registry, retry=0).text
            else:
                await generate_text(model="echo:m", prompt="hi", registry=registry, retry=0)
    _assert_clean(info.value)


def test_text_with_lone_surrogates_is_cleaned_unchanged_otherwise() -> None:
    from llmkit.auth.redact import scrub_error
    from llmkit.errors import StreamError

    error = StreamError(f"bad \ud800 {KEY}")
    scrub_error(error, [KEY])
    assert error.message == "bad \ud800 ***"


def test_a_body_nested_past_the_limit_is_cleaned_without_recursing() -> None:
    from llmkit.auth.redact import scrub_error
    from llmkit.errors import APIStatusError

    deep: object = KEY
    for _ in range(5000):
        deep = [deep]
    error = APIStatusError("bad", status_code=400, body={"error": deep})
    scrub_error(error, [KEY])
    assert KEY not in repr(error.body)
