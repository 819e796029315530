"""The :class:`Middleware` base class: what a middleware may change around one model call.

The shape follows the Vercel AI SDK's ``LanguageModelMiddleware`` (``transformParams``,
``wrapGenerate``, ``wrapStream``; AI SDK reference, "wrapLanguageModel" and "Language Model
Middleware"), in Python terms: call options in, stream events out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from llmkit.types.events import StreamEvent
    from llmkit.types.options import CallOptions

__all__ = ["CallKind", "GenerateNext", "Middleware", "StreamNext"]

CallKind: TypeAlias = Literal["stream", "generate"]
"""Which kind of call a middleware sees: a streamed request (``stream_text``, ``stream_object``,
a streaming gateway request) or a non-streamed one (``generate_text``, ``generate_object``)."""

StreamNext: TypeAlias = Callable[["CallOptions"], AsyncIterator["StreamEvent"]]
"""``do_stream(call)``: the streamed call of the next layer inward (the next middleware, or the
model itself); iterate it to send the request and read its events."""

GenerateNext: TypeAlias = Callable[["CallOptions"], Awaitable[list["StreamEvent"]]]
"""``do_generate(call)``: the non-streamed call of the next layer inward; await it for the
whole response as a list of stream events (``stream_start`` first, one ``finish`` last)."""


class Middleware:
    """Code that runs around every call of a wrapped model (see :func:`wrap_model`).

    Subclass it and override what you need; each default passes the call through unchanged.
    With several middleware, ``wrap_model(model, [a, b])`` makes ``a`` the outermost layer:
    ``a`` transforms the options first and sees the events last.

    Every layer keeps the event contract of :mod:`llmkit.types.events`: ``stream_start``
    first, one ``finish`` last, every ``*_start`` matched by one ``*_end`` with the same id.
    Retries and fallback models happen inside the innermost call, so a layer sees one answer,
    and an error raised by ``do_stream`` / ``do_generate`` is final for it.
    """

    def transform_options(
        self, call: CallOptions, *, kind: CallKind, model: str
    ) -> CallOptions | Awaitable[CallOptions]:
        """Change the options of a call before it is sent (may be ``async def``).

        ``CallOptions`` is frozen: return ``call.model_copy(update={...})``.

        Args:
            call: the options the call would send (after any outer layer's changes).
            kind: ``"stream"`` or ``"generate"``.
            model: the wrapped model's ``"provider:model"`` name.

        Returns:
            The options to send (``call`` itself to change nothing).
        """
        return call

    def wrap_stream(
        self,
        do_stream: StreamNext,
        call: CallOptions,
        *,
        model: str,
        do_generate: GenerateNext,
    ) -> AsyncIterator[StreamEvent]:
        """Wrap a streamed call: usually an ``async def`` generator that iterates
        ``do_stream(call)`` and yields events (changed, dropped or added).

        A stream this layer opens with ``do_stream`` or ``do_generate`` is closed when the
        layer's own stream ends or is closed (a consumer's ``break``).

        Args:
            do_stream: the next layer's streamed call.
            call: the options, after this layer's :meth:`transform_options`.
            model: the wrapped model's ``"provider:model"`` name.
            do_generate: the next layer's non-streamed call (to answer a stream from a
                non-streamed request, as :func:`~llmkit.middleware.simulate_streaming` does).

        Returns:
            The events of the call.
        """
        return do_stream(call)

    async def wrap_generate(
        self,
        do_generate: GenerateNext,
        call: CallOptions,
        *,
        model: str,
        do_stream: StreamNext,
    ) -> list[StreamEvent]:
        """Wrap a non-streamed call: await ``do_generate(call)`` and return its events
        (changed, dropped or added).

        Args:
            do_generate: the next layer's non-streamed call.
            call: the options, after this layer's :meth:`transform_options`.
            model: the wrapped model's ``"provider:model"`` name.
            do_stream: the next layer's streamed call.

        Returns:
            The events of the call, ``stream_start`` first and ``finish`` last.
        """
        return await do_generate(call)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
