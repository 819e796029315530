"""Reading the response headers every layer needs: ``Retry-After`` (and ``retry-after-ms``) and
``x-should-retry``. One parser, used by the transport, the protocols' error mapping and the rate
limiter. Sources: RFC 9110 section 10.2.3 (Retry-After: seconds or an HTTP date); OpenAI and
Anthropic send ``retry-after-ms`` and ``x-should-retry`` (their SDKs honour both).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

__all__ = ["parse_retry_after", "parse_should_retry"]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) and value >= 0 else None


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asked to wait, from ``retry-after-ms`` or ``Retry-After``.

    Args:
        headers: response headers; keys in any case (``httpx.Headers`` or a lower-case dict).
        now: the current Unix time in seconds (default ``time.time()``), for HTTP dates.

    Returns:
        Seconds (>= 0), or None when neither header is present or parsable. Never raises: a
        malformed value (``soon``, ``NaN``, ``-3``, a broken date) counts as absent.
    """
    get = headers.get
    ms = get("retry-after-ms") or get("Retry-After-Ms")
    if ms is not None:
        try:
            value = _finite(float(ms) / 1000.0)
        except ValueError:
            value = None
        if value is not None:
            return value
    raw = get("retry-after") or get("Retry-After")
    if raw is None:
        return None
    try:
        return _finite(float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def parse_should_retry(headers: Mapping[str, str]) -> bool | None:
    """The ``x-should-retry`` header (``true`` / ``false``) as a bool; None if absent or other."""
    value = headers.get("x-should-retry") or headers.get("X-Should-Retry")
    if value is None:
        return None
    value = value.strip().lower()
    return True if value == "true" else False if value == "false" else None
