"""llmkit: one streaming API for every large language model.

    from llmkit import stream_text

    async for event in stream_text(model="anthropic:claude-sonnet-4-5", prompt="Hi"):
        ...

Names are imported on first access, so ``import llmkit`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # entry points and results
    "stream_text": "llmkit._api",
    "generate_text": "llmkit._api",
    "StreamTextResult": "llmkit._result",
    "GenerateTextResult": "llmkit._result",
    "generate_object": "llmkit._object",
    "stream_object": "llmkit._object",
    "GenerateObjectResult": "llmkit._object_result",
    "StreamObjectResult": "llmkit._object_result",
    # sync forms (run on a private event-loop thread)
    "stream_text_sync": "llmkit._api",
    "generate_text_sync": "llmkit._api",
    "stream_object_sync": "llmkit._object",
    "generate_object_sync": "llmkit._object",
    "list_models_sync": "llmkit._models",
    "SyncStreamTextResult": "llmkit._sync",
    "SyncStreamObjectResult": "llmkit._sync",
    "SyncIterator": "llmkit._sync",
    "CallSettings": "llmkit.types.settings",
    "TextCallSettings": "llmkit.types.settings",
    "ObjectCallSettings": "llmkit.types.settings",
    # tools and multi-step calls
    "tool": "llmkit.tools",
    "Tool": "llmkit.tools",
    "FunctionTool": "llmkit.tools",
    "StepResult": "llmkit._steps",
    "FinishInfo": "llmkit._steps",
    "StopCondition": "llmkit._steps",
    "step_count_is": "llmkit._steps",
    "has_tool_call": "llmkit._steps",
    # providers
    "ProviderConfig": "llmkit.providers.config",
    "Quirks": "llmkit.protocols.openai_chat.quirks",
    "OAuthConfig": "llmkit.providers.config",
    "TokenExchange": "llmkit.providers.config",
    "ProviderRegistry": "llmkit.providers.registry",
    "provider": "llmkit.providers.inline",
    "Provider": "llmkit.providers.inline",
    "Model": "llmkit.providers.inline",
    "ProvidersFileNotFoundError": "llmkit.errors",
    "list_models": "llmkit._models",
    # images, speech and transcription, model catalog and cost (issue 10)
    "generate_image": "llmkit.images._api",
    "generate_image_sync": "llmkit.images._api",
    "GenerateImageResult": "llmkit.images._api",
    "GeneratedImage": "llmkit.images._api",
    "register_image_protocol": "llmkit.images.registry",
    "generate_speech": "llmkit.audio",
    "generate_speech_sync": "llmkit.audio",
    "stream_speech": "llmkit.audio",
    "stream_speech_sync": "llmkit.audio",
    "transcribe": "llmkit.audio",
    "transcribe_sync": "llmkit.audio",
    "stream_transcription": "llmkit.audio",
    "stream_transcription_sync": "llmkit.audio",
    "GenerateSpeechResult": "llmkit.audio",
    "TranscriptionResult": "llmkit.audio",
    "AudioUsage": "llmkit.audio",
    "register_speech_protocol": "llmkit.audio",
    "register_transcription_protocol": "llmkit.audio",
    "model_info": "llmkit.catalog",
    "cost_of": "llmkit.catalog",
    "register_prices": "llmkit.catalog",
    "ModelCard": "llmkit.types.models",
    "ModelInfo": "llmkit.types.models",
    # protocols
    "Protocol": "llmkit.protocols.base",
    "StreamState": "llmkit.protocols.base",
    "BuiltRequest": "llmkit.protocols.base",
    "register_protocol": "llmkit.protocols.registry",
    "get_protocol": "llmkit.protocols.registry",
    # credentials
    "Secret": "llmkit.auth.secret",
    "KeyStore": "llmkit.auth.store",
    "AuthManager": "llmkit.auth.manager",
    "PlaintextFileStore": "llmkit.auth.filestore",
    # value types
    "CallOptions": "llmkit.types.options",
    "ToolDefinition": "llmkit.types.options",
    "NamedToolChoice": "llmkit.types.options",
    "JsonSchemaFormat": "llmkit.types.options",
    "ReasoningOptions": "llmkit.types.options",
    "Usage": "llmkit.types.usage",
    "CallWarning": "llmkit.types.warnings",
    "SystemMessage": "llmkit.types.messages",
    "UserMessage": "llmkit.types.messages",
    "AssistantMessage": "llmkit.types.messages",
    "ToolMessage": "llmkit.types.messages",
    "TextPart": "llmkit.types.messages",
    "ImagePart": "llmkit.types.messages",
    "FilePart": "llmkit.types.messages",
    "ReasoningPart": "llmkit.types.messages",
    "ToolCallPart": "llmkit.types.messages",
    "ToolResultPart": "llmkit.types.messages",
    "StreamEvent": "llmkit.types.events",
    "StreamStartEvent": "llmkit.types.events",
    "ResponseMetadataEvent": "llmkit.types.events",
    "TextStartEvent": "llmkit.types.events",
    "TextDeltaEvent": "llmkit.types.events",
    "TextEndEvent": "llmkit.types.events",
    "ReasoningStartEvent": "llmkit.types.events",
    "ReasoningDeltaEvent": "llmkit.types.events",
    "ReasoningEndEvent": "llmkit.types.events",
    "ToolInputStartEvent": "llmkit.types.events",
    "ToolInputDeltaEvent": "llmkit.types.events",
    "ToolInputEndEvent": "llmkit.types.events",
    "ToolCallEvent": "llmkit.types.events",
    "ToolResultEvent": "llmkit.types.events",
    "SourceEvent": "llmkit.types.events",
    "StepFinishEvent": "llmkit.types.events",
    "FinishEvent": "llmkit.types.events",
    "AbortEvent": "llmkit.types.events",
    # reliability
    "RetryPolicy": "llmkit.reliability.retry",
    "Timeouts": "llmkit.reliability.deadline",
    "RateLimit": "llmkit.reliability.ratelimit",
    "ResponseCache": "llmkit.reliability.cache",
    "PartialResult": "llmkit.types.partial",
    "ConnectTimeoutError": "llmkit.errors",
    "FirstEventTimeoutError": "llmkit.errors",
    "IdleTimeoutError": "llmkit.errors",
    "TotalTimeoutError": "llmkit.errors",
    # errors
    "LLMKitError": "llmkit.errors",
    "ConfigurationError": "llmkit.errors",
    "NoSuchProviderError": "llmkit.errors",
    "InvalidProviderConfigError": "llmkit.errors",
    "InvalidArgumentError": "llmkit.errors",
    "UnknownSettingError": "llmkit.errors",
    "UnsupportedFeatureError": "llmkit.errors",
    "MissingCredentialError": "llmkit.errors",
    "AuthError": "llmkit.errors",
    "KeychainError": "llmkit.errors",
    "OAuthFlowError": "llmkit.errors",
    "TokenRefreshError": "llmkit.errors",
    "APIError": "llmkit.errors",
    "APIConnectionError": "llmkit.errors",
    "APITimeoutError": "llmkit.errors",
    "APIStatusError": "llmkit.errors",
    "BadRequestError": "llmkit.errors",
    "AuthenticationError": "llmkit.errors",
    "PermissionDeniedError": "llmkit.errors",
    "NotFoundError": "llmkit.errors",
    "RateLimitError": "llmkit.errors",
    "OverloadedError": "llmkit.errors",
    "InternalServerError": "llmkit.errors",
    "StreamError": "llmkit.errors",
    "InvalidResponseError": "llmkit.errors",
    "NoObjectGeneratedError": "llmkit.errors",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AbortEvent",
    "AssistantMessage",
    "AudioUsage",
    "AuthError",
    "AuthManager",
    "AuthenticationError",
    "BadRequestError",
    "BuiltRequest",
    "CallOptions",
    "CallSettings",
    "CallWarning",
    "ConfigurationError",
    "ConnectTimeoutError",
    "FilePart",
    "FinishEvent",
    "FinishInfo",
    "FirstEventTimeoutError",
    "FunctionTool",
    "GenerateImageResult",
    "GenerateObjectResult",
    "GenerateSpeechResult",
    "GenerateTextResult",
    "GeneratedImage",
    "IdleTimeoutError",
    "ImagePart",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidProviderConfigError",
    "InvalidResponseError",
    "JsonSchemaFormat",
    "KeyStore",
    "KeychainError",
    "LLMKitError",
    "MissingCredentialError",
    "Model",
    "ModelCard",
    "ModelInfo",
    "NamedToolChoice",
    "NoObjectGeneratedError",
    "NoSuchProviderError",
    "NotFoundError",
    "OAuthConfig",
    "OAuthFlowError",
    "ObjectCallSettings",
    "OverloadedError",
    "PartialResult",
    "PermissionDeniedError",
    "PlaintextFileStore",
    "Protocol",
    "Provider",
    "ProviderConfig",
    "ProviderRegistry",
    "ProvidersFileNotFoundError",
    "Quirks",
    "RateLimit",
    "RateLimitError",
    "ReasoningDeltaEvent",
    "ReasoningEndEvent",
    "ReasoningOptions",
    "ReasoningPart",
    "ReasoningStartEvent",
    "ResponseCache",
    "ResponseMetadataEvent",
    "RetryPolicy",
    "Secret",
    "SourceEvent",
    "StepFinishEvent",
    "StepResult",
    "StopCondition",
    "StreamError",
    "StreamEvent",
    "StreamObjectResult",
    "StreamStartEvent",
    "StreamState",
    "StreamTextResult",
    "SyncIterator",
    "SyncStreamObjectResult",
    "SyncStreamTextResult",
    "SystemMessage",
    "TextCallSettings",
    "TextDeltaEvent",
    "TextEndEvent",
    "TextPart",
    "TextStartEvent",
    "Timeouts",
    "TokenExchange",
    "TokenRefreshError",
    "Tool",
    "ToolCallEvent",
    "ToolCallPart",
    "ToolDefinition",
    "ToolInputDeltaEvent",
    "ToolInputEndEvent",
    "ToolInputStartEvent",
    "ToolMessage",
    "ToolResultEvent",
    "ToolResultPart",
    "TotalTimeoutError",
    "TranscriptionResult",
    "UnknownSettingError",
    "UnsupportedFeatureError",
    "Usage",
    "UserMessage",
    "cost_of",
    "generate_image",
    "generate_image_sync",
    "generate_object",
    "generate_object_sync",
    "generate_speech",
    "generate_speech_sync",
    "generate_text",
    "generate_text_sync",
    "get_protocol",
    "has_tool_call",
    "list_models",
    "list_models_sync",
    "model_info",
    "provider",
    "register_image_protocol",
    "register_prices",
    "register_protocol",
    "register_speech_protocol",
    "register_transcription_protocol",
    "registry",
    "step_count_is",
    "stream_object",
    "stream_object_sync",
    "stream_speech",
    "stream_speech_sync",
    "stream_text",
    "stream_text_sync",
    "stream_transcription",
    "stream_transcription_sync",
    "tool",
    "transcribe",
    "transcribe_sync",
]

if TYPE_CHECKING:
    from llmkit._api import generate_text, generate_text_sync, stream_text, stream_text_sync
    from llmkit._models import list_models, list_models_sync
    from llmkit._object import (
        generate_object,
        generate_object_sync,
        stream_object,
        stream_object_sync,
    )
    from llmkit._object_result import GenerateObjectResult, StreamObjectResult
    from llmkit._result import GenerateTextResult, StreamTextResult
    from llmkit._steps import FinishInfo, StepResult, StopCondition, has_tool_call, step_count_is
    from llmkit._sync import SyncIterator, SyncStreamObjectResult, SyncStreamTextResult
    from llmkit.auth.filestore import PlaintextFileStore
    from llmkit.auth.manager import AuthManager
    from llmkit.auth.secret import Secret
    from llmkit.auth.store import KeyStore
    from llmkit.errors import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        AuthError,
        BadRequestError,
        ConfigurationError,
        ConnectTimeoutError,
        FirstEventTimeoutError,
        IdleTimeoutError,
        InternalServerError,
        InvalidArgumentError,
        InvalidProviderConfigError,
        InvalidResponseError,
        KeychainError,
        LLMKitError,
        MissingCredentialError,
        NoObjectGeneratedError,
        NoSuchProviderError,
        NotFoundError,
        OAuthFlowError,
        OverloadedError,
        PermissionDeniedError,
        ProvidersFileNotFoundError,
        RateLimitError,
        StreamError,
        TokenRefreshError,
        TotalTimeoutError,
        UnknownSettingError,
        UnsupportedFeatureError,
    )
    from llmkit.protocols.base import BuiltRequest, Protocol, StreamState
    from llmkit.protocols.openai_chat.quirks import Quirks
    from llmkit.protocols.registry import get_protocol, register_protocol
    from llmkit.providers.config import OAuthConfig, ProviderConfig, TokenExchange
    from llmkit.providers.inline import Model, Provider, provider
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.reliability.cache import ResponseCache
    from llmkit.reliability.deadline import Timeouts
    from llmkit.reliability.ratelimit import RateLimit
    from llmkit.reliability.retry import RetryPolicy
    from llmkit.tools import FunctionTool, Tool, tool
    from llmkit.types.events import (
        AbortEvent,
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
    from llmkit.types.messages import (
        AssistantMessage,
        FilePart,
        ImagePart,
        ReasoningPart,
        SystemMessage,
        TextPart,
        ToolCallPart,
        ToolMessage,
        ToolResultPart,
        UserMessage,
    )
    from llmkit.types.models import ModelInfo
    from llmkit.types.options import (
        CallOptions,
        JsonSchemaFormat,
        NamedToolChoice,
        ReasoningOptions,
        ToolDefinition,
    )
    from llmkit.types.partial import PartialResult
    from llmkit.types.settings import CallSettings, ObjectCallSettings, TextCallSettings
    from llmkit.types.usage import Usage
    from llmkit.types.warnings import CallWarning

    registry: ProviderRegistry


def __getattr__(name: str) -> Any:
    if name == "registry":
        from llmkit.providers import default_registry

        return default_registry()
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
