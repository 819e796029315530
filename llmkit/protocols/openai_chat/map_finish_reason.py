"""OpenAI chat ``finish_reason`` → unified :data:`~llmkit.types.finish.FinishReason`.

Source: OpenAI API reference, Chat Completions, the chat completion object,
``choices[].finish_reason``: ``stop`` (natural end or a stop sequence), ``length`` (``max_tokens``
/ ``max_completion_tokens`` reached), ``tool_calls``, ``content_filter`` and the deprecated
``function_call``.

Mapping:

=================================  ==================
raw value                          unified value
=================================  ==================
``stop``                           ``stop`` (see below)
``eos`` (Together AI)              ``stop``
``length``                         ``length``
``tool_calls``, ``function_call``  ``tool_calls``
``content_filter``                 ``content_filter``
``None`` (never sent)              ``other``
anything else                      ``other`` (a non-string too)
=================================  ==================

Tool calls with ``stop``: Gemini's OpenAI-compatible endpoint, Ollama and OpenAI itself (with a
forced ``tool_choice``) answer ``finish_reason: "stop"`` even though the message carries tool
calls. The caller must then run the tools, so the unified value is ``tool_calls`` whenever at least
one tool call was emitted and the raw value is ``stop``. The raw value is always kept unchanged in
``FinishEvent.raw_finish_reason``.
"""

from __future__ import annotations

from llmkit.types.finish import FinishReason

__all__ = ["map_finish_reason"]

_MAP: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def map_finish_reason(raw: str | None, *, has_tool_calls: bool) -> FinishReason:
    """Map a raw OpenAI chat finish reason to the unified value.

    Args:
        raw: ``choices[0].finish_reason`` as the provider sent it (the last non-null one of a
            stream), or ``None`` when it sent none.
        has_tool_calls: True when the response contained at least one tool call.

    Returns:
        The unified finish reason; ``stop`` becomes ``tool_calls`` when ``has_tool_calls``.
    """
    if type(raw) is not str:  # None, or a value of the wrong JSON type
        return "other"
    unified = _MAP.get(raw, "other")
    if unified == "stop" and has_tool_calls and raw == "stop":
        return "tool_calls"
    return unified
