"""One log record per model call: :func:`logging_middleware`.

Each call (streamed or not) is logged once it ends: the model, a summary of the options (counts
and sampling settings, never message content unless asked, never header values or provider
option values, which may hold credentials), the duration in seconds, the usage and the finish
reason; a failed call is logged with its error class and the requests sent. The same values
are on the record as ``record.llmkit_call`` (a dict) for structured handlers. The idea is the
Vercel AI SDK's logging example middleware (AI SDK docs, "Language Model Middleware",
"Logging"), with the fields of llmkit's events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from llmkit.middleware._base import CallKind, GenerateNext, Middleware, StreamNext

if TYPE_CHECKING:
    from llmkit.types.events import StreamEvent
    from llmkit.types.options import CallOptions

__all__ = ["LoggingMiddleware", "logging_middleware"]

_SAMPLING = (
    "max_output_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "timeout",
)


def _summary(call: CallOptions, content: bool) -> dict[str, object]:
    summary: dict[str, object] = {"messages": len(call.messages)}
    for name in _SAMPLING:
        value = getattr(call, name)
        if value is not None:
            summary[name] = value
    if call.tools:
        summary["tools"] = [tool.name for tool in call.tools]
    if call.tool_choice is not None:
        choice = call.tool_choice
        summary["tool_choice"] = choice if isinstance(choice, str) else choice.tool_name
    if call.reasoning is not None:
        summary["reasoning"] = call.reasoning.model_dump(exclude_none=True)
    if call.response_format is not None:
        summary["response_format"] = call.response_format.name
    if call.stop_sequences:
        summary["stop_sequences"] = len(call.stop_sequences)
    if call.provider_options:
        summary["provider_options"] = sorted(call.provider_options)
    if call.headers:
        summary["headers"] = sorted(call.headers)
    if content:
        summary["system"] = call.system
        summary["message_list"] = [m.model_dump(mode="json") for m in call.messages]
    elif call.system is not None:
        summary["system"] = f"<{len(call.system)} characters>"
    return summary


class _Record:
    """What one call's log record says, filled in as its events go by."""

    __slots__ = ("content", "fields", "start", "text")

    def __init__(self, kind: CallKind, model: str, call: CallOptions, content: bool) -> None:
        self.start = time.perf_counter()
        self.content = content
        self.text: list[str] = []
        self.fields: dict[str, object] = {
            "kind": kind,
            "model": model,
            "options": _summary(call, content),
        }

    def see(self, event: StreamEvent) -> None:
        if event.type == "text_delta":
            if self.content:
                self.text.append(event.delta)
        elif event.type == "stream_start":
            self.fields["answered_by"] = event.model
            self.fields["attempts"] = event.attempts
            if event.warnings:
                self.fields["warnings"] = len(event.warnings)
        elif event.type == "finish":
            usage = event.usage
            self.fields["finish_reason"] = event.finish_reason
            self.fields["usage"] = {
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "reasoning_tokens": usage.reasoning_tokens,
                "cache_read_tokens": usage.cache_read_tokens,
                "total_tokens": usage.total_tokens,
            }

    def emit(self, logger: logging.Logger, level: int, outcome: str) -> None:
        fields = self.fields
        fields["outcome"] = outcome
        fields["duration"] = round(time.perf_counter() - self.start, 6)
        if self.content:
            fields["text"] = "".join(self.text)
        usage = fields.get("usage")
        tokens = ""
        if isinstance(usage, dict):
            tokens = f" in={usage['input_tokens']} out={usage['output_tokens']}"
        logger.log(
            level,
            "%s %s %s in %.3f s%s finish=%s",
            fields["kind"],
            fields["model"],
            outcome,
            fields["duration"],
            tokens,
            fields.get("finish_reason"),
            extra={"llmkit_call": fields},
        )


class LoggingMiddleware(Middleware):
    """Logs one record per call (made by :func:`logging_middleware`).

    Attributes:
        logger: where the records go.
        level: the level of a call that succeeded; failed calls log at ``WARNING`` or
            ``level``, whichever is higher.
        content: also log the messages, the system prompt and the answer's text.
    """

    def __init__(self, logger: logging.Logger, level: int, content: bool) -> None:
        self.logger = logger
        self.level = level
        self.content = content

    async def wrap_stream(
        self,
        do_stream: StreamNext,
        call: CallOptions,
        *,
        model: str,
        do_generate: GenerateNext,
    ) -> AsyncIterator[StreamEvent]:
        """The events unchanged; the record is logged when the stream ends, fails or is
        closed early (outcome ``closed``)."""
        if not self.logger.isEnabledFor(self.level):
            async for event in do_stream(call):
                yield event
            return
        record = _Record("stream", model, call, self.content)
        outcome = "closed"
        try:
            async for event in do_stream(call):
                record.see(event)
                yield event
            outcome = "ok"
        except BaseException as exc:
            outcome = self._failed(record, exc)
            raise
        finally:
            record.emit(self.logger, self._level(outcome), outcome)

    async def wrap_generate(
        self,
        do_generate: GenerateNext,
        call: CallOptions,
        *,
        model: str,
        do_stream: StreamNext,
    ) -> list[StreamEvent]:
        """The events unchanged; the record is logged when the response arrived or failed."""
        if not self.logger.isEnabledFor(self.level):
            return await do_generate(call)
        record = _Record("generate", model, call, self.content)
        try:
            events = await do_generate(call)
        except BaseException as exc:
            outcome = self._failed(record, exc)
            record.emit(self.logger, self._level(outcome), outcome)
            raise
        for event in events:
            record.see(event)
        record.emit(self.logger, self.level, "ok")
        return events

    @staticmethod
    def _failed(record: _Record, exc: BaseException) -> str:
        if isinstance(exc, GeneratorExit):
            return "closed"
        from llmkit.errors import APIError

        record.fields["error"] = type(exc).__name__  # never the message: it may quote input
        if isinstance(exc, APIError):
            record.fields["attempts"] = exc.attempts
            status = getattr(exc, "status_code", None)
            if status is not None:
                record.fields["status_code"] = status
        return "error" if isinstance(exc, Exception) else "cancelled"

    def _level(self, outcome: str) -> int:
        return max(self.level, logging.WARNING) if outcome == "error" else self.level

    def __repr__(self) -> str:
        return (
            f"logging_middleware(logger={self.logger.name!r}, "
            f"level={logging.getLevelName(self.level)!r}, content={self.content})"
        )


def logging_middleware(
    logger: logging.Logger | str | None = None,
    level: int = logging.INFO,
    *,
    content: bool = False,
) -> LoggingMiddleware:
    """Middleware that logs each call of the model once it ends.

    The message reads ``stream openai:gpt-4o ok in 1.234 s in=12 out=40 finish=stop``;
    ``record.llmkit_call`` holds ``kind``, ``model`` (the wrapped model), ``answered_by``
    (with fallbacks, the model that answered), ``attempts``, ``options`` (message count,
    sampling settings, tool names, provider option and header names), ``outcome`` (``ok``,
    ``error``, ``closed``: the consumer stopped reading, ``cancelled``), ``duration`` (seconds,
    from the call to its end), ``usage`` (tokens), ``finish_reason``, and for a failure
    ``error`` (the exception's class name) and ``status_code``.

    Args:
        logger: a logger or its name (default ``llmkit.calls``).
        level: the level of each record (default ``INFO``); failures log at ``WARNING`` at
            least.
        content: also log the system prompt, the messages and the answer's text (they may
            hold personal data: off by default).

    Returns:
        A :class:`LoggingMiddleware` for :func:`~llmkit.middleware.wrap_model`.
    """
    if logger is None or isinstance(logger, str):
        logger = logging.getLogger(logger or "llmkit.calls")
    return LoggingMiddleware(logger, level, content)
