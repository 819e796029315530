"""Middleware around a model's calls: :func:`wrap_model` and the built-ins.

    from llmkit import stream_text
    from llmkit.middleware import extract_reasoning, wrap_model

    model = wrap_model("groq:deepseek-r1-distill-llama-70b", extract_reasoning())
    result = stream_text(model=model, prompt="Why is the sky blue?")

The shape is the Vercel AI SDK's ``wrapLanguageModel`` and ``LanguageModelMiddleware``
(``transformParams``, ``wrapGenerate``, ``wrapStream``): a :class:`Middleware` may change a
call's options, and wrap its streamed and non-streamed calls. A wrapped model goes wherever a
model goes (``stream_text``, ``generate_text``, ``stream_object``, ``generate_object``,
``fallback_models``); the middleware runs in the driver's one model call, so the tool loop's
every step and structured output get it.

Built-ins: :func:`default_settings`, :func:`extract_reasoning`, :func:`simulate_streaming`,
:func:`logging_middleware`.
"""

from __future__ import annotations

from llmkit.middleware._base import CallKind, GenerateNext, Middleware, StreamNext
from llmkit.middleware._model import WrappedModel, wrap_model
from llmkit.middleware.defaults import DefaultSettingsMiddleware, default_settings
from llmkit.middleware.log import LoggingMiddleware, logging_middleware
from llmkit.middleware.reasoning import (
    ExtractReasoningMiddleware,
    ReasoningExtractor,
    extract_reasoning,
)
from llmkit.middleware.simulate import SimulateStreamingMiddleware, simulate_streaming

__all__ = [
    "CallKind",
    "DefaultSettingsMiddleware",
    "ExtractReasoningMiddleware",
    "GenerateNext",
    "LoggingMiddleware",
    "Middleware",
    "ReasoningExtractor",
    "SimulateStreamingMiddleware",
    "StreamNext",
    "WrappedModel",
    "default_settings",
    "extract_reasoning",
    "logging_middleware",
    "simulate_streaming",
    "wrap_model",
]
