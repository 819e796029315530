"""Result objects of structured output: :class:`GenerateObjectResult` (a finished call) and
:class:`StreamObjectResult` (partial values as the JSON forms, then the validated value).

The value's shape is an :class:`~llmkit.Output`: for a wrapped shape (a list, a choice, a plain
value, sent as ``{"elements": ...}``, ``{"result": ...}``, ``{"value": ...}``), the partials and
the final value are unwrapped here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, NoReturn, TypeVar, cast

from typing_extensions import TypeVar as DefaultTypeVar

from llmkit._object_partial import PartialObjectParser
from llmkit._output import Output, error_summary
from llmkit._result_base import Accumulator, EventIterator, PickedIterator, StreamResultBase
from llmkit.errors import LLMKitError, NoObjectGeneratedError
from llmkit.types.events import (
    FinishEvent,
    ProviderMetadata,
    ResponseMetadataEvent,
    StreamEvent,
    StreamStartEvent,
    ToolCallEvent,
    ToolInputStartEvent,
)
from llmkit.types.finish import FinishReason
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

__all__ = ["GenerateObjectResult", "StreamObjectResult"]

T = TypeVar("T")
E = TypeVar("E")
V = TypeVar("V")
P_co = DefaultTypeVar("P_co", covariant=True, default=dict[str, object])
"""The type of a partial value: a dict for an object, ``object`` for the other shapes."""

_NOTHING: tuple[object, ...] = ()


class _ObjectAccumulator(Accumulator):
    """Folds stream events into the JSON text, the partial object and the call's fields.

    ``tool_name`` None: the JSON is the response text; else it is the arguments of the forced
    tool call of that name.
    """

    __slots__ = (
        "elements_sent",
        "model",
        "new_partial",
        "output",
        "parser",
        "shown",
        "tool_args",
        "tool_id",
        "tool_name",
    )

    def __init__(self, output: Output[object], tool_name: str | None) -> None:
        super().__init__()
        self.output = output
        self.tool_name = tool_name
        self.shown: object = _NOTHING  # the last unwrapped partial yielded (wrapped shapes)
        self.elements_sent = 0  # array elements yielded by element_stream
        self.tool_id: str | None = None
        self.tool_args: str | None = None
        self.parser = PartialObjectParser()
        self.new_partial: dict[str, object] | None = None
        self.model: str | None = None

    def _feed(self, delta: str) -> None:
        partial = self.parser.feed(delta)
        if partial is not None:
            self.new_partial = partial

    def add(self, event: StreamEvent) -> None:
        if event.type == "text_delta":
            self.text_parts.append(event.delta)
            if self.tool_name is None:
                self._feed(event.delta)
        elif event.type == "tool_input_delta":
            if event.id == self.tool_id:
                self._feed(event.delta)
        elif event.type == "reasoning_delta":
            self.reasoning_parts.append(event.delta)
        elif isinstance(event, ToolInputStartEvent):
            if self.tool_id is None and event.tool_name == self.tool_name:
                self.tool_id = event.id
        elif isinstance(event, ToolCallEvent):
            if self.tool_args is None and event.tool_name == self.tool_name:
                if not self.parser.text:  # arguments that came in one piece, without deltas
                    self._feed(event.args_json)
                self.tool_args = event.args_json
        elif isinstance(event, FinishEvent):
            from llmkit.catalog import finish_with_cost

            self.finish = finish_with_cost(event, self.model)  # usage.cost for the model
        elif isinstance(event, StreamStartEvent):
            self.warnings = event.warnings
            self.model = event.model
        elif isinstance(event, ResponseMetadataEvent):
            self.response = event

    def take_partial(self) -> dict[str, object] | None:
        """The new partial object (as the JSON forms, wrapper included), or None."""
        partial, self.new_partial = self.new_partial, None
        return partial

    def take_unwrapped(self, _event: StreamEvent) -> tuple[object, ...]:
        """The new partial value of a wrapped shape, as a 0- or 1-tuple (the value may be
        None): the wrapped property once it grew; for a choice, only once complete."""
        partial, self.new_partial = self.new_partial, None
        key = self.output.wrapper
        if self.output.kind == "choice":  # only once complete: the root object closed
            if not self.parser.done or self.shown is not _NOTHING:
                return _NOTHING
            partial = self.parser.last
        if partial is None or key not in partial:
            return _NOTHING
        value = partial[key]
        if self.shown is not _NOTHING and value == self.shown:
            return _NOTHING
        self.shown = value
        return (value,)

    def take_elements(self, _event: StreamEvent) -> Sequence[object]:
        """The array elements completed since the last call, validated.

        Raises:
            NoObjectGeneratedError: a completed element does not match the item schema.
        """
        partial, self.new_partial = self.new_partial, None
        if partial is None and self.parser.done:  # the root closed without changing the value
            partial = self.parser.last
        items = partial.get("elements") if partial is not None else None
        if not isinstance(items, list):
            return _NOTHING
        complete = len(items) if self.parser.done else len(items) - 1
        if complete <= self.elements_sent:
            return _NOTHING
        fresh = items[self.elements_sent : complete]
        self.elements_sent = complete
        return [self.output.from_element(item) for item in fresh]

    def rest_of_elements(self) -> Sequence[object]:
        """At the end of the stream: the elements not yet yielded, when the whole output is
        valid (text the partial parser could not follow: a bare list, a code fence...)."""
        try:
            value = self.validate(self.output)
        except NoObjectGeneratedError:
            return _NOTHING
        if not isinstance(value, Iterable):
            return _NOTHING
        rest = list(value)[self.elements_sent :]
        self.elements_sent += len(rest)
        return rest

    @property
    def text(self) -> str:
        """The raw JSON output (tool arguments, or the response text)."""
        if self.tool_name is not None:
            return self.tool_args if self.tool_args is not None else self.parser.text
        return "".join(self.text_parts)

    @property
    def usage(self) -> Usage:
        return self.finish.usage if self.finish else Usage()

    def validate(self, output: Output[T]) -> T:
        """The validated (and unwrapped) value.

        Raises:
            NoObjectGeneratedError: no output, invalid JSON, or a schema mismatch.
        """
        text = self.text
        finish_reason = self.finish_reason
        if not text.strip():
            where = f"no call of the tool {self.tool_name!r}" if self.tool_name else "no text"
            errors: Sequence[dict[str, object]] = [
                {"loc": (), "msg": f"the model produced {where}", "type": "no_output"}
            ]
            if self.tool_name and self.text_parts:
                text = "".join(self.text_parts)  # what the model said instead
        else:
            try:
                return output.from_text(text)
            except NoObjectGeneratedError as exc:
                errors = cast("Sequence[dict[str, object]]", exc.errors)
        raise NoObjectGeneratedError(
            _message(errors, finish_reason, self.finish),
            text=text,
            errors=errors,
            finish_reason=finish_reason,
            usage=self.usage,
        )


def _message(
    errors: Sequence[dict[str, object]], finish_reason: FinishReason, finish: FinishEvent | None
) -> str:
    message = error_summary(errors)
    if finish_reason == "length":
        message += "; the output was cut at the token limit: raise max_output_tokens"
    for data in (finish.provider_metadata or {}).values() if finish else ():
        if isinstance(data, dict) and data.get("refusal"):  # whichever protocol reported it
            message += f"; the model refused: {data['refusal']}"
            break
    return message


@dataclass(frozen=True, slots=True)
class GenerateObjectResult(Generic[T]):
    """A finished structured-output call: what :func:`llmkit.generate_object` returns.

    Attributes:
        object: the validated value: an instance of the schema type (a model, a
            ``list[Item]``, an ``int``, the ``Literal`` option or ``Enum`` member...), or a
            dict for a raw JSON Schema object; unwrapped for the wrapped shapes.
        text: the raw JSON text the object was validated from (wrapper included).
        reasoning_text: the model's reasoning, or None.
        usage: token usage (None fields: not reported).
        finish_reason, raw_finish_reason: unified and provider finish reasons (a forced tool
            call usually finishes with ``tool_calls``).
        response: response id, served model id and creation time, if the provider sent them.
        warnings: settings that could not be honoured.
        provider_metadata: extra provider data from the finish event.
    """

    object: T
    text: str
    reasoning_text: str | None
    usage: Usage
    finish_reason: FinishReason
    raw_finish_reason: str | None
    response: ResponseMetadataEvent | None
    warnings: tuple[CallWarning, ...]
    provider_metadata: ProviderMetadata | None

    @classmethod
    def from_events(
        cls, events: Iterable[StreamEvent], output: Output[T], tool_name: str | None
    ) -> GenerateObjectResult[T]:
        """Accumulate a complete event sequence and validate its value.

        Raises:
            NoObjectGeneratedError: no output, invalid JSON, or a schema mismatch.
        """
        acc = _ObjectAccumulator(output, tool_name)
        for event in events:
            acc.add(event)
        finish = acc.finish
        return cls(
            object=acc.validate(output),
            text=acc.text,
            reasoning_text="".join(acc.reasoning_parts) if acc.reasoning_parts else None,
            usage=acc.usage,
            finish_reason=acc.finish_reason,
            raw_finish_reason=finish.raw_finish_reason if finish else None,
            response=acc.response,
            warnings=acc.warnings,
            provider_metadata=finish.provider_metadata if finish else None,
        )


class StreamObjectResult(StreamResultBase[_ObjectAccumulator], Generic[T, P_co]):
    """A streaming structured-output call, returned at once by :func:`llmkit.stream_object`.

    ``StreamObjectResult[T, P]``: ``T`` is the validated value, ``P`` the partial values
    (``dict[str, object]`` for an object, the default; ``list[object]`` for a list; ``object``
    otherwise).

    Consume it once, in one of four ways: ``async for partial in result.partial_object_stream``
    (partial values, each extending the one before), ``async for item in
    result.element_stream`` (a list's elements, validated, each once complete), ``async for
    delta in result.text_stream`` (the raw JSON text deltas), or ``async for event in result``
    (every :data:`~llmkit.types.StreamEvent`). Then, or instead, await the fields: ``await
    result.object`` is the validated value (it consumes the rest of the stream) and raises
    :class:`~llmkit.errors.NoObjectGeneratedError` when the output does not match the schema.

    Nothing is sent until one of these happens. Errors from the provider (HTTP status,
    connection, in-band, truncated stream) are raised from the iterator and from each awaited
    field; validation errors only from ``object``. Breaking out of the loop, ``async with``, or
    ``await result.aclose()`` closes the HTTP response.
    """

    _ONCE = (
        "a StreamObjectResult can be consumed only once; await its fields "
        "(result.object, result.usage...) for the accumulated values"
    )

    def __init__(
        self,
        source: Callable[[], AsyncIterator[StreamEvent]],
        output: Output[T],
        tool_name: str | None,
    ) -> None:
        super().__init__(source, _ObjectAccumulator(output, tool_name))
        self._output = output

    def __iter__(self) -> NoReturn:
        raise TypeError(
            "a StreamObjectResult is an async stream: use `async for` (or await its fields), "
            "or stream_object_sync(...) for sync code"
        )

    async def _iterate(self) -> AsyncGenerator[StreamEvent, None]:
        source = self._source()
        add = self._acc.add
        try:
            async for event in source:
                add(event)
                yield event
        except LLMKitError as exc:
            self._acc.error = exc
            raise
        finally:
            self._done = True
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()

    @property
    def partial_object_stream(self) -> AsyncIterator[P_co]:
        """Partial values as the JSON forms, each extending the one before it.

        For an object, dicts (``{}`` → ``{"name": "Ad"}`` → ...); for a list, growing lists
        (the last element may be incomplete); for a plain value, the value as it forms (a
        string grows; numbers, ``true``/``false``/``null`` come once complete); for a choice,
        only the complete option. Unwrapped: never the ``{"elements": ...}`` wrapper.

        Unvalidated: a partial may lack required fields. Awaiting :attr:`object` afterwards
        gives the validated value.
        """
        acc = self._acc
        if self._output.wrapper is None:
            take = acc.take_partial
            picked = PickedIterator(self.__aiter__(), lambda _event: take())
            return cast("AsyncIterator[P_co]", picked)
        return cast("AsyncIterator[P_co]", _ValuesIterator(self.__aiter__(), acc.take_unwrapped))

    @property
    def element_stream(self: StreamObjectResult[list[E], object]) -> AsyncIterator[E]:
        """A list's elements, each validated once complete (the next one started, or the list
        closed), in order: for ``schema=list[Item]`` or ``Output.array(...)``.

        Raises:
            TypeError: at once, when the schema is not a list.
            NoObjectGeneratedError: from the iterator, for an element that does not match
                the item schema (the stream stops there).
        """
        acc = self._acc
        if self._output.kind != "array":
            raise TypeError(
                "element_stream is for lists (schema=list[Item] or llmkit.Output.array(...)); "
                "use partial_object_stream for partial values"
            )
        values = _ValuesIterator(self.__aiter__(), acc.take_elements, acc.rest_of_elements)
        return cast("AsyncIterator[E]", values)

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """The raw JSON text deltas (response text, or the forced tool call's arguments)."""
        acc = self._acc
        sent = False

        def pick(event: StreamEvent) -> str | None:
            nonlocal sent
            if acc.tool_name is None:
                return event.delta if event.type == "text_delta" else None
            if event.type == "tool_input_delta" and event.id == acc.tool_id:
                sent = True
                return event.delta
            if event.type == "tool_call" and not sent and event.tool_name == acc.tool_name:
                sent = True  # arguments that came in one piece, without deltas
                return event.args_json
            return None

        return PickedIterator(self.__aiter__(), pick)

    @property
    async def object(self) -> T:
        """The validated value (consumes the rest of the stream), unwrapped for the wrapped
        shapes.

        Raises:
            NoObjectGeneratedError: no output, invalid JSON, or a schema mismatch (with the
                raw ``text`` and the validation ``errors``).
        """
        return (await self._consume()).validate(self._output)

    @property
    async def text(self) -> str:
        """The raw JSON text (tool arguments, or the response text)."""
        return (await self._consume()).text

    @property
    async def reasoning_text(self) -> str | None:
        """The model's reasoning, or None when it sent none."""
        parts = (await self._consume()).reasoning_parts
        return "".join(parts) if parts else None

    @property
    async def usage(self) -> Usage:
        """Token usage (fields the provider did not report are None)."""
        return (await self._consume()).usage

    @property
    async def provider_metadata(self) -> ProviderMetadata | None:
        """Extra provider data from the finish event."""
        finish = (await self._consume()).finish
        return finish.provider_metadata if finish else None


class _ValuesIterator(Generic[V]):
    """An async iterator over the values ``pick`` returns for a result's events (any number per
    event, None included), then those of ``end`` once the events are over. Dropping it closes
    the stream as dropping the :class:`~llmkit._result_base.EventIterator` does."""

    __slots__ = ("_end", "_events", "_pick", "_queue")

    def __init__(
        self,
        events: EventIterator,
        pick: Callable[[StreamEvent], Sequence[V]],
        end: Callable[[], Sequence[V]] | None = None,
    ) -> None:
        self._events = events
        self._pick = pick
        self._end = end
        self._queue: deque[V] = deque()

    def __aiter__(self) -> _ValuesIterator[V]:
        return self

    async def __anext__(self) -> V:
        queue = self._queue
        if not queue:
            pick = self._pick
            async for event in self._events:
                values = pick(event)
                if values:
                    queue.extend(values)
                    break
            else:
                end, self._end = self._end, None
                if end is not None:
                    queue.extend(end())
            if not queue:
                raise StopAsyncIteration
        return queue.popleft()

    async def aclose(self) -> None:
        """Stop the stream and close the HTTP response."""
        await self._events.aclose()
