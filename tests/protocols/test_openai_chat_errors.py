"""Errors: HTTP error bodies (parse_error), in-band stream errors, malformed and truncated
streams."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import fixture_util
import pytest
from httpx_sse import ServerSentEvent

from llmkit.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
    StreamError,
)
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import StreamEvent

PROTOCOL = OpenAIChatProtocol()
GENERIC = ProviderConfig(id="generic", protocol="openai-chat", base_url="https://x.invalid/v1")
ERROR_ENTRIES = [
    e for e in fixture_util.entries("openai-chat", "json", status=None) if e["http_status"] != 200
]
CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
}


def test_manifest_has_error_bodies() -> None:
    assert len(ERROR_ENTRIES) >= 5


@pytest.mark.parametrize("entry", ERROR_ENTRIES, ids=fixture_util.fixture_id)
def test_fixture_error_body(entry: dict[str, Any]) -> None:
    want = entry["expected"]["error"]
    error = PROTOCOL.parse_error(entry["http_status"], {}, fixture_util.body(entry))
    assert type(error) is CLASSES[entry["http_status"]]
    assert error.status_code == entry["http_status"]
    assert error.message == want["message"]
    assert error.error_type == want["type"]
    assert error.error_code == want["code"]
    assert error.body == json.loads(fixture_util.body(entry))
    assert error.request_id is None
    assert error.retry_after is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (429, RateLimitError),
        (500, InternalServerError),
        (503, OverloadedError),
        (418, APIStatusError),
    ],
)
def test_status_classes(status: int, cls: type[APIStatusError]) -> None:
    error = PROTOCOL.parse_error(status, {}, b'{"error": {"message": "m"}}')
    assert type(error) is cls
    assert error.message == "m"


def test_request_id_and_retry_after_ms() -> None:
    error = PROTOCOL.parse_error(
        429,
        {"X-Request-Id": "req_123", "retry-after-ms": "1500", "retry-after": "9"},
        b'{"error": {"message": "slow down", "type": "rate_limit_error", "code": 42}}',
    )
    assert error.request_id == "req_123"
    assert error.retry_after == pytest.approx(1.5)
    assert error.error_code == "42"
    assert error.is_retryable


def test_retry_after_seconds_and_http_date() -> None:
    assert PROTOCOL.parse_error(429, {"retry-after": "7"}, b"").retry_after == 7.0
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    retry = PROTOCOL.parse_error(503, {"Retry-After": when}, b"").retry_after
    assert retry is not None
    assert 20 < retry <= 30
    assert PROTOCOL.parse_error(429, {"retry-after": "soon"}, b"").retry_after is None


def test_html_body_is_described_with_an_excerpt() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>" * 20
    error = PROTOCOL.parse_error(502, {}, html)
    assert type(error) is InternalServerError
    assert "not JSON" in error.message
    assert "502 Bad Gateway" in error.message
    assert len(error.message) < 400
    assert isinstance(error.body, str)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'[{"error": {"code": 400, "message": "bad arg", "status": "INVALID_ARGUMENT"}}]',
            "bad arg",
        ),
        (
            b'{"object": "error", "message": "no such model", "type": "invalid_model"}',
            "no such model",
        ),
        (b'{"detail": "Not Found"}', "Not Found"),
    ],
)
def test_other_error_shapes(body: bytes, message: str) -> None:
    assert PROTOCOL.parse_error(400, {}, body).message == message


def test_empty_and_unrecognised_bodies_never_raise() -> None:
    assert "empty" in PROTOCOL.parse_error(500, {}, b"").message
    assert "does not recognise" in PROTOCOL.parse_error(400, {}, b'{"weird": 1}').message
    assert "not JSON" in PROTOCOL.parse_error(400, {}, b"\xff\xfe").message


# ---------------------------------------------------------------------------- in-stream errors
def _chunk(content: str, finish: str | None = None) -> ServerSentEvent:
    payload = {
        "id": "c",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }
    return ServerSentEvent(data=json.dumps(payload))


def _feed(events: list[ServerSentEvent]) -> tuple[list[StreamEvent], Exception]:
    state = PROTOCOL.new_state(GENERIC)
    out: list[StreamEvent] = []
    try:
        for sse in events:
            out.extend(PROTOCOL.parse_event(state, sse))
        out.extend(PROTOCOL.finish(state))
    except StreamError as exc:
        return out, exc
    pytest.fail("no StreamError was raised")


def test_malformed_json_chunk() -> None:
    bad = 'data-that-is {"not": json'
    out, error = _feed([_chunk("hi"), ServerSentEvent(data=bad)])
    assert isinstance(error, InvalidResponseError)
    assert error.raw == bad
    assert "not valid JSON" in str(error)
    assert [e.type for e in out] == ["response_metadata", "text_start", "text_delta"]


def test_chunk_with_unusable_shape() -> None:
    _, error = _feed([ServerSentEvent(data='{"choices": [{"delta": "oops"}]}')])
    assert isinstance(error, InvalidResponseError)
    _, error = _feed([ServerSentEvent(data="[1, 2]")])
    assert isinstance(error, InvalidResponseError)


def test_in_band_error_chunk() -> None:
    error_chunk = ServerSentEvent(
        data=json.dumps({"error": {"message": "overloaded, try later", "type": "server_error"}})
    )
    out, error = _feed([_chunk("partial"), error_chunk])
    assert not isinstance(error, InvalidResponseError)
    assert "overloaded, try later" in str(error)
    assert error.error_type == "server_error"  # type: ignore[attr-defined]
    assert error.provider_id == "generic"  # type: ignore[attr-defined]
    assert [e.type for e in out] == ["response_metadata", "text_start", "text_delta"]


def test_groq_error_event() -> None:
    data = json.dumps(
        {"error": {"message": "Tool choice is required", "type": "invalid_request_error"}}
    )
    _, error = _feed([_chunk("a"), ServerSentEvent(event="error", data=data)])
    assert "Tool choice is required" in str(error)
    assert error.error_type == "invalid_request_error"  # type: ignore[attr-defined]


def test_truncated_fixture_stream() -> None:
    """Cut a recorded stream before its finish chunk: no [DONE], no finish_reason."""
    entry = next(
        e
        for e in fixture_util.entries("openai-chat", "sse")
        if e["file"].endswith("gpt4o-text-include-usage.sse")
    )
    events = fixture_util.decode_sse(fixture_util.body(entry))
    cut = next(i for i, sse in enumerate(events) if '"finish_reason":"stop"' in sse.data)
    out, error = _feed(events[:cut])
    assert type(error) is StreamError
    assert "truncated" in str(error)
    assert "retrying may help" in str(error)
    assert "".join(e.delta for e in out if e.type == "text_delta")


def test_finish_reason_without_done_ends_cleanly() -> None:
    state = PROTOCOL.new_state(GENERIC)
    out = PROTOCOL.parse_event(state, _chunk("x", "stop"))
    out += PROTOCOL.finish(state)
    assert out[-1].type == "finish"
