"""Public value types: messages, call options, stream events, usage, finish reasons.

Names are imported on first access (the messages and options are pydantic models, the events
plain dataclasses), so ``import llmkit.types.events`` does not build the pydantic models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "AssistantMessage": "llmkit.types.messages",
    "CallOptions": "llmkit.types.options",
    "CallWarning": "llmkit.types.warnings",
    "FilePart": "llmkit.types.messages",
    "FinishEvent": "llmkit.types.events",
    "FinishReason": "llmkit.types.finish",
    "ImagePart": "llmkit.types.messages",
    "JsonSchemaFormat": "llmkit.types.options",
    "Message": "llmkit.types.messages",
    "NamedToolChoice": "llmkit.types.options",
    "ReasoningDeltaEvent": "llmkit.types.events",
    "ReasoningEndEvent": "llmkit.types.events",
    "ReasoningOptions": "llmkit.types.options",
    "ReasoningPart": "llmkit.types.messages",
    "ReasoningStartEvent": "llmkit.types.events",
    "ResponseMetadataEvent": "llmkit.types.events",
    "SourceEvent": "llmkit.types.events",
    "StepFinishEvent": "llmkit.types.events",
    "StreamEvent": "llmkit.types.events",
    "StreamStartEvent": "llmkit.types.events",
    "SystemMessage": "llmkit.types.messages",
    "TextDeltaEvent": "llmkit.types.events",
    "TextEndEvent": "llmkit.types.events",
    "TextPart": "llmkit.types.messages",
    "TextStartEvent": "llmkit.types.events",
    "ToolCallEvent": "llmkit.types.events",
    "ToolCallPart": "llmkit.types.messages",
    "ToolChoice": "llmkit.types.options",
    "ToolDefinition": "llmkit.types.options",
    "ToolInputDeltaEvent": "llmkit.types.events",
    "ToolInputEndEvent": "llmkit.types.events",
    "ToolInputStartEvent": "llmkit.types.events",
    "ToolMessage": "llmkit.types.messages",
    "ToolResultEvent": "llmkit.types.events",
    "ToolResultPart": "llmkit.types.messages",
    "Usage": "llmkit.types.usage",
    "UserMessage": "llmkit.types.messages",
}


__all__ = [
    "AssistantMessage",
    "CallOptions",
    "CallWarning",
    "FilePart",
    "FinishEvent",
    "FinishReason",
    "ImagePart",
    "JsonSchemaFormat",
    "Message",
    "NamedToolChoice",
    "ReasoningDeltaEvent",
    "ReasoningEndEvent",
    "ReasoningOptions",
    "ReasoningPart",
    "ReasoningStartEvent",
    "ResponseMetadataEvent",
    "SourceEvent",
    "StepFinishEvent",
    "StreamEvent",
    "StreamStartEvent",
    "SystemMessage",
    "TextDeltaEvent",
    "TextEndEvent",
    "TextPart",
    "TextStartEvent",
    "ToolCallEvent",
    "ToolCallPart",
    "ToolChoice",
    "ToolDefinition",
    "ToolInputDeltaEvent",
    "ToolInputEndEvent",
    "ToolInputStartEvent",
    "ToolMessage",
    "ToolResultEvent",
    "ToolResultPart",
    "Usage",
    "UserMessage",
]

if TYPE_CHECKING:
    from llmkit.types.events import (
        FinishEvent,
        ReasoningDeltaEvent,
        ReasoningEndEvent,
        ReasoningStartEvent,
        ResponseMetadataEvent,
        SourceEvent,
        StepFinishEvent,
        StreamEvent,
        StreamStartEvent,
        TextDeltaEvent,
        TextEndEvent,
        TextStartEvent,
        ToolCallEvent,
        ToolInputDeltaEvent,
        ToolInputEndEvent,
        ToolInputStartEvent,
        ToolResultEvent,
    )
    from llmkit.types.finish import FinishReason
    from llmkit.types.messages import (
        AssistantMessage,
        FilePart,
        ImagePart,
        Message,
        ReasoningPart,
        SystemMessage,
        TextPart,
        ToolCallPart,
        ToolMessage,
        ToolResultPart,
        UserMessage,
    )
    from llmkit.types.options import (
        CallOptions,
        JsonSchemaFormat,
        NamedToolChoice,
        ReasoningOptions,
        ToolChoice,
        ToolDefinition,
    )
    from llmkit.types.usage import Usage
    from llmkit.types.warnings import CallWarning


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit.types' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
