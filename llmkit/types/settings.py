"""The keyword settings of the public call functions, each documented once.

:func:`llmkit.stream_text`, :func:`llmkit.generate_text`, :func:`llmkit.stream_object` and
:func:`llmkit.generate_object` take ``model=`` (and, for objects, ``schema=``...) explicitly and
every other setting as ``**settings: Unpack[...]`` (PEP 692), so a type checker still checks each
keyword and its type. Every key is optional; where its type allows ``None``, ``None`` means the
same as leaving it out.

The docs build expands ``**settings`` into each function's parameter table (griffe's
``unpack_typeddict`` extension) from the per-key docstrings below, copied as written: that is why
they name llmkit's types as plain literals, not with Sphinx roles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from typing_extensions import TypedDict

if TYPE_CHECKING:
    import httpx

    from llmkit._hooks import (
        ChunkCallback,
        ErrorCallback,
        PrepareStep,
        StartCallback,
        StepStartCallback,
        ToolCallRepair,
    )
    from llmkit._loop import FinishCallback, StepCallback
    from llmkit._object_call import ObjectMode
    from llmkit._output import OutputLike
    from llmkit._steps import StopCondition
    from llmkit.auth.secret import Secret
    from llmkit.providers.inline import ModelLike
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.reliability.cache import ResponseCache
    from llmkit.reliability.deadline import Timeouts
    from llmkit.reliability.ratelimit import RateLimit
    from llmkit.reliability.retry import RetryPolicy
    from llmkit.telemetry import Telemetry
    from llmkit.tools._tool import ToolLike
    from llmkit.types.messages import MessageLike
    from llmkit.types.options import ReasoningOptions, ToolChoice

__all__ = ["CallSettings", "ObjectCallSettings", "TextCallSettings"]


class CallSettings(TypedDict, total=False):
    """The settings every call function takes, as keyword arguments.

    Settings that a protocol cannot honour are dropped with a warning in ``stream_start``, or
    raise :class:`~llmkit.errors.UnsupportedFeatureError` at once when dropping them would change
    the meaning of the request.
    """

    prompt: str | None
    """A user message appended after ``messages``."""
    messages: Sequence[MessageLike] | None
    """The conversation, oldest first: dicts like ``{"role": "user", "content": "Hi"}`` or
    ``llmkit.types`` messages."""
    system: str | None
    """System instructions."""
    max_output_tokens: int | None
    """The output limit, in tokens (at least 1)."""
    temperature: float | None
    """Sampling temperature. Like every sampling setting, one the protocol cannot honour is
    dropped with a warning in ``stream_start``."""
    top_p: float | None
    """Nucleus sampling: the probability mass (0 to 1) of the tokens sampled from."""
    top_k: int | None
    """Sample from the k most likely tokens (Anthropic, some OpenAI compatibles)."""
    stop_sequences: Sequence[str] | None
    """Strings that end generation."""
    seed: int | None
    """Sampling seed, where the provider supports one."""
    presence_penalty: float | None
    """OpenAI-style presence penalty."""
    frequency_penalty: float | None
    """OpenAI-style frequency penalty."""
    reasoning: ReasoningOptions | Mapping[str, object] | None
    """Reasoning settings: ``{"effort": "high"}`` and/or ``{"budget_tokens": 4096}`` (tokens)."""
    provider_options: Mapping[str, Mapping[str, object]] | None
    """Options per protocol family, e.g. ``{"anthropic": {"metadata": {...}}}``; merged into that
    protocol's request body last."""
    headers: Mapping[str, str] | None
    """Extra HTTP headers."""
    timeout: float | None
    """Seconds allowed for the first event and between events (connect: at most 5 s); see
    ``timeouts`` for each limit."""
    api_key: str | Secret | None
    """The key to use instead of the keychain / environment lookup."""
    registry: ProviderRegistry | None
    """The provider registry that resolves the model strings (default ``llmkit.registry``)."""
    http_client: httpx.AsyncClient | None
    """An ``httpx.AsyncClient`` to send with instead of the shared per-event-loop client."""
    retry: RetryPolicy | int | None
    """A ``llmkit.RetryPolicy`` or a number of retries (default: the provider's, else 2).
    Retries happen only before the first content event."""
    timeouts: Timeouts | None
    """A ``llmkit.Timeouts`` (connect, first event, idle, total; seconds); it takes
    precedence over ``timeout``."""
    rate_limit: RateLimit | None
    """A ``llmkit.RateLimit`` for this call (default: the provider's)."""
    cache: ResponseCache | bool | None
    """A ``llmkit.ResponseCache``, or True for the process-wide one; a cached stream
    replays its recorded events."""
    telemetry: Telemetry | bool | None
    """``True`` or a ``llmkit.telemetry.Telemetry`` to record OpenTelemetry spans and metrics
    for this call (needs the ``otel`` extra); ``False`` turns off the process default set by
    ``llmkit.telemetry.instrument()``."""


class TextCallSettings(CallSettings, total=False):
    """The settings of :func:`llmkit.stream_text` and :func:`llmkit.generate_text`: every
    :class:`CallSettings` key, plus tools, the tool loop and fallback models."""

    tools: Sequence[ToolLike] | None
    """Tools the model may call: functions decorated with ``llmkit.tool`` (llmkit runs
    them), plain functions, ``llmkit.Tool`` objects, or JSON Schema definitions
    (``ToolDefinition`` or dicts; their calls are left to you)."""
    tool_choice: ToolChoice | Mapping[str, object] | None
    """``"auto"``, ``"none"``, ``"required"`` or ``{"tool_name": ...}``."""
    max_steps: int | None
    """The most model calls in the tool loop (default 1: run the tools the model calls but do
    not call the model again; 20 when ``stop_when`` is given)."""
    stop_when: StopCondition | Sequence[StopCondition] | None
    """Condition(s) over the finished steps that end the loop early, e.g.
    ``llmkit.has_tool_call`` ``("final_answer")``."""
    on_step_finish: StepCallback | None
    """Called with each ``llmkit.StepResult`` (sync or async)."""
    on_finish: FinishCallback | None
    """Called once with a ``llmkit.FinishInfo`` when the call completes."""
    on_start: StartCallback | None
    """Called once with a ``llmkit.StartInfo`` before the first request (sync or async)."""
    on_step_start: StepStartCallback | None
    """Called with a ``llmkit.StepStartInfo`` before each step's request (sync or async)."""
    on_chunk: ChunkCallback | None
    """Called with every stream event as it is yielded, deltas included (sync or async; it
    runs on the stream's path, so keep it quick)."""
    on_error: ErrorCallback | None
    """Called with the error when the call fails, before it is raised (sync or async)."""
    prepare_step: PrepareStep | None
    """Called before each step with a ``llmkit.PrepareStepInfo``; returns a
    ``llmkit.StepPreparation`` dict to change that step's ``model``, ``active_tools``,
    ``tool_choice``, ``system`` or ``messages`` (or None to change nothing)."""
    repair_tool_call: ToolCallRepair | None
    """Called with a ``llmkit.ToolCallRepairInfo`` when a tool call names no tool or has
    arguments that do not parse or validate; returns a fixed ``llmkit.ToolCallEvent`` (run
    instead) or None (the model gets the error, as without a repair)."""
    output: OutputLike | None
    """The final answer's shape when the model may also call tools: a pydantic model, a type
    (``list[str]``, a ``Literal``, ``int``...), a JSON Schema dict or a ``llmkit.Output``; the
    validated value is ``result.output``."""
    fallback_models: Sequence[ModelLike] | None
    """``"provider:model"`` strings (or inline ``llmkit.Model`` values, or models wrapped with
    ``llmkit.middleware.wrap_model``) tried in order when the call fails retryably before any
    content; ``stream_start.model`` names the one that answered."""


class ObjectCallSettings(CallSettings, total=False):
    """The settings of :func:`llmkit.stream_object` and :func:`llmkit.generate_object`: every
    :class:`CallSettings` key, plus how the schema is named and asked for."""

    schema_name: str | None
    """The schema's name (OpenAI ``json_schema.name``, or the forced tool's name); default: the
    class name or the schema's ``title``, else ``response``."""
    schema_description: str | None
    """What the object is for (OpenAI ``json_schema.description``, or the forced tool's
    description)."""
    mode: ObjectMode
    """How the object is asked for: ``"auto"`` (the default), ``"json"`` or ``"tool"`` (see
    ``ObjectMode``)."""
