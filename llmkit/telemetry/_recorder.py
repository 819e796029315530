"""What every observer of one call shares: the tracer, the metric instruments and the extra span
attributes of its :class:`~llmkit.telemetry.Telemetry`, and the guard that keeps telemetry from
ever breaking a call."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec

from opentelemetry import metrics, trace

from llmkit import __version__
from llmkit.telemetry import _semconv as sc
from llmkit.telemetry._metrics import instruments_for

if TYPE_CHECKING:
    from llmkit.telemetry import Telemetry
    from llmkit.telemetry._attributes import Attributes

__all__ = ["Recorder", "guarded", "log"]

log = logging.getLogger("llmkit.telemetry")

_P = ParamSpec("_P")


def guarded(method: Callable[_P, None]) -> Callable[_P, None]:
    """Never let a failure here reach the call (an observer must not raise)."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            method(*args, **kwargs)
        except Exception:
            log.debug("telemetry failed in %s", method.__name__, exc_info=True)

    return wrapper


class Recorder:
    """The sinks of one call's observer (text, object and embedding calls alike).

    Args:
        telemetry: the settings.
    """

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry
        tracer_provider = telemetry.tracer_provider or trace.get_tracer_provider()
        self._tracer = tracer_provider.get_tracer("llmkit", __version__)
        meter_provider = telemetry.meter_provider or metrics.get_meter_provider()
        self._instruments = instruments_for(meter_provider)
        self._record_content = telemetry.record_content
        extra: Attributes = dict(telemetry.attributes)
        if telemetry.function_id is not None:
            extra[sc.FUNCTION_ID] = telemetry.function_id
        self._extra = extra
