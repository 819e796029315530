"""The pieces of an OpenAI Responses answer the serving encoders share: ids, the ``response``
object around the output items, its ``status`` / ``incomplete_details``, the ``usage`` object
and the error payloads.

Sources: OpenAI API reference, Responses, "The response object" (``id``, ``object:
"response"``, ``created_at``, ``status``, ``error``, ``incomplete_details``, ``output``,
``usage``: ``input_tokens``, ``input_tokens_details.cached_tokens``, ``output_tokens``,
``output_tokens_details.reasoning_tokens``, ``total_tokens``) and "Streaming events"
(``error``, ``response.failed``). The rules are listed on
:mod:`llmkit.protocols.openai_responses.serve`.
"""

from __future__ import annotations

import uuid

from llmkit.protocols.openai_chat.serve_errors import error_object
from llmkit.protocols.openai_chat.serve_shapes import dumps, utf8
from llmkit.types.events import FinishEvent
from llmkit.types.usage import Usage

__all__ = [
    "dumps",
    "error_payloads",
    "new_id",
    "response_object",
    "status_of",
    "usage_object",
    "utf8",
]


def new_id(prefix: str) -> str:
    """A fresh ``<prefix>_<32 hex>`` id (``resp``, ``msg``, ``rs``, ``fc``)."""
    return f"{prefix}_{uuid.uuid4().hex}"


def status_of(finish: FinishEvent | None) -> tuple[str, dict[str, str] | None]:
    """``(status, incomplete_details)`` for a unified finish.

    ``length`` → ``incomplete`` with ``{"reason": "max_output_tokens"}``; ``content_filter``
    → ``incomplete`` with ``{"reason": "content_filter"}``; every other reason (``stop``,
    ``tool_calls``, ``error``, ``other``) and no finish at all → ``completed`` (Responses has
    no status for them; a reader tells ``tool_calls`` from the function calls in ``output``).
    """
    reason = finish.finish_reason if finish is not None else "stop"
    if reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def usage_object(usage: Usage | None) -> dict[str, object] | None:
    """The Responses ``usage`` object (token counts) of a unified usage, or None (JSON
    ``null``) when the upstream reported no count at all.

    ``input_tokens`` (cache reads included, as in unified usage), ``output_tokens`` (reasoning
    included), ``input_tokens_details.cached_tokens`` = ``cache_read_tokens``,
    ``output_tokens_details.reasoning_tokens`` = ``reasoning_tokens``, ``total_tokens`` as
    reported, else input + output. Every one of these is required by the schema: a count the
    upstream did not report is sent as 0. ``cache_write_tokens`` goes in
    ``input_tokens_details.cache_write_tokens`` (the newer field llmkit's reader maps back)
    only when known.
    """
    if usage is None:
        return None
    counts = (usage.input_tokens, usage.output_tokens, usage.total_tokens)
    if all(c is None for c in counts):
        return None
    inp = usage.input_tokens or 0
    out = usage.output_tokens or 0
    details: dict[str, object] = {"cached_tokens": usage.cache_read_tokens or 0}
    if usage.cache_write_tokens is not None:
        details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "input_tokens": inp,
        "input_tokens_details": details,
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        "total_tokens": usage.total_tokens if usage.total_tokens is not None else inp + out,
    }


def response_object(
    response_id: str,
    created_at: int,
    model: str,
    status: str,
    output: list[dict[str, object]],
    *,
    usage: dict[str, object] | None = None,
    incomplete_details: dict[str, str] | None = None,
    error: dict[str, object] | None = None,
) -> dict[str, object]:
    """The ``response`` object, with every field the OpenAI SDK's ``Response`` model requires.

    The request's settings are not echoed (the encoder only knows the model):
    ``temperature`` and ``top_p`` are null, ``tool_choice`` ``"auto"``, ``tools`` ``[]``,
    ``store`` false (the gateway keeps nothing).
    """
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete_details,
        "instructions": None,
        "max_output_tokens": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": None,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def error_payloads(error: object) -> tuple[dict[str, object], dict[str, object]]:
    """``(error event object, response.error object)`` for an in-band error.

    The ``error`` event carries OpenAI's error object nested as its ``error`` field
    (``{"type", "code", "message", "param"}``, the shape OpenAI streams, which the OpenAI SDK
    raises as ``openai.APIError``); ``response.failed`` carries ``{"code", "message"}``. The
    type and code are those of :func:`~llmkit.protocols.openai_chat.serve_errors.error_object`
    (a missing code is the type), which llmkit's reader maps back to the same error class.
    """
    _, body = error_object(error)  # type: ignore[arg-type]
    code = body.get("code") or body.get("type")
    event_error = {
        "type": body.get("type"),
        "code": code,
        "message": body.get("message"),
        "param": body.get("param"),
    }
    return event_error, {"code": code, "message": body.get("message")}
