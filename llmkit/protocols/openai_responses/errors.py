"""Responses error bodies and in-stream errors → llmkit errors.

Error bodies have OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``; OpenAI
API reference, "Error codes"), so a non-2xx response is read by the OpenAI chat protocol's
parser, :func:`llmkit.protocols.openai_chat.errors.parse_error_body` (``x-request-id``,
``retry-after-ms`` / ``retry-after`` included). An HTTP error to a ``stream: true`` request is
such a JSON body, not a stream.

In-stream errors (OpenAI API reference, Responses streaming, ``error`` and
``response.failed``):

- an ``error`` event: ``{"type": "error", "code", "message", "param", "sequence_number"}``; some
  recorders and proxies nest the fields in ``"error": {...}``, which is read too;
- ``response.failed``: ``response.error`` is ``{"code", "message"}``
  (``server_error``, ``rate_limit_exceeded``, ``invalid_prompt``, ``vector_store_timeout``...).

Both are raised by :func:`stream_error` as
:func:`~llmkit.protocols.openai_chat.errors.in_band_error` does for chat: a
:class:`~llmkit.errors.StreamError`, or the status class of a known code
(``insufficient_quota`` → a 429 that is not retried; ``server_error`` → 500).
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.errors import StreamError
from llmkit.protocols.openai_chat.errors import in_band_error, parse_error_body

__all__ = ["parse_error_body", "stream_error"]


def stream_error(
    payload: object, *, provider_id: str | None = None, model_id: str | None = None
) -> StreamError:
    """The error for an ``error`` event or a failed response's ``error`` object.

    Args:
        payload: the decoded event (``{"type": "error", "code", "message"}`` or with a nested
            ``error``), or a response's ``error`` object (``{"code", "message"}``).
        provider_id, model_id: context for the error.
    """
    if isinstance(payload, Mapping):
        inner = payload.get("error")
        error = inner if isinstance(inner, Mapping) else payload
        code = error.get("code")
        kind = error.get("type")
        normalised: dict[str, object] = {
            "message": error.get("message") or "the response failed with no message",
            # the event's own "type" is "error": report the code as the error type instead
            "type": kind if isinstance(kind, str) and kind != "error" else code,
            "code": code,
        }
        if error.get("param") is not None:
            normalised["param"] = error.get("param")
        return in_band_error({"error": normalised}, provider_id=provider_id, model_id=model_id)
    return in_band_error(payload, provider_id=provider_id, model_id=model_id)
