"""A non-streamed Responses body → the same events a stream would give.

Source: OpenAI API reference, Responses, "The response object": ``{"id", "created_at",
"model", "status", "error", "incomplete_details", "output": [items], "usage"}``. Each output
item goes through the stream state machine (:mod:`.wire`) as if its ``output_item.done`` had
arrived, so a body and a stream of the same answer give the same events.

A body that is a server-sent event stream is read as one: with ``quirks.stream_only`` (a
ChatGPT plan accepts only ``stream: true``) a non-streamed call is sent as a streamed request
and its whole body arrives here.
"""

from __future__ import annotations

from typing import Any

from llmkit.errors import InvalidResponseError
from llmkit.protocols._common import SHAPE_ERRORS, loads
from llmkit.protocols.openai_responses.errors import stream_error
from llmkit.protocols.openai_responses.map_finish_reason import raw_finish_reason
from llmkit.protocols.openai_responses.wire import (
    OpenAIResponsesState,
    finish_events,
    item_done,
    parse_event_data,
)
from llmkit.types.events import ResponseMetadataEvent, StreamEvent

__all__ = ["is_event_stream", "parse_body", "parse_event_stream_body"]

_SSE_STARTS = (b"event:", b"data:", b":", b"id:", b"retry:")


def is_event_stream(body: bytes) -> bool:
    """True when ``body`` starts like a server-sent event stream (not a JSON document)."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:8]
    return head.startswith(_SSE_STARTS)


def _sse_events(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) of each event in a whole SSE body (WHATWG framing: CRLF, LF or CR
    line ends; comments skipped; several ``data:`` lines joined with ``\\n``)."""
    events: list[tuple[str | None, str]] = []
    name: str | None = None
    data: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if data:
                events.append((name, "\n".join(data)))
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "data":
            data.append(value)
        elif key == "event":
            name = value
    if data:
        events.append((name, "\n".join(data)))
    return events


def parse_event_stream_body(body: bytes, state: OpenAIResponsesState) -> list[StreamEvent]:
    """A whole streamed body, read as the stream would have been.

    Raises:
        InvalidResponseError: the body is not valid UTF-8 or has an unusable event.
        StreamError: an in-stream error, or a stream without its terminal event.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidResponseError(
            f"the response body is not valid UTF-8 ({exc})", raw=body, provider_id=state.provider_id
        ) from exc
    out: list[StreamEvent] = []
    for name, data in _sse_events(text):
        out.extend(parse_event_data(state, name, data))
    out.extend(finish_events(state))
    return out


def _events(data: dict[str, Any], state: OpenAIResponsesState) -> list[StreamEvent]:
    response_id, model = data.get("id"), data.get("model")
    state.model_id = model if isinstance(model, str) and model else None
    from llmkit.protocols.openai_responses.wire import created_at

    out: list[StreamEvent] = [
        ResponseMetadataEvent(
            response_id if isinstance(response_id, str) and response_id else None,
            state.model_id,
            created_at(data.get("created_at")),
        )
    ]
    state.metadata_sent = True
    if data.get("status") == "failed":
        raise stream_error(
            data.get("error") or {"message": "the response failed"},
            provider_id=state.provider_id,
            model_id=state.model_id,
        )
    output = data.get("output")
    if not isinstance(output, list):
        raise TypeError("the response has no output list")
    for index, item in enumerate(output):
        if not isinstance(item, dict):
            raise TypeError(f"output[{index}] is not an object")
        item_done(state, item, index, out)
    state.done = True
    state.raw_finish = raw_finish_reason(data.get("status"), data.get("incomplete_details"))
    state.usage = data.get("usage")
    out.extend(finish_events(state))
    return out


def parse_body(body: bytes, state: OpenAIResponsesState) -> list[StreamEvent]:
    """Parse a non-streamed Responses body (or a whole event stream) into stream events.

    Raises:
        InvalidResponseError: the body is not JSON, has no ``output`` list, or has an unusable
            shape.
        StreamError: the body reports an ``error`` or a ``failed`` status although the HTTP
            status was 2xx.
    """
    if is_event_stream(body):
        return parse_event_stream_body(body, state)
    data = loads(
        body,
        "the response body is not JSON",
        "check the provider's base URL and protocol",
        provider_id=state.provider_id,
    )
    if not isinstance(data, dict):
        raise InvalidResponseError(
            "the response body is JSON but not an object", raw=body, provider_id=state.provider_id
        )
    if data.get("error") and not isinstance(data.get("output"), list):
        raise stream_error(data, provider_id=state.provider_id)
    try:
        return _events(data, state)
    except SHAPE_ERRORS as exc:
        raise InvalidResponseError(
            f"the response has an unexpected shape ({type(exc).__name__}: {exc}); it does not "
            "follow the OpenAI Responses response object",
            raw=body,
            provider_id=state.provider_id,
            model_id=state.model_id,
        ) from exc
