"""Running a target's middleware around the driver's one model call.

:func:`llmkit._model_call.stream_step` and :func:`llmkit._model_call.generate_step` come here
only when the target (or a fallback model) has middleware; otherwise they return the driver's
own call, with no layer in between.

Layers, outermost first: the target's middleware, then the fallback chain. The chain is the
driver's own call (retries, then fallback models) unless a fallback model has middleware of its
own: then each wrapped fallback starts a group (it and the plain fallbacks after it), the groups
are tried in order like fallbacks (a retryable failure before the group's first answer moves on
to the next group) and a wrapped fallback's middleware runs around its group only.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from llmkit.errors import APIError, InvalidArgumentError
from llmkit.types.events import StreamEvent, StreamStartEvent

if TYPE_CHECKING:
    from llmkit._driver import Connection, Target
    from llmkit.middleware._base import CallKind, Middleware
    from llmkit.types.options import CallOptions

__all__ = ["generate_with_middleware", "stream_with_middleware"]


@dataclass(frozen=True, slots=True)
class _Layer:
    """A model as the layer outside it sees it: its streamed and non-streamed call."""

    stream: Callable[[CallOptions], AsyncIterator[StreamEvent]]
    generate: Callable[[CallOptions], Awaitable[list[StreamEvent]]]


async def _close(events: object) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()


async def _options(layer: Middleware, call: CallOptions, kind: CallKind, name: str) -> CallOptions:
    from llmkit.types.options import CallOptions

    changed = layer.transform_options(call, kind=kind, model=name)
    if inspect.isawaitable(changed):
        changed = await changed
    if not isinstance(changed, CallOptions):
        raise InvalidArgumentError(
            f"{layer!r}.transform_options returned {type(changed).__name__}, not CallOptions: "
            f"return call.model_copy(update={{...}}) (or call itself)"
        )
    return changed


def _wrap(layer: Middleware, inner: _Layer, name: str) -> _Layer:
    """``layer`` around ``inner``; streams the layer opens are closed when it ends."""

    async def stream(call: CallOptions) -> AsyncIterator[StreamEvent]:
        call = await _options(layer, call, "stream", name)
        opened: list[AsyncIterator[StreamEvent]] = []

        def do_stream(options: CallOptions) -> AsyncIterator[StreamEvent]:
            events = inner.stream(options)
            opened.append(events)
            return events

        wrapped: object = None
        try:
            wrapped = layer.wrap_stream(do_stream, call, model=name, do_generate=inner.generate)
            if inspect.isawaitable(wrapped):  # an ``async def`` returning an iterator
                wrapped = await wrapped
            if not hasattr(wrapped, "__aiter__"):
                raise InvalidArgumentError(
                    f"{layer!r}.wrap_stream returned {type(wrapped).__name__}, not an async "
                    f"iterator of stream events: write it as an async generator (async def "
                    f"with yield)"
                )
            async for event in wrapped:
                yield event
        finally:
            await _close(wrapped)
            for events in reversed(opened):
                await _close(events)

    async def generate(call: CallOptions) -> list[StreamEvent]:
        call = await _options(layer, call, "generate", name)
        opened: list[AsyncIterator[StreamEvent]] = []

        def do_stream(options: CallOptions) -> AsyncIterator[StreamEvent]:
            events = inner.stream(options)
            opened.append(events)
            return events

        try:
            events = await layer.wrap_generate(
                inner.generate, call, model=name, do_stream=do_stream
            )
        finally:
            for opened_events in reversed(opened):
                await _close(opened_events)
        if not isinstance(events, list):
            raise InvalidArgumentError(
                f"{layer!r}.wrap_generate returned {type(events).__name__}, not a list of "
                f"stream events"
            )
        return events

    return _Layer(stream, generate)


def _stack(layers: Sequence[Middleware], inner: _Layer, name: str) -> _Layer:
    """``layers`` (outermost first) around ``inner``."""
    for layer in reversed(layers):
        inner = _wrap(layer, inner, name)
    return inner


class _Answered:
    """Set once the driver's call of a group answered (no fallback after that)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = False


def _base(target: Target, connection: Connection, answered: _Answered | None = None) -> _Layer:
    """The driver's own call of ``target`` (its middleware left out), retries and the
    connection's fallbacks included; ``answered`` is set at its first event."""
    from llmkit._driver import generate_step, stream_step

    plain = replace(target, middleware=())
    if answered is None:
        return _Layer(
            lambda call: stream_step(plain, call, connection),
            lambda call: generate_step(plain, call, connection),
        )
    flag = answered

    async def stream(call: CallOptions) -> AsyncIterator[StreamEvent]:
        events = stream_step(plain, call, connection)
        try:
            async for event in events:
                flag.value = True
                yield event
        finally:
            await _close(events)

    async def generate(call: CallOptions) -> list[StreamEvent]:
        events = await generate_step(plain, call, connection)
        flag.value = True
        return events

    return _Layer(stream, generate)


def _groups(target: Target, connection: Connection) -> list[tuple[Target, Connection]]:
    """The fallback chain cut before each fallback that has middleware: each group's head
    and the connection whose fallbacks are the plain models after it."""
    heads: list[tuple[Target, list[Target]]] = [(target, [])]
    for fallback in connection.fallbacks:
        if fallback.middleware:
            heads.append((fallback, []))
        else:
            heads[-1][1].append(fallback)
    return [(head, replace(connection, fallbacks=tuple(tail))) for head, tail in heads]


def _group_layer(index: int, head: Target, connection: Connection, answered: _Answered) -> _Layer:
    base = _base(head, connection, answered)
    if index == 0:  # the first group's middleware is the target's: it wraps the whole chain
        return base
    return _stack(head.middleware, base, head.name)


def _worth_next(exc: APIError, head: Target, connection: Connection) -> bool:
    from llmkit._driver import _fallback_worthy, _policy

    return _fallback_worthy(exc, _policy(connection, head.provider))


def _counted(event: StreamEvent, spent: int) -> StreamEvent:
    if spent and isinstance(event, StreamStartEvent):
        return StreamStartEvent(event.warnings, event.model, event.attempts + spent)
    return event


async def _stream_groups(
    groups: list[tuple[Target, Connection]], call: CallOptions
) -> AsyncIterator[StreamEvent]:
    spent = 0  # requests sent by the groups that failed
    for index, (head, connection) in enumerate(groups):
        answered = _Answered()
        events = _group_layer(index, head, connection, answered).stream(call)
        held: list[StreamEvent] = []  # a layer's events before its group answered
        failed = False
        try:
            while True:
                try:
                    event = await events.__anext__()
                except StopAsyncIteration:
                    break
                except APIError as exc:
                    if (
                        answered.value
                        or index + 1 == len(groups)
                        or not _worth_next(exc, head, connection)
                    ):
                        exc.attempts += spent
                        raise
                    spent += exc.attempts
                    failed = True
                    break
                event = _counted(event, spent)
                if not answered.value:
                    held.append(event)
                    continue
                for earlier in held:
                    yield earlier
                held.clear()
                yield event
        finally:
            await _close(events)
        if not failed:
            for earlier in held:
                yield earlier
            return


async def _generate_groups(
    groups: list[tuple[Target, Connection]], call: CallOptions
) -> list[StreamEvent]:
    spent = 0
    for index, (head, connection) in enumerate(groups):
        answered = _Answered()
        try:
            events = await _group_layer(index, head, connection, answered).generate(call)
        except APIError as exc:
            if answered.value or index + 1 == len(groups) or not _worth_next(exc, head, connection):
                exc.attempts += spent
                raise
            spent += exc.attempts
            continue
        return [_counted(event, spent) for event in events]
    raise AssertionError("unreachable: no group")  # pragma: no cover


def _model(target: Target, connection: Connection) -> _Layer:
    """The target's middleware around the fallback chain."""
    groups = _groups(target, connection)
    if len(groups) == 1:
        chain = _base(target, connection)
    else:
        chain = _Layer(
            lambda call: _stream_groups(groups, call),
            lambda call: _generate_groups(groups, call),
        )
    return _stack(target.middleware, chain, target.name)


def stream_with_middleware(
    target: Target, call: CallOptions, connection: Connection
) -> AsyncIterator[StreamEvent]:
    """The streamed call of ``target`` through its middleware (see the module docstring)."""
    return _model(target, connection).stream(call)


async def generate_with_middleware(
    target: Target, call: CallOptions, connection: Connection
) -> list[StreamEvent]:
    """The non-streamed call of ``target`` through its middleware."""
    return await _model(target, connection).generate(call)
