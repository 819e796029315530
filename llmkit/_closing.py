"""Closing an abandoned async generator at once, from synchronous code.

When ``async for`` is left by ``break`` (or an exception in its body), Python drops the
iterator without closing it; asyncio's async-generator finalizer then schedules ``aclose()`` in
a task that runs later, or not at all: at interpreter exit ``asyncio.run`` closes every live
generator concurrently, so an outer generator's cleanup and the inner generators it awaits race
("aclose(): asynchronous generator is already running", "no running event loop").

:func:`close_now` instead runs the generator's ``aclose()`` to completion synchronously, in the
current task, as long as its cleanup only yields to the loop without waiting on a future (closing
an HTTP response, releasing pool slots and rate-limit slots: ``asyncio.sleep(0)`` is a bare
yield). If the cleanup does wait on something (an async ``on_finish`` callback doing I/O,
cancelled tool runs finishing), the rest runs in a task, driven from where it stopped.

:func:`track` covers the one case left: a stream still open when its event loop ends (kept in
a global, neither finished nor closed). The loop's ``shutdown_asyncgens`` (which
``asyncio.run`` calls last) first closes each tracked stream from its outermost generator, so
the inner ones end in order, and only then closes whatever else is left.

:func:`at_shutdown` runs a loop's own cleanups (closing its shared HTTP client) in the same
hook, after the streams and before the remaining generators.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from typing import Any

__all__ = ["at_shutdown", "close_now", "track"]

_log = logging.getLogger("llmkit")

_pending: set[asyncio.Task[None]] = set()
"""Closing tasks still running (asyncio keeps only weak references to tasks)."""


_open: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakSet[AsyncGenerator[Any, None]]
] = weakref.WeakKeyDictionary()


_cleanups: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, list[Callable[[], Awaitable[None]]]
] = weakref.WeakKeyDictionary()


def at_shutdown(loop: asyncio.AbstractEventLoop, cleanup: Callable[[], Awaitable[None]]) -> None:
    """Await ``cleanup()`` when ``loop`` shuts down its async generators (``asyncio.run`` does
    last), after the tracked streams are closed. A failure is logged, never raised."""
    cleanups = _cleanups.get(loop)
    if cleanups is None:
        cleanups = _cleanups[loop] = []
        _hook(loop)
    cleanups.append(cleanup)


def track(gen: AsyncGenerator[Any, None]) -> None:
    """Close ``gen`` (a stream's outermost generator) before the running loop's other async
    generators when the loop shuts down, if it is still open then. Once per stream."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    streams = _open.get(loop)
    if streams is None:
        streams = _open[loop] = weakref.WeakSet()
        _hook(loop)
    streams.add(gen)


_hooked: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def _hook(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop.shutdown_asyncgens`` close the tracked streams, then run the cleanups,
    before the rest (once per loop)."""
    if loop in _hooked:
        return
    _hooked.add(loop)
    original = loop.shutdown_asyncgens

    async def shutdown_asyncgens() -> None:
        for gen in list(_open.pop(loop, ())):
            if getattr(gen, "ag_frame", None) is not None and not getattr(gen, "ag_running", 0):
                try:
                    await gen.aclose()
                except BaseException as exc:  # shutting down: log, go on with the others
                    _log.debug("closing a stream at loop shutdown failed: %r", exc)
        for cleanup in _cleanups.pop(loop, ()):
            try:
                await cleanup()
            except BaseException as exc:
                _log.debug("a cleanup at loop shutdown failed: %r", exc)
        await original()

    # a loop class without instance attributes (uvloop) keeps its own order
    with contextlib.suppress(AttributeError):
        loop.shutdown_asyncgens = shutdown_asyncgens  # type: ignore[method-assign]


def close_now(gen: AsyncGenerator[Any, None]) -> asyncio.Task[None] | None:
    """Close ``gen`` now; return None when it is closed, or the task finishing the close.

    Does nothing (returns None) outside a running event loop: the loop's own finalizer
    closes the generator then. Never raises: a failure of the cleanup is logged.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    closing = gen.aclose()
    try:
        waiting = closing.send(None)
        while waiting is None:  # a bare yield (asyncio.sleep(0)): go on at once
            waiting = closing.send(None)
    except StopIteration:
        return None
    except BaseException as exc:  # cleanup failed: nothing to hand it to from a finalizer
        _log.debug("closing an abandoned stream failed: %r", exc)
        return None
    task = loop.create_task(_resume(closing, waiting))
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    return task


async def _resume(closing: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Drive ``closing`` on from the future it is waiting on, as a task would. Never raises:
    the stream was abandoned, so a failure of its cleanup is logged, not handed to anyone."""
    while True:
        try:
            if waiting is not None:
                # as Task.__step does with a yielded future: it is ours to wait on now
                waiting._asyncio_future_blocking = False
                await waiting
        except asyncio.CancelledError:
            # the loop is shutting down: let the cleanup see the cancellation
            try:
                waiting = closing.throw(asyncio.CancelledError())
            except (StopIteration, asyncio.CancelledError):
                return
            except BaseException as exc:
                _log.debug("closing an abandoned stream failed: %r", exc)
                return
            continue
        except BaseException:  # the awaited future failed: the cleanup reads its result
            pass
        try:
            waiting = closing.send(None)
        except StopIteration:
            return
        except BaseException as exc:
            _log.debug("closing an abandoned stream failed: %r", exc)
            return
