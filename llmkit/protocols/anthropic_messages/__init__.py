"""The Anthropic Messages protocol (``anthropic-messages``): ``POST {base_url}/messages``.

Anthropic API reference: "Messages", "Streaming Messages", "Extended thinking", "Tool use",
"Vision", "PDF support", "Errors". This module only orchestrates; each concern has its module:

- :mod:`.convert_messages`: unified messages → ``system`` + alternating ``messages``;
- :mod:`.prepare_tools`: ``tools`` / ``tool_choice``;
- :mod:`.wire`: the stream state machine (also used for non-streamed bodies);
- :mod:`.map_finish_reason`, :mod:`.convert_usage`: finish reason and usage mapping;
- :mod:`.errors`: error bodies and in-band ``error`` events.

Request decisions (see :meth:`AnthropicMessagesProtocol.build_request`):

- ``max_tokens`` is required by Anthropic: ``max_output_tokens``, else
  :data:`DEFAULT_MAX_TOKENS` (4096). With thinking on and no ``max_output_tokens``, it is
  ``budget_tokens + DEFAULT_MAX_TOKENS`` (Anthropic needs ``max_tokens > budget_tokens``; the
  budget counts toward ``max_tokens``). An explicit ``max_output_tokens <= budget_tokens`` raises
  :class:`~llmkit.errors.UnsupportedFeatureError` rather than silently raising the limit.
- Reasoning: ``budget_tokens`` → ``thinking: {"type": "enabled", "budget_tokens": n}``. An
  ``effort`` alone maps to a budget (:data:`EFFORT_BUDGETS`: minimal and low 1024, medium 4096,
  high 16384) with a ``changed_setting`` warning; with both, the budget wins and ``effort`` is
  reported as dropped.
- ``seed``, ``presence_penalty`` and ``frequency_penalty`` do not exist in the Messages API: they
  are dropped with an ``unsupported_setting`` warning.
- ``provider_options["anthropic"]`` is shallow-merged into the body last, except ``betas``
  (a list of beta names), which is sent as the ``anthropic-beta`` header instead, and
  ``cache_control``, a prompt-cache breakpoint put on the conversation's last block (see
  :mod:`.cache`).
- Extended thinking allows only ``tool_choice`` ``auto`` / ``none``; a forced tool choice with
  thinking on raises :class:`~llmkit.errors.UnsupportedFeatureError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from llmkit.errors import APIStatusError, UnsupportedFeatureError
from llmkit.protocols.anthropic_messages.cache import apply_cache_control
from llmkit.protocols.anthropic_messages.convert_messages import convert_messages
from llmkit.protocols.anthropic_messages.errors import parse_error
from llmkit.protocols.anthropic_messages.models import build_models_request, parse_models
from llmkit.protocols.anthropic_messages.prepare_tools import prepare_tools
from llmkit.protocols.anthropic_messages.response import parse_message
from llmkit.protocols.anthropic_messages.wire import AnthropicState, finish, parse_event
from llmkit.protocols.base import (
    BuiltRequest,
    Protocol,
    check_tool_choice,
    merge_provider_options,
    request_headers,
)
from llmkit.types.events import StreamEvent
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.protocols._fake import MockTurn
    from llmkit.providers.config import ProviderConfig
    from llmkit.types.models import ModelInfo
    from llmkit.types.options import CallOptions

__all__ = [
    "ANTHROPIC_VERSION",
    "DEFAULT_MAX_TOKENS",
    "EFFORT_BUDGETS",
    "AnthropicMessagesProtocol",
    "AnthropicState",
]

ANTHROPIC_VERSION = "2023-06-01"
"""The ``anthropic-version`` header sent when the provider config sets none."""

DEFAULT_MAX_TOKENS = 4096
"""``max_tokens`` (tokens) when the call sets no ``max_output_tokens``."""

EFFORT_BUDGETS: Mapping[str, int] = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384}
"""Thinking ``budget_tokens`` used for a reasoning ``effort`` (1024 is Anthropic's minimum)."""

_UNSUPPORTED = ("seed", "presence_penalty", "frequency_penalty")
_FORCED = ("any", "tool")


def _thinking(
    call: CallOptions, warnings: list[CallWarning]
) -> tuple[dict[str, object] | None, int]:
    """(``thinking`` object or None, ``max_tokens``)."""
    reasoning = call.reasoning
    budget: int | None = None
    if reasoning is not None:
        budget = reasoning.budget_tokens
        if budget is not None and reasoning.effort is not None:
            warnings.append(
                CallWarning(
                    "unsupported_setting",
                    "reasoning",
                    "reasoning.effort was ignored because reasoning.budget_tokens is set",
                )
            )
        elif budget is None and reasoning.effort is not None:
            budget = EFFORT_BUDGETS[reasoning.effort]
            warnings.append(
                CallWarning(
                    "changed_setting",
                    "reasoning",
                    f"reasoning.effort={reasoning.effort!r} was sent as a thinking budget of "
                    f"{budget} tokens (anthropic-messages has no effort setting)",
                )
            )
    if budget is None:
        return None, call.max_output_tokens or DEFAULT_MAX_TOKENS
    if call.max_output_tokens is None:
        max_tokens = budget + DEFAULT_MAX_TOKENS
    elif call.max_output_tokens <= budget:
        raise UnsupportedFeatureError(
            f"max_output_tokens ({call.max_output_tokens}) must be greater than the thinking "
            f"budget ({budget}): Anthropic counts thinking toward max_tokens. Raise "
            "max_output_tokens or lower reasoning.budget_tokens."
        )
    else:
        max_tokens = call.max_output_tokens
    return {"type": "enabled", "budget_tokens": budget}, max_tokens


_MAX_TEMPERATURE = 1.0
"""Anthropic API reference, Messages, ``temperature``: "Ranges from 0.0 to 1.0" (OpenAI and Gemini
take up to 2.0, which ``CallOptions`` allows); a higher value is sent as 1.0 with a warning."""


class AnthropicMessagesProtocol(Protocol[AnthropicState]):
    """The Anthropic Messages API, sans-IO."""

    name: ClassVar[str] = "anthropic-messages"
    metadata_key: ClassVar[str] = "anthropic"
    # Anthropic API reference, "Authentication": x-api-key, with the anthropic-version header
    # that build_request adds when the provider config sets none
    default_auth: ClassVar[str] = "x-api-key"
    # "Extended thinking with tool use": only tool_choice auto/none while thinking
    forced_tool_with_reasoning: ClassVar[bool] = False
    fake_call_id_prefix: ClassVar[str] = "toolu"

    def build_request(
        self, call: CallOptions, provider: ProviderConfig, model_id: str, *, stream: bool = True
    ) -> BuiltRequest:
        """Build ``POST {base_url}/messages`` for one call.

        Headers: ``content-type``, ``accept: text/event-stream`` when streaming, the provider's
        headers, then the call's; ``anthropic-version`` defaults to :data:`ANTHROPIC_VERSION`.
        No credential header (the auth layer adds ``x-api-key`` or ``Authorization``).

        Body (unset fields omitted): ``model``, ``max_tokens``, ``system``, ``messages``,
        ``temperature``, ``top_p``, ``top_k``, ``stop_sequences``, ``tools``, ``tool_choice``,
        ``thinking``, ``stream``, then ``provider_options["anthropic"]`` merged over it.

        Raises:
            UnsupportedFeatureError: a non-PDF file part, an unsupported image media type, a
                ``max_output_tokens`` not above the thinking budget, a forced tool choice
                without tools, or a ``response_format`` (``supports_response_format`` is
                False: structured output goes through a forced tool call).
            ConfigurationError: an image or file part with invalid inline data.
        """
        if call.response_format is not None:
            raise UnsupportedFeatureError(
                "anthropic-messages has no JSON schema response format; use "
                "llmkit.generate_object / stream_object, which force a tool call whose input "
                "schema is the schema"
            )
        warnings: list[CallWarning] = []
        for setting in _UNSUPPORTED:
            if getattr(call, setting) is not None:
                warnings.append(
                    CallWarning(
                        "unsupported_setting",
                        setting,
                        f"{setting} is not supported by anthropic-messages and was dropped",
                    )
                )
        (system, messages), converted = convert_messages(call.messages, call.system, provider.id)
        warnings += converted
        tools, tool_choice, tool_warnings = prepare_tools(call.tools, check_tool_choice(call))
        warnings += tool_warnings
        thinking, max_tokens = _thinking(call, warnings)
        extra = call.provider_options.get(self.metadata_key, {})
        apply_cache_control(tools, system, messages, extra.get("cache_control"))
        if thinking is not None and tool_choice is not None and tool_choice["type"] in _FORCED:
            raise UnsupportedFeatureError(
                "anthropic-messages: with extended thinking, tool_choice can only be 'auto' or "
                "'none' (Anthropic, \"Extended thinking\", tool use); drop reasoning or "
                "tool_choice"
            )

        body: dict[str, object] = {"model": model_id, "max_tokens": max_tokens}
        if system is not None:
            body["system"] = system
        body["messages"] = messages
        if call.temperature is not None:
            body["temperature"] = min(call.temperature, _MAX_TEMPERATURE)
            if call.temperature > _MAX_TEMPERATURE:
                warnings.append(
                    CallWarning(
                        "unsupported_setting",
                        "temperature",
                        f"temperature {call.temperature:g} is above Anthropic's maximum of 1.0 "
                        "and was sent as 1.0",
                    )
                )
        if call.top_p is not None:
            body["top_p"] = call.top_p
        if call.top_k is not None:
            body["top_k"] = call.top_k
        if call.stop_sequences:
            body["stop_sequences"] = list(call.stop_sequences)
        if tools is not None:
            body["tools"] = tools
        if tool_choice is not None:
            body["tool_choice"] = tool_choice
        if thinking is not None:
            body["thinking"] = thinking
        if stream:
            body["stream"] = True

        headers = request_headers(provider, call, stream=stream)
        if not any(key.lower() == "anthropic-version" for key in headers):
            headers["anthropic-version"] = ANTHROPIC_VERSION

        extra = dict(extra)
        extra.pop("cache_control", None)  # a breakpoint on the conversation, see .cache
        betas = extra.pop("betas", None)
        if betas is not None:
            names = betas if isinstance(betas, list) else [betas]
            headers["anthropic-beta"] = ",".join(str(name) for name in names)
        merge_provider_options(body, extra)

        return BuiltRequest(
            url=f"{provider.base_url}/messages",
            headers=headers,
            body=body,
            stream=stream,
            warnings=tuple(warnings),
        )

    def new_state(self, provider: ProviderConfig) -> AnthropicState:
        """Fresh per-stream state."""
        return AnthropicState(provider_id=provider.id)

    def parse_event(self, state: AnthropicState, sse: ServerSentEvent) -> list[StreamEvent]:
        """See :func:`llmkit.protocols.anthropic_messages.wire.parse_event`.

        Raises:
            StreamError: an in-band ``error`` event (``error_type`` = ``error.type``).
            InvalidResponseError: malformed JSON or an unusable event shape (``.raw``).
        """
        return parse_event(state, sse)

    def finish(self, state: AnthropicState) -> list[StreamEvent]:
        """Close open blocks and emit exactly one ``finish``.

        Raises:
            StreamError: the stream ended without ``message_stop`` (truncated).
        """
        return finish(state)

    def parse_response(self, body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
        """Turn a non-streamed Messages response into the events a stream would give.

        Reads ``id``, ``model``, ``content`` (text, thinking with signature, redacted_thinking,
        tool_use, server_tool_use, ``*_tool_result``), ``stop_reason``, ``stop_sequence`` and
        ``usage``.

        Raises:
            InvalidResponseError: the body is not JSON or not a message object.
            APIStatusError: the body is an ``{"type": "error"}`` object (class by error type).
        """
        return parse_message(body, provider)

    def parse_error(
        self, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> APIStatusError:
        """See :func:`llmkit.protocols.anthropic_messages.errors.parse_error`. Never raises."""
        return parse_error(status_code, headers, body)

    def build_models_request(
        self, provider: ProviderConfig, *, cursor: str | None = None
    ) -> BuiltRequest:
        """``GET {base_url}/models``, or ``?after_id=<cursor>`` for a later page (Anthropic API
        reference, "Models: list"), with ``anthropic-version``; no body, no credentials."""
        return build_models_request(provider, ANTHROPIC_VERSION, cursor)

    def parse_models(self, body: bytes) -> tuple[list[ModelInfo], str | None]:
        """One page → its models and the next page's cursor (``last_id`` if ``has_more``).

        Raises:
            InvalidResponseError: the body is not JSON, has no ``data`` list, or says
                ``has_more`` without a ``last_id``.
        """
        return parse_models(body)

    def fake_stream(self, turn: MockTurn, model: str) -> bytes:
        """A Messages stream (``message_start`` ... ``message_stop``) answering with ``turn``
        (testing kit)."""
        from llmkit.protocols.anthropic_messages.fake import anthropic_messages_sse

        return anthropic_messages_sse(turn, model)

    def fake_body(self, turn: MockTurn, model: str) -> bytes:
        """A Messages response body answering with ``turn`` (testing kit)."""
        from llmkit.protocols.anthropic_messages.fake import anthropic_messages_json

        return anthropic_messages_json(turn, model)
