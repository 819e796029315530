"""One model call with the model's middleware: what the tool loop, the object calls and the
gateway call for each step.

A target (or a fallback model) wrapped with middleware (:func:`llmkit.middleware.wrap_model`)
goes through it (:mod:`llmkit.middleware._apply`; a pre-built request is then not used, since
the middleware may change the options). Any other call is the driver's own generator
(:func:`llmkit._driver.stream_step`), returned as it is: no layer in between. The driver knows
nothing of middleware, so the layers stay one-way (middleware above the driver).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from llmkit import _driver

if TYPE_CHECKING:
    from llmkit._driver import Connection, Target
    from llmkit.protocols.base import BuiltRequest
    from llmkit.types.events import StreamEvent
    from llmkit.types.options import CallOptions

__all__ = ["generate_step", "stream_step"]


def _wrapped(target: Target, connection: Connection) -> bool:
    return bool(target.middleware) or any(f.middleware for f in connection.fallbacks)


def stream_step(
    target: Target,
    call: CallOptions,
    connection: Connection,
    request: BuiltRequest | None = None,
) -> AsyncIterator[StreamEvent]:
    """One streamed model call (see :func:`llmkit._driver.stream_step`), through the model's
    middleware if it has any.

    Args:
        request: the request already built from ``call``, or None (not used with middleware).

    Raises:
        The errors of :func:`llmkit._driver.stream_step`, and what the middleware raises.
    """
    if _wrapped(target, connection):
        from llmkit.middleware._apply import stream_with_middleware

        return stream_with_middleware(target, call, connection)
    return _driver.stream_step(target, call, connection, request)


async def generate_step(
    target: Target, call: CallOptions, connection: Connection
) -> list[StreamEvent]:
    """One non-streamed model call (see :func:`llmkit._driver.generate_step`), through the
    model's middleware if it has any.

    Raises:
        The errors of :func:`llmkit._driver.generate_step`, and what the middleware raises.
    """
    if _wrapped(target, connection):
        from llmkit.middleware._apply import generate_with_middleware

        return await generate_with_middleware(target, call, connection)
    return await _driver.generate_step(target, call, connection)
