"""Non-streamed Anthropic Messages bodies: the same events a stream gives.

Source: Anthropic API reference, Messages ("Create a Message", response body): ``id``, ``model``,
``content`` blocks, ``stop_reason``, ``stop_sequence``, ``usage``. Each content block goes
through the stream's own block start/close (:mod:`.wire`), so both paths map blocks alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit.errors import InvalidResponseError
from llmkit.protocols._common import SHAPE_ERRORS, loads
from llmkit.protocols.anthropic_messages.convert_usage import merge_usage
from llmkit.protocols.anthropic_messages.errors import error_from_body
from llmkit.protocols.anthropic_messages.wire import (
    AnthropicState,
    close_block,
    finish,
    start_block,
)
from llmkit.types.events import ResponseMetadataEvent, StreamEvent

if TYPE_CHECKING:
    from llmkit.providers.config import ProviderConfig

__all__ = ["parse_message"]


def parse_message(body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
    """A Messages response body → ``response_metadata``, the blocks' events, ``finish``.

    Raises:
        InvalidResponseError: the body is not JSON or not a message object.
        APIStatusError: the body is an ``{"type": "error"}`` object (class by error type).
    """
    obj = loads(
        body,
        "response body is not valid JSON",
        "check the provider's base URL and protocol",
        provider_id=provider.id,
    )
    if not isinstance(obj, dict):
        raise InvalidResponseError(
            "response body is not a JSON object", raw=body, provider_id=provider.id
        )
    if obj.get("type") == "error":
        raise error_from_body(obj)
    content = obj.get("content")
    if not isinstance(content, list):
        raise InvalidResponseError(
            "response body has no content list; is this an Anthropic Messages response?",
            raw=body,
            provider_id=provider.id,
        )
    state = AnthropicState(provider_id=provider.id)
    response_id, model_id = obj.get("id"), obj.get("model")
    state.response_id = response_id if isinstance(response_id, str) else None
    state.model_id = model_id if isinstance(model_id, str) else None
    out: list[StreamEvent] = [ResponseMetadataEvent(state.response_id, state.model_id)]
    try:
        for index, block in enumerate(content):
            if not isinstance(block, dict):
                raise TypeError(f"content[{index}] is not an object")
            start_block(state, index, block, out)
            close_block(state, index, out)
    except SHAPE_ERRORS as exc:
        raise InvalidResponseError(
            f"unexpected shape of a response content block ({exc!r})",
            raw=body,
            provider_id=provider.id,
            model_id=state.model_id,
        ) from exc
    stop_reason, stop_sequence = obj.get("stop_reason"), obj.get("stop_sequence")
    state.stop_reason = stop_reason if isinstance(stop_reason, str) else None
    state.stop_sequence = stop_sequence if isinstance(stop_sequence, str) else None
    usage = obj.get("usage")
    if isinstance(usage, dict):
        state.usage = {}
        merge_usage(state.usage, usage)
    state.done = True
    out.extend(finish(state))
    return out
