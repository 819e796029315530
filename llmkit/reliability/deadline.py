"""Timeouts above the transport: first event, idle between events, total deadline.

httpx's read timeout restarts on *any* byte, and ``httpx-sse`` drops SSE comments before
llmkit sees them, so a relay that sends ``: keep-alive`` every few seconds while its upstream is
stuck would never time out there. llmkit's own limits count only stream events a protocol emits
(a ``ping`` event or a comment emits none):

- ``connect``: the TCP/TLS handshake (httpx's connect timeout), default 5 s;
- ``first_event``: from sending a request to its first event (reasoning models may think for
  minutes before the first token), default 600 s; for a non-streamed call, to the whole body;
- ``idle``: between two events once the stream is running, default 120 s;
- ``total``: the whole call, retries and fallbacks included; off by default.

Each raises its own :class:`~llmkit.errors.APITimeoutError` subclass.

One :class:`Watchdog` per call keeps one timer handle, rescheduled lazily: per event the driver
only stores a monotonic timestamp, the current task and a flag (no rescheduling); the timer
callback compares the timestamp with the limit when it fires and, if an event came since, looks
again later (an ``asyncio.timeout`` around every ``__anext__`` costs ~10 µs per event). When a
limit passes while the call is waiting for the network, the watchdog cancels the waiting task;
the driver turns that cancellation into the timeout error (and uncancels the task).
Time the consumer spends between events is not counted.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from functools import partial

from pydantic import BaseModel, ConfigDict, Field

from llmkit.errors import (
    APITimeoutError,
    FirstEventTimeoutError,
    IdleTimeoutError,
    TotalTimeoutError,
)

__all__ = ["DEFAULT_TIMEOUTS", "Timeouts", "Watchdog"]


class Timeouts(BaseModel):
    """Time limits for one call, in seconds; ``None`` disables a limit.

    Set per call (``timeouts=Timeouts(idle=30)``) or per provider
    (``ProviderConfig(timeouts=...)``). A plain ``timeout=`` number on a call sets
    ``first_event`` and ``idle`` to it.

    Attributes:
        connect: seconds to establish the connection (httpx connect timeout).
        first_event: seconds from sending a request to its first stream event (the whole
            response for non-streamed calls). Per attempt.
        idle: seconds allowed between two stream events; SSE comments and ``ping`` events do
            not count as events.
        total: seconds for the whole call: retries, backoff sleeps, fallbacks and streaming.
        write: seconds to send the request body (httpx write timeout).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    connect: float = Field(default=5.0, gt=0)
    first_event: float | None = Field(default=600.0, gt=0)
    idle: float | None = Field(default=120.0, gt=0)
    total: float | None = Field(default=None, gt=0)
    write: float = Field(default=60.0, gt=0)


DEFAULT_TIMEOUTS = Timeouts()
"""connect 5 s, first event 600 s, idle 120 s, no total deadline, write 60 s."""


def _task_getter(loop: asyncio.AbstractEventLoop) -> Callable[[], asyncio.Task[object] | None]:
    """A cheap ``current_task`` for ``loop`` (CPython 3.11's Python-level one costs ~1 µs; a
    ``partial`` of the C-level ``dict.get`` adds no Python frame)."""
    if sys.version_info < (3, 12):
        table = getattr(asyncio.tasks, "_current_tasks", None)
        if isinstance(table, dict):
            return partial(table.get, loop)
    return partial(asyncio.current_task, loop)


def _clock(loop: asyncio.AbstractEventLoop) -> Callable[[], float]:
    """The loop's clock: ``time.monotonic`` itself when the loop's ``time()`` is just that
    (asyncio's own loops; half the cost of the method call), else ``loop.time``."""
    if getattr(type(loop), "time", None) is asyncio.BaseEventLoop.time:
        return time.monotonic
    return loop.time


class Watchdog:
    """Enforces :class:`Timeouts` on one call (see the module docstring).

    The driver calls :meth:`attempt` when it sends a request, :meth:`sleeping` around backoff
    waits, :meth:`streaming` once the first content event arrived, and per event sets
    ``waiting = False`` before yielding and calls :meth:`resume` after (or inlines it: stores
    ``since = clock()``, ``task = current()`` and ``waiting = True``). Nothing is rescheduled
    per event: the timer callback reads ``since`` when it fires.
    """

    __slots__ = (
        "_handle",
        "_kind",
        "_limit",
        "_loop",
        "_total_at",
        "clock",
        "current",
        "fired",
        "since",
        "task",
        "timeouts",
        "waiting",
    )

    def __init__(self, timeouts: Timeouts) -> None:
        self._loop = asyncio.get_running_loop()
        self.current = _task_getter(self._loop)
        self.clock = _clock(self._loop)
        self.timeouts = timeouts
        self._total_at = self.clock() + timeouts.total if timeouts.total is not None else None
        self._handle: asyncio.TimerHandle | None = None
        self._limit: float | None = None
        self._kind = "first_event"
        self.since = self.clock()
        self.task: asyncio.Task[object] | None = None
        self.waiting = False
        self.fired: APITimeoutError | None = None

    # ------------------------------------------------------------------ phases
    def attempt(self) -> None:
        """A request is being sent: the first-event limit runs from now."""
        self._set("first_event", self.timeouts.first_event)

    def sleeping(self) -> None:
        """A backoff wait: only the total deadline runs."""
        self._set("sleep", None)

    def streaming(self) -> None:
        """The first content event arrived: the idle limit runs from now on."""
        self._set("idle", self.timeouts.idle)

    def _set(self, kind: str, limit: float | None) -> None:
        self._kind = kind
        self._limit = limit
        self.since = self.clock()
        self.task = self.current()
        self.waiting = True
        self._schedule()

    def resume(self) -> None:
        """The consumer asked for the next event: the call waits for the network again."""
        self.since = self.clock()
        self.task = self.current()
        self.waiting = True

    def close(self) -> None:
        """Stop the timer (idempotent)."""
        self.waiting = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    # ------------------------------------------------------------------ timer
    def _deadline(self) -> tuple[float, str] | None:
        best: tuple[float, str] | None = None
        if self._limit is not None:
            best = (self.since + self._limit, self._kind)
        if self._total_at is not None and (best is None or self._total_at < best[0]):
            best = (self._total_at, "total")
        return best

    def _schedule(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        deadline = self._deadline()
        if deadline is not None:
            self._handle = self._loop.call_at(deadline[0], self._check)

    def _check(self) -> None:
        self._handle = None
        deadline = self._deadline()
        if deadline is None:
            return
        now = self.clock()
        at, kind = deadline
        if now >= at and self.waiting and self.task is not None and not self.task.done():
            self.fired = self._error(kind)
            self.task.cancel()
            return
        # not due yet, or the consumer (not the network) holds the stream: look again later
        limit = self._limit if kind != "total" else None
        self._handle = self._loop.call_at(max(at, now + (limit or 0.05)), self._check)

    def _error(self, kind: str) -> APITimeoutError:
        t = self.timeouts
        if kind == "total":
            return TotalTimeoutError(
                f"the call's total deadline of {t.total:g} s passed; raise timeouts.total",
                seconds=t.total,
            )
        if kind == "idle":
            return IdleTimeoutError(
                f"no stream event for {t.idle:g} s (SSE comments and pings do not count); the "
                "provider stalled mid-stream. Retry, or raise timeouts.idle",
                seconds=t.idle,
            )
        return FirstEventTimeoutError(
            f"no response event within {t.first_event:g} s of sending the request; retry, or "
            "raise timeouts.first_event (reasoning models may think for minutes)",
            seconds=t.first_event,
        )

    def claim(self, exc: BaseException) -> APITimeoutError | None:
        """The timeout error if ``exc`` is the watchdog's own cancellation, else None.

        Uncancels the task (Python 3.11+) so the cancellation does not leak; if the task was
        also cancelled by someone else, returns None so that cancellation propagates.

        Before 3.11 a task counts no cancellations (a second ``cancel()`` before the first is
        delivered merges into it), so the watchdog's own cancellation is always claimed there.
        A task class that backports ``uncancel`` to 3.10 (pytest-asyncio's runner) is not
        asked either: anyio re-cancels natively cancelled tasks on 3.10 without uncancelling
        them, so its count would read as someone else's cancellation.
        """
        if self.fired is None or not isinstance(exc, asyncio.CancelledError):
            return None
        error, self.fired = self.fired, None
        if sys.version_info >= (3, 11):
            task = self.task
            if task is not None and task.uncancel() > 0:
                return None
        return error
