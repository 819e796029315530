"""Reading the parts of a Gemini candidate into stream events: the per-stream state, text and
thought parts (one block per run of unsigned parts, one per signed part), function calls (whole),
built-in tool parts and grounding sources. The rules are in :mod:`.wire`'s docstring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from llmkit.protocols._blocks import Blocks
from llmkit.protocols.base import StreamState
from llmkit.types.events import (
    ReasoningDeltaEvent,
    SourceEvent,
    StreamEvent,
    TextDeltaEvent,
    ToolResultEvent,
)

__all__ = ["METADATA_KEY", "GoogleState", "candidate", "close_open", "created"]

METADATA_KEY = "google"
"""The ``provider_metadata`` / ``provider_options`` key of the google-generative protocol."""

_THOUGHT: Mapping[str, Mapping[str, object]] = {METADATA_KEY: {"thought": True}}
_KEPT = (
    "groundingMetadata",
    "urlContextMetadata",
    "citationMetadata",
    "safetyRatings",
    "finishMessage",
)
_FRACTION = re.compile(r"\.(\d{6})\d+")


@dataclass(slots=True)
class GoogleState(StreamState):
    """Per-stream state of the google-generative protocol.

    Attributes:
        provider_id: the provider, for error messages.
        blocks: the shared start/end tracker.
        open_id / open_kind: the open text or reasoning block (``text`` / ``reasoning``) that
            the next unsigned part of the same kind continues, or None.
        counter: blocks opened so far (text and reasoning block ids are ``str(n)``).
        calls: tool calls seen so far (for generated ids).
        client_calls: a client ``functionCall`` arrived (``STOP`` → ``tool_calls``).
        server_tools: built-in tool call id → tool name, to name its result.
        last_code_id: the id of the last ``executableCode`` part (a result without an id
            answers it).
        usage: the last ``usageMetadata`` (replaced whole by each chunk that has one).
        finish_reason: the last ``finishReason`` of candidate 0.
        block_reason: ``promptFeedback.blockReason`` when the prompt was blocked.
        metadata: what goes in the finish event's ``provider_metadata["google"]``.
        sources: URIs already emitted as ``source`` events.
        response_id / model_id: ``responseId`` / ``modelVersion`` of the first chunk.
        started: the ``response_metadata`` event was emitted.
        done: a ``finishReason`` or ``blockReason`` arrived (the stream is complete).
    """

    provider_id: str | None = None
    blocks: Blocks = field(default_factory=Blocks)
    open_id: str | None = None
    open_kind: str | None = None
    counter: int = 0
    calls: int = 0
    client_calls: bool = False
    server_tools: dict[str, str] = field(default_factory=dict)
    last_code_id: str | None = None
    usage: dict[str, object] | None = None
    finish_reason: str | None = None
    block_reason: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    response_id: str | None = None
    model_id: str | None = None
    started: bool = False


# ---------------------------------------------------------------------------- helpers
def created(value: object) -> datetime | None:
    """``createTime`` (RFC 3339, Vertex AI; up to nanoseconds) as a UTC datetime."""
    if not isinstance(value, str):
        return None
    text = _FRACTION.sub(r".\1", value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _signed(signature: str) -> Mapping[str, Mapping[str, object]]:
    return {METADATA_KEY: {"thoughtSignature": signature}}


def close_open(state: GoogleState, out: list[StreamEvent]) -> None:
    """Close the open text or reasoning block, if any."""
    block_id = state.open_id
    if block_id is not None:
        metadata = _THOUGHT if state.open_kind == "reasoning" else None
        state.blocks.end(block_id, out, provider_metadata=metadata)
        state.open_id = state.open_kind = None


def _open(state: GoogleState, kind: str, out: list[StreamEvent]) -> str:
    block_id = str(state.counter)
    state.counter += 1
    if kind == "text":
        state.blocks.start_text(block_id, out)
    else:
        state.blocks.start_reasoning(block_id, out)
    return block_id


def _text(
    state: GoogleState, kind: str, text: str, signature: str | None, out: list[StreamEvent]
) -> None:
    """A text or thought part: continue the open block of its kind, or open one; a signed part
    is a block of its own, closed at once with its signature."""
    if signature is None:
        if not text:
            return
        block_id = state.open_id
        if block_id is None or state.open_kind != kind:
            close_open(state, out)
            block_id = state.open_id = _open(state, kind, out)
            state.open_kind = kind
        out.append(
            TextDeltaEvent(block_id, text)
            if kind == "text"
            else ReasoningDeltaEvent(block_id, text)
        )
        return
    close_open(state, out)
    block_id = _open(state, kind, out)
    if text:
        out.append(
            TextDeltaEvent(block_id, text)
            if kind == "text"
            else ReasoningDeltaEvent(block_id, text)
        )
    metadata: Mapping[str, Mapping[str, object]] = (
        _signed(signature)
        if kind == "text"
        else {METADATA_KEY: {"thought": True, "thoughtSignature": signature}}
    )
    state.blocks.end(block_id, out, provider_metadata=metadata)


def _call_id(state: GoogleState, value: object) -> str:
    """The call's own id, or a generated one (``call_<responseId>_<n>``)."""
    state.calls += 1
    if isinstance(value, str) and value:
        return value
    prefix = f"call_{state.response_id}_" if state.response_id else "call_"
    return f"{prefix}{state.calls - 1}"


def _args(value: object, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise TypeError(f"{what} is {type(value).__name__}, not an object")
    return value


def _whole_call(
    state: GoogleState,
    call_id: str,
    name: object,
    args: Mapping[str, object],
    signature: str | None,
    out: list[StreamEvent],
    *,
    provider_executed: bool = False,
) -> None:
    """A call that arrived whole: start, one arguments delta, end and ``tool_call`` at once."""
    if type(name) is not str or not name:
        raise TypeError("a function call's name must be a non-empty string")
    close_open(state, out)
    blocks = state.blocks
    blocks.start_tool(call_id, name, out, provider_executed)
    blocks.tool_delta(call_id, json.dumps(args, ensure_ascii=False), out)
    blocks.end(call_id, out, provider_metadata=_signed(signature) if signature else None)


def _part(state: GoogleState, part: object, out: list[StreamEvent]) -> None:
    if type(part) is not dict:
        raise TypeError("a content part is not an object")
    signature = part.get("thoughtSignature")
    if signature is not None and type(signature) is not str:
        raise TypeError("thoughtSignature is not a string")
    text = part.get("text")
    if text is not None:
        if type(text) is not str:
            raise TypeError(f"a part's text is {type(text).__name__}, not a string")
        _text(state, "reasoning" if part.get("thought") is True else "text", text, signature, out)
    elif (call := part.get("functionCall")) is not None:
        if type(call) is not dict:
            raise TypeError("functionCall is not an object")
        call_id = _call_id(state, call.get("id"))
        state.client_calls = True
        args = _args(call.get("args"), "functionCall.args")
        _whole_call(state, call_id, call.get("name"), args, signature, out)
    elif (code := part.get("executableCode")) is not None:
        if type(code) is not dict:
            raise TypeError("executableCode is not an object")
        call_id = _call_id(state, code.get("id"))
        state.last_code_id = call_id
        args = {key: code[key] for key in ("language", "code") if key in code}
        _whole_call(state, call_id, "code_execution", args, signature, out, provider_executed=True)
    elif (result := part.get("codeExecutionResult")) is not None:
        if type(result) is not dict:
            raise TypeError("codeExecutionResult is not an object")
        own = result.get("id")
        result_id = own if isinstance(own, str) and own else state.last_code_id
        close_open(state, out)
        payload = {key: result[key] for key in ("outcome", "output") if key in result}
        out.append(
            ToolResultEvent(
                result_id or _call_id(state, None),
                "code_execution",
                payload,
                result.get("outcome") != "OUTCOME_OK",
                True,
            )
        )
    elif (tool := part.get("toolCall")) is not None:
        if type(tool) is not dict:
            raise TypeError("toolCall is not an object")
        call_id = _call_id(state, tool.get("id"))
        name = tool.get("toolType")
        args = _args(tool.get("args"), "toolCall.args")
        _whole_call(state, call_id, name, args, signature, out, provider_executed=True)
        state.server_tools[call_id] = str(name)
    elif (response := part.get("toolResponse")) is not None:
        if type(response) is not dict:
            raise TypeError("toolResponse is not an object")
        own = response.get("id")
        result_id = own if isinstance(own, str) and own else _call_id(state, None)
        name = response.get("toolType")
        close_open(state, out)
        out.append(
            ToolResultEvent(
                result_id,
                name if isinstance(name, str) else state.server_tools.get(result_id, "tool"),
                response.get("response"),
                False,
                True,
            )
        )
    elif signature is not None:  # a part that holds only a signature
        _text(state, "reasoning" if part.get("thought") is True else "text", "", signature, out)


def _source(state: GoogleState, uri: object, title: object, out: list[StreamEvent]) -> None:
    if not isinstance(uri, str) or not uri or uri in state.sources:
        return
    state.sources.add(uri)
    out.append(
        SourceEvent(
            f"src_{len(state.sources)}", "url", uri, title if isinstance(title, str) else None
        )
    )


def _grounding(state: GoogleState, grounding: Mapping[str, Any], out: list[StreamEvent]) -> None:
    chunks = grounding.get("groundingChunks")
    if isinstance(chunks, list):
        for chunk in chunks:
            if not isinstance(chunk, dict):
                continue
            for kind in ("web", "retrievedContext", "maps"):
                source = chunk.get(kind)
                if isinstance(source, dict):
                    _source(state, source.get("uri"), source.get("title"), out)


def candidate(state: GoogleState, candidate: Mapping[str, Any], out: list[StreamEvent]) -> None:
    content = candidate.get("content")
    if content is not None:
        if type(content) is not dict:
            raise TypeError("candidate content is not an object")
        parts = content.get("parts")
        if parts is not None:
            if type(parts) is not list:
                raise TypeError("content parts is not a list")
            for part in parts:
                _part(state, part, out)
    for key in _KEPT:
        value = candidate.get(key)
        if value is not None:
            state.metadata[key] = value
    grounding = candidate.get("groundingMetadata")
    if isinstance(grounding, dict):
        _grounding(state, grounding, out)
    citations = candidate.get("citationMetadata")
    if isinstance(citations, dict) and isinstance(citations.get("citationSources"), list):
        for source in citations["citationSources"]:
            if isinstance(source, dict):
                _source(state, source.get("uri"), source.get("title"), out)
    finish_reason = candidate.get("finishReason")
    if finish_reason is not None:
        if type(finish_reason) is not str:
            raise TypeError("finishReason is not a string")
        state.finish_reason = finish_reason
        state.done = True
