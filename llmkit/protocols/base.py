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
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from llmkit.types.events import StreamEvent
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.errors import APIStatusError
    from llmkit.protocols._fake import MockTurn
    from llmkit.providers.config import ProviderConfig
    from llmkit.types.models import ModelInfo
    from llmkit.types.options import CallOptions, ToolChoice

__all__ = [
    "BuiltRequest",
    "Framing",
    "NoQuirks",
    "Protocol",
    "StreamState",
    "check_tool_choice",
    "merge_provider_options",
    "request_headers",
    "run_sse",
]

Framing = Literal["sse", "ndjson"]
"""How a streamed response is cut into events: server-sent events (``text/event-stream``) or
newline-delimited JSON (one JSON value per line, ``application/x-ndjson``)."""


class NoQuirks(BaseModel):
    """The quirks model of a protocol with no documented provider deviations (no flags)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


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
        content: a raw body sent as is instead of ``body`` as JSON (a ``multipart/form-data``
            upload, with its ``content-type`` in ``headers``), or None.
    """

    url: str
    headers: Mapping[str, str]
    body: Mapping[str, object]
    stream: bool
    method: str = "POST"
    warnings: tuple[CallWarning, ...] = ()
    content: bytes | None = None


@dataclass(slots=True)
class StreamState:
    """Per-stream mutable state; each protocol subclasses it with its own fields."""

    done: bool = field(default=False)


S = TypeVar("S", bound=StreamState)


class Protocol(abc.ABC, Generic[S]):
    """A wire protocol: request building and response parsing, no I/O.

    Subclass it, set the class attributes, implement the abstract methods, and register it
    with :func:`llmkit.register_protocol`; every ``ProviderConfig(protocol=<name>)`` then uses
    it. Methods never do I/O and never test a provider id: provider deviations come from the
    provider's quirks (:meth:`quirks_of`).

    Class attributes:
        name: the protocol id used in :class:`~llmkit.providers.config.ProviderConfig`
            (``openai-chat``, ``anthropic-messages``; ``[a-z0-9][a-z0-9._-]*``).
        metadata_key: the key under which this protocol's opaque data is kept in
            ``provider_metadata`` and read from ``provider_options`` (``openai``, ``anthropic``).
        framing: how a streamed response is cut into events (:data:`Framing`): ``sse`` (each
            :meth:`parse_event` call gets one server-sent event) or ``ndjson`` (each call gets
            one line, as a ``ServerSentEvent`` whose ``data`` is the line and ``event`` is
            ``message``).
        default_auth: how a provider of this protocol sends its key when its config does not
            say (``bearer``, ``x-api-key``, ``api-key``, ``none``).
        quirks_model: the pydantic model of this protocol's quirk flags; a provider's
            ``quirks`` (a dict or an instance) is validated against it (:meth:`quirks_of`).
        supports_response_format: the protocol maps ``CallOptions.response_format`` (a JSON
            Schema for the response text) natively; when False, ``generate_object`` and
            ``stream_object`` force a tool call whose input schema is the schema instead.
        forced_tool_with_reasoning: the API accepts a forced ``tool_choice`` while reasoning is
            on; when False (Anthropic "Extended thinking with tool use"), structured output
            with reasoning offers the tool with ``tool_choice: "auto"`` and asks for it.
        fake_call_id_prefix: the prefix of tool call ids in the testing kit's responses
            (``call`` → ``call_0_1``).
    """

    name: ClassVar[str]
    metadata_key: ClassVar[str]
    framing: ClassVar[Framing] = "sse"
    default_auth: ClassVar[str] = "bearer"
    quirks_model: ClassVar[type[BaseModel]] = NoQuirks
    supports_response_format: ClassVar[bool] = False
    forced_tool_with_reasoning: ClassVar[bool] = True
    fake_call_id_prefix: ClassVar[str] = "call"

    def quirks_of(self, provider: ProviderConfig) -> BaseModel:
        """The provider's quirk flags as this protocol's :attr:`quirks_model` (validated once
        per provider config, then cached on it).

        Raises:
            InvalidProviderConfigError: the provider's quirks do not fit the model (an unknown
                flag or a wrong value); the message names them.
        """
        quirks = provider.quirks
        model = self.quirks_model
        if type(quirks) is model:
            return quirks
        cached = provider.__pydantic_private__ or {}
        hit = cached.get("_quirks")
        if hit is not None and type(hit) is model:
            return hit
        values = quirks.model_dump(exclude_unset=True) if isinstance(quirks, BaseModel) else quirks
        try:
            validated = model.model_validate(values)
        except ValidationError as exc:
            from llmkit.errors import InvalidProviderConfigError

            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise InvalidProviderConfigError(
                f"provider {provider.id!r}: quirks do not fit protocol {self.name!r} "
                f"({problems}); see {model.__module__}.{model.__name__} for the flags"
            ) from None
        provider._quirks = validated
        return validated

    def fake_wants_stream(self, path: str, body: object) -> bool:
        """Whether a request (its URL path and parsed JSON body) asks for a streamed response;
        the testing kit answers accordingly. Default: the body's ``"stream": true``."""
        return isinstance(body, dict) and body.get("stream") is True

    def fake_stream(self, turn: MockTurn, model: str) -> bytes:
        """The bytes of a streamed response answering with ``turn`` (the testing kit's
        encoder: :class:`~llmkit.testing.MockModel` serves them).

        Raises:
            UnsupportedFeatureError: the protocol has no testing-kit encoder (the default).
        """
        from llmkit.errors import UnsupportedFeatureError

        raise UnsupportedFeatureError(
            f"protocol {self.name!r} has no testing-kit encoder; implement fake_stream and "
            "fake_body to use it with MockModel"
        )

    def fake_body(self, turn: MockTurn, model: str) -> bytes:
        """The JSON body of a non-streamed response answering with ``turn`` (testing kit).

        Raises:
            UnsupportedFeatureError: the protocol has no testing-kit encoder (the default).
        """
        from llmkit.errors import UnsupportedFeatureError

        raise UnsupportedFeatureError(
            f"protocol {self.name!r} has no testing-kit encoder for non-streamed bodies; "
            "implement fake_body to use it with MockModel and generate_text"
        )

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


def request_headers(provider: ProviderConfig, call: CallOptions, *, stream: bool) -> dict[str, str]:
    """The headers of a JSON request: ``content-type``, ``accept: text/event-stream`` for a
    stream, then the provider's headers, then the call's (later ones win). Credentials are not
    among them: the auth layer adds those."""
    headers = {"content-type": "application/json"}
    if stream:
        headers["accept"] = "text/event-stream"
    headers.update(provider.headers)
    headers.update(call.headers)
    return headers


def merge_provider_options(body: dict[str, object], extra: Mapping[str, object]) -> None:
    """Deep-merge a call's ``provider_options[<metadata_key>]`` into a request body, in place:
    nested objects merge key by key, any other value replaces the body's. The one policy every
    protocol applies last in ``build_request`` (after taking out the keys it reads itself)."""
    for key, value in extra.items():
        current = body.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged = dict(current)
            merge_provider_options(merged, value)
            body[key] = merged
        else:
            body[key] = value


def check_tool_choice(call: CallOptions) -> ToolChoice | None:
    """The call's tool choice, or None when it must be omitted: the one policy for a tool
    choice without tools. ``auto`` / ``none`` without tools mean what no tools mean, so they
    are dropped; a forced choice (``required``, a named tool) cannot be honoured.

    Raises:
        UnsupportedFeatureError: a forced tool choice without tools.
    """
    choice = call.tool_choice
    if call.tools or choice is None or choice in ("auto", "none"):
        return choice if call.tools else None
    from llmkit.errors import UnsupportedFeatureError

    raise UnsupportedFeatureError(
        f"tool_choice={choice!r} needs tools; pass tools=[...] or drop tool_choice"
    )


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
