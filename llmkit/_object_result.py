"""Result objects of structured output: :class:`GenerateObjectResult` (a finished call) and
:class:`StreamObjectResult` (partial objects as the JSON forms, then the validated object)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Generic, NoReturn, TypeVar

from llmkit._object_partial import PartialObjectParser
from llmkit._object_schema import InvalidObject, ObjectSchema
from llmkit._result_base import Accumulator, PickedIterator, StreamResultBase
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


class _ObjectAccumulator(Accumulator):
    """Folds stream events into the JSON text, the partial object and the call's fields.

    ``tool_name`` None: the JSON is the response text; else it is the arguments of the forced
    tool call of that name.
    """

    __slots__ = ("model", "new_partial", "parser", "tool_args", "tool_id", "tool_name")

    def __init__(self, tool_name: str | None) -> None:
        super().__init__()
        self.tool_name = tool_name
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
        partial, self.new_partial = self.new_partial, None
        return partial

    @property
    def text(self) -> str:
        """The raw JSON output (tool arguments, or the response text)."""
        if self.tool_name is not None:
            return self.tool_args if self.tool_args is not None else self.parser.text
        return "".join(self.text_parts)

    @property
    def usage(self) -> Usage:
        return self.finish.usage if self.finish else Usage()

    def validate(self, schema: ObjectSchema[T]) -> T:
        """The validated object.

        Raises:
            NoObjectGeneratedError: no output, invalid JSON, or a schema mismatch.
        """
        text = self.text
        finish_reason = self.finish_reason
        if not text.strip():
            where = f"no call of the tool {self.tool_name!r}" if self.tool_name else "no text"
            errors: list[dict[str, object]] = [
                {"loc": (), "msg": f"the model produced {where}", "type": "no_output"}
            ]
            if self.tool_name and self.text_parts:
                text = "".join(self.text_parts)  # what the model said instead
        else:
            try:
                return schema.validate_json(text)
            except InvalidObject as exc:
                errors = exc.errors
        raise NoObjectGeneratedError(
            _message(errors, finish_reason, self.finish),
            text=text,
            errors=errors,
            finish_reason=finish_reason,
            usage=self.usage,
        )


def _message(
    errors: list[dict[str, object]], finish_reason: FinishReason, finish: FinishEvent | None
) -> str:
    def where(loc: object) -> str:
        return ".".join(str(p) for p in loc) if isinstance(loc, tuple) and loc else "(root)"

    shown = "; ".join(f"{where(e['loc'])}: {e['msg']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    message = f"no object generated: {shown}{more}"
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
        object: the validated object (an instance of the schema type, or a dict for a raw
            JSON Schema).
        text: the raw JSON text the object was validated from.
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
        cls, events: Iterable[StreamEvent], schema: ObjectSchema[T], tool_name: str | None
    ) -> GenerateObjectResult[T]:
        """Accumulate a complete event sequence and validate its object.

        Raises:
            NoObjectGeneratedError: no output, invalid JSON, or a schema mismatch.
        """
        acc = _ObjectAccumulator(tool_name)
        for event in events:
            acc.add(event)
        finish = acc.finish
        return cls(
            object=acc.validate(schema),
            text=acc.text,
            reasoning_text="".join(acc.reasoning_parts) if acc.reasoning_parts else None,
            usage=acc.usage,
            finish_reason=acc.finish_reason,
            raw_finish_reason=finish.raw_finish_reason if finish else None,
            response=acc.response,
            warnings=acc.warnings,
            provider_metadata=finish.provider_metadata if finish else None,
        )


class StreamObjectResult(StreamResultBase[_ObjectAccumulator], Generic[T]):
    """A streaming structured-output call, returned at once by :func:`llmkit.stream_object`.

    Consume it once, in one of three ways: ``async for partial in result.partial_object_stream``
    (partial objects, dicts, each extending the one before), ``async for delta in
    result.text_stream`` (the raw JSON text deltas), or ``async for event in result`` (every
    :data:`~llmkit.types.StreamEvent`). Then, or instead, await the fields: ``await
    result.object`` is the validated object (it consumes the rest of the stream) and raises
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
        schema: ObjectSchema[T],
        tool_name: str | None,
    ) -> None:
        super().__init__(source, _ObjectAccumulator(tool_name))
        self._schema = schema

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
    def partial_object_stream(self) -> AsyncIterator[dict[str, object]]:
        """Partial objects as the JSON forms (dicts; each extends the one before it).

        Unvalidated: a partial may lack required fields. Awaiting :attr:`object` afterwards
        gives the validated object.
        """
        take = self._acc.take_partial
        return PickedIterator(self.__aiter__(), lambda _event: take())

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
        """The validated object (consumes the rest of the stream).

        Raises:
            NoObjectGeneratedError: no output, invalid JSON, or a schema mismatch (with the
                raw ``text`` and the validation ``errors``).
        """
        return (await self._consume()).validate(self._schema)

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
