"""Convert unified messages to Gemini ``systemInstruction`` + ``contents``.

Gemini API reference, "Generating content" (``GenerateContentRequest.contents``,
``systemInstruction``), "Caching"/"Content" (``Content``, ``Part``: ``text``, ``inlineData``,
``fileData``, ``functionCall``, ``functionResponse``, ``thought``, ``thoughtSignature``),
"Function calling" and "Thought signatures".

Rules:

- ``systemInstruction`` is ``{"parts": [{"text": ...}, ...]}``: ``CallOptions.system`` then
  every :class:`~llmkit.types.messages.SystemMessage`, one text part each, in order.
- Roles: ``user`` for user and tool messages, ``model`` for assistant messages. Consecutive
  contents of the same role are merged into one (all ``functionResponse`` parts answering one
  model turn then travel in one content, as Gemini requires as many responses as calls). A
  content left without parts is dropped (Gemini rejects empty ``parts``).
- User parts: ``text`` (empty text dropped); images and files by URL → ``fileData {mimeType,
  fileUri}`` (a Files API URI, a YouTube URL, or a public URL where the model supports it), inline
  → ``inlineData {mimeType, data}`` (base64). Gemini takes images, PDF, plain text, audio and
  video this way; the media type is the part's own, or guessed from the URL's file name; a URL
  without a recognisable one raises :class:`~llmkit.errors.ConfigurationError`.
- Assistant parts: ``text`` → ``{"text": ...}``; ``tool_call`` → ``{"functionCall": {"id",
  "name", "args"}}``; ``reasoning`` that came from Gemini (``provider_options["google"]``) with a
  ``thoughtSignature`` → ``{"text": ..., "thought": true, "thoughtSignature": ...}``; Gemini
  reasoning without one is dropped silently (Gemini reads nothing from unsigned thought text:
  thought summaries are not model context); any other reasoning (an Anthropic signature,
  OpenAI encrypted reasoning, DeepSeek's text) cannot cross and is dropped with a warning.
- Every part whose ``provider_options["google"]`` has a ``thoughtSignature`` sends it back as the
  part's sibling ``thoughtSignature``, byte for byte, on that same part (a text part keeps it
  even when its text is empty). Gemini 3 rejects a function call of the current turn without
  its signature (400, "Thought signatures": validation covers the model turns since the last
  user text message); when such a turn was not made by Gemini (no part carries Gemini data:
  another provider's calls, or calls written by code) and none of its calls has a signature,
  the first call gets the documented placeholder :data:`SKIP_SIGNATURE` and a warning says so.
- Tool results → ``{"functionResponse": {"id", "name", "response"}}`` in a ``user`` content;
  ``response`` must be a JSON object: ``{"output": <result>}``, or ``{"error": <result>}`` when
  ``is_error`` (the keys the API reference documents for ``FunctionResponse.response``).
- Tool-call ids: Gemini matches a ``functionResponse`` to its ``functionCall`` by ``id`` when
  present, else by ``name`` and position. The call's id is sent on both (Gemini's own 8-character
  ids replay unchanged; ids llmkit generated for id-less responses and other providers' ids are
  sent as they are, the same way on the call and on its result).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from urllib.parse import urlparse

from pydantic import JsonValue

from llmkit.errors import ConfigurationError, UnsupportedFeatureError
from llmkit.protocols._ids import ToolCallIdFormat
from llmkit.protocols._tool_media import block_without_data, dropped_media_warning, media_blocks
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    Message,
    ReasoningPart,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolMessage,
    UserMessage,
)
from llmkit.types.warnings import CallWarning

__all__ = ["SKIP_SIGNATURE", "TOOL_CALL_ID_FORMAT", "convert_messages"]

SKIP_SIGNATURE = "skip_thought_signature_validator"
"""The placeholder ``thoughtSignature`` Google documents for a function call that Gemini did
not produce ("Thought signatures", FAQ: injecting custom function calls or a conversation from
another model)."""

TOOL_CALL_ID_FORMAT = ToolCallIdFormat(
    source="Gemini API reference, FunctionCall.id / FunctionResponse.id: an optional string, "
    "no documented pattern",
)
"""The tool-call ids Gemini accepts: any string (sent unchanged)."""

_KEY = "google"

Part = dict[str, object]


def _options(
    provider_options: Mapping[str, Mapping[str, JsonValue]] | None,
) -> Mapping[str, JsonValue]:
    if provider_options:
        own = provider_options.get(_KEY)
        if own:
            return own
    return {}


def _sign(part: Part, options: Mapping[str, JsonValue]) -> Part:
    signature = options.get("thoughtSignature")
    if isinstance(signature, str) and signature:
        part["thoughtSignature"] = signature
    return part


def _media_type(given: str | None, url: str, where: str) -> str:
    if given:
        return given
    guessed = mimetypes.guess_type(urlparse(url).path)[0]
    if guessed is None:
        raise ConfigurationError(
            f"{where}: google-generative needs the media type of a file sent by URL; set "
            "media_type (e.g. 'image/png', 'application/pdf')"
        )
    return guessed


def _binary(part: ImagePart | FilePart, where: str) -> Part:
    media_type = part.media_type
    url = part.url()
    if url is not None:
        return {"fileData": {"mimeType": _media_type(media_type, url, where), "fileUri": url}}
    mime, data = part.base64_data()
    return {"inlineData": {"mimeType": mime, "data": data}}


def _user_parts(message: UserMessage, index: int) -> list[Part]:
    if isinstance(message.content, str):
        return [{"text": message.content}] if message.content else []
    parts: list[Part] = []
    for n, part in enumerate(message.content):
        if isinstance(part, TextPart):
            if part.text:
                parts.append({"text": part.text})
        else:
            parts.append(_binary(part, f"messages[{index}].content[{n}]"))
    return parts


def _reasoning(part: ReasoningPart, where: str, warnings: list[CallWarning]) -> Part | None:
    options = _options(part.provider_options)
    if options:
        signature = options.get("thoughtSignature")
        if isinstance(signature, str) and signature:
            return {"text": part.text, "thought": True, "thoughtSignature": signature}
        return None  # Gemini's own unsigned thought summary: not model context
    if part.text or part.signature or part.redacted_data or part.provider_options:
        warnings.append(
            CallWarning(
                "other",
                "messages",
                f"{where}: reasoning from another provider cannot be sent to Gemini (it only "
                "takes its own signed thoughts) and was dropped",
            )
        )
    return None


def _model_parts(
    message: AssistantMessage, index: int, warnings: list[CallWarning], ids: ToolCallIdFormat
) -> list[Part]:
    if isinstance(message.content, str):
        return [{"text": message.content}] if message.content else []
    parts: list[Part] = []
    for n, part in enumerate(message.content):
        if isinstance(part, TextPart):
            options = _options(part.provider_options)
            if part.text or options.get("thoughtSignature"):
                parts.append(_sign({"text": part.text}, options))
        elif isinstance(part, ToolCallPart):
            call = {"id": ids.map(part.tool_call_id), "name": part.tool_name, "args": part.args}
            parts.append(_sign({"functionCall": call}, _options(part.provider_options)))
        else:
            reasoning = _reasoning(part, f"messages[{index}].content[{n}]", warnings)
            if reasoning is not None:
                parts.append(reasoning)
    return parts


_MEDIA_DROPPED = dropped_media_warning("google-generative")


def _tool_parts(
    message: ToolMessage, ids: ToolCallIdFormat, warnings: list[CallWarning]
) -> list[Part]:
    parts: list[Part] = []
    for part in message.results:
        result = part.result
        media = None if isinstance(result, str) else media_blocks(result)
        if media is not None:  # a JSON response: the media data is left out
            result = [block_without_data(block) for block in media]
            if _MEDIA_DROPPED not in warnings:
                warnings.append(_MEDIA_DROPPED)
        response = {"error" if part.is_error else "output": result}
        parts.append(
            {
                "functionResponse": {
                    "id": ids.map(part.tool_call_id),
                    "name": part.tool_name,
                    "response": response,
                }
            }
        )
    return parts


def _system(system: str | None, messages: Sequence[Message]) -> dict[str, object] | None:
    texts = [system] if system else []
    texts += [m.content for m in messages if isinstance(m, SystemMessage) and m.content]
    return {"parts": [{"text": text} for text in texts]} if texts else None


def _current_turn_start(messages: Sequence[Message]) -> int:
    """The index after the last user message (Gemini's "current turn" begins there)."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], UserMessage):
            return index + 1
    return 0


def _from_gemini(message: AssistantMessage) -> bool:
    """Some part of the turn carries Gemini data (a signature or a thought mark)."""
    if isinstance(message.content, str):
        return False
    return any(_options(part.provider_options) for part in message.content)


def _call_name(part: Part) -> str:
    call = part["functionCall"]
    return str(call["name"]) if isinstance(call, dict) else ""


def _unsigned_calls(parts: list[Part]) -> list[Part]:
    calls = [p for p in parts if "functionCall" in p]
    if calls and not any("thoughtSignature" in p for p in calls):
        return calls
    return []


def convert_messages(
    messages: Sequence[Message],
    system: str | None,
    warnings: list[CallWarning],
    provider_id: str | None = None,
    tool_call_ids: ToolCallIdFormat = TOOL_CALL_ID_FORMAT,
) -> tuple[dict[str, object] | None, list[dict[str, object]]]:
    """The Gemini ``systemInstruction`` and ``contents`` of a conversation.

    Args:
        messages: the unified conversation, oldest first.
        system: ``CallOptions.system``.
        warnings: receives a warning for each dropped part and each placeholder signature.
        provider_id: the provider's id, named in errors.
        tool_call_ids: the tool-call ids the target accepts (default: any).

    Returns:
        ``(systemInstruction or None, contents)``.

    Raises:
        ConfigurationError: inline data that is not valid, or a file URL without a media type.
        UnsupportedFeatureError: (with the provider named) a part Gemini cannot take.
    """
    try:
        return _system(system, messages), _convert(messages, warnings, tool_call_ids)
    except (UnsupportedFeatureError, ConfigurationError) as exc:
        if provider_id is None:
            raise
        raise type(exc)(f"provider {provider_id!r}: {exc}") from exc


def _convert(
    messages: Sequence[Message], warnings: list[CallWarning], ids: ToolCallIdFormat
) -> list[dict[str, object]]:
    current = _current_turn_start(messages)
    contents: list[dict[str, object]] = []
    last_role: str | None = None
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            continue
        if isinstance(message, UserMessage):
            role, parts = "user", _user_parts(message, index)
        elif isinstance(message, ToolMessage):
            role, parts = "user", _tool_parts(message, ids, warnings)
        else:
            role, parts = "model", _model_parts(message, index, warnings, ids)
            foreign = index >= current and not _from_gemini(message)
            unsigned = _unsigned_calls(parts) if foreign else []
            if unsigned:
                unsigned[0]["thoughtSignature"] = SKIP_SIGNATURE
                names = ", ".join(sorted({_call_name(p) for p in unsigned}))
                warnings.append(
                    CallWarning(
                        "other",
                        "messages",
                        f"messages[{index}]: function calls without a Gemini thought signature "
                        f"({names}) were sent with the documented placeholder "
                        f"{SKIP_SIGNATURE!r} so that Gemini 3 accepts them",
                    )
                )
        if not parts:
            continue
        if role == last_role:
            previous = contents[-1]["parts"]
            assert isinstance(previous, list)
            previous.extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
            last_role = role
    return contents
