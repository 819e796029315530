"""The Gemini API protocol (``google-generative``): Google's own ``generateContent`` API.

``POST {base_url}/models/{model}:streamGenerateContent?alt=sse`` (streamed: server-sent events,
one ``GenerateContentResponse`` per ``data:``) or ``POST {base_url}/models/{model}:generateContent``
(one JSON body), authenticated with the ``x-goog-api-key`` header (Gemini API reference, "API
keys", "Generating content"). Vertex AI serves the same body shapes under its own base URL
(``https://aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google``)
with an OAuth bearer token (``auth="bearer"``).

Modules: :mod:`.convert_messages` (``systemInstruction`` / ``contents``), :mod:`.prepare_tools`
(``tools`` / ``toolConfig``), :mod:`.wire` (the stream state machine, also used for
non-streamed bodies), :mod:`.map_finish_reason`, :mod:`.convert_usage`, :mod:`.errors`
(``google.rpc.Status`` bodies), :mod:`.models` (model list), :mod:`.fake` (testing kit).

Request decisions (see :meth:`GoogleGenerativeProtocol.build_request`):

- ``generationConfig``: ``maxOutputTokens``, ``temperature``, ``topP``, ``topK``,
  ``stopSequences``, ``seed``, ``presencePenalty``, ``frequencyPenalty`` (all documented
  ``GenerationConfig`` fields; unset ones are omitted).
- Reasoning → ``generationConfig.thinkingConfig`` with ``includeThoughts: true`` (so thought
  summaries stream as reasoning): ``budget_tokens`` → ``thinkingBudget`` (Gemini 2.5; Gemini 3
  still accepts it), ``effort`` → ``thinkingLevel`` (``minimal``/``low``/``medium``/``high``,
  Gemini 3; which levels a model takes is the model's: Gemini answers 400 otherwise). Gemini
  rejects both at once, so with both the budget is sent and ``effort`` is reported dropped.
- Structured output (``response_format``) → ``responseMimeType: "application/json"`` and
  ``responseJsonSchema`` (JSON Schema as is; "Structured output").
- ``provider_options["google"]`` is merged into the body last: objects merge key by key
  (``generationConfig``, ``toolConfig``...), ``tools`` entries (built-in tools such as
  ``{"googleSearch": {}}``) are appended to the function declarations, anything else
  (``safetySettings``, ``cachedContent``, ``labels``) is set as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from llmkit.errors import APIStatusError, InvalidResponseError
from llmkit.protocols._common import SHAPE_ERRORS, loads
from llmkit.protocols.base import (
    BuiltRequest,
    Protocol,
    check_tool_choice,
    merge_provider_options,
    request_headers,
)
from llmkit.protocols.google_generative.convert_messages import convert_messages
from llmkit.protocols.google_generative.errors import error_from_body, parse_error
from llmkit.protocols.google_generative.models import build_models_request, parse_models
from llmkit.protocols.google_generative.prepare_tools import prepare_tools
from llmkit.protocols.google_generative.wire import (
    METADATA_KEY,
    GoogleState,
    finish,
    parse_chunk,
    parse_event,
)
from llmkit.types.events import StreamEvent
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.providers.config import ProviderConfig
    from llmkit.testing.mock import MockTurn
    from llmkit.types.models import ModelInfo
    from llmkit.types.options import CallOptions

__all__ = ["GoogleGenerativeProtocol", "GoogleState", "model_path"]


def model_path(model_id: str) -> str:
    """The resource path of a model id: ``models/{id}``, or the id itself when it already names
    a resource (``models/...``, ``tunedModels/...``), URL-quoted."""
    path = model_id if "/" in model_id else f"models/{model_id}"
    return quote(path, safe="/-._~")


def _merge(body: dict[str, object], extra: Mapping[str, object]) -> None:
    """Merge ``provider_options["google"]`` into the body (see the module doc): its ``tools``
    (built-in tools) are appended to the function declarations, the rest goes through the shared
    :func:`~llmkit.protocols.base.merge_provider_options`."""
    rest = dict(extra)
    builtin = rest.pop("tools", None)
    current = body.get("tools")
    if isinstance(builtin, list) and isinstance(current, list):
        body["tools"] = [*current, *builtin]
    elif builtin is not None:
        rest["tools"] = builtin
    merge_provider_options(body, rest)


def _generation_config(call: CallOptions, warnings: list[CallWarning]) -> dict[str, object]:
    config: dict[str, object] = {}
    for key, value in (
        ("maxOutputTokens", call.max_output_tokens),
        ("temperature", call.temperature),
        ("topP", call.top_p),
        ("topK", call.top_k),
        ("seed", call.seed),
        ("presencePenalty", call.presence_penalty),
        ("frequencyPenalty", call.frequency_penalty),
    ):
        if value is not None:
            config[key] = value
    if call.stop_sequences:
        config["stopSequences"] = list(call.stop_sequences)
    reasoning = call.reasoning
    if reasoning is not None and (reasoning.budget_tokens or reasoning.effort):
        thinking: dict[str, object] = {"includeThoughts": True}
        if reasoning.budget_tokens is not None:
            thinking["thinkingBudget"] = reasoning.budget_tokens
            if reasoning.effort is not None:
                warnings.append(
                    CallWarning(
                        "unsupported_setting",
                        "reasoning",
                        "reasoning.effort was dropped: Gemini takes a thinking budget or a "
                        "thinking level, not both, and reasoning.budget_tokens is set",
                    )
                )
        else:
            thinking["thinkingLevel"] = reasoning.effort
        config["thinkingConfig"] = thinking
    fmt = call.response_format
    if fmt is not None:
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = fmt.json_schema
    return config


class GoogleGenerativeProtocol(Protocol[GoogleState]):
    """The Gemini API (``generateContent`` / ``streamGenerateContent``), sans-IO."""

    name: ClassVar[str] = "google-generative"
    metadata_key: ClassVar[str] = METADATA_KEY
    # Gemini API reference, "API keys": the key goes in the x-goog-api-key header
    default_auth: ClassVar[str] = "x-goog-api-key"
    supports_response_format: ClassVar[bool] = True
    fake_call_id_prefix: ClassVar[str] = "call"

    def build_request(
        self, call: CallOptions, provider: ProviderConfig, model_id: str, *, stream: bool = True
    ) -> BuiltRequest:
        """Build the request for one call (no credentials; the auth layer adds
        ``x-goog-api-key``).

        URL: ``{base_url}/models/{model}:streamGenerateContent?alt=sse`` when streaming, else
        ``{base_url}/models/{model}:generateContent`` (streaming is chosen by the URL; the body
        is the same). Body (unset fields omitted): ``contents``, ``systemInstruction``,
        ``tools``, ``toolConfig``, ``generationConfig``, then ``provider_options["google"]``.

        Raises:
            UnsupportedFeatureError: a forced ``tool_choice`` without tools.
            ConfigurationError: invalid inline data, or a file URL without a media type.
        """
        warnings: list[CallWarning] = []
        system, contents = convert_messages(call.messages, call.system, warnings, provider.id)
        tools, tool_config = prepare_tools(call.tools, check_tool_choice(call), warnings)
        body: dict[str, object] = {"contents": contents}
        if system is not None:
            body["systemInstruction"] = system
        if tools is not None:
            body["tools"] = tools
        if tool_config is not None:
            body["toolConfig"] = tool_config
        config = _generation_config(call, warnings)
        if config:
            body["generationConfig"] = config
        _merge(body, call.provider_options.get(METADATA_KEY) or {})
        headers = request_headers(provider, call, stream=stream)
        method = ":streamGenerateContent?alt=sse" if stream else ":generateContent"
        return BuiltRequest(
            url=f"{provider.base_url}/{model_path(model_id)}{method}",
            headers=headers,
            body=body,
            stream=stream,
            warnings=tuple(warnings),
        )

    def new_state(self, provider: ProviderConfig) -> GoogleState:
        """Fresh per-stream state."""
        return GoogleState(provider_id=provider.id)

    def parse_event(self, state: GoogleState, sse: ServerSentEvent) -> list[StreamEvent]:
        """See :func:`llmkit.protocols.google_generative.wire.parse_event`.

        Raises:
            StreamError: an ``{"error": {...}}`` chunk.
            InvalidResponseError: malformed JSON or an unusable chunk shape (``.raw``).
        """
        return parse_event(state, sse)

    def finish(self, state: GoogleState) -> list[StreamEvent]:
        """Close open blocks and emit exactly one ``finish``.

        Raises:
            StreamError: the stream ended before a ``finishReason`` (truncated).
        """
        return finish(state)

    def parse_response(self, body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
        """A ``generateContent`` body → the events a stream would give.

        Raises:
            InvalidResponseError: the body is not JSON or not a ``GenerateContentResponse``.
            APIStatusError: the body is an ``{"error": {...}}`` object (class by its status).
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
        if "error" in obj:
            raise error_from_body(obj)
        if "candidates" not in obj and "promptFeedback" not in obj:
            raise InvalidResponseError(
                "response body has neither candidates nor promptFeedback; is this a Gemini "
                "generateContent response?",
                raw=body,
                provider_id=provider.id,
            )
        state = self.new_state(provider)
        out: list[StreamEvent] = []
        try:
            parse_chunk(state, obj, out)
        except SHAPE_ERRORS as exc:
            raise InvalidResponseError(
                f"unexpected shape of a generateContent response ({exc!r})",
                raw=body,
                provider_id=provider.id,
                model_id=state.model_id,
            ) from exc
        state.done = True  # a whole body is complete even without a finishReason
        out.extend(finish(state))
        return out

    def parse_error(
        self, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> APIStatusError:
        """See :func:`llmkit.protocols.google_generative.errors.parse_error`. Never raises."""
        return parse_error(status_code, headers, body)

    def build_models_request(
        self, provider: ProviderConfig, *, cursor: str | None = None
    ) -> BuiltRequest:
        """``GET {base_url}/models?pageSize=1000`` (``&pageToken=<cursor>`` for a later page;
        Gemini API reference, "Models: list"); no body, no credentials."""
        return build_models_request(provider, cursor)

    def parse_models(self, body: bytes) -> tuple[list[ModelInfo], str | None]:
        """One page → its models and the ``nextPageToken`` (None on the last page).

        Raises:
            InvalidResponseError: the body is not JSON or has no ``models`` list.
        """
        return parse_models(body)

    def fake_wants_stream(self, path: str, body: object) -> bool:
        """Streaming is chosen by the URL (``:streamGenerateContent``), not the body."""
        from llmkit.protocols.google_generative.fake import wants_stream

        return wants_stream(path)

    def fake_stream(self, turn: MockTurn, model: str) -> bytes:
        """A ``streamGenerateContent?alt=sse`` body answering with ``turn`` (testing kit)."""
        from llmkit.protocols.google_generative.fake import google_generative_sse

        return google_generative_sse(turn, model)

    def fake_body(self, turn: MockTurn, model: str) -> bytes:
        """A ``generateContent`` body answering with ``turn`` (testing kit)."""
        from llmkit.protocols.google_generative.fake import google_generative_json

        return google_generative_json(turn, model)
