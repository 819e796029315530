"""The OpenAI Responses protocol (``openai-responses``): ``POST {base_url}/responses``.

Sources: OpenAI API reference, Responses (create, the response object, streaming events);
OpenAI "Reasoning models" guide ("Keeping reasoning items in context", "Encrypted reasoning
items"); Azure OpenAI "Responses API" (the same wire at
``https://<resource>.openai.azure.com/openai/v1``). This module only orchestrates:

- :mod:`.convert_messages`: unified messages → ``input`` items (reasoning items, function calls
  and their outputs, with item ids and encrypted reasoning from the answer);
- :mod:`.prepare_tools`: ``tools`` / ``tool_choice``;
- :mod:`.wire`: the stream state machine (deltas and end of stream), :mod:`.items`: output
  items (announced, done, hosted tools, citations), :mod:`.state`: per-stream state;
  :mod:`.response`: non-streamed bodies;
- :mod:`.map_finish_reason`, :mod:`.convert_usage`, :mod:`.errors`, :mod:`.models`;
- :mod:`.quirks`: provider deviations (a ChatGPT plan's limits among them); :mod:`.fake`: the
  testing kit's encoder.

Request decisions (see :meth:`OpenAIResponsesProtocol.build_request`):

- llmkit is stateless: the whole conversation is sent every time and ``store`` is false by
  default (``quirks.store``), so nothing is kept on OpenAI's servers and no
  ``previous_response_id`` is needed. Reasoning survives the round trip as encrypted reasoning
  items: with ``store: false`` and ``reasoning=`` set, the request asks for
  ``include: ["reasoning.encrypted_content"]`` and the items come back byte for byte in the
  next request (``quirks.encrypted_reasoning`` says when; non-reasoning models reject it).
- ``reasoning`` → ``{"effort", "summary"}`` (``summary`` from ``quirks.reasoning_summary``,
  ``auto``: without it OpenAI streams no reasoning text). A ``budget_tokens`` has no Responses
  field and is dropped with a warning.
- ``stop_sequences``, ``seed``, ``top_k``, ``presence_penalty`` and ``frequency_penalty`` have
  no Responses field and are dropped with an ``unsupported_setting`` warning.
- ``response_format`` → ``text.format`` ``{"type": "json_schema", "name", "schema",
  "strict"}`` (the schema made strict as for chat when ``strict``).
- ``provider_options["openai"]`` is merged into the body last (nested objects merge), except
  ``tools``, whose entries (hosted tools such as ``{"type": "web_search"}``) are appended to the
  function tools; fields in ``quirks.unsupported_fields`` are removed from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel

from llmkit.errors import APIStatusError
from llmkit.protocols.base import (
    BuiltRequest,
    Protocol,
    check_tool_choice,
    merge_provider_options,
    request_headers,
)
from llmkit.protocols.openai_chat.response_format import strict_json_schema
from llmkit.protocols.openai_responses.convert_messages import convert_messages
from llmkit.protocols.openai_responses.errors import parse_error_body
from llmkit.protocols.openai_responses.models import build_models_request, parse_models
from llmkit.protocols.openai_responses.prepare_tools import prepare_tools
from llmkit.protocols.openai_responses.quirks import OpenAIResponsesQuirks
from llmkit.protocols.openai_responses.response import parse_body
from llmkit.protocols.openai_responses.wire import (
    METADATA_KEY,
    OpenAIResponsesState,
    finish_events,
    parse_event_data,
)
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.protocols._fake import MockTurn
    from llmkit.providers.config import ProviderConfig
    from llmkit.types.events import StreamEvent
    from llmkit.types.models import ModelInfo
    from llmkit.types.options import CallOptions

__all__ = ["OpenAIResponsesProtocol", "OpenAIResponsesQuirks", "OpenAIResponsesState"]

_UNSUPPORTED = ("top_k", "seed", "presence_penalty", "frequency_penalty")
_ENCRYPTED = "reasoning.encrypted_content"


def _drop(setting: str, why: str) -> CallWarning:
    return CallWarning("unsupported_setting", setting, f"{setting} {why}; dropped")


class OpenAIResponsesProtocol(Protocol[OpenAIResponsesState]):
    """The ``openai-responses`` protocol: ``POST {base_url}/responses``, streamed or not.

    Stateless and shared; per-stream state lives in :class:`OpenAIResponsesState`.
    """

    name: ClassVar[str] = "openai-responses"
    metadata_key: ClassVar[str] = METADATA_KEY
    default_auth: ClassVar[str] = "bearer"  # OpenAI API reference, "Authentication"
    quirks_model: ClassVar[type[BaseModel]] = OpenAIResponsesQuirks
    supports_response_format: ClassVar[bool] = True
    fake_call_id_prefix: ClassVar[str] = "call"

    def _quirks(self, provider: ProviderConfig) -> OpenAIResponsesQuirks:
        quirks = provider.quirks
        if type(quirks) is OpenAIResponsesQuirks:
            return quirks
        return self.quirks_of(provider)  # type: ignore[return-value]

    def build_request(
        self, call: CallOptions, provider: ProviderConfig, model_id: str, *, stream: bool = True
    ) -> BuiltRequest:
        """Build the Responses request (no credentials; the auth layer adds them).

        Body (unset settings omitted, never sent as null): ``model``, ``input``
        (:mod:`.convert_messages`), ``max_output_tokens``, ``temperature``, ``top_p``,
        ``tools`` and ``tool_choice`` (:mod:`.prepare_tools`), ``reasoning``, ``text.format``
        for a JSON schema response format, ``store`` and ``include`` (see the module doc),
        ``stream: true`` when streaming (always with ``quirks.stream_only``), then
        ``provider_options["openai"]``. Settings in ``quirks.unsupported_fields`` are dropped
        with a warning.

        Raises:
            UnsupportedFeatureError: a file part Responses cannot take.
            ConfigurationError: inline image or file data that is not valid.
        """
        quirks = self._quirks(provider)
        warnings: list[CallWarning] = []
        extra = dict(call.provider_options.get(METADATA_KEY) or {})
        for name in quirks.unsupported_fields:
            if extra.pop(name, None) is not None:
                warnings.append(_drop(name, f"is not accepted by provider {provider.id!r}"))
        store: bool | None = quirks.store
        if isinstance(extra.get("store"), bool):
            store = extra["store"]  # type: ignore[assignment]
        input_items, message_warnings = convert_messages(
            call.messages,
            call.system,
            quirks,
            store=store is not False,
            provider_id=provider.id,
        )
        warnings.extend(message_warnings)
        body: dict[str, object] = {"model": model_id, "input": input_items}
        for name, value in (
            ("max_output_tokens", call.max_output_tokens),
            ("temperature", call.temperature),
            ("top_p", call.top_p),
        ):
            if value is None:
                continue
            if name in quirks.unsupported_fields:
                warnings.append(_drop(name, f"is not accepted by provider {provider.id!r}"))
            else:
                body[name] = value
        for name in _UNSUPPORTED:
            if getattr(call, name) is not None:
                warnings.append(_drop(name, "has no OpenAI Responses field"))
        if call.stop_sequences:
            warnings.append(_drop("stop_sequences", "has no OpenAI Responses field"))
        hosted = extra.pop("tools", None)
        hosted_tools = list(hosted) if isinstance(hosted, list) else []
        if hosted_tools and not quirks.hosted_tools:
            warnings.append(
                _drop("provider_options", f"hosted tools are not available with {provider.id!r}")
            )
            hosted_tools = []
        # hosted tools are tools too: a forced choice with only those is the caller's to make
        choice = call.tool_choice if hosted_tools and not call.tools else check_tool_choice(call)
        tools, tool_choice, tool_warnings = prepare_tools(call.tools, choice, hosted_tools)
        warnings.extend(tool_warnings)
        if tools is not None:
            body["tools"] = tools
        if tool_choice is not None:
            body["tool_choice"] = tool_choice
        reasoning = call.reasoning
        if reasoning is not None:
            wire_reasoning: dict[str, object] = {}
            if reasoning.effort is not None:
                wire_reasoning["effort"] = reasoning.effort
            if reasoning.budget_tokens is not None:
                warnings.append(
                    _drop(
                        "reasoning",
                        "budget_tokens has no OpenAI Responses field (use reasoning effort)",
                    )
                )
            if quirks.reasoning_summary is not None:
                wire_reasoning["summary"] = quirks.reasoning_summary
            if wire_reasoning:
                body["reasoning"] = wire_reasoning
        fmt = call.response_format
        if fmt is not None:
            spec: dict[str, object] = {"type": "json_schema", "name": fmt.name}
            if fmt.description is not None:
                spec["description"] = fmt.description
            spec["schema"] = strict_json_schema(fmt.json_schema) if fmt.strict else fmt.json_schema
            spec["strict"] = fmt.strict
            body["text"] = {"format": spec}
        if store is not None:
            body["store"] = store
        encrypted = quirks.encrypted_reasoning
        if store is False and (
            encrypted == "always" or (encrypted == "with_reasoning" and reasoning is not None)
        ):
            body["include"] = [_ENCRYPTED]
        streamed = stream or quirks.stream_only
        if streamed:
            body["stream"] = True
        include = extra.pop("include", None)
        merge_provider_options(body, extra)
        if isinstance(include, list):  # the caller's includes are added to llmkit's
            current = body.get("include")
            merged = list(current) if isinstance(current, list) else []
            body["include"] = merged + [i for i in include if i not in merged]
        headers = request_headers(provider, call, stream=streamed)
        return BuiltRequest(
            url=f"{provider.base_url}/responses",
            headers=headers,
            body=body,
            stream=stream,
            warnings=tuple(warnings),
        )

    def new_state(self, provider: ProviderConfig) -> OpenAIResponsesState:
        """Fresh per-stream state."""
        return OpenAIResponsesState(provider_id=provider.id)

    def parse_event(self, state: OpenAIResponsesState, sse: ServerSentEvent) -> list[StreamEvent]:
        """One server-sent event → stream events (see :mod:`.wire`).

        Raises:
            StreamError: an in-stream ``error`` event or ``response.failed``.
            InvalidResponseError: data that is not JSON or not a usable event.
        """
        return parse_event_data(state, sse.event, sse.data)

    def finish(self, state: OpenAIResponsesState) -> list[StreamEvent]:
        """Close open blocks and emit the ``finish`` event.

        Raises:
            StreamError: the stream ended without ``response.completed`` /
                ``response.incomplete``.
        """
        return finish_events(state)

    def parse_response(self, body: bytes, provider: ProviderConfig) -> list[StreamEvent]:
        """A non-streamed response body (or, with ``quirks.stream_only``, a whole streamed
        body) → events (see :mod:`.response`).

        Raises:
            InvalidResponseError: the body is not JSON or has no usable ``output``.
            StreamError: a 2xx body that reports an error or a failed response.
        """
        return parse_body(body, self.new_state(provider))

    def parse_error(
        self, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> APIStatusError:
        """A non-2xx response → the :class:`~llmkit.errors.APIStatusError` of its status
        (OpenAI's error shape; see :mod:`.errors`). Never raises."""
        return parse_error_body(status_code, headers, body)

    def build_models_request(
        self, provider: ProviderConfig, *, cursor: str | None = None
    ) -> BuiltRequest:
        """``GET {base_url}/models`` (OpenAI API reference, "Models: list"); one page."""
        return build_models_request(provider)

    def parse_models(self, body: bytes) -> tuple[list[ModelInfo], str | None]:
        """A ``{"object": "list", "data": [...]}`` body → its models and no next page.

        Raises:
            InvalidResponseError: the body is not JSON or has no ``data`` list.
        """
        return parse_models(body), None

    def fake_stream(self, turn: MockTurn, model: str) -> bytes:
        """A Responses event stream answering with ``turn`` (testing kit)."""
        from llmkit.protocols.openai_responses.fake import openai_responses_sse

        return openai_responses_sse(turn, model)

    def fake_body(self, turn: MockTurn, model: str) -> bytes:
        """A Responses response object answering with ``turn`` (testing kit)."""
        from llmkit.protocols.openai_responses.fake import openai_responses_json

        return openai_responses_json(turn, model)
