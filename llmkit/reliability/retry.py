"""Retry policy: what is retried, how long to wait, and the retry loop (tenacity).

The decision of *what* is retryable is llmkit's (:meth:`RetryPolicy.is_retryable`); tenacity only
runs the loop (attempt counting, stop condition, sleeping), and is imported on a first retry: a
first attempt that succeeds never loads it. A call is retried only before its
first content event was delivered: the driver runs everything up to that point inside
:func:`call_with_retries` and nothing after it.

What is retried (the same rules as the official OpenAI and Anthropic Python SDKs):

- connection errors and timeouts (connect, first event, an httpx read/write/pool timeout), a
  stream cut off before its first content event;
- HTTP 408, 409, 429 and every 5xx (529 included), unless the provider's ``x-should-retry``
  header says otherwise (it overrides the status rule both ways);
- in-band errors whose type maps to one of those statuses (Anthropic ``overloaded_error``,
  ``rate_limit_error``, ``api_error``; OpenAI-compatible ``{"error": ...}`` chunks with
  ``server_error`` / ``rate_limit_exceeded``...);
- never: 4xx other than those, malformed responses (:class:`~llmkit.errors.InvalidResponseError`),
  the total deadline, configuration and credential errors.

How long to wait before retry *n* (1-based):

1. ``retry-after-ms`` (milliseconds), else ``Retry-After`` (seconds, or an HTTP date), when at
   most :attr:`RetryPolicy.max_retry_after` (60 s); a longer ask fails at once with the error's
   ``retry_after`` set, so the caller can decide;
2. otherwise exponential backoff: ``min(initial_delay * 2 ** (n - 1), max_delay)`` reduced by a
   random 0-25 % (jitter), i.e. 0.5 s, 1 s, 2 s ... capped at 8 s.

A malformed header (``Retry-After: soon``, ``NaN``) is ignored: backoff applies and the original
error is what the caller sees.

Sources: OpenAI API docs, "Error codes" and "Rate limits"; Anthropic API docs, "Errors" (429,
500, 529 ``overloaded_error``) and "Rate limits" (``retry-after``); RFC 9110 §10.2.3
(``Retry-After``).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from llmkit._headers import parse_retry_after, parse_should_retry
from llmkit.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    InvalidResponseError,
    StreamError,
    TotalTimeoutError,
)

if TYPE_CHECKING:
    from tenacity import RetryCallState

__all__ = [
    "DEFAULT_RETRY",
    "RetryPolicy",
    "call_with_retries",
    "parse_retry_after",
    "parse_should_retry",
]

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
"""An async sleep function (seconds); tests pass a fake clock's."""


class RetryPolicy(BaseModel):
    """How a call is retried. Set per call (``retry=RetryPolicy(...)`` or ``retry=3``) or per
    provider (``ProviderConfig(retry=...)``); the per-call policy wins.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: seconds before the first retry without a ``Retry-After``; doubles each
            retry.
        max_delay: cap of the exponential backoff, in seconds.
        jitter: the backoff is reduced by a random fraction in ``[0, jitter)``.
        max_retry_after: the longest server-requested wait (seconds) that is honoured; a longer
            ``Retry-After`` fails at once with ``error.retry_after`` set.
        sleep: an async sleep function for the waits (default ``asyncio.sleep``); tests pass a
            fake clock's. Not part of equality or the TOML form.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, defer_build=True
    )

    max_retries: int = Field(default=2, ge=0, le=100)
    initial_delay: float = Field(default=0.5, ge=0)
    max_delay: float = Field(default=8.0, ge=0)
    jitter: float = Field(default=0.25, ge=0, le=1)
    max_retry_after: float = Field(default=60.0, ge=0)
    sleep: Sleep | None = Field(default=None, exclude=True, repr=False)

    def is_retryable(self, exc: BaseException) -> bool:
        """True when ``exc`` (raised before any content was delivered) is worth retrying.

        A status error whose ``retry_after`` exceeds :attr:`max_retry_after` is not retried.
        """
        if isinstance(exc, APIStatusError):
            ask = exc.retry_after
            if ask is not None and math.isfinite(ask) and ask > self.max_retry_after:
                return False
            return exc.is_retryable
        if isinstance(exc, TotalTimeoutError):
            return False
        if isinstance(exc, APIConnectionError):
            return True
        if isinstance(exc, InvalidResponseError):
            return False
        if type(exc) is StreamError:
            # a stream that ended before its first content event without an error object
            return exc.error_type is None and exc.body is None
        return False

    def backoff(self, retry_number: int) -> float:
        """Seconds before retry ``retry_number`` (1-based) when the server named no delay."""
        base = min(self.initial_delay * 2.0 ** min(retry_number - 1, 60), self.max_delay)
        return base * (1.0 - self.jitter * random.random())

    def delay(self, exc: BaseException | None, retry_number: int) -> float:
        """Seconds before retry ``retry_number``: the server's ask if usable, else backoff."""
        ask = exc.retry_after if isinstance(exc, APIStatusError) else None
        if ask is not None and math.isfinite(ask) and 0 <= ask <= self.max_retry_after:
            return ask
        return self.backoff(retry_number)


DEFAULT_RETRY = RetryPolicy()
"""Two retries, 0.5 s doubling to 8 s, ``Retry-After`` honoured up to 60 s."""


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> T:
    """Run ``attempt`` until it returns, retrying per ``policy``.

    Args:
        attempt: one try (sends one request); raises an llmkit error on failure.
        policy: what to retry and how long to wait.
        on_retry: called with the error and the delay (seconds) before each retry.

    Returns:
        The first successful attempt's result.

    Raises:
        The last attempt's error, with ``attempts`` set to the number of tries, when it is not
        retryable or the retries are used up. ``asyncio.CancelledError`` is never retried.
    """
    tries = 0

    async def counted() -> T:
        nonlocal tries
        tries += 1
        return await attempt()

    sleep = policy.sleep or asyncio.sleep
    try:  # the first attempt runs without the retry machinery: tenacity loads on a first retry
        return await counted()
    except Exception as exc:
        if policy.max_retries < 1 or not policy.is_retryable(exc):
            if isinstance(exc, APIError):
                exc.attempts = tries
            raise
        first = exc
    delay = policy.delay(first, 1)
    if on_retry is not None:
        on_retry(first, delay)
    await sleep(delay)
    del first

    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

    def wait(state: RetryCallState) -> float:  # state.attempt_number counts from the 2nd try
        exc = state.outcome.exception() if state.outcome is not None else None
        return policy.delay(exc, state.attempt_number + 1)

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None and state.next_action is not None:
            exc = state.outcome.exception()
            if exc is not None:
                on_retry(exc, state.next_action.sleep)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries),
        retry=retry_if_exception(policy.is_retryable),
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(counted)
    except APIError as exc:
        exc.attempts = tries
        raise
