"""The fault matrix over real sockets on 127.0.0.1: one row per fault, each asserting the server
hits, the backoff sleeps (fake clock), the outcome (text, or error class and message) and that
no connection is left open. The table in docs/reliability.md mirrors these rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from llmkit import stream_text
from llmkit.errors import (
    APIConnectionError,
    FirstEventTimeoutError,
    IdleTimeoutError,
    InternalServerError,
    InvalidResponseError,
    LLMKitError,
    OverloadedError,
    RateLimitError,
    StreamError,
)
from llmkit.providers.config import ProtocolName
from llmkit.reliability import Timeouts
from reliability.faults import Fault, FaultServer
from reliability.helpers import (
    FAST,
    PATIENT,
    TEXT,
    FakeSleep,
    anthropic_error,
    anthropic_events,
    openai_events,
    policy,
    registry_for,
)

OK = Fault(pieces=openai_events())
OK_ANTHROPIC = Fault(pieces=anthropic_events())
FIRST_CONTENT = 2  # openai_events(): [role chunk, first text delta, ...]


def _backoff(n: int) -> Callable[[list[float]], bool]:
    """Sleeps are ``n`` jittered backoffs: 0.5 s, 1 s, ... each reduced by at most 25 %."""

    def check(sleeps: list[float]) -> bool:
        if len(sleeps) != n:
            return False
        return all(0.75 * 0.5 * 2**i <= s <= 0.5 * 2**i for i, s in enumerate(sleeps))

    return check


@dataclass(frozen=True)
class Row:
    name: str
    script: list[Fault]
    hits: int
    sleeps: list[float] | Callable[[list[float]], bool]
    error: type[LLMKitError] | None = None  # None: the call succeeds with TEXT
    message: str = ""
    partial: str | None = None  # text delivered before the error (error.partial.text)
    protocol: ProtocolName = "openai-chat"
    timeouts: Timeouts = PATIENT
    extra: dict[str, object] = field(default_factory=dict)


ROWS = [
    Row("reset before headers, then ok", [Fault(status=None), OK], 2, _backoff(1)),
    Row(
        "reset before headers, every time",
        [Fault(status=None)],
        3,
        _backoff(2),
        APIConnectionError,
        "connection",
    ),
    Row(
        "reset mid-stream before the first content event",
        [Fault(pieces=openai_events()[:1], end="reset"), OK],
        2,
        _backoff(1),
    ),
    Row(
        "reset mid-stream after the first content event",
        [Fault(pieces=openai_events()[:3], end="reset")],
        1,
        [],
        APIConnectionError,
        "broke while reading the response",
        partial="Hello from",
    ),
    Row(
        "429 with Retry-After (seconds)",
        [
            Fault(429, {"retry-after": "1"}, "application/json", [b'{"error":{"message":"slow"}}']),
            OK,
        ],
        2,
        [1.0],
    ),
    Row(
        "429 with retry-after-ms",
        [
            Fault(429, {"retry-after-ms": "250", "retry-after": "9"}, "application/json", [b"{}"]),
            OK,
        ],
        2,
        [0.25],
    ),
    Row(
        "429 with Retry-After beyond 60 s: fail fast",
        [
            Fault(
                429, {"retry-after": "3600"}, "application/json", [b'{"error":{"message":"quota"}}']
            )
        ],
        1,
        [],
        RateLimitError,
        "quota",
    ),
    Row(
        "429 with a malformed Retry-After: backoff",
        [Fault(429, {"retry-after": "soon"}, "application/json", [b"{}"]), OK],
        2,
        _backoff(1),
    ),
    *(
        Row(
            f"{status}, then ok",
            [Fault(status, {}, "text/html", [b"<h1>oops</h1>"]), OK],
            2,
            _backoff(1),
        )
        for status in (500, 502, 503, 529)
    ),
    Row(
        "503 every time",
        [Fault(503, {}, "application/json", [b'{"error":{"message":"down for repairs"}}'])],
        3,
        _backoff(2),
        OverloadedError,
        "down for repairs",
    ),
    Row(
        "500 with x-should-retry: false",
        [
            Fault(
                500,
                {"x-should-retry": "false"},
                "application/json",
                [b'{"error":{"message":"no"}}'],
            )
        ],
        1,
        [],
        InternalServerError,
        "no",
    ),
    Row(
        "400 with x-should-retry: true",
        [Fault(400, {"x-should-retry": "true"}, "application/json", [b"{}"]), OK],
        2,
        _backoff(1),
    ),
    Row(
        "malformed JSON chunk",
        [Fault(pieces=[*openai_events()[:3], b'data: {"id": broken\n\n'])],
        1,
        [],
        InvalidResponseError,
        "not valid JSON",
        partial="Hello from",
    ),
    Row(
        "truncated stream after content (clean end of body)",
        [Fault(pieces=openai_events()[:4])],
        1,
        [],
        StreamError,
        "truncated",
        partial="Hello from a fl",
    ),
    Row(
        "truncated stream before content: retried",
        [Fault(pieces=openai_events()[:1]), OK],
        2,
        _backoff(1),
    ),
    Row(
        "slow loris: one byte at a time after the first content event",
        [Fault(pieces=openai_events()[:3], delay=0.1, trickle=openai_events()[3])],
        1,
        [],
        IdleTimeoutError,
        "no stream event for 0.5 s",
        partial="Hello from",
        timeouts=FAST,
    ),
    Row(
        "keep-alive comments only",
        [
            Fault(
                pieces=[b": keep-alive\n\n"],
                delay=0.05,
                trickle=b": keep-alive\n\n",
                trickle_mode="repeat",
            )
        ],
        3,
        _backoff(2),
        FirstEventTimeoutError,
        "no response event within 0.5 s",
        timeouts=FAST,
    ),
    Row(
        "invalid UTF-8",
        [Fault(pieces=[*openai_events()[:3], b'data: {"x": "\xff\xfe"}\n\n'])],
        1,
        [],
        InvalidResponseError,
        "not valid UTF-8",
        partial="Hello from",
    ),
    Row(
        "in-band overloaded_error before content (Anthropic)",
        [Fault(pieces=[*anthropic_events()[:2], anthropic_error()]), OK_ANTHROPIC],
        2,
        _backoff(1),
        protocol="anthropic-messages",
    ),
    Row(
        "in-band overloaded_error after content (Anthropic)",
        [Fault(pieces=[*anthropic_events()[:3], anthropic_error()])],
        1,
        [],
        OverloadedError,
        "Overloaded",
        partial="Hello",
        protocol="anthropic-messages",
    ),
    Row(
        "HTML error page with status 200",
        [Fault(200, {}, "text/html", [b"<!DOCTYPE html><html>Sign in to the proxy</html>"])],
        1,
        [],
        InvalidResponseError,
        "text/html",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_fault(row: Row) -> None:
    sleep = FakeSleep()
    with FaultServer(row.script) as server:
        result = stream_text(
            model="flaky:m",
            prompt="hi",
            registry=registry_for(server.url, row.protocol),
            retry=policy(sleep),
            timeouts=row.timeouts,
        )
        texts: list[str] = []
        error: LLMKitError | None = None
        try:
            async for event in result:
                if event.type == "text_delta":
                    texts.append(event.delta)
        except LLMKitError as exc:
            error = exc
        assert server.wait_closed() == 0, "a connection was left open"
        assert server.hits == row.hits
    if callable(row.sleeps):
        assert row.sleeps(sleep.calls), sleep.calls
    else:
        assert sleep.calls == row.sleeps
    if row.error is None:
        assert error is None, error
        assert "".join(texts) == TEXT
        return
    assert isinstance(error, row.error), repr(error)
    assert row.message in str(error)
    assert error.provider_id == "flaky"  # type: ignore[attr-defined]
    assert error.attempts == row.hits  # type: ignore[attr-defined]
    if row.partial is None:
        assert texts == []
        assert error.partial is None  # type: ignore[attr-defined]
    else:
        assert "".join(texts) == row.partial
        assert error.partial is not None  # type: ignore[attr-defined]
        assert error.partial.text == row.partial  # type: ignore[attr-defined]
    if error.__cause__ is not None:  # the foreign exception is only chained
        assert not isinstance(error, type(error.__cause__))
