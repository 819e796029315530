"""The OpenAI Chat Completions protocol (``openai-chat``), used by OpenAI and its compatibles.

Source: OpenAI API reference, Chat Completions (``POST /chat/completions``). Provider
deviations are read from :class:`~llmkit.protocols.openai_chat.quirks.OpenAIChatQuirks`, never
from the provider id.

Modules: :mod:`.convert_messages` (messages), :mod:`.prepare_tools` (tools, tool choice),
:mod:`.wire` (the streaming state machine), :mod:`.response` (non-streamed bodies),
:mod:`.map_finish_reason`, :mod:`.convert_usage`, :mod:`.errors` (error bodies, in-band
errors). This module only orchestrates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel

from llmkit.errors import APIStatusError
from llmkit.protocols.base import (
    BuiltRequest,
    Protocol,
    check_tool_choice,
    merge_provider_options,
    request_headers,
)
from llmkit.protocols.openai_chat.convert_messages import convert_messages
from llmkit.protocols.openai_chat.errors import parse_error_body
from llmkit.protocols.openai_chat.models import build_models_request, parse_models
from llmkit.protocols.openai_chat.prepare_tools import prepare_tools
from llmkit.protocols.openai_chat.quirks import OpenAIChatQuirks
from llmkit.protocols.openai_chat.response import parse_completion
from llmkit.protocols.openai_chat.response_format import prepare_response_format
from llmkit.protocols.openai_chat.wire import (
    METADATA_KEY,
    OpenAIChatState,
    finish_events,
    parse_chunk,
)
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import StreamEvent
from llmkit.types.models import ModelInfo
from llmkit.types.options import CallOptions
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.protocols._fake import MockTurn

__all__ = ["OpenAIChatProtocol", "OpenAIChatState"]


def quirks_of(provider: ProviderConfig) -> OpenAIChatQuirks:
    """The provider's :class:`OpenAIChatQuirks` (validated once per provider config)."""
    quirks = provider.quirks
    if type(quirks) is OpenAIChatQuirks:
        return quirks
    return _PROTOCOL.quirks_of(provider)  # type: ignore[return-value]


def _sampling(
    call: CallOptions, provider: ProviderConfig, body: dict[str, object]
) -> list[CallWarning]:
    """Add the sampling and limit settings to ``body``; warnings for those dropped."""
    quirks = quirks_of(provider)
    warnings: list[CallWarning] = []
    if call.max_output_tokens is not None:
        body[quirks.max_tokens_field] = call.max_output_tokens
    scalar: tuple[tuple[str, object], ...] = (
        ("temperature", call.temperature),
        ("top_p", call.top_p),
    )
    for name, value in scalar:
        if value is not None:
            body[name] = value
    if call.top_k is not None:
        if quirks.top_k:
            body["top_k"] = call.top_k
        else:
            warnings.append(
                CallWarning(
                    "unsupported_setting",
                    "top_k",
                    f"provider {provider.id!r} does not accept top_k in OpenAI chat; dropped",
                )
            )
    if call.stop_sequences:
        body["stop"] = list(call.stop_sequences)
    for name, value in (
        ("seed", call.seed),
        ("presence_penalty", call.presence_penalty),
        ("frequency_penalty", call.frequency_penalty),
    ):
        if value is not None:
            body[name] = value
    reasoning = call.reasoning
    if reasoning is not None:
        if reasoning.effort is not None:
            if quirks.reasoning_effort:
                body["reasoning_effort"] = reasoning.effort
            else:
                warnings.append(
                    CallWarning(
                        "unsupported_setting",
                        "reasoning",
                        f"provider {provider.id!r} does not accept reasoning_effort; the "
                        "reasoning effort setting was dropped",
                    )
                )
        if reasoning.budget_tokens is not None:
            warnings.append(
                CallWarning(
                    "unsupported_setting",
                    "reasoning",
                    "OpenAI chat has no reasoning token budget; budget_tokens was dropped (use "
                    "reasoning effort instead)",
                )
            )
    return warnings


class OpenAIChatProtocol(Protocol[OpenAIChatState]):
    """The ``openai-chat`` protocol: ``POST {base_url}/chat/completions``.

    Stateless and shared; per-stream state lives in :class:`OpenAIChatState`.
    """

    name: ClassVar[str] = "openai-chat"
    metadata_key: ClassVar[str] = METADATA_KEY
    default_auth: ClassVar[str] = "bearer"  # OpenAI API reference, "Authentication"
    quirks_model: ClassVar[type[BaseModel]] = OpenAIChatQuirks
    supports_response_format: ClassVar[bool] = True
    fake_call_id_prefix: ClassVar[str] = "call"

    def build_request(
        self, call: CallOptions, provider: ProviderConfig, model_id: str, *, stream: bool = True
    ) -> BuiltRequest:
        """Build the Chat Completions request (no credentials; the auth layer adds them).

        The body follows the OpenAI API reference, Chat Completions, create: ``model``,
        ``messages``, ``max_tokens``/``max_completion_tokens`` (``quirks.max_tokens_field``),
        ``temperature``, ``top_p``, ``top_k`` (only with ``quirks.top_k``), ``stop``, ``seed``,
        ``presence_penalty``, ``frequency_penalty``, ``tools``, ``tool_choice``,
        ``reasoning_effort`` (only with ``quirks.reasoning_effort``), ``response_format``
        (see :mod:`.response_format`; with ``quirks.json_output == "json_object"`` the schema
        is appended to the system prompt), and when streaming
        ``stream: true`` plus ``stream_options.include_usage`` (with ``quirks.stream_usage``).
        Unset settings are omitted, never sent as null. ``call.provider_options["openai"]`` is
        deep-merged in last.

        Raises:
            UnsupportedFeatureError: a file part OpenAI chat cannot take, or a forced tool
                choice without tools.
            ConfigurationError: inline image or file data that is not valid.
        """
        quirks = quirks_of(provider)
        response_format, system = prepare_response_format(call.response_format, quirks, call.system)
        messages, warnings = convert_messages(call.messages, system, quirks, provider.id)
        body: dict[str, object] = {"model": model_id, "messages": messages}
        warnings.extend(_sampling(call, provider, body))
        tools, tool_choice, tool_warnings = prepare_tools(call.tools, check_tool_choice(call))
        warnings.extend(tool_warnings)
        if tools is not None:
            body["tools"] = tools
        if tool_choice is not None:
            body["tool_choice"] = tool_choice
        if response_format is not None:
            body["response_format"] = response_format
        if stream:
            body["stream"] = True
            if quirks.stream_usage:
                body["stream_options"] = {"include_usage": True}
        merge_provider_options(body, call.provider_options.get(self.metadata_key) or {})
        headers = request_headers(provider, call, stream=stream)
        return BuiltRequest(
            url=f"{provider.base_url}/chat/completions",
            headers=headers,
            body=body,
            stream=stream,
            warnings=tuple(warnings),
        )

    def new_state(self, provider: ProviderConfig) -> OpenAIChatState:
        """Fresh stream state carrying the provider's parsing quirks."""
        quirks = quirks_of(provider)
        return OpenAIChatState(
            provider_id=provider.id,
            reasoning_fields=quirks.reasoning_fields,
            usage_in_x_groq=quirks.usage_in_x_groq,
        )

    def parse_event(self, state: OpenAIChatState, sse: ServerSentEvent) -> list[StreamEvent]:
        """One server-sent event → stream events (see :mod:`llmkit.protocols.openai_chat.wire`).

        Raises:
            StreamError: an in-band error (``event: error`` or a chunk with ``error``).
            InvalidResponseError: data that is not JSON or not a usable chunk.
        """
        return parse_chunk(state, sse.event, sse.data)

    def finish(self, state: OpenAIChatState) -> list[StreamEvent]:
        """Close open blocks and emit the ``finish`` event.

        Raises:
            StreamError: the stream ended with neither ``[DONE]`` nor a finish reason.
        """
        return finish_events(state)

    def parse_response(self, body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
        """A non-streamed chat completion body → events (see :mod:`.response`).

        Raises:
            InvalidResponseError: the body is not JSON or has no usable choice.
            StreamError: a 2xx body that reports an ``error``.
        """
        return parse_completion(body, provider)

    def parse_error(
        self, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> APIStatusError:
        """A non-2xx response → the :class:`~llmkit.errors.APIStatusError` of its status, with
        the provider's message, error type and code, ``x-request-id`` and retry-after (seconds).
        Never raises (see :mod:`.errors`)."""
        return parse_error_body(status_code, headers, body)

    def build_models_request(
        self, provider: ProviderConfig, *, cursor: str | None = None
    ) -> BuiltRequest:
        """``GET {base_url}/models`` (OpenAI API reference, "Models: list"); no body, no
        credentials. The list is one page, so ``cursor`` is ignored."""
        return build_models_request(provider)

    def parse_models(self, body: bytes) -> tuple[list[ModelInfo], str | None]:
        """A ``{"object": "list", "data": [...]}`` body → its models and no next page.

        Raises:
            InvalidResponseError: the body is not JSON or has no ``data`` list.
        """
        return parse_models(body), None

    def fake_stream(self, turn: MockTurn, model: str) -> bytes:
        """A ``chat.completion.chunk`` stream answering with ``turn`` (testing kit)."""
        from llmkit.protocols.openai_chat.fake import openai_chat_sse

        return openai_chat_sse(turn, model)

    def fake_body(self, turn: MockTurn, model: str) -> bytes:
        """A ``chat.completion`` body answering with ``turn`` (testing kit)."""
        from llmkit.protocols.openai_chat.fake import openai_chat_json

        return openai_chat_json(turn, model)


_PROTOCOL = OpenAIChatProtocol()
"""An instance for the module-level helpers (the registry keeps the shared one)."""
