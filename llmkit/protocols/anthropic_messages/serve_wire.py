"""What the Anthropic serving codec's stream and body encoders share: compact JSON, message ids,
and the unified → Anthropic mappings of finish reasons, usage and errors.

Sources: Anthropic API reference, "Messages" (response ``stop_reason``, ``stop_sequence``,
``usage``), "Streaming Messages" and "Errors". The mapping rules are documented on
:mod:`llmkit.protocols.anthropic_messages.serve`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from llmkit.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidArgumentError,
    LLMKitError,
    NoSuchProviderError,
    StreamError,
    UnsupportedFeatureError,
)
from llmkit.protocols.anthropic_messages.errors import ERROR_TYPE_STATUS
from llmkit.protocols.serving import RequestFieldError
from llmkit.types.events import FinishEvent, ProviderMetadata
from llmkit.types.usage import Usage

__all__ = [
    "dumps",
    "error_object",
    "error_status_and_type",
    "message_id",
    "stop_reason",
    "stop_sequence",
    "wire_usage",
]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
dumps = _ENCODER.encode
"""Compact JSON text (no spaces, UTF-8 kept) of a JSON-compatible value."""

_STOP_REASONS: Mapping[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
# Anthropic stop_reason values and the unified reason each maps to (map_finish_reason's table):
# a raw value from an Anthropic upstream is echoed when it agrees with the unified reason.
_ANTHROPIC_RAW: Mapping[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
}


def message_id(response_id: str | None) -> str:
    """The message ``id``: the upstream response id when there is one, else ``msg_<hex>``."""
    return response_id or f"msg_{uuid.uuid4().hex[:24]}"


def stop_reason(finish: FinishEvent) -> str:
    """The Anthropic ``stop_reason`` for a unified finish.

    The upstream's raw value is kept when it is an Anthropic ``stop_reason`` that agrees with
    the unified reason (an Anthropic upstream's ``stop_sequence``, ``pause_turn``...); otherwise
    ``stop`` → ``end_turn`` (``stop_sequence`` when the finish names the matched sequence),
    ``length`` → ``max_tokens``, ``tool_calls`` → ``tool_use``, ``content_filter`` →
    ``refusal``, and ``error`` / ``other`` → ``end_turn`` (Anthropic has no such value).
    """
    raw = finish.raw_finish_reason
    if raw is not None and _ANTHROPIC_RAW.get(raw) == finish.finish_reason:
        return raw
    if finish.finish_reason == "stop" and stop_sequence(finish.provider_metadata) is not None:
        return "stop_sequence"
    return _STOP_REASONS.get(finish.finish_reason, "end_turn")


def stop_sequence(metadata: ProviderMetadata | None) -> str | None:
    """The matched stop sequence, when the upstream reported one
    (``provider_metadata["anthropic"]["stop_sequence"]``)."""
    if not metadata:
        return None
    anthropic = metadata.get("anthropic")
    value = anthropic.get("stop_sequence") if anthropic else None
    return value if isinstance(value, str) else None


def wire_usage(
    usage: Usage | None, metadata: ProviderMetadata | None = None, *, delta: bool
) -> dict[str, object]:
    """An Anthropic ``usage`` object (counts in tokens) for unified usage.

    ``input_tokens`` is Anthropic's: the unified ``input_tokens`` minus cache reads and writes
    (never below 0); ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` and
    ``output_tokens_details.thinking_tokens`` (from ``reasoning_tokens``) only when reported.
    ``server_tool_use`` (server tool request counts) is copied from
    ``provider_metadata["anthropic"]`` when an Anthropic upstream reported it.
    Anthropic's schema requires integer ``input_tokens`` (message) and ``output_tokens``: a count
    the upstream did not report is sent as 0 there; in a ``message_delta`` (``delta=True``),
    where ``input_tokens`` is optional, an unknown one is left out.
    """
    out: dict[str, object] = {}
    read = usage.cache_read_tokens if usage else None
    write = usage.cache_write_tokens if usage else None
    total_in = usage.input_tokens if usage else None
    if total_in is not None:
        out["input_tokens"] = max(total_in - (read or 0) - (write or 0), 0)
    elif not delta:
        out["input_tokens"] = 0
    if write is not None:
        out["cache_creation_input_tokens"] = write
    if read is not None:
        out["cache_read_input_tokens"] = read
    output = usage.output_tokens if usage else None
    out["output_tokens"] = output if output is not None else 0
    reasoning = usage.reasoning_tokens if usage else None
    if reasoning is not None:
        out["output_tokens_details"] = {"thinking_tokens": reasoning}
    anthropic = metadata.get("anthropic") if metadata else None
    server_tool_use = anthropic.get("server_tool_use") if anthropic else None
    if server_tool_use:
        out["server_tool_use"] = server_tool_use
    return out


_STATUS_TYPES: Mapping[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def _type_for_status(status: int) -> str:
    found = _STATUS_TYPES.get(status)
    if found is not None:
        return found
    return "api_error" if status >= 500 else "invalid_request_error"


def error_status_and_type(error: LLMKitError | RequestFieldError) -> tuple[int, str]:
    """(HTTP status, Anthropic ``error.type``) for an error (rules on
    :mod:`llmkit.protocols.anthropic_messages.serve`)."""
    if isinstance(error, RequestFieldError):
        return 400, "invalid_request_error"
    if isinstance(error, APIStatusError):
        status = error.status_code
        kind = error.error_type
        if kind is not None and ERROR_TYPE_STATUS.get(kind) == status:
            return status, kind
        return status, _type_for_status(status)
    if isinstance(error, APITimeoutError):
        return 504, "timeout_error"
    if isinstance(error, (APIConnectionError, StreamError)):
        return 502, "api_error"
    if isinstance(error, (UnsupportedFeatureError, InvalidArgumentError)):
        return 400, "invalid_request_error"
    if isinstance(error, NoSuchProviderError):
        return 404, "not_found_error"
    return 500, "api_error"


def error_object(error: LLMKitError | RequestFieldError) -> tuple[int, dict[str, object]]:
    """(HTTP status, ``{"type": "error", "error": {"type", "message"}}``) for an error."""
    status, kind = error_status_and_type(error)
    message = getattr(error, "message", None)
    if not isinstance(message, str) or not message or isinstance(error, RequestFieldError):
        message = str(error)
    return status, {"type": "error", "error": {"type": kind, "message": message}}
