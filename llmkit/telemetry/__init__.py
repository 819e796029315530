"""OpenTelemetry spans and metrics for text, structured-output and embedding calls, after the
GenAI semantic conventions.

Turn it on for one call with ``telemetry=True`` (or a :class:`Telemetry`), or for every call
of the process with :func:`instrument`. What is recorded is in ``docs/telemetry.md``:

- a call that offers tools (or has ``agent_name``): an ``invoke_agent {agent name}`` span
  (kind INTERNAL) with one ``chat {model}`` span (kind CLIENT) per step and one
  ``execute_tool {tool name}`` span (kind INTERNAL) per tool run under it;
- a call without tools, and every ``stream_object`` / ``generate_object`` call (one request,
  even when the schema is sent as a forced tool): one ``chat {model}`` span;
- ``embed`` / ``embed_many``: one ``embeddings {model}`` span (kind CLIENT) per request (one
  per batch), under ``invoke_agent {agent name}`` when the settings name an agent;
- the metrics ``gen_ai.client.operation.duration``, ``gen_ai.client.token.usage`` and, for
  ``stream_text`` and ``stream_object``, ``gen_ai.client.operation.time_to_first_chunk``.

Needs ``opentelemetry-api`` (``pip install 'llmkit[otel]'``); an application also installs and
configures an SDK (``opentelemetry-sdk``) to export what is recorded. Nothing here, and nothing
of OpenTelemetry, is imported by ``import llmkit`` or by a call without telemetry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

import llmkit._instrument as _instrument
from llmkit.errors import InvalidArgumentError

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from llmkit._instrument import RunObserver
    from llmkit.telemetry._embeddings import EmbeddingsObserver

__all__ = ["AttributeValue", "Telemetry", "instrument", "run_observer", "uninstrument"]

AttributeValue: TypeAlias = (
    str | bool | int | float | Sequence[str] | Sequence[bool] | Sequence[int] | Sequence[float]
)
"""A span attribute value, as OpenTelemetry accepts it."""

_INSTALL = "llmkit.telemetry needs the OpenTelemetry API: pip install 'llmkit[otel]'"


def _require_opentelemetry() -> None:
    """Check that ``opentelemetry-api`` can be imported.

    Raises:
        ImportError: it is not installed; the message says ``pip install 'llmkit[otel]'``.
    """
    try:
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401
    except ImportError as exc:
        raise ImportError(_INSTALL, name="opentelemetry") from exc


def _check_attributes(attributes: Mapping[str, object]) -> None:
    for key, value in attributes.items():
        ok = isinstance(value, (str, bool, int, float)) or (
            isinstance(value, Sequence)
            and not isinstance(value, (str, bytes))
            and all(isinstance(v, (str, bool, int, float)) for v in value)
        )
        if not isinstance(key, str) or not ok:
            raise InvalidArgumentError(
                f"Telemetry attribute {key!r}: a value must be a str, bool, int or float, or "
                f"a sequence of one of them, not {type(value).__name__}"
            )


@dataclass(frozen=True)
class Telemetry:
    """How calls are traced (frozen settings).

    Attributes:
        tracer_provider: where spans go; None: the global one
            (``opentelemetry.trace.get_tracer_provider()``, read at each call).
        meter_provider: where metrics go; None: the global one
            (``opentelemetry.metrics.get_meter_provider()``, read at each call).
        record_content: also record what was said: the conversation sent
            (``gen_ai.input.messages``), the answer (``gen_ai.output.messages``), the system
            instructions (``gen_ai.system_instructions``), the tool definitions
            (``gen_ai.tool.definitions``), tool arguments and results
            (``gen_ai.tool.call.arguments`` / ``gen_ai.tool.call.result``) and the text of
            tool and hook errors. Off by default: the conventions mark these opt-in, as they
            are likely to hold personal data. Credentials are never recorded. The texts of
            an embedding call are never recorded (the conventions have no attribute for them).
        agent_name: ``gen_ai.agent.name``; also makes a call without tools (or an embedding
            call) an ``invoke_agent`` span, and names it (``invoke_agent {agent_name}``).
        function_id: a name for the code path making the call, recorded as
            ``llmkit.function_id`` on every span (the Vercel AI SDK's ``functionId``).
        attributes: more attributes for every span (not for metrics, whose attributes are
            the conventions' own).

    Raises:
        ImportError: ``opentelemetry-api`` is not installed (``pip install 'llmkit[otel]'``).
        InvalidArgumentError: an attribute value OpenTelemetry cannot hold.
    """

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    record_content: bool = False
    agent_name: str | None = None
    function_id: str | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _require_opentelemetry()
        _check_attributes(self.attributes)
        object.__setattr__(self, "attributes", dict(self.attributes))


def instrument(telemetry: Telemetry | None = None) -> Telemetry:
    """Trace every ``stream_text`` / ``generate_text`` / ``stream_object`` / ``generate_object``
    / ``embed`` / ``embed_many`` call of the process that does not say ``telemetry=False``.

    Args:
        telemetry: the settings (default ``Telemetry()``: the global providers, no content).

    Returns:
        The settings now in force.

    Raises:
        ImportError: ``opentelemetry-api`` is not installed (``pip install 'llmkit[otel]'``).
    """
    chosen = telemetry if telemetry is not None else Telemetry()
    if not isinstance(chosen, Telemetry):
        raise InvalidArgumentError(
            f"instrument() takes an llmkit.telemetry.Telemetry, not {type(chosen).__name__}"
        )
    _instrument.default_telemetry = chosen
    return chosen


def uninstrument() -> None:
    """Stop tracing calls by default (calls with ``telemetry=True`` or a ``Telemetry`` still
    are)."""
    _instrument.default_telemetry = None


def _settings(telemetry: object | None) -> Telemetry:
    """``telemetry`` (None / True: ``Telemetry()``), checked; OpenTelemetry importable."""
    if telemetry is None or telemetry is True:
        telemetry = Telemetry()
    if not isinstance(telemetry, Telemetry):
        raise InvalidArgumentError(
            "telemetry= takes True, False, None or an llmkit.telemetry.Telemetry, "
            f"not {type(telemetry).__name__}"
        )
    _require_opentelemetry()
    return telemetry


def run_observer(telemetry: object | None) -> RunObserver:
    """The observer that records one call (used by the tool loop of a text call, and by the
    one request of an object call).

    Args:
        telemetry: a :class:`Telemetry`, or None / True for ``Telemetry()``.

    Raises:
        ImportError: ``opentelemetry-api`` is not installed (``pip install 'llmkit[otel]'``).
        InvalidArgumentError: ``telemetry`` is neither.
    """
    settings = _settings(telemetry)
    from llmkit.telemetry._observer import SpanObserver

    return SpanObserver(settings)


def _embeddings_observer(telemetry: object | None) -> EmbeddingsObserver:
    """The observer that records one ``embed`` / ``embed_many`` call (its ``embeddings``
    spans), for :mod:`llmkit.embeddings`; ``telemetry`` and the errors are those of
    :func:`run_observer`."""
    settings = _settings(telemetry)
    from llmkit.telemetry._embeddings import EmbeddingsObserver

    return EmbeddingsObserver(settings)
