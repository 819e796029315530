"""Anthropic HTTP error bodies through parse_error."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import pytest

from llmkit.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
)
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol

PROTOCOL = AnthropicMessagesProtocol()
ERROR_ENTRIES = [
    e
    for e in fixture_util.entries("anthropic-messages", "json", status=None)
    if e["http_status"] != 200
]
STATUS_CLASS = {401: AuthenticationError, 404: NotFoundError}


@pytest.mark.parametrize(
    "entry", ERROR_ENTRIES, ids=[fixture_util.fixture_id(e) for e in ERROR_ENTRIES]
)
def test_fixture_error(entry: dict[str, Any]) -> None:
    body = fixture_util.body(entry)
    error = PROTOCOL.parse_error(entry["http_status"], {}, body)
    assert type(error) is STATUS_CLASS[entry["http_status"]]
    assert error.status_code == entry["http_status"]
    assert error.message == entry["expected"]["error"]["message"]
    assert error.error_type == entry["expected"]["error"]["type"]
    assert error.request_id == json.loads(body)["request_id"]
    assert error.body == json.loads(body)
    assert error.retry_after is None


def test_error_fixtures_found() -> None:
    assert len(ERROR_ENTRIES) == 2


def _body(error_type: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": error_type, "message": message}}).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (429, RateLimitError),
        (500, InternalServerError),
        (529, OverloadedError),
        (413, APIStatusError),
    ],
)
def test_status_classes(status: int, cls: type[APIStatusError]) -> None:
    error = PROTOCOL.parse_error(status, {}, _body("some_error", "msg"))
    assert type(error) is cls
    assert error.message == "msg"


def test_request_id_header_wins_and_retry_after_ms() -> None:
    body = json.dumps(
        {
            "type": "error",
            "error": {"type": "rate_limit_error", "message": "slow down"},
            "request_id": "req_body",
        }
    ).encode()
    headers = {"Request-Id": "req_header", "retry-after-ms": "1500", "retry-after": "9"}
    error = PROTOCOL.parse_error(429, headers, body)
    assert isinstance(error, RateLimitError)
    assert error.request_id == "req_header"
    assert error.retry_after == 1.5
    assert error.is_retryable


def test_retry_after_seconds_and_http_date() -> None:
    error = PROTOCOL.parse_error(529, {"retry-after": "7"}, _body("overloaded_error", "Overloaded"))
    assert error.retry_after == 7.0
    past = PROTOCOL.parse_error(
        503, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, _body("api_error", "x")
    )
    assert past.retry_after == 0.0
    junk = PROTOCOL.parse_error(503, {"retry-after": "soon"}, _body("api_error", "x"))
    assert junk.retry_after is None


def test_html_body_says_so_with_excerpt() -> None:
    html = (
        b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
    )
    error = PROTOCOL.parse_error(502, {}, html)
    assert isinstance(error, InternalServerError)
    assert "not JSON" in error.message
    assert "502 Bad Gateway" in error.message
    assert "<" not in error.message.split("Body starts:")[1]
    assert error.body == html.decode()
    assert error.error_type is None


def test_long_html_excerpt_is_short() -> None:
    error = PROTOCOL.parse_error(500, {}, b"<p>" + b"x" * 5000 + b"</p>")
    assert len(error.message) < 400


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"null",
        b"[]",
        b'{"error": "plain string"}',
        b'{"message": "m"}',
    ],
)
def test_never_raises_on_odd_bodies(body: bytes) -> None:
    error = PROTOCOL.parse_error(400, {}, body)
    assert isinstance(error, BadRequestError)
    assert error.message


def test_near_miss_shapes_keep_their_message() -> None:
    assert PROTOCOL.parse_error(400, {}, b'{"error": "plain string"}').message == "plain string"
    assert PROTOCOL.parse_error(400, {}, b'{"message": "m"}').message == "m"
