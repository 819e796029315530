"""The sans-IO Protocol contract shared by every wire protocol.

A :class:`Protocol` turns unified :class:`~llmkit.types.options.CallOptions` into a
:class:`BuiltRequest` and turns what the provider sends back (server-sent events, a JSON body, an
error body) into unified :data:`~llmkit.types.events.StreamEvent` lists. It never does I/O: the
transport sends the request and feeds the protocol, and tests feed it recorded events directly.

The driver (``llmkit._result``) emits ``stream_start`` itself; a protocol emits everything after
it, ending with exactly one ``finish`` from :meth:`Protocol.finish` (or from
:meth:`Protocol.parse_response`).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from llmkit.types.events import StreamEvent
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.errors import APIStatusError
    from llmkit.providers.config import ProviderConfig
    from llmkit.types.models import ModelInfo
    from llmkit.types.options import CallOptions

__all__ = ["BuiltRequest", "Protocol", "StreamState", "run_sse"]


@dataclass(frozen=True, slots=True)
class BuiltRequest:
    """An HTTP request ready to send, without credentials (the auth layer adds those).

    Attributes:
        url: the absolute URL (provider ``base_url`` + the protocol's endpoint path).
        headers: protocol and provider headers (``content-type``, ``anthropic-version``...).
        body: the JSON body as a dict (empty for a ``GET``, which is sent without a body).
        stream: True when the response will be ``text/event-stream``.
        method: the HTTP method, ``POST`` (calls) or ``GET`` (model lists).
        warnings: settings that could not be honoured (reported in ``stream_start``).
    """

    url: str
    headers: Mapping[str, str]
    body: Mapping[str, object]
    stream: bool
    method: str = "POST"
    warnings: tuple[CallWarning, ...] = ()


@dataclass(slots=True)
class StreamState:
    """Per-stream mutable state; each protocol subclasses it with its own fields."""

    done: bool = field(default=False)


S = TypeVar("S", bound=StreamState)


class Protocol(abc.ABC, Generic[S]):
    """A wire protocol: request building and response parsing, no I/O.

    Class attributes:
        name: the protocol id used in :class:`~llmkit.providers.config.ProviderConfig`
            (``openai-chat``, ``anthropic-messages``).
        metadata_key: the key under which this protocol's opaque data is kept in
            ``provider_metadata`` and read from ``provider_options`` (``openai``, ``anthropic``).
        supports_response_format: the protocol maps ``CallOptions.response_format`` (a JSON
            Schema for the response text) natively; when False, ``generate_object`` and
            ``stream_object`` force a tool call whose input schema is the schema instead.
    """

    name: ClassVar[str]
    metadata_key: ClassVar[str]
    supports_response_format: ClassVar[bool] = False

    @abc.abstractmethod
    def build_request(
        self, call: CallOptions, provider: ProviderConfig, model_id: str, *, stream: bool = True
    ) -> BuiltRequest:
        """Build the HTTP request for one call.

        Raises:
            UnsupportedFeatureError: a setting cannot be honoured and dropping it would change
                the meaning of the request.
        """

    @abc.abstractmethod
    def new_state(self, provider: ProviderConfig) -> S:
        """Fresh per-stream state; the provider's quirk flags steer parsing."""

    @abc.abstractmethod
    def parse_event(self, state: S, sse: ServerSentEvent) -> list[StreamEvent]:
        """Turn one server-sent event into zero or more stream events.

        Raises:
            StreamError: an in-band error event (mapped by its type).
            InvalidResponseError: data that is not JSON or has an unusable shape.
        """

    @abc.abstractmethod
    def finish(self, state: S) -> list[StreamEvent]:
        """Close open blocks and emit the final ``finish`` event at the end of the byte stream.

        Raises:
            StreamError: the stream ended before the provider's end marker (truncated).
        """

    @abc.abstractmethod
    def parse_response(self, body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
        """Turn a non-streamed JSON response into the same events a stream would give.

        Raises:
            InvalidResponseError: the body is not JSON or has an unusable shape.
        """

    @abc.abstractmethod
    def parse_error(
        self, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> APIStatusError:
        """Map a non-2xx response to the :class:`~llmkit.errors.APIStatusError` subclass of its
        status, with the provider's message, error type/code, request id and retry-after."""

    def build_models_request(
        self, provider: ProviderConfig, *, cursor: str | None = None
    ) -> BuiltRequest:
        """Build the ``GET`` request that lists the provider's models (no body, no credentials).

        Args:
            provider: the provider whose ``base_url`` and ``headers`` are used.
            cursor: the next-page cursor from :meth:`parse_models`, None for the first page.

        Raises:
            UnsupportedFeatureError: the protocol has no model list endpoint (the default).
        """
        from llmkit.errors import UnsupportedFeatureError

        raise UnsupportedFeatureError(f"protocol {self.name!r} cannot list models")

    def parse_models(self, body: bytes) -> tuple[list[ModelInfo], str | None]:
        """Parse one page of the model list.

        Returns:
            The page's models in the provider's order, and the cursor of the next page (None
            when this is the last page).

        Raises:
            InvalidResponseError: the body is not JSON or not a model list.
            UnsupportedFeatureError: the protocol has no model list endpoint (the default).
        """
        from llmkit.errors import UnsupportedFeatureError

        raise UnsupportedFeatureError(f"protocol {self.name!r} cannot list models")


def run_sse(
    protocol: Protocol[S], provider: ProviderConfig, events: Iterable[ServerSentEvent]
) -> list[StreamEvent]:
    """Run already-decoded server-sent events through a protocol (sans-IO; for tests and tools).

    Returns every event the protocol emits, ``finish`` last, without ``stream_start``.
    """
    state = protocol.new_state(provider)
    out: list[StreamEvent] = []
    for sse in events:
        out.extend(protocol.parse_event(state, sse))
    out.extend(protocol.finish(state))
    return out
