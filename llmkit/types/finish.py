"""Unified finish reasons."""

from __future__ import annotations

from typing import Literal

__all__ = ["FinishReason"]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
"""Why the model stopped, unified across providers.

- ``stop``: natural end or a stop sequence.
- ``length``: the output token limit (``max_output_tokens``) was reached.
- ``tool_calls``: the model called one or more tools and waits for their results.
- ``content_filter``: a safety filter stopped or withheld the output.
- ``error``: the stream failed (the error was raised from the iterator).
- ``other``: any value llmkit does not know; the raw value is kept beside it.
"""
