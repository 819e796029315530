"""A streamed call answered by a non-streamed request: :func:`simulate_streaming`.

As the Vercel AI SDK's ``simulateStreamingMiddleware`` (AI SDK reference,
"simulateStreamingMiddleware": "simulates streaming chunks with the response from a generate
call"): for endpoints or models that cannot stream (some proxies and batch-only models, or
a stream whose usage is incomplete), a ``stream_text`` call sends a non-streamed request and
hands its events on as a stream. llmkit's non-streamed responses are already stream events,
so the stream has every block whole: one delta per block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from llmkit.middleware._base import GenerateNext, Middleware, StreamNext

if TYPE_CHECKING:
    from llmkit.types.events import StreamEvent
    from llmkit.types.options import CallOptions

__all__ = ["SimulateStreamingMiddleware", "simulate_streaming"]


class SimulateStreamingMiddleware(Middleware):
    """Answers a streamed call with a non-streamed request (made by
    :func:`simulate_streaming`)."""

    async def wrap_stream(
        self,
        do_stream: StreamNext,
        call: CallOptions,
        *,
        model: str,
        do_generate: GenerateNext,
    ) -> AsyncIterator[StreamEvent]:
        """The events of ``do_generate(call)``, yielded once the whole response arrived."""
        for event in await do_generate(call):
            yield event

    def __repr__(self) -> str:
        return "simulate_streaming()"


def simulate_streaming() -> SimulateStreamingMiddleware:
    """Middleware that makes streamed calls with a non-streamed request.

    The stream's events come all at once when the response is complete (``stream_start``
    first, ``finish`` last, as a stream); the time limits are those of a non-streamed call
    (``first_event`` covers the whole response). Non-streamed calls are unchanged.

    Returns:
        A :class:`SimulateStreamingMiddleware` for :func:`~llmkit.middleware.wrap_model`.
    """
    return SimulateStreamingMiddleware()
