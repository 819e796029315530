"""An OpenTelemetry SDK wired to in-memory exporters, for reading what llmkit records."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable, Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmkit.telemetry import Telemetry


async def cancel_consumer_after(
    stream: AsyncIterable[object], first: Callable[[object], bool] = lambda item: True
) -> None:
    """Consume ``stream`` in a task and cancel that task, while it waits on its own (not on the
    stream), once an item for which ``first`` is true arrived."""
    arrived = asyncio.Event()

    async def consume() -> None:
        async for item in stream:
            if first(item):
                arrived.set()
                await asyncio.Event().wait()  # until cancelled

    task = asyncio.ensure_future(consume())
    await arrived.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def attrs(item: object) -> dict[str, object]:
    """The attributes of a span or a data point, as a dict."""
    return dict(getattr(item, "attributes", None) or {})


@dataclass
class Recorded:
    """What one test's tracer and meter providers received."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def telemetry(self, **settings: object) -> Telemetry:
        return Telemetry(
            tracer_provider=self.tracer_provider,
            meter_provider=self.meter_provider,
            **settings,  # type: ignore[arg-type]
        )

    def spans(self) -> list[ReadableSpan]:
        """Finished spans, in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        (found,) = [s for s in self.spans() if s.name == name]
        return found

    def points(self, metric: str) -> list[HistogramDataPoint]:
        """The histogram data points of ``metric`` (none when it was never recorded)."""
        data = self.reader.get_metrics_data()
        out: list[HistogramDataPoint] = []
        if data is None:
            return out
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    if m.name == metric:
                        out.extend(m.data.data_points)  # type: ignore[arg-type]
        return out

    def everything(self) -> str:
        """Every exported span and metric as JSON text (for looking for a secret)."""
        spans = "\n".join(s.to_json() for s in self.spans())
        data = self.reader.get_metrics_data()
        return spans + "\n" + (data.to_json() if data is not None else "")


@pytest.fixture
def otel() -> Iterator[Recorded]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Recorded(tracer_provider, meter_provider, exporter, reader)
    tracer_provider.shutdown()
    meter_provider.shutdown()
