"""The synchronous forms: one private event loop on a daemon thread drives the async path.

``generate_text_sync(...)`` runs ``generate_text(...)`` on that loop and blocks until it is done;
``stream_text_sync(...)`` builds the same :class:`~llmkit.StreamTextResult` as ``stream_text``
and wraps it in :class:`SyncStreamTextResult`, whose iterators and fields each run one step of
the async result on the loop and block for it. No call logic is written twice: the wrappers only
move work onto the loop thread and back.

Why a private loop rather than ``asyncio.run`` per call: it works the same from a plain script,
from many worker threads at once (a web server's), and from code already running inside an event
loop (Jupyter, an async web framework), where ``asyncio.run`` refuses to start; and it keeps one
shared HTTP client and connection pool (they are per event loop) across sync calls.

The loop thread is started on first use (one per process, a daemon, so it never keeps the
interpreter alive) and started again if it ever died. Calling a sync form *from* that thread (a
callback or tool of a sync call that calls a sync form) would wait on itself forever; it raises
:class:`RuntimeError` instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from typing_extensions import Self
from typing_extensions import TypeVar as DefaultTypeVar

if TYPE_CHECKING:
    from llmkit._object_result import StreamObjectResult
    from llmkit._result import StreamTextResult
    from llmkit._result_base import StreamResultBase
    from llmkit._steps import ResponseMessage, StepResult
    from llmkit.types.events import (
        AbortEvent,
        ProviderMetadata,
        ResponseMetadataEvent,
        SourceEvent,
        StreamEvent,
        ToolApprovalRequestEvent,
        ToolCallEvent,
    )
    from llmkit.types.finish import FinishReason
    from llmkit.types.usage import Usage
    from llmkit.types.warnings import CallWarning

__all__ = [
    "SyncIterator",
    "SyncStreamObjectResult",
    "SyncStreamTextResult",
    "check_thread",
    "run_sync",
    "sync_loop",
]

T = TypeVar("T")
V = TypeVar("V")
E = TypeVar("E")
P_co = DefaultTypeVar("P_co", covariant=True, default=dict[str, object])

_CANCEL_WAIT = 10.0
"""Seconds an interrupted call waits for its cancellation to finish on the loop thread (closing
the HTTP response) before giving control back anyway."""

_POLL = 0.2
"""Seconds between checks for an interrupt (``KeyboardInterrupt``) while a call is waited on."""

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _serve(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(started.set)
    loop.run_forever()


def sync_loop() -> asyncio.AbstractEventLoop:
    """The private loop the sync forms run on (its thread is started on first use)."""
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            started = threading.Event()
            thread = threading.Thread(
                target=_serve, args=(loop, started), name="llmkit-sync-loop", daemon=True
            )
            thread.start()
            started.wait()
            _loop, _thread = loop, thread
        return _loop


def _on_loop_thread() -> bool:
    thread = _thread
    return thread is not None and thread.ident == threading.get_ident()


def check_thread(coro: Coroutine[Any, Any, Any] | None = None) -> None:
    if _on_loop_thread():
        if coro is not None:
            coro.close()
        raise RuntimeError(
            "a llmkit *_sync function was called on llmkit's own sync event-loop thread (from a "
            "callback or tool of a sync call), where it would wait on itself forever; in async "
            "code (tools, on_finish...) use the async form with await"
        )


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the private loop and return its result (or raise its exception).

    An exception in the waiting thread (``KeyboardInterrupt``) cancels the call and waits, up
    to :data:`_CANCEL_WAIT` seconds, for its cleanup (closing the HTTP response) to finish.

    Raises:
        RuntimeError: called on the private loop's own thread.
    """
    check_thread(coro)
    loop = sync_loop()
    result: concurrent.futures.Future[T] = concurrent.futures.Future()
    finished = threading.Event()
    state: dict[str, Any] = {}

    def copy(task: asyncio.Task[T]) -> None:
        finished.set()
        if result.done():
            return
        if task.cancelled():
            result.cancel()
        elif (exc := task.exception()) is not None:
            result.set_exception(exc)
        else:
            result.set_result(task.result())

    def start() -> None:
        if state.get("cancelled"):
            coro.close()
            finished.set()
            return
        task = state["task"] = loop.create_task(coro)
        task.add_done_callback(copy)

    def cancel() -> None:
        state["cancelled"] = True
        task = state.get("task")
        if task is not None:
            task.cancel()

    loop.call_soon_threadsafe(start)
    try:
        while True:
            try:  # wake up now and then, so an interrupt is seen on every platform
                return result.result(_POLL)
            except concurrent.futures.TimeoutError:
                continue
    except BaseException:
        if not result.done():  # interrupted while waiting: stop the call, let it clean up
            loop.call_soon_threadsafe(cancel)
            finished.wait(_CANCEL_WAIT)
        raise


_END: Any = object()


async def _next(it: AsyncIterator[V]) -> V:
    try:
        return await it.__anext__()
    except StopAsyncIteration:
        return _END  # type: ignore[no-any-return]


class SyncIterator(Generic[V]):
    """A blocking iterator over an async iterator of a streaming result, stepped on the loop.

    Leaving a ``for`` loop early (``break``, an exception), dropping the iterator or calling
    :meth:`close` closes the stream and the HTTP response before control returns (the close
    runs on the loop thread and is waited for), and the result's ``abort`` is set.
    """

    __slots__ = ("__weakref__", "_it", "_open")

    def __init__(self, it: AsyncIterator[V]) -> None:
        self._it = it
        self._open = True

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> V:
        if not self._open:
            raise StopIteration
        try:
            value = run_sync(_next(self._it))
        except BaseException:
            self._open = False
            raise
        if value is _END:
            self._open = False
            raise StopIteration
        return value

    def close(self) -> None:
        """Stop the stream and close the HTTP response now. Safe to call more than once."""
        if self._open:
            self._open = False
            _close(self._it)

    def __del__(self) -> None:
        if getattr(self, "_open", False):
            self._open = False
            _close(self._it, quiet=True)


def _close(closable: Any, *, quiet: bool = False) -> None:
    """Run ``closable.aclose()`` on the loop and wait for it; from the loop thread itself (a
    garbage collection there) or with the loop gone, schedule it or leave it to the loop."""
    loop = _loop
    if _on_loop_thread():
        if loop is not None and loop.is_running():
            loop.create_task(closable.aclose())
        return
    if quiet and (loop is None or loop.is_closed() or not loop.is_running()):
        return
    try:
        run_sync(closable.aclose())
    except Exception:
        if not quiet:
            raise


class _SyncStreamBase(Generic[T]):
    """What the sync stream results share: one iteration, closing, ``with``, the common fields."""

    __slots__ = ("_async", "_iterator")

    _async: StreamResultBase[Any]

    def __init__(self, result: StreamResultBase[Any]) -> None:
        self._async = result
        self._iterator: weakref.ref[SyncIterator[Any]] | None = None  # weak: a drop closes

    def _iterate(self, make: Callable[[], AsyncIterator[V]]) -> SyncIterator[V]:
        async def open_it() -> AsyncIterator[V]:
            return make()  # on the loop thread, so the stream belongs to that loop

        iterator = SyncIterator(run_sync(open_it()))
        self._iterator = weakref.ref(iterator)
        return iterator

    def __iter__(self) -> SyncIterator[StreamEvent]:
        """Every event, in order (once; breaking out closes the stream)."""
        return self._iterate(self._async.__aiter__)

    def close(self) -> None:
        """Stop the stream and close the HTTP response now. Safe to call more than once.

        When it returns, the response is closed, ``abort`` is set (for a stream stopped before
        its end) and ``on_finish`` has run.
        """
        ref, self._iterator = self._iterator, None
        iterator = ref() if ref is not None else None
        if iterator is not None:
            iterator.close()
        _close(self._async)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def finish_reason(self) -> FinishReason:
        """The unified finish reason (reading it consumes the rest of the stream)."""
        return run_sync(self._async.finish_reason)

    @property
    def raw_finish_reason(self) -> str | None:
        """The provider's own finish reason."""
        return run_sync(self._async.raw_finish_reason)

    @property
    def response(self) -> ResponseMetadataEvent | None:
        """Response id, served model id and creation time, if the provider sent them."""
        return run_sync(self._async.response)

    @property
    def warnings(self) -> tuple[CallWarning, ...]:
        """Settings the protocol could not honour."""
        return run_sync(self._async.warnings)


class SyncStreamTextResult(_SyncStreamBase[str]):
    """A streaming call for synchronous code, returned at once by :func:`llmkit.stream_text_sync`.

    The same stream as :class:`~llmkit.StreamTextResult`, read without ``await``: iterate it
    once with ``for event in result`` (or ``for piece in result.text_stream``), and read the
    accumulated fields as plain attributes (``result.text``, ``result.usage``...), which block
    until the rest of the stream has arrived. Breaking out of the loop, leaving ``with result:``
    or calling :meth:`close` closes the HTTP response before the next line runs. Each read
    blocks the calling thread only; use one result from one thread at a time.
    """

    __slots__ = ()

    _async: StreamTextResult

    def __init__(self, result: StreamTextResult) -> None:
        super().__init__(result)

    @property
    def async_result(self) -> StreamTextResult:
        """The underlying async result (for ``await`` from code running on no other loop)."""
        return self._async

    @property
    def text_stream(self) -> SyncIterator[str]:
        """The text deltas only (consumes the stream; breaking out closes it)."""
        return self._iterate(lambda: self._async.text_stream)

    @property
    def abort(self) -> AbortEvent | None:
        """The ``abort`` record when the stream was stopped before its end, else None."""
        return self._async.abort

    @property
    def text(self) -> str:
        """The (last step's) text (reading it consumes the rest of the stream)."""
        return run_sync(self._async.text)

    @property
    def reasoning_text(self) -> str | None:
        """The (last step's) reasoning, or None when the model sent none."""
        return run_sync(self._async.reasoning_text)

    @property
    def tool_calls(self) -> list[ToolCallEvent]:
        """The (last step's) client tool calls."""
        return run_sync(self._async.tool_calls)

    @property
    def steps(self) -> list[StepResult]:
        """Every finished step, in order."""
        return run_sync(self._async.steps)

    @property
    def response_messages(self) -> list[ResponseMessage]:
        """The assistant and tool messages to append to the conversation to continue it."""
        return run_sync(self._async.response_messages)

    @property
    def output(self) -> object:
        """The final answer of the shape given as ``output=`` (see ``StreamTextResult.output``)."""
        return run_sync(self._async.output)

    @property
    def approval_requests(self) -> list[ToolApprovalRequestEvent]:
        """The tool calls waiting for your approval (see ``llmkit.approve``)."""
        return run_sync(self._async.approval_requests)

    @property
    def usage(self) -> Usage:
        """Token usage summed over the steps."""
        return run_sync(self._async.usage)

    @property
    def sources(self) -> list[SourceEvent]:
        """Sources the model cited."""
        return run_sync(self._async.sources)


class SyncStreamObjectResult(_SyncStreamBase[T], Generic[T, P_co]):
    """A streaming structured-output call for synchronous code, returned at once by
    :func:`llmkit.stream_object_sync`: :class:`~llmkit.StreamObjectResult` read without
    ``await`` (``for partial in result.partial_object_stream``, then ``result.object``)."""

    __slots__ = ()

    _async: StreamObjectResult[T, P_co]

    def __init__(self, result: StreamObjectResult[T, P_co]) -> None:
        super().__init__(result)

    @property
    def async_result(self) -> StreamObjectResult[T, P_co]:
        """The underlying async result."""
        return self._async

    @property
    def partial_object_stream(self) -> SyncIterator[P_co]:
        """Partial values as the JSON forms (unvalidated: dicts for an object, lists for a
        list...; breaking out closes it)."""
        return self._iterate(lambda: self._async.partial_object_stream)

    @property
    def element_stream(self: SyncStreamObjectResult[list[E], object]) -> SyncIterator[E]:
        """A list's elements, each validated once complete (breaking out closes it).

        Raises:
            TypeError: at once, when the schema is not a list.
            NoObjectGeneratedError: from the iterator, for an element that does not match.
        """
        return self._iterate(lambda: self._async.element_stream)

    @property
    def text_stream(self) -> SyncIterator[str]:
        """The raw JSON text deltas."""
        return self._iterate(lambda: self._async.text_stream)

    @property
    def object(self) -> T:
        """The validated object (consumes the rest of the stream).

        Raises:
            NoObjectGeneratedError: no output, invalid JSON, or a schema mismatch.
        """
        return run_sync(self._async.object)

    @property
    def text(self) -> str:
        """The raw JSON text."""
        return run_sync(self._async.text)

    @property
    def reasoning_text(self) -> str | None:
        """The model's reasoning, or None."""
        return run_sync(self._async.reasoning_text)

    @property
    def usage(self) -> Usage:
        """Token usage."""
        return run_sync(self._async.usage)

    @property
    def provider_metadata(self) -> ProviderMetadata | None:
        """Extra provider data from the finish event."""
        return run_sync(self._async.provider_metadata)
