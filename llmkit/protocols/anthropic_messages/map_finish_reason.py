"""Map Anthropic ``stop_reason`` values to the unified finish reason.

Anthropic API reference, "Messages" → response ``stop_reason`` (and "Handling stop reasons"):

=================================  ==================  ===========================================
``stop_reason``                    unified             why
=================================  ==================  ===========================================
``end_turn``                       ``stop``            the model finished its turn
``stop_sequence``                  ``stop``            a ``stop_sequences`` entry matched
``max_tokens``                     ``length``          ``max_tokens`` was reached
``model_context_window_exceeded``  ``length``          the context window filled up
``tool_use``                       ``tool_calls``      the model called client tools
``refusal``                        ``content_filter``  the safety classifiers stopped the output
``pause_turn``                     ``other``           a long server-tool turn was paused; send the
                                                       response back as-is to let it continue.
                                                       Not ``stop``: the answer is incomplete.
anything else / missing            ``other``           the raw value is kept beside it
=================================  ==================  ===========================================
"""

from __future__ import annotations

from llmkit.types.finish import FinishReason

__all__ = ["map_finish_reason"]

_FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
}


def map_finish_reason(stop_reason: str | None) -> FinishReason:
    """The unified finish reason for an Anthropic ``stop_reason`` (``other`` when unknown or
    ``None``)."""
    if stop_reason is None:
        return "other"
    return _FINISH_REASONS.get(stop_reason, "other")
