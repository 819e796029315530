"""A complete unified event sequence → a non-streamed OpenAI Responses ``response`` body.

Source: OpenAI API reference, Responses, "The response object" (``output`` items:
``message`` with ``output_text`` / ``refusal`` parts, ``reasoning`` with ``summary`` and
``encrypted_content``, ``function_call`` with ``call_id``, ``name`` and ``arguments``;
``status``, ``incomplete_details``, ``usage``).

The body is exactly the response object the stream's ``response.completed`` (or
``response.incomplete``) event carries: the events go through
:class:`~.serve_stream.OpenAIResponsesStreamEncoder` and its final object is written, so a
stream and a body of the same answer have the same items and the same drop rules
(:mod:`llmkit.protocols.openai_responses.serve`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmkit.protocols.openai_responses.serve_shapes import dumps, utf8
from llmkit.protocols.openai_responses.serve_stream import OpenAIResponsesStreamEncoder

if TYPE_CHECKING:
    from llmkit.types.events import StreamEvent

__all__ = ["encode_response"]


def encode_response(
    events: Sequence[StreamEvent],
    model: str,
    *,
    response_id: str | None = None,
    created_at: int | None = None,
) -> bytes:
    """The ``response`` JSON body (compact, UTF-8) for a complete event sequence.

    Args:
        events: the answer's events, ``finish`` last (without one the status is
            ``completed`` and ``usage`` null).
        model: echoed as ``model``.
        response_id: the body's ``id`` (default a fresh ``resp_`` id).
        created_at: the ``created_at`` unix time in seconds (default now).
    """
    encoder = OpenAIResponsesStreamEncoder(model, response_id=response_id, created_at=created_at)
    for event in events:
        encoder.encode(event)
    encoder.end()
    assert encoder.final is not None
    return utf8(dumps(encoder.final))
