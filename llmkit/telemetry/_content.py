"""Message content in the shapes of the GenAI conventions' opt-in attributes, as JSON text.

Recorded only with ``Telemetry(record_content=True)``. The shapes follow the conventions'
JSON schemas (``gen-ai-input-messages.json``, ``gen-ai-output-messages.json``,
``gen-ai-system-instructions.json``, ``gen-ai-tool-definitions.json``): a message is
``{"role", "parts"}``, a part is ``{"type": "text", "content"}``, ``{"type": "reasoning",
"content"}``, ``{"type": "tool_call", "id", "name", "arguments"}``, ``{"type":
"tool_call_response", "id", "response"}``, ``{"type": "uri", "modality", "mime_type", "uri"}``
or ``{"type": "blob", "modality", "mime_type", "content"}`` (base64). The conventions allow a
JSON string on spans "if structured format is not supported", which is the case for span
attributes in the Python API.

Opaque round-trip data (reasoning signatures, redacted reasoning, provider options) is never
recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from llmkit.errors import ConfigurationError
from llmkit.telemetry._semconv import finish_reason

if TYPE_CHECKING:
    from llmkit.types.messages import FilePart, ImagePart, Message
    from llmkit.types.options import ToolDefinition

__all__ = [
    "OutputCollector",
    "dumps",
    "input_messages",
    "system_instructions",
    "tool_definitions",
]


def dumps(value: object) -> str:
    """Compact JSON (non-ASCII kept; values JSON cannot hold become their ``str``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def system_instructions(system: str) -> str:
    """``gen_ai.system_instructions``: the call's ``system`` as one text part."""
    return dumps([{"type": "text", "content": system}])


def tool_definitions(tools: Sequence[ToolDefinition]) -> str:
    """``gen_ai.tool.definitions``: each tool as ``{"type": "function", "name", "description",
    "parameters"}``."""
    out: list[dict[str, object]] = []
    for tool in tools:
        entry: dict[str, object] = {"type": "function", "name": tool.name}
        if tool.description is not None:
            entry["description"] = tool.description
        entry["parameters"] = tool.parameters
        out.append(entry)
    return dumps(out)


def _binary(part: ImagePart | FilePart, modality: str) -> dict[str, object]:
    url = part.url()
    media_type = part.media_type
    if url is not None:
        out: dict[str, object] = {"type": "uri", "modality": modality, "uri": url}
    else:
        try:
            media_type, data = part.base64_data()
        except ConfigurationError:
            return {"type": "blob", "modality": modality, "mime_type": media_type, "content": ""}
        out = {"type": "blob", "modality": modality, "content": data}
    if media_type:
        out["mime_type"] = media_type
    return out


def _modality(media_type: str | None) -> str:
    major = (media_type or "").partition("/")[0]
    return major or "file"


def _part(part: object) -> dict[str, object]:
    kind = getattr(part, "type", None)
    if kind == "text":
        return {"type": "text", "content": getattr(part, "text", "")}
    if kind == "reasoning":
        return {"type": "reasoning", "content": getattr(part, "text", "")}
    if kind == "tool_call":
        return {
            "type": "tool_call",
            "id": getattr(part, "tool_call_id", None),
            "name": getattr(part, "tool_name", ""),
            "arguments": getattr(part, "args", {}),
        }
    if kind == "tool_result":
        return {
            "type": "tool_call_response",
            "id": getattr(part, "tool_call_id", None),
            "response": getattr(part, "result", None),
        }
    if kind == "tool_approval_response":
        return {
            "type": "tool_approval_response",
            "id": getattr(part, "tool_call_id", None),
            "approved": getattr(part, "approved", None),
        }
    if kind == "image":
        return _binary(part, "image")  # type: ignore[arg-type]  # an ImagePart
    if kind == "file":
        return _binary(part, _modality(getattr(part, "media_type", None)))  # type: ignore[arg-type]
    return {"type": str(kind)}


def input_messages(messages: Sequence[Message]) -> str:
    """``gen_ai.input.messages``: the conversation sent, in order."""
    out: list[dict[str, object]] = []
    for message in messages:
        content = message.content
        parts = (
            [{"type": "text", "content": content}]
            if isinstance(content, str)
            else [_part(p) for p in content]
        )
        out.append({"role": message.role, "parts": parts})
    return dumps(out)


class OutputCollector:
    """Folds one response's events into its ``gen_ai.output.messages`` entry (the text of a
    block is joined once, at the end)."""

    __slots__ = ("_blocks", "_parts")

    def __init__(self) -> None:
        self._parts: list[tuple[str, list[str]] | dict[str, object]] = []
        self._blocks: dict[str, list[str]] = {}

    def start(self, kind: str, block_id: str) -> None:
        """A text or reasoning block opens."""
        pieces: list[str] = []
        self._blocks[block_id] = pieces
        self._parts.append((kind, pieces))

    def delta(self, kind: str, block_id: str, text: str) -> None:
        """A piece of a block's text."""
        pieces = self._blocks.get(block_id)
        if pieces is None:
            self.start(kind, block_id)
            pieces = self._blocks[block_id]
        pieces.append(text)

    def tool_call(self, call_id: str, name: str, args: Mapping[str, object]) -> None:
        """A tool call the model made."""
        self._parts.append({"type": "tool_call", "id": call_id, "name": name, "arguments": args})

    def tool_result(self, call_id: str, result: object) -> None:
        """The result of a tool the provider ran itself."""
        self._parts.append({"type": "tool_call_response", "id": call_id, "response": result})

    def json(self, reason: str | None) -> str:
        """The ``gen_ai.output.messages`` value: one assistant message."""
        parts = [
            p if isinstance(p, dict) else {"type": p[0], "content": "".join(p[1])}
            for p in self._parts
        ]
        message = {
            "role": "assistant",
            "parts": parts,
            "finish_reason": finish_reason(reason or "other"),
        }
        return dumps([message])
