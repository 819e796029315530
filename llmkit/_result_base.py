"""What the streaming result classes share: the fields every accumulator keeps, and iterating
once, consuming the rest, closing, ``async with`` and the awaited fields read from the finish.

:class:`~llmkit.StreamTextResult` and :class:`~llmkit.StreamObjectResult` subclass
:class:`StreamResultBase` and write their own ``_iterate`` (the per-event loop) and the fields
that differ. Nothing here runs per event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import ClassVar, Generic, TypeVar

from typing_extensions import Self

from llmkit._closing import close_now, track
from llmkit.types.events import FinishEvent, ResponseMetadataEvent, StreamEvent
from llmkit.types.finish import FinishReason
from llmkit.types.warnings import CallWarning

__all__ = ["Accumulator", "EventIterator", "PickedIterator", "StreamResultBase"]


class Accumulator:
    """The fields every result accumulator keeps; subclasses add theirs and fold the events."""

    __slots__ = ("error", "finish", "reasoning_parts", "response", "text_parts", "warnings")

    def __init__(self) -> None:
        self.text_parts: list[str] = []
        self.reasoning_parts: list[str] = []
        self.warnings: tuple[CallWarning, ...] = ()
        self.response: ResponseMetadataEvent | None = None
        self.finish: FinishEvent | None = None
        self.error: BaseException | None = None

    @property
    def finish_reason(self) -> FinishReason:
        """``error`` after a failure, the finish event's reason, or ``other`` without one."""
        if self.error is not None:
            return "error"
        return self.finish.finish_reason if self.finish else "other"


A = TypeVar("A", bound=Accumulator)
V = TypeVar("V")


class EventIterator:
    """What ``async for event in result`` iterates: the result's events, in order.

    It forwards each ``__anext__`` to the result's event generator. When it is dropped before
    the stream ended (``break`` out of ``async for``, an exception in the loop body), the
    result closes the stream at once, before control returns to the code after the loop
    (see :meth:`StreamResultBase._abandon`); without this, Python would leave the generator to
    the event loop's finalizer, which closes it later, or at interpreter exit concurrently with
    the generators it waits on.
    """

    __slots__ = ("__weakref__", "_gen", "_owner")

    def __init__(self, owner: StreamResultBase[A], gen: AsyncGenerator[StreamEvent, None]) -> None:
        self._owner: StreamResultBase[A] | None = owner
        self._gen = gen

    def __aiter__(self) -> EventIterator:
        return self

    def __anext__(self) -> Awaitable[StreamEvent]:
        return self._gen.__anext__()

    async def aclose(self) -> None:
        """Stop the stream and close the HTTP response (as :meth:`StreamResultBase.aclose`)."""
        owner, self._owner = self._owner, None
        if owner is not None:
            await owner.aclose()

    def __del__(self) -> None:
        owner = self._owner
        if owner is not None:
            owner._abandon()


class PickedIterator(Generic[V]):
    """An async iterator over the values ``pick`` returns for a result's events, skipping the
    events it returns None for (``text_stream``, ``partial_object_stream``). Dropping it
    closes the stream as dropping the :class:`EventIterator` does."""

    __slots__ = ("_events", "_pick")

    def __init__(self, events: EventIterator, pick: Callable[[StreamEvent], V | None]) -> None:
        self._events = events
        self._pick = pick

    def __aiter__(self) -> PickedIterator[V]:
        return self

    async def __anext__(self) -> V:
        pick = self._pick
        async for event in self._events:
            value = pick(event)
            if value is not None:
                return value
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop the stream and close the HTTP response."""
        await self._events.aclose()


class StreamResultBase(Generic[A]):
    """A stream consumed once, by iteration or by awaiting its fields."""

    _ONCE: ClassVar[str]
    """The message for a second iteration."""

    def __init__(self, source: Callable[[], AsyncIterator[StreamEvent]], acc: A) -> None:
        self._source = source
        self._acc = acc
        self._gen: AsyncGenerator[StreamEvent, None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._started = False
        self._done = False

    def __aiter__(self) -> EventIterator:
        if self._started:
            raise RuntimeError(self._ONCE)
        self._started = True
        self._gen = gen = self._iterate()
        track(gen)
        return EventIterator(self, gen)

    def _iterate(self) -> AsyncGenerator[StreamEvent, None]:
        """Pull the events from ``self._source()``, fold each into ``self._acc`` and yield it."""
        raise NotImplementedError

    async def _consume(self) -> A:
        if not self._started:
            self._started = True
            gen = self._gen = self._iterate()
            track(gen)
            async for _ in gen:
                pass
        elif self._closing is not None:
            await self._closing
        elif not self._done and self._gen is not None:
            async for _ in self._gen:
                pass
        if self._acc.error is not None:
            raise self._acc.error
        return self._acc

    def _abandon(self) -> None:
        """The iterator was dropped: close the stream now (synchronously where its cleanup
        never waits on the network, else in a task that :meth:`aclose` awaits)."""
        gen = self._gen
        if gen is not None and not self._done and self._closing is None:
            self._closing = close_now(gen)

    async def aclose(self) -> None:
        """Stop the stream and close the HTTP response now. Safe to call more than once.

        When it returns, the response is closed, :attr:`abort` is set (for a stream stopped
        before its end) and ``on_finish`` has run.
        """
        if not self._started:
            self._started = self._done = True
            return
        if self._closing is not None:
            await self._closing
        elif self._gen is not None:
            await self._gen.aclose()
        self._done = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    async def finish_reason(self) -> FinishReason:
        """The unified finish reason."""
        return (await self._consume()).finish_reason

    @property
    async def raw_finish_reason(self) -> str | None:
        """The provider's own finish reason."""
        finish = (await self._consume()).finish
        return finish.raw_finish_reason if finish else None

    @property
    async def response(self) -> ResponseMetadataEvent | None:
        """Response id, served model id and creation time, if the provider sent them."""
        return (await self._consume()).response

    @property
    async def warnings(self) -> tuple[CallWarning, ...]:
        """Settings the protocol could not honour."""
        return (await self._consume()).warnings
