"""Error-body parsers never raise: a body nested too deeply for ``json`` (``RecursionError``) is
read as an unparseable body, a plain status error with a short excerpt of the raw text."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from llmkit.errors import APIStatusError, InternalServerError, RateLimitError
from llmkit.protocols.anthropic_messages.errors import parse_error
from llmkit.protocols.openai_chat.errors import in_band_error, parse_error_body

Parser = Callable[[int, Mapping[str, str], bytes], APIStatusError]
PARSERS = [pytest.param(parse_error_body, id="openai"), pytest.param(parse_error, id="anthropic")]
DEPTH = 100_000  # past the recursion limit of json on every Python (3.13 parses 1,010 levels)

BODIES = [
    b"[" * 1000,
    b"[" * DEPTH + b"]" * DEPTH,
    b'{"error":' * DEPTH + b"1" + b"}" * DEPTH,
    b'{"error": {"message": ' + b"[" * DEPTH + b"]" * DEPTH + b"}}",
]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("body", BODIES, ids=["open", "list", "object", "in-message"])
def test_a_deeply_nested_body_is_an_unparseable_body(parse: Parser, body: bytes) -> None:
    error = parse(429, {"retry-after": "2", "x-request-id": "r1", "request-id": "r1"}, body)
    assert type(error) is RateLimitError
    assert error.status_code == 429
    assert error.retry_after == 2.0
    assert error.request_id == "r1"
    assert isinstance(error.body, str)  # the raw text, as for any body that is not JSON
    assert "not JSON" in error.message
    assert len(error.message) < 400  # an excerpt, not the whole body
    assert error.is_retryable


@pytest.mark.parametrize("parse", PARSERS)
def test_a_deep_body_just_under_the_limit_still_parses(parse: Parser) -> None:
    depth = 200
    body = b'{"error": {"message": "boom", "type": "api_error", "x": ' + b"[" * depth
    body += b"]" * depth + b"}}"
    error = parse(500, {}, body)
    assert type(error) is InternalServerError
    assert error.message == "boom"
    assert isinstance(error.body, dict)


def test_in_band_error_with_a_deep_detail_does_not_raise() -> None:
    deep: object = "x"
    for _ in range(DEPTH):
        deep = [deep]
    error = in_band_error({"detail": deep})
    assert "mid-response" in str(error)
    assert len(error.message) < 400
