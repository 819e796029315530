"""The Gemini ``streamGenerateContent`` state machine (sans-IO), also used for non-streamed bodies.

Gemini API reference, "Generating content" (``GenerateContentResponse``, ``Candidate``,
``Content``, ``Part``), "Thinking" and "Thought signatures". With ``?alt=sse`` every event is one
``data:`` line holding a whole ``GenerateContentResponse``; there is no end marker: the last
chunk carries ``finishReason`` (or, for a prompt blocked before generation, the only chunk
carries ``promptFeedback.blockReason``). A stream that ends before either is truncated.

Each chunk is read with one JSON decode (jiter) and plain dict look-ups (no pydantic per chunk,
DESIGN.md §9). Only candidate 0 is read (a candidate without ``index`` is candidate 0). Parts:

=============================  ===================================================================
part                           events
=============================  ===================================================================
``text``                       ``text_*``; consecutive parts without a signature share one block
``text`` + ``thought: true``   ``reasoning_*``, the same way
``functionCall``               arrives whole: ``tool_input_start``/``delta``/``end`` and
                               ``tool_call`` at once; ``id`` is ``functionCall.id``, or generated
                               (``call_<responseId>_<n>``) when the response has none
``executableCode``             a provider-executed ``code_execution`` call (``{language, code}``)
``codeExecutionResult``        its ``tool_result`` (``{outcome, output}``; an error unless
                               ``OUTCOME_OK``)
``toolCall`` / ``toolResponse``  a built-in tool's call and result (Gemini 3: Google Search), named
                               by ``toolType``, provider-executed
=============================  ===================================================================

``thoughtSignature`` is a sibling of a part's payload and must go back **on the part it came
with** ("Thought signatures": do not merge a signed part with another part, do not concatenate
signatures). So a signed text or thought part is a block of its own (closed at once, even when
its text is empty: Gemini 3 ends many streams with ``{"text": "", "thoughtSignature": ...}``),
and the signature is kept as ``provider_metadata["google"]["thoughtSignature"]`` on its
``text_end`` / ``reasoning_end`` / ``tool_call``; :mod:`llmkit._steps` turns that into the
replayed part's ``provider_options`` and :mod:`.convert_messages` sends it back on that part.
Reasoning blocks also carry ``{"google": {"thought": true}}`` (they came from Gemini).

``groundingMetadata.groundingChunks`` (Google Search, URL context, file search) and
``citationMetadata.citationSources`` become ``source`` events (one per URI); the raw
``groundingMetadata``, ``urlContextMetadata``, ``citationMetadata``, ``safetyRatings``,
``finishMessage`` and ``promptFeedback`` go in the finish event's
``provider_metadata["google"]``. The last ``usageMetadata`` is the usage
(:mod:`.convert_usage`). An ``{"error": {...}}`` object in the stream raises
:func:`.errors.stream_error`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmkit.errors import InvalidResponseError, StreamError
from llmkit.protocols._common import JSON_ERRORS, SHAPE_ERRORS, decode_event_json, invalid_json
from llmkit.protocols.google_generative.convert_usage import convert_usage
from llmkit.protocols.google_generative.errors import stream_error
from llmkit.protocols.google_generative.map_finish_reason import (
    map_block_reason,
    map_finish_reason,
)
from llmkit.protocols.google_generative.parts import (
    METADATA_KEY,
    GoogleState,
    candidate,
    close_open,
    created,
)
from llmkit.types.events import FinishEvent, ResponseMetadataEvent, StreamEvent

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

__all__ = ["METADATA_KEY", "GoogleState", "finish", "parse_chunk", "parse_event"]

_loads = decode_event_json


def parse_chunk(state: GoogleState, obj: dict[str, Any], out: list[StreamEvent]) -> None:
    """Fold one ``GenerateContentResponse`` (a stream chunk or a whole body) into ``out``.

    Raises:
        StreamError: the chunk is an ``{"error": {...}}`` object.
        TypeError, KeyError, ...: an unusable shape (the caller's guard raises
            ``InvalidResponseError``).
    """
    if "error" in obj:
        raise stream_error(obj, provider_id=state.provider_id, model_id=state.model_id)
    if not state.started:
        state.started = True
        response_id, model_id = obj.get("responseId"), obj.get("modelVersion")
        state.response_id = response_id if isinstance(response_id, str) else None
        state.model_id = model_id if isinstance(model_id, str) else None
        out.append(
            ResponseMetadataEvent(state.response_id, state.model_id, created(obj.get("createTime")))
        )
    usage = obj.get("usageMetadata")
    if type(usage) is dict:
        state.usage = usage
    feedback = obj.get("promptFeedback")
    if type(feedback) is dict:
        state.metadata["promptFeedback"] = feedback
        reason = feedback.get("blockReason")
        if isinstance(reason, str):
            state.block_reason = reason
            state.done = True
    candidates = obj.get("candidates")
    if candidates is not None:
        if type(candidates) is not list:
            raise TypeError("candidates is not a list")
        for item in candidates:
            if type(item) is not dict:
                raise TypeError("a candidate is not an object")
            if item.get("index", 0) in (0, None):
                candidate(state, item, out)


def parse_event(state: GoogleState, sse: ServerSentEvent) -> list[StreamEvent]:
    """Turn one server-sent event (one ``GenerateContentResponse`` chunk) into stream events.

    Raises:
        StreamError: an ``{"error": {...}}`` chunk (also the class of its status).
        InvalidResponseError: data that is not JSON, not an object, or of an unusable shape
            (``.raw`` holds the data).
    """
    data = sse.data
    if not data:
        return []
    try:
        obj = _loads(data)
    except JSON_ERRORS as exc:
        raise invalid_json(
            exc,
            data,
            "stream chunk is not valid JSON",
            "the stream is corrupt, retry the request",
            provider_id=state.provider_id,
            model_id=state.model_id,
        ) from exc
    if type(obj) is not dict:
        raise InvalidResponseError(
            "stream chunk is not a JSON object (a GenerateContentResponse was expected)",
            raw=data,
            provider_id=state.provider_id,
            model_id=state.model_id,
        )
    out: list[StreamEvent] = []
    try:
        parse_chunk(state, obj, out)
    except SHAPE_ERRORS as exc:
        raise InvalidResponseError(
            f"unexpected shape of a stream chunk ({exc!r})",
            raw=data,
            provider_id=state.provider_id,
            model_id=state.model_id,
        ) from exc
    return out


def finish(state: GoogleState) -> list[StreamEvent]:
    """Close open blocks and emit the ``finish`` event.

    Raises:
        StreamError: neither a ``finishReason`` nor a ``promptFeedback.blockReason`` arrived:
            the stream was cut off (Gemini streams have no other end marker).
    """
    if not state.done:
        raise StreamError(
            "the stream ended before a chunk with finishReason (truncated: the connection "
            "dropped or a proxy cut it); retrying the request may succeed",
            provider_id=state.provider_id,
            model_id=state.model_id,
            request_id=None,
        )
    out: list[StreamEvent] = []
    close_open(state, out)
    state.blocks.end_all(out)
    raw: str | None
    if state.finish_reason is None and state.block_reason is not None:
        unified = map_block_reason(state.block_reason)
        raw = state.block_reason
    else:
        raw = state.finish_reason
        unified = map_finish_reason(raw, tool_calls=state.client_calls)
    out.append(
        FinishEvent(
            unified,
            raw,
            convert_usage(state.usage),
            {METADATA_KEY: dict(state.metadata)} if state.metadata else None,
        )
    )
    return out
