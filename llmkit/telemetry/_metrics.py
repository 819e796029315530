"""The GenAI client metric instruments, created once per meter provider.

``gen-ai-metrics.md``, "Generative AI client metrics": ``gen_ai.client.token.usage``
(histogram, ``{token}``), ``gen_ai.client.operation.duration`` (histogram, ``s``, "required")
and ``gen_ai.client.operation.time_to_first_chunk`` (histogram, ``s``, streaming calls only),
each with the explicit bucket boundaries the conventions advise.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmkit.telemetry import _semconv as sc

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram, MeterProvider

__all__ = ["Instruments", "instruments_for"]


@dataclass(frozen=True, slots=True)
class Instruments:
    """The three histograms of one meter provider."""

    token_usage: Histogram
    duration: Histogram
    time_to_first_chunk: Histogram


_CACHE: weakref.WeakKeyDictionary[object, Instruments] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _create(provider: MeterProvider) -> Instruments:
    from llmkit import __version__

    meter = provider.get_meter("llmkit", __version__)
    return Instruments(
        token_usage=meter.create_histogram(
            sc.TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=sc.TOKEN_BUCKETS,
        ),
        duration=meter.create_histogram(
            sc.OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=sc.SECONDS_BUCKETS,
        ),
        time_to_first_chunk=meter.create_histogram(
            sc.TIME_TO_FIRST_CHUNK,
            unit="s",
            description=(
                "Time to receive the first chunk, measured from when the client issues the "
                "generation request to when the first chunk is received in the response stream."
            ),
            explicit_bucket_boundaries_advisory=sc.SECONDS_BUCKETS,
        ),
    )


def instruments_for(provider: MeterProvider) -> Instruments:
    """The instruments of ``provider`` (made on first use, then reused)."""
    with _LOCK:
        try:
            found = _CACHE.get(provider)
        except TypeError:  # a provider that cannot be weakly referenced: not cached
            return _create(provider)
        if found is None:
            found = _CACHE[provider] = _create(provider)
        return found
