"""The request half of the AI SDK UI message stream codec: a ``useChat`` body's UI messages
→ unified messages, by the rules of the AI SDK's ``convertToModelMessages``
(``src/ui/convert-to-model-messages.ts``).

Shapes (request body, UI message parts) are listed on :mod:`llmkit.server.ui_message_stream`,
and the conversion rules on :meth:`llmkit.server.ui_message_stream.Codec.parse_request`, which
calls :func:`parse_request` here. Every malformed field raises
:class:`~llmkit.protocols.serving.RequestFieldError` with its JSON path
(``messages[1].parts[0].text``); what is dropped becomes a
:class:`~llmkit.types.warnings.CallWarning` (``kind="other"``, ``setting="messages"``, the
message starting with the part's path).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from llmkit.protocols.serving import RequestFieldError, ServedRequest
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    from pydantic import JsonValue

    from llmkit.types.messages import (
        AssistantPart,
        Message,
        ToolCallPart,
        ToolResultPart,
        UserPart,
    )

__all__ = ["parse_request"]

_ROLES = ("system", "user", "assistant")
_DROPPED_STATES = {
    "input-streaming": "its input was still streaming",
    "input-available": "it has no output yet",
    "approval-requested": "it waits for an approval llmkit does not support",
    "approval-responded": "it has no output yet (tool approvals are not supported)",
}


class _Reader:
    """One request body's UI messages → unified messages (``convertToModelMessages``' rules)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.warnings: list[CallWarning] = []

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(CallWarning("other", "messages", f"{where}: {message}"))

    # -- typed field access -----------------------------------------------------------------
    @staticmethod
    def field(
        obj: Mapping[str, object], where: str, name: str, kind: type, *, required: bool = True
    ) -> object:
        value = obj.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            what = {str: "a string", list: "an array", dict: "an object", bool: "a boolean"}[kind]
            got = "missing" if name not in obj else f"{type(value).__name__}"
            raise RequestFieldError(f"{where}.{name}", f"must be {what} ({got})")
        return value

    @classmethod
    def metadata(
        cls, part: Mapping[str, object], where: str, name: str
    ) -> dict[str, dict[str, JsonValue]] | None:
        value = part.get(name)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise RequestFieldError(
                f"{where}.{name}", "must be an object of objects ({provider: {key: value}})"
            )
        return cast("dict[str, dict[str, JsonValue]]", value) or None

    # -- messages ---------------------------------------------------------------------------
    def read(self, messages: list[object]) -> None:
        for index, message in enumerate(messages):
            where = f"messages[{index}]"
            if not isinstance(message, dict):
                raise RequestFieldError(where, "must be a UI message object {id, role, parts}")
            role = message.get("role")
            if role not in _ROLES:
                raise RequestFieldError(
                    f"{where}.role", f"must be one of {', '.join(_ROLES)} (got {role!r})"
                )
            parts = cast("list[object]", self.field(message, where, "parts", list))
            checked: list[tuple[str, dict[str, object]]] = []
            for number, part in enumerate(parts):
                part_where = f"{where}.parts[{number}]"
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise RequestFieldError(part_where, 'must be an object with a "type" string')
                checked.append((part_where, part))
            if role == "system":
                self.system(where, checked)
            elif role == "user":
                self.user(where, checked)
            else:
                self.assistant(checked)

    def system(self, where: str, parts: list[tuple[str, dict[str, object]]]) -> None:
        from llmkit.types.messages import SystemMessage

        texts: list[str] = []
        options: dict[str, dict[str, JsonValue]] = {}
        for part_where, part in parts:
            if part["type"] != "text":
                self.warn(part_where, f"a {part['type']!r} part in a system message was dropped")
                continue
            texts.append(cast(str, self.field(part, part_where, "text", str)))
            options.update(self.metadata(part, part_where, "providerMetadata") or {})
        if not texts:
            self.warn(where, "a system message without text was dropped")
            return
        self.messages.append(
            SystemMessage(content="".join(texts), provider_options=options or None)
        )

    def user_part(self, part_where: str, part: dict[str, object]) -> UserPart | None:
        from llmkit.types.messages import FilePart, ImagePart, TextPart

        kind = part["type"]
        options = self.metadata(part, part_where, "providerMetadata")
        if kind == "text":
            text = cast(str, self.field(part, part_where, "text", str))
            return TextPart(text=text, provider_options=options)
        if kind == "file":
            media_type = cast(str, self.field(part, part_where, "mediaType", str))
            url = cast(str, self.field(part, part_where, "url", str))
            filename = cast(
                "str | None", self.field(part, part_where, "filename", str, required=False)
            )
            if part.get("providerReference") is not None or not url:
                self.warn(part_where, "a file given by a provider reference was dropped")
                return None
            if not url.startswith(("data:", "http://", "https://")):
                raise RequestFieldError(
                    f"{part_where}.url", "must be a data: URL or an http(s) URL"
                )
            if media_type.startswith("image/"):
                return ImagePart(image=url, media_type=media_type, provider_options=options)
            return FilePart(
                data=url, media_type=media_type, filename=filename, provider_options=options
            )
        self.warn(part_where, f"a {kind!r} part in a user message was dropped")
        return None

    def user(self, where: str, parts: list[tuple[str, dict[str, object]]]) -> None:
        from llmkit.types.messages import UserMessage

        content = [p for p in (self.user_part(w, part) for w, part in parts) if p is not None]
        if not content:
            self.warn(where, "a user message without text or files was dropped")
            return
        self.messages.append(UserMessage(content=content))

    def assistant(self, parts: list[tuple[str, dict[str, object]]]) -> None:
        block: list[tuple[str, dict[str, object]]] = []
        for part_where, part in parts:
            kind = part["type"]
            if kind == "step-start":
                self.block(block)
                block = []
            elif kind == "steering-message":
                self.block(block)
                block = []
                inner = cast("list[object]", self.field(part, part_where, "parts", list))
                steering = [(f"{part_where}.parts[{i}]", p) for i, p in enumerate(inner)]
                for inner_where, inner_part in steering:
                    if not isinstance(inner_part, dict) or not isinstance(
                        inner_part.get("type"), str
                    ):
                        raise RequestFieldError(
                            inner_where, 'must be an object with a "type" string'
                        )
                self.user(part_where, cast("list[tuple[str, dict[str, object]]]", steering))
            else:
                block.append((part_where, part))
        self.block(block)

    def block(self, block: list[tuple[str, dict[str, object]]]) -> None:
        """One assistant step: its text, reasoning and tool calls, then the results of its
        tool calls as a tool message (``convertToModelMessages``' ``processBlock``)."""
        from llmkit.types.messages import (
            AssistantMessage,
            ReasoningPart,
            TextPart,
            ToolMessage,
        )

        content: list[AssistantPart] = []
        results: list[ToolResultPart] = []
        for part_where, part in block:
            kind = cast(str, part["type"])
            if kind == "text":
                text = cast(str, self.field(part, part_where, "text", str))
                if text:
                    options = self.metadata(part, part_where, "providerMetadata")
                    content.append(TextPart(text=text, provider_options=options))
            elif kind == "reasoning":
                text = cast(str, self.field(part, part_where, "text", str))
                options = self.metadata(part, part_where, "providerMetadata") or {}
                anthropic = dict(options.get("anthropic") or {})
                signature, redacted = (
                    anthropic.pop("signature", None),
                    anthropic.pop("redactedData", None),
                )
                rest = {k: v for k, v in options.items() if k != "anthropic"}
                if anthropic:
                    rest["anthropic"] = anthropic
                if not text and redacted is None:
                    continue
                content.append(
                    ReasoningPart(
                        text=text,
                        signature=signature if isinstance(signature, str) else None,
                        redacted_data=redacted if isinstance(redacted, str) else None,
                        provider_options=rest or None,
                    )
                )
            elif kind.startswith("tool-") or kind == "dynamic-tool":
                call = self.tool(part_where, part, kind)
                if call is not None:
                    content.append(call[0])
                    results.append(call[1])
            elif kind in ("source-url", "source-document"):
                pass  # sources the model cited: display only, never sent back (as in the SDK)
            else:
                self.warn(part_where, f"a {kind!r} part in an assistant message was dropped")
        if content:
            self.messages.append(AssistantMessage(content=content))
        if results:
            self.messages.append(ToolMessage(content=results))

    def tool(
        self, where: str, part: dict[str, object], kind: str
    ) -> tuple[ToolCallPart, ToolResultPart] | None:
        from llmkit.types.messages import ToolCallPart, ToolResultPart

        if kind == "dynamic-tool":
            name = cast(str, self.field(part, where, "toolName", str))
        else:
            name = kind[len("tool-") :]
        call_id = cast(str, self.field(part, where, "toolCallId", str))
        state = cast(str, self.field(part, where, "state", str))
        if state in _DROPPED_STATES:
            self.warn(
                where, f"the {name!r} tool call {call_id} was dropped: {_DROPPED_STATES[state]}"
            )
            return None
        if state not in ("output-available", "output-error", "output-denied"):
            raise RequestFieldError(
                f"{where}.state",
                "must be input-streaming, input-available, output-available, output-error or "
                f"output-denied (got {state!r})",
            )
        if part.get("providerExecuted") is True:
            self.warn(
                where,
                f"the provider-executed {name!r} tool call {call_id} was dropped (a unified "
                "assistant message cannot carry a provider's own tool call and result)",
            )
            return None
        args = part.get("input")
        if args is None or (state == "output-error" and not isinstance(args, dict)):
            args = {}
        if not isinstance(args, dict):
            raise RequestFieldError(
                f"{where}.input", "must be a JSON object (the tool's arguments)"
            )
        options = self.metadata(part, where, "callProviderMetadata")
        call = ToolCallPart(
            tool_call_id=call_id,
            tool_name=name,
            args=cast("dict[str, JsonValue]", args),
            provider_options=options,
        )
        result: JsonValue
        if state == "output-available":
            result = cast("JsonValue", part.get("output"))
            is_error = False
        elif state == "output-error":
            result = cast(str, self.field(part, where, "errorText", str))
            is_error = True
        else:
            approval = part.get("approval")
            reason = approval.get("reason") if isinstance(approval, dict) else None
            result = reason if isinstance(reason, str) else "Tool call execution denied."
            is_error = True
        return call, ToolResultPart(
            tool_call_id=call_id, tool_name=name, result=result, is_error=is_error
        )


def parse_request(body: bytes) -> ServedRequest:
    """Read a ``useChat`` request body (rules on
    :meth:`llmkit.server.ui_message_stream.Codec.parse_request`).

    Returns:
        ``model`` (the body's optional ``model`` string, ``""`` when absent), ``stream`` True,
        the unified messages as call options, and the warnings for dropped parts.

    Raises:
        RequestFieldError: the body is not JSON, ``messages`` is missing or empty, or a
            message or part lacks a field the conversion needs or has the wrong type.
    """
    from llmkit.types.options import CallOptions

    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RequestFieldError("", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RequestFieldError("", "the body must be a JSON object {id, messages, trigger}")
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise RequestFieldError("model", 'must be a string ("provider:model" or an alias)')
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestFieldError("messages", "must be a non-empty array of UI messages")
    reader = _Reader()
    reader.read(messages)
    if not reader.messages:
        raise RequestFieldError("messages", "no message has content llmkit can send")
    call = CallOptions(messages=reader.messages)
    return ServedRequest(model=model or "", stream=True, call=call, warnings=tuple(reader.warnings))
