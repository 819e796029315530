"""What the streaming result classes share: the fields every accumulator keeps, and iterating
once, consuming the rest, closing, ``async with`` and the awaited fields read from the finish.

:class:`~llmkit.StreamTextResult` and :class:`~llmkit.StreamObjectResult` subclass
:class:`StreamResultBase` and write their own ``_iterate`` (the per-event loop) and the fields
that differ. Nothing here runs per event.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from types import TracebackType
from typing import ClassVar, Generic, TypeVar

from typing_extensions import Self

from llmkit.types.events import FinishEvent, ResponseMetadataEvent, StreamEvent
from llmkit.types.finish import FinishReason
from llmkit.types.warnings import CallWarning

__all__ = ["Accumulator", "StreamResultBase"]


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


class StreamResultBase(Generic[A]):
    """A stream consumed once, by iteration or by awaiting its fields."""

    _ONCE: ClassVar[str]
    """The message for a second iteration."""

    def __init__(self, source: Callable[[], AsyncIterator[StreamEvent]], acc: A) -> None:
        self._source = source
        self._acc = acc
        self._active: weakref.ref[AsyncGenerator[StreamEvent, None]] | None = None
        self._started = False
        self._done = False

    def __aiter__(self) -> AsyncGenerator[StreamEvent, None]:
        if self._started:
            raise RuntimeError(self._ONCE)
        self._started = True
        gen = self._iterate()
        self._active = weakref.ref(gen)
        return gen

    def _iterate(self) -> AsyncGenerator[StreamEvent, None]:
        """Pull the events from ``self._source()``, fold each into ``self._acc`` and yield it."""
        raise NotImplementedError

    async def _consume(self) -> A:
        if not self._started:
            async for _ in self:
                pass
        elif not self._done:
            gen = self._active() if self._active else None
            if gen is not None:
                async for _ in gen:
                    pass
        if self._acc.error is not None:
            raise self._acc.error
        return self._acc

    async def aclose(self) -> None:
        """Stop the stream and close the HTTP response now. Safe to call more than once."""
        if not self._started:
            self._started = self._done = True
            return
        gen = self._active() if self._active else None
        if gen is not None:
            await gen.aclose()
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
