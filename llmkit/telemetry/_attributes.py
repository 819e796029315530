"""Span and metric attributes from llmkit's values (call options, targets, usage, errors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry.trace import Status, StatusCode

from llmkit.errors import LLMKitError
from llmkit.telemetry import _content as content
from llmkit.telemetry import _semconv as sc

if TYPE_CHECKING:
    from opentelemetry.trace import Span
    from opentelemetry.util.types import AttributeValue

    from llmkit._driver import Target
    from llmkit.types.options import CallOptions
    from llmkit.types.usage import Usage

__all__ = [
    "Attributes",
    "base_attributes",
    "content_attributes",
    "error_type",
    "ns_after",
    "request_attributes",
    "set_error",
    "usage_attributes",
]

Attributes = dict[str, "AttributeValue"]


def base_attributes(operation: str, target: Target) -> Attributes:
    """The attributes a span and its metrics share: ``gen_ai.operation.name``,
    ``gen_ai.provider.name``, ``gen_ai.request.model``, ``server.address`` / ``server.port``
    (given at span creation: the conventions list them for sampling decisions)."""
    out: Attributes = {
        sc.OPERATION_NAME: operation,
        sc.PROVIDER_NAME: sc.provider_name(target.provider.id),
        sc.REQUEST_MODEL: target.model_id,
    }
    out.update(sc.server_attributes(target.provider.base_url))
    return out


def request_attributes(call: CallOptions) -> Attributes:
    """The ``gen_ai.request.*`` sampling settings a call sets, and ``gen_ai.output.type``
    (``json`` when a response format is asked for)."""
    out: Attributes = {}
    pairs: tuple[tuple[str, int | float | None], ...] = (
        (sc.REQUEST_MAX_TOKENS, call.max_output_tokens),
        (sc.REQUEST_TEMPERATURE, call.temperature),
        (sc.REQUEST_TOP_P, call.top_p),
        (sc.REQUEST_TOP_K, None if call.top_k is None else float(call.top_k)),  # a double
        (sc.REQUEST_SEED, call.seed),
        (sc.REQUEST_PRESENCE_PENALTY, call.presence_penalty),
        (sc.REQUEST_FREQUENCY_PENALTY, call.frequency_penalty),
    )
    for key, value in pairs:
        if value is not None:
            out[key] = value
    if call.stop_sequences:
        out[sc.REQUEST_STOP_SEQUENCES] = list(call.stop_sequences)
    if call.response_format is not None:
        out[sc.OUTPUT_TYPE] = "json"
    return out


def content_attributes(call: CallOptions) -> Attributes:
    """The opt-in ``gen_ai.input.messages``, ``gen_ai.system_instructions`` and
    ``gen_ai.tool.definitions`` of a call."""
    out: Attributes = {sc.INPUT_MESSAGES: content.input_messages(call.messages)}
    if call.system is not None:
        out[sc.SYSTEM_INSTRUCTIONS] = content.system_instructions(call.system)
    if call.tools:
        out[sc.TOOL_DEFINITIONS] = content.tool_definitions(call.tools)
    return out


def usage_attributes(usage: Usage) -> Attributes:
    """``gen_ai.usage.*`` for the counts reported (None: not recorded, never 0), and
    ``llmkit.usage.cost_usd`` when the cost is known. llmkit's ``input_tokens`` includes
    cache reads and writes and ``output_tokens`` includes reasoning, as the conventions ask."""
    out: Attributes = {}
    pairs = (
        (sc.USAGE_INPUT_TOKENS, usage.input_tokens),
        (sc.USAGE_OUTPUT_TOKENS, usage.output_tokens),
        (sc.USAGE_CACHE_READ_INPUT_TOKENS, usage.cache_read_tokens),
        (sc.USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cache_write_tokens),
        (sc.USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning_tokens),
    )
    for key, value in pairs:
        if value is not None:
            out[key] = value
    if usage.cost is not None:
        out[sc.USAGE_COST] = float(usage.cost)
    return out


def error_type(error: BaseException) -> str:
    """``error.type``: the exception's class name (``AuthenticationError``, ``TimeoutError``)."""
    return type(error).__qualname__


def set_error(span: Span, error: BaseException, record_content: bool) -> None:
    """``error.type`` and status ERROR ("Recording errors on spans"). The description is the
    error's message for llmkit errors (credential-free by their rule) and, with
    ``record_content``, for any other (a hook's own exception may quote anything)."""
    span.set_attribute(sc.ERROR_TYPE, error_type(error))
    shown = isinstance(error, LLMKitError) or record_content
    span.set_status(Status(StatusCode.ERROR, str(error) if shown else None))


def ns_after(start_ns: int, start_mono: int, mono: int) -> int:
    """The wall-clock time (ns) of monotonic instant ``mono``, anchored at a span's start."""
    return start_ns + max(0, mono - start_mono)
