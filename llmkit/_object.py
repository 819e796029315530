"""Structured output: :func:`generate_object` and :func:`stream_object`.

The strategy is chosen per protocol (``Protocol.supports_response_format``), never per
provider id:

- ``json`` (OpenAI chat and its compatibles): a native JSON Schema response format
  (``CallOptions.response_format``; OpenAI ``response_format: {"type": "json_schema",
  "json_schema": {"name", "schema", "strict": true}}``, see the OpenAI "Structured Outputs"
  guide); the object is the response text.
- ``tool`` (Anthropic Messages): one tool whose ``input_schema`` is the schema, forced with
  ``tool_choice: {"type": "tool", "name": ...}`` (Anthropic "Tool use" guide, "Forcing tool
  use", and "JSON mode"); the object is the tool call's input.

Both stream: the JSON text (or the tool's ``input_json_delta`` pieces) is parsed as it grows,
by jiter's partial mode, into partial objects.

``schema=`` takes any :class:`~llmkit.Output` shape (``llmkit._output``): an object is sent as
it is; a list, a choice or a plain value is sent wrapped in an object with one property
(``elements``, ``result``, ``value``) and unwrapped in the result.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, TypeVar, overload

from typing_extensions import Unpack

from llmkit._api import _observer
from llmkit._driver import Target, build_stream_request, resolve_target
from llmkit._model_call import generate_step, stream_step
from llmkit._object_call import ObjectMode, observed, prepare
from llmkit._object_result import GenerateObjectResult, StreamObjectResult
from llmkit._output import Output, OutputLike, to_output
from llmkit._settings import check_settings, connection, show_settings
from llmkit.errors import ConfigurationError
from llmkit.providers.inline import ModelLike
from llmkit.types.events import StreamEvent
from llmkit.types.options import CallOptions
from llmkit.types.settings import ObjectCallSettings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from pydantic import BaseModel
    from typing_extensions import TypeForm

    from llmkit._sync import SyncStreamObjectResult

__all__ = [
    "ObjectMode",
    "generate_object",
    "generate_object_sync",
    "stream_object",
    "stream_object_sync",
]

T = TypeVar("T")
E = TypeVar("E")
M = TypeVar("M", bound="BaseModel")
D = TypeVar("D", bound="DataclassInstance")

_SETTINGS = ObjectCallSettings.__optional_keys__


def _prepare(
    function: str,
    model: ModelLike,
    schema: OutputLike,
    settings: ObjectCallSettings,
) -> tuple[Target, CallOptions, Output[Any], str | None]:
    """The resolved model, the call options, the output shape and the forced tool's name.

    Raises:
        ConfigurationError: an unusable schema, or a JSON Schema dict whose root is not an
            object (``schema=`` types a dict as a ``dict`` result: wrap other shapes in
            ``Output.array`` / ``Output.choice`` / ``Output.value``).
    """
    check_settings(function, settings, _SETTINGS)
    target = resolve_target(model, settings.get("registry"))
    name, description = settings.get("schema_name"), settings.get("schema_description")
    output: Output[Any] = to_output(schema, name=name, description=description)
    if isinstance(schema, Mapping) and output.kind != "object":
        raise ConfigurationError(
            "a JSON Schema dict passed as schema= must describe an object (the result is a "
            "dict); for another shape pass llmkit.Output.array(<items schema>), "
            "Output.choice([...]) or Output.value(<schema>)"
        )
    call, tool_name = prepare(target, output, settings.get("mode", "auto"), settings)
    return target, call, output, tool_name


@overload
def stream_object(
    *, model: ModelLike, schema: Output[list[E]], **settings: Unpack[ObjectCallSettings]
) -> StreamObjectResult[list[E], list[object]]: ...
@overload
def stream_object(
    *, model: ModelLike, schema: Output[T], **settings: Unpack[ObjectCallSettings]
) -> StreamObjectResult[T, object]: ...
@overload
def stream_object(
    *, model: ModelLike, schema: type[M], **settings: Unpack[ObjectCallSettings]
) -> StreamObjectResult[M]: ...
@overload
def stream_object(
    *, model: ModelLike, schema: type[D], **settings: Unpack[ObjectCallSettings]
) -> StreamObjectResult[D]: ...
@overload
def stream_object(
    *, model: ModelLike, schema: Mapping[str, object], **settings: Unpack[ObjectCallSettings]
) -> StreamObjectResult[dict[str, object]]: ...
@overload
def stream_object(
    *, model: ModelLike, schema: TypeForm[list[E]], **settings: Unpack[ObjectCallSettings]
) -> StreamObjectResult[list[E], list[object]]: ...
@overload
def stream_object(
    *, model: ModelLike, schema: TypeForm[T], **settings: Unpack[ObjectCallSettings]
) -> StreamObjectResult[T, object]: ...
def stream_object(
    *,
    model: ModelLike,
    schema: OutputLike,
    **settings: Unpack[ObjectCallSettings],
) -> StreamObjectResult[Any, object]:
    """Stream a typed value: partial values as the JSON forms, then the validated value.

    Every setting but ``model`` and ``schema`` is documented once, on
    :class:`~llmkit.ObjectCallSettings` (and the :class:`~llmkit.CallSettings` it extends). Two
    of them matter more here: a ``max_output_tokens`` that cuts the object makes
    ``await result.object`` raise ``NoObjectGeneratedError`` with finish reason ``length``; and
    with ``reasoning`` on, tool mode does not force the tool (``tool_choice: "auto"`` plus an
    instruction in the system prompt), since providers reject forcing a tool while thinking.

    Args:
        model: ``"provider:model"``, e.g. ``"openai:gpt-4.1-mini"``, or an inline
            :class:`~llmkit.Model` (``llmkit.provider(base_url)(model_id)``).
        schema: the shape of the value (see :func:`~llmkit.to_output`): a pydantic model class
            (or a dataclass / TypedDict) whose instance ``await result.object`` returns; a
            type such as ``list[Item]``, ``Literal["a", "b"]``, an ``Enum``, ``int`` or a
            union (sent wrapped in an object, returned unwrapped); an
            :class:`~llmkit.Output`; or a JSON Schema dict whose root is an object (the
            value is then a dict validated with the ``jsonschema`` library).
        **settings: the prompt, sampling, schema naming and I/O settings
            (:class:`~llmkit.ObjectCallSettings`).

    Returns:
        The stream (a ``StreamObjectResult``); nothing is sent until it is iterated or awaited.

    Raises:
        TypeError: at once, for a keyword that is not a setting.
        NoSuchProviderError: at once, for an unknown provider.
        ConfigurationError: at once, for invalid options or a schema that is unusable (not
            a type pydantic can describe, not a valid JSON Schema, a JSON Schema dict whose
            root is not an object).
        UnsupportedFeatureError: at once, for ``mode="json"`` on a protocol without a
            response format, or a setting the protocol cannot honour.
        MissingCredentialError: from the iterators and awaited fields, without a credential.
        APIError: from the iterators and awaited fields (``APIStatusError``,
            ``APIConnectionError``, ``StreamError``...).
        NoObjectGeneratedError: from ``await result.object``, when the output is missing, is
            not JSON or does not match the schema (``.text``, ``.errors``); from
            ``element_stream``, for an element that does not match.

    Provider API references:
        OpenAI "Structured Outputs" guide and API reference, Chat Completions,
        ``response_format``; Anthropic "Tool use" ("Forcing tool use") and "JSON mode".
    """
    target, call, output, tool_name = _prepare("stream_object", model, schema, settings)
    request = build_stream_request(target, call)  # unsupported settings raise here, at once
    conn = connection(settings)  # no fallback models: a fallback may not share the protocol
    watcher = _observer(settings.get("telemetry"))
    if watcher is None:
        return StreamObjectResult(
            lambda: stream_step(target, call, conn, request), output, tool_name
        )
    traced = watcher

    def source() -> AsyncIterator[StreamEvent]:
        events = stream_step(target, call, conn, request)
        return observed(events, traced, "stream_object", target, call)

    return StreamObjectResult(source, output, tool_name)


@overload
async def generate_object(
    *, model: ModelLike, schema: Output[T], **settings: Unpack[ObjectCallSettings]
) -> GenerateObjectResult[T]: ...
@overload
async def generate_object(
    *, model: ModelLike, schema: Mapping[str, object], **settings: Unpack[ObjectCallSettings]
) -> GenerateObjectResult[dict[str, object]]: ...
@overload
async def generate_object(
    *, model: ModelLike, schema: TypeForm[T], **settings: Unpack[ObjectCallSettings]
) -> GenerateObjectResult[T]: ...
async def generate_object(
    *,
    model: ModelLike,
    schema: OutputLike,
    **settings: Unpack[ObjectCallSettings],
) -> GenerateObjectResult[Any]:
    """Generate a typed value without streaming and return it validated.

    Takes the same arguments as :func:`stream_object` and sends a non-streamed request.
    Fallback models are not offered for structured output: the strategy (response format or
    forced tool) depends on the protocol, which a fallback may not share.

    Args:
        model: ``"provider:model"``, as for :func:`stream_object`.
        schema: the shape of the value, as for :func:`stream_object`: a pydantic model (or a
            dataclass / TypedDict), a type such as ``list[Item]``, ``Literal[...]`` or
            ``int``, an :class:`~llmkit.Output`, or a JSON Schema dict of an object.
        **settings: the settings documented on :class:`~llmkit.ObjectCallSettings`.

    Returns:
        The finished call (a ``GenerateObjectResult``): ``object`` (the validated value, e.g.
        an instance of ``schema``, a ``list[Item]``, or a dict for a JSON Schema), the raw
        JSON ``text``, ``usage``, ``finish_reason``...

    Raises:
        TypeError: for a keyword that is not a setting.
        NoObjectGeneratedError: the output is missing, is not JSON or does not match the
            schema (``.text`` has the raw output, ``.errors`` the validation errors).
        NoSuchProviderError: for an unknown provider.
        ConfigurationError: for invalid options or an unusable schema.
        UnsupportedFeatureError: for ``mode="json"`` on a protocol without a response format.
        MissingCredentialError: without a credential.
        APIError: from the provider (``APIStatusError``, ``APIConnectionError``,
            ``InvalidResponseError``...).

    Provider API references:
        OpenAI "Structured Outputs" guide and API reference, Chat Completions,
        ``response_format``; Anthropic "Tool use" ("Forcing tool use") and "JSON mode".
    """
    target, call, output, tool_name = _prepare("generate_object", model, schema, settings)
    conn = connection(settings)
    watcher = _observer(settings.get("telemetry"))
    if watcher is None:
        events = await generate_step(target, call, conn)
    else:

        async def response() -> AsyncIterator[StreamEvent]:
            for event in await generate_step(target, call, conn):
                yield event

        traced = observed(response(), watcher, "generate_object", target, call)
        async with aclosing(traced) as stream:
            events = [event async for event in stream]
    return GenerateObjectResult.from_events(events, output, tool_name)


@overload
def stream_object_sync(
    *, model: ModelLike, schema: Output[list[E]], **settings: Unpack[ObjectCallSettings]
) -> SyncStreamObjectResult[list[E], list[object]]: ...
@overload
def stream_object_sync(
    *, model: ModelLike, schema: Output[T], **settings: Unpack[ObjectCallSettings]
) -> SyncStreamObjectResult[T, object]: ...
@overload
def stream_object_sync(
    *, model: ModelLike, schema: type[M], **settings: Unpack[ObjectCallSettings]
) -> SyncStreamObjectResult[M]: ...
@overload
def stream_object_sync(
    *, model: ModelLike, schema: type[D], **settings: Unpack[ObjectCallSettings]
) -> SyncStreamObjectResult[D]: ...
@overload
def stream_object_sync(
    *, model: ModelLike, schema: Mapping[str, object], **settings: Unpack[ObjectCallSettings]
) -> SyncStreamObjectResult[dict[str, object]]: ...
@overload
def stream_object_sync(
    *, model: ModelLike, schema: TypeForm[list[E]], **settings: Unpack[ObjectCallSettings]
) -> SyncStreamObjectResult[list[E], list[object]]: ...
@overload
def stream_object_sync(
    *, model: ModelLike, schema: TypeForm[T], **settings: Unpack[ObjectCallSettings]
) -> SyncStreamObjectResult[T, object]: ...
def stream_object_sync(
    *,
    model: ModelLike,
    schema: OutputLike,
    **settings: Unpack[ObjectCallSettings],
) -> SyncStreamObjectResult[Any, object]:
    """:func:`stream_object` for synchronous code: ``for partial in
    result.partial_object_stream``, then ``result.object``, without await.

    Runs on llmkit's private event-loop thread (scripts, worker threads, Jupyter); breaking out
    of a loop closes the HTTP response at once.

    Args:
        model: ``"provider:model"``, as for :func:`stream_object`.
        schema: the shape of the value, as for :func:`stream_object`.
        **settings: the settings documented on :class:`~llmkit.ObjectCallSettings`.

    Returns:
        The stream (a ``SyncStreamObjectResult``); nothing is sent until it is read.

    Raises:
        LLMKitError: the errors of :func:`stream_object`, with their own types.
        RuntimeError: called from llmkit's own sync loop thread.
    """
    from llmkit._sync import SyncStreamObjectResult, check_thread

    check_thread()
    result: StreamObjectResult[Any, Any] = stream_object(model=model, schema=schema, **settings)
    return SyncStreamObjectResult(result)


@overload
def generate_object_sync(
    *, model: ModelLike, schema: Output[T], **settings: Unpack[ObjectCallSettings]
) -> GenerateObjectResult[T]: ...
@overload
def generate_object_sync(
    *, model: ModelLike, schema: Mapping[str, object], **settings: Unpack[ObjectCallSettings]
) -> GenerateObjectResult[dict[str, object]]: ...
@overload
def generate_object_sync(
    *, model: ModelLike, schema: TypeForm[T], **settings: Unpack[ObjectCallSettings]
) -> GenerateObjectResult[T]: ...
def generate_object_sync(
    *,
    model: ModelLike,
    schema: OutputLike,
    **settings: Unpack[ObjectCallSettings],
) -> GenerateObjectResult[Any]:
    """:func:`generate_object` for synchronous code: blocks and returns the same result.

    Args:
        model: ``"provider:model"``, as for :func:`generate_object`.
        schema: the shape of the value, as for :func:`generate_object`.
        **settings: the settings documented on :class:`~llmkit.ObjectCallSettings`.

    Returns:
        The finished call (a ``GenerateObjectResult``), as :func:`generate_object` returns.

    Raises:
        LLMKitError: the errors of :func:`generate_object`, with their own types.
        RuntimeError: called from llmkit's own sync loop thread.
    """
    from llmkit._sync import run_sync

    result: GenerateObjectResult[Any] = run_sync(
        generate_object(model=model, schema=schema, **settings)
    )
    return result


show_settings(stream_object, ObjectCallSettings)  # help() and inspect.signature list every setting
show_settings(generate_object, ObjectCallSettings)
show_settings(stream_object_sync, ObjectCallSettings)
show_settings(generate_object_sync, ObjectCallSettings)
