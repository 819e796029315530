"""One model call, streamed or not: the I/O driver around a sans-IO protocol.

``stream_step`` and ``generate_step`` send exactly one request and turn its response into stream
events. Everything that wraps a call (multi-step tool loops, structured output) builds on these;
everything about sending one request (credentials, transport, error labelling) lives here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from llmkit.auth.request import open_authorized, resolve_credentials, send_authorized
from llmkit.auth.secret import Secret
from llmkit.errors import APIError, ConfigurationError
from llmkit.protocols import Protocol, get_protocol
from llmkit.protocols.base import BuiltRequest
from llmkit.providers import default_registry
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.types.events import StreamEvent, StreamStartEvent
from llmkit.types.options import CallOptions

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Connection",
    "Target",
    "build_call",
    "build_stream_request",
    "generate_step",
    "resolve_target",
    "stream_step",
]


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved model: the provider, its model id and the provider's protocol."""

    provider: ProviderConfig
    model_id: str
    protocol: Protocol[Any]


@dataclass(frozen=True, slots=True)
class Connection:
    """Per-call I/O settings: an explicit key and an optional caller-owned HTTP client."""

    api_key: str | Secret | None = None
    http_client: httpx.AsyncClient | None = None


def resolve_target(model: str, registry: ProviderRegistry | None) -> Target:
    """Resolve ``"provider:model"`` through the registry (default ``llmkit.registry``).

    Raises:
        NoSuchProviderError, ConfigurationError: see :meth:`ProviderRegistry.resolve`.
    """
    provider, model_id = (registry or default_registry()).resolve(model)
    return Target(provider, model_id, get_protocol(provider.protocol))


def build_call(options: Mapping[str, object]) -> CallOptions:
    """Validate call options given as keyword values (``None`` means unset).

    Raises:
        ConfigurationError: an option is invalid; the message names it.
    """
    try:
        return CallOptions.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        raise ConfigurationError(f"invalid call options: {exc}") from exc


def _label(exc: APIError, target: Target) -> None:
    if exc.provider_id is None:
        exc.provider_id = target.provider.id
    if exc.model_id is None:
        exc.model_id = target.model_id


def build_stream_request(target: Target, call: CallOptions) -> BuiltRequest:
    """The protocol's streaming request for ``call``.

    Raises:
        UnsupportedFeatureError: a setting cannot be honoured.
    """
    return target.protocol.build_request(call, target.provider, target.model_id, stream=True)


async def stream_step(
    target: Target,
    call: CallOptions,
    connection: Connection,
    request: BuiltRequest | None = None,
) -> AsyncIterator[StreamEvent]:
    """Send one streaming request; yield ``stream_start``, then the protocol's events.

    Args:
        request: the request already built from ``call`` (see :func:`build_stream_request`),
            or None to build it here.

    Raises:
        UnsupportedFeatureError: from request building.
        MissingCredentialError, KeychainError, TokenRefreshError: no usable credential.
        APIStatusError, APIConnectionError, StreamError: from the provider, labelled with the
            provider and model ids.
    """
    from llmkit.transport.http import open_response
    from llmkit.transport.sse import iter_sse

    protocol = target.protocol
    if request is None:
        request = build_stream_request(target, call)
    try:
        creds = await resolve_credentials(target.provider, connection.api_key)
        yield StreamStartEvent(request.warnings)
        async with open_authorized(  # a 401 with an OAuth token: one refresh, one retry
            target.provider,
            creds,
            request,
            lambda req, auth: open_response(
                req, auth, protocol.parse_error, client=connection.http_client, timeout=call.timeout
            ),
        ) as response:
            state = protocol.new_state(target.provider)
            parse = protocol.parse_event
            async for sse in iter_sse(response):
                for event in parse(state, sse):
                    yield event
            for event in protocol.finish(state):
                yield event
    except APIError as exc:
        _label(exc, target)
        raise


async def generate_step(
    target: Target, call: CallOptions, connection: Connection
) -> list[StreamEvent]:
    """Send one non-streamed request; return ``stream_start`` and the protocol's events.

    Raises:
        The errors of :func:`stream_step`, and InvalidResponseError for an unusable body.
    """
    from llmkit.transport.http import post_json

    protocol = target.protocol
    request = protocol.build_request(call, target.provider, target.model_id, stream=False)
    try:
        creds = await resolve_credentials(target.provider, connection.api_key)
        body = await send_authorized(  # a 401 with an OAuth token: one refresh, one retry
            target.provider,
            creds,
            request,
            lambda req, auth: post_json(
                req, auth, protocol.parse_error, client=connection.http_client, timeout=call.timeout
            ),
        )
        events = protocol.parse_response(body, target.provider)
    except APIError as exc:
        _label(exc, target)
        raise
    return [StreamStartEvent(request.warnings), *events]
