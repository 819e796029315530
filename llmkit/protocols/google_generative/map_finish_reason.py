"""Map Gemini ``finishReason`` and ``promptFeedback.blockReason`` to the unified finish reason.

Gemini API reference, "Generating content" → ``Candidate.finishReason`` (enum ``FinishReason``)
and ``GenerateContentResponse.PromptFeedback.blockReason`` (enum ``BlockReason``):

=================================  ==================  ==========================================
raw value                          unified             why
=================================  ==================  ==========================================
``STOP``                           ``stop``            natural end or a stop sequence;
                                                       ``tool_calls`` when the candidate made
                                                       function calls (Gemini says ``STOP`` then)
``MAX_TOKENS``                     ``length``          ``maxOutputTokens`` was reached
``SAFETY``                         ``content_filter``  flagged by the safety filters
``RECITATION``                     ``content_filter``  flagged for reciting training data
``BLOCKLIST``                      ``content_filter``  a term of the blocklist
``PROHIBITED_CONTENT``             ``content_filter``  prohibited content
``SPII``                           ``content_filter``  sensitive personal information
``IMAGE_SAFETY`` and the other     ``content_filter``  an image was blocked
``IMAGE_*`` block reasons
``MALFORMED_FUNCTION_CALL``        ``error``           the model wrote an invalid function call
``UNEXPECTED_TOOL_CALL``           ``error``           a call to a tool that is not enabled
``TOO_MANY_TOOL_CALLS``            ``error``           too many tool calls in a row
``MISSING_THOUGHT_SIGNATURE``      ``error``           a replayed call lacked its signature
``LANGUAGE``                       ``other``           an unsupported language
``OTHER`` / unknown / missing      ``other``           the raw value is kept beside it
=================================  ==================  ==========================================

A prompt blocked before generation has no candidates and a ``promptFeedback.blockReason``
(``SAFETY``, ``BLOCKLIST``, ``PROHIBITED_CONTENT``, ``IMAGE_SAFETY``, ``OTHER``): the finish
reason is ``content_filter`` and the raw value is the block reason.
"""

from __future__ import annotations

from llmkit.types.finish import FinishReason

__all__ = ["map_block_reason", "map_finish_reason"]

_FINISH_REASONS: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "TOO_MANY_TOOL_CALLS": "error",
    "MISSING_THOUGHT_SIGNATURE": "error",
    "LANGUAGE": "other",
    "OTHER": "other",
}


def map_finish_reason(finish_reason: str | None, *, tool_calls: bool = False) -> FinishReason:
    """The unified finish reason of a Gemini ``finishReason``.

    Args:
        finish_reason: the raw value (None when the response had none).
        tool_calls: the candidate made client function calls (``STOP`` → ``tool_calls``).
    """
    if finish_reason is None:
        return "other"
    unified = _FINISH_REASONS.get(finish_reason, "other")
    if unified == "stop" and tool_calls:
        return "tool_calls"
    return unified


def map_block_reason(block_reason: str) -> FinishReason:
    """The unified finish reason of a prompt blocked before generation: ``content_filter``."""
    return "content_filter"
