"""What watches a call as it runs: :class:`RunObserver`, implemented by
:mod:`llmkit.telemetry` (OpenTelemetry spans and metrics) and by the call's hooks.

The tool loop (:class:`llmkit._loop.ToolLoop`) tells its observer, in this order:

1. ``run_start`` once, before the first request;
2. per step: ``step_start`` (the step's model and call options, after ``prepare_step``), then
   ``event`` for every event the run yields in this step (deltas included, block ids already
   made unique, the tool loop's own ``tool_execution_*`` / ``tool_result`` /
   ``tool_approval_request`` events included), ending with its ``step_finish``. Two events
   the run does not yield are told too: a later step's own ``stream_start`` (the model that
   answered it, its attempts), and each step's own ``finish`` (the response ended: it comes
   after the model's events, before the step's tool results);
3. ``event`` for the final ``finish``, then ``run_end`` (before that ``finish`` is yielded: a
   consumer may stop there); or, instead, ``run_error`` (the run failed; the error is raised
   to the caller next) or ``run_stopped`` (the consumer stopped the stream: ``closed`` or
   ``cancelled``).

A structured-output call (``stream_object``, ``generate_object``) sends one request, with no
tool loop: ``llmkit._object_call.observed`` tells the same observer as a text call of one step
would be told (``run_start``, ``step_start(0)``, each event, then at the response's ``finish``:
that ``finish``, a ``step_finish``, the call's ``finish`` and ``run_end``), and never calls
``tool_context``.

Each tool call llmkit runs is run inside ``tool_context(call)``, entered in the tool's own
task, so a context the observer sets there (the current OpenTelemetry span) is the one the
tool's function sees.

With no observer the loop pays one ``is None`` test per event: nothing here is imported or
built for a call without telemetry or hooks. The public calls pick the observer
(``llmkit._api``), importing :mod:`llmkit.telemetry` only for a traced call: this module, below
both, names neither.

Embedding calls (``embed``, ``embed_many``) have no run of events: ``llmkit.embeddings._api``
reads the same setting (:func:`telemetry_for`) and records its requests with an observer of its
own (``llmkit.telemetry._embeddings``), not a :class:`RunObserver`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from llmkit._driver import Target
    from llmkit.types.events import StreamEvent, ToolCallEvent
    from llmkit.types.options import CallOptions

__all__ = ["RunObserver", "default_telemetry", "telemetry_for"]

default_telemetry: object | None = None
"""The process-wide telemetry settings (a ``llmkit.telemetry.Telemetry``), set by
``llmkit.telemetry.instrument()`` and read by the text, object and embedding calls; None: calls
are traced only when they ask to be."""


def telemetry_for(setting: object | None) -> object | Literal[False] | None:
    """What one call is traced with, from its ``telemetry=`` setting: ``False`` when it is not
    traced (``False``, or ``None`` without a process default); else the settings to trace
    with: the process default for ``None`` and ``True`` (None when ``True`` finds no default:
    a plain ``Telemetry()``), or the ``Telemetry`` given."""
    if setting is False or (setting is None and default_telemetry is None):
        return False
    return default_telemetry if setting is None or setting is True else setting


class RunObserver(Protocol):
    """The lifecycle of one ``stream_text`` / ``generate_text`` / ``stream_object`` /
    ``generate_object`` call (see the module docstring).

    Methods must not raise: an observer is told about the run, it does not steer it.
    """

    def run_start(self, operation: str, target: Target, call: CallOptions) -> None:
        """The call starts. ``operation``: the public function, ``"stream_text"``,
        ``"generate_text"``, ``"stream_object"`` or ``"generate_object"``; ``target``: the model
        asked for; ``call``: the first step's options (messages, tools, sampling settings; an
        object call's response format or forced tool)."""

    def step_start(self, index: int, target: Target, call: CallOptions) -> None:
        """Step ``index`` (from 0) is about to send its request to ``target``."""

    def event(self, event: StreamEvent) -> None:
        """An event the run yields (or, for ``generate_text``, collects), in order."""

    def tool_context(self, call: ToolCallEvent) -> AbstractContextManager[object]:
        """Entered around the run of ``call`` in the tool's task."""
        ...

    def run_error(self, error: BaseException) -> None:
        """The run failed with ``error`` (an :class:`~llmkit.errors.LLMKitError`, or what a
        callback or tool hook raised)."""

    def run_stopped(self, reason: Literal["closed", "cancelled"]) -> None:
        """The consumer stopped the run before its end."""

    def run_end(self) -> None:
        """The run completed (after its ``finish`` event)."""
