"""Map Gemini ``usageMetadata`` to the unified :class:`~llmkit.types.usage.Usage`.

Gemini API reference, "Generating content" → ``UsageMetadata``. Every count is in tokens;
``promptTokenCount`` already **includes** ``cachedContentTokenCount`` (the cached part of the
prompt, "Context caching"), and ``candidatesTokenCount`` excludes ``thoughtsTokenCount``:

=======================  ==========================================================================
llmkit field             from ``usageMetadata``
=======================  ==========================================================================
``input_tokens``         ``promptTokenCount`` (cache reads included)
``output_tokens``        ``candidatesTokenCount + thoughtsTokenCount`` (reasoning included); a
                         count that is missing adds nothing, both missing → ``None``
``cache_read_tokens``    ``cachedContentTokenCount`` (``None`` if absent)
``cache_write_tokens``   ``None``: Gemini reports no cache writes (caches are created explicitly)
``reasoning_tokens``     ``thoughtsTokenCount`` (``None`` if absent)
``total_tokens``         ``totalTokenCount`` as reported; it also counts
                         ``toolUsePromptTokenCount`` (built-in tools' input: search results,
                         fetched pages), which stays in ``raw``
``raw``                  the ``usageMetadata`` object as received
=======================  ==========================================================================

Streams carry ``usageMetadata`` on (nearly) every chunk, cumulative but not monotonic (counts
can change or go down between chunks, and Vertex AI's intermediate chunks hold only
``trafficType``): the **last** object received is used whole, never merged with earlier ones.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.types.usage import Usage

__all__ = ["convert_usage"]


def _count(raw: Mapping[str, object], key: str) -> int | None:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def convert_usage(raw: Mapping[str, object] | None) -> Usage:
    """The unified usage of a Gemini ``usageMetadata`` object (see the module docstring).

    Args:
        raw: the last ``usageMetadata`` received, or ``None`` when none was.

    Returns:
        A :class:`Usage`; every count the provider did not report is ``None``.
    """
    if not raw:
        return Usage()
    candidates = _count(raw, "candidatesTokenCount")
    thoughts = _count(raw, "thoughtsTokenCount")
    output: int | None = None
    if candidates is not None or thoughts is not None:
        output = (candidates or 0) + (thoughts or 0)
    return Usage(
        input_tokens=_count(raw, "promptTokenCount"),
        output_tokens=output,
        cache_read_tokens=_count(raw, "cachedContentTokenCount"),
        cache_write_tokens=None,
        reasoning_tokens=thoughts,
        total_tokens=_count(raw, "totalTokenCount"),
        raw=dict(raw),
    )
