"""Reliability: retries, timeouts, rate limits, the response cache and URL safety.

Everything here is light to import; ``tenacity``, ``aiolimiter`` and ``cachetools`` are imported
on first use.
"""

from __future__ import annotations

from llmkit.reliability.cache import ResponseCache
from llmkit.reliability.deadline import Timeouts
from llmkit.reliability.ratelimit import RateLimit
from llmkit.reliability.retry import RetryPolicy

__all__ = ["RateLimit", "ResponseCache", "RetryPolicy", "Timeouts"]
