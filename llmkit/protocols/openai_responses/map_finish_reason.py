"""The final status of a Responses answer → unified :data:`~llmkit.types.finish.FinishReason`.

Source: OpenAI API reference, Responses, "The response object": ``status`` (``completed``,
``incomplete``, ``failed``, ``cancelled``, ``queued``, ``in_progress``) and
``incomplete_details.reason`` (``max_output_tokens``, ``content_filter``); streaming events
``response.completed``, ``response.incomplete`` and ``response.failed``.

The raw finish reason llmkit keeps is the status, with the reason appended for an incomplete
answer (``incomplete:max_output_tokens``), so both survive in
:attr:`~llmkit.types.events.FinishEvent.raw_finish_reason`.

============================================  ==================
raw value                                      unified value
============================================  ==================
``completed``                                  ``stop``, or ``tool_calls`` when the answer
                                               made client tool (function) calls
``incomplete:max_output_tokens``               ``length``
``incomplete:content_filter``                  ``content_filter``
``failed``                                     ``error`` (raised as an error first)
``incomplete``, ``cancelled``, anything else   ``other``
============================================  ==================
"""

from __future__ import annotations

from llmkit.types.finish import FinishReason

__all__ = ["map_finish_reason", "raw_finish_reason"]

_MAP: dict[str, FinishReason] = {
    "completed": "stop",
    "incomplete:max_output_tokens": "length",
    "incomplete:content_filter": "content_filter",
    "failed": "error",
}


def raw_finish_reason(status: object, incomplete_details: object) -> str | None:
    """The raw finish reason: ``status``, or ``incomplete:<reason>`` (None for a non-string
    status)."""
    if type(status) is not str:
        return None
    if status == "incomplete" and isinstance(incomplete_details, dict):
        reason = incomplete_details.get("reason")
        if isinstance(reason, str) and reason:
            return f"incomplete:{reason}"
    return status


def map_finish_reason(raw: str | None, *, has_tool_calls: bool) -> FinishReason:
    """Map a raw finish reason (see :func:`raw_finish_reason`) to the unified value.

    Args:
        raw: the raw value, or None when the provider sent no usable status.
        has_tool_calls: True when the answer contained at least one client tool call.
    """
    if raw is None:
        return "other"
    unified = _MAP.get(raw, "other")
    if unified == "stop" and has_tool_calls:
        return "tool_calls"
    return unified
