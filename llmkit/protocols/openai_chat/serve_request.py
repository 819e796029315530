"""An incoming OpenAI Chat Completions request body → unified call options (serving half).

Source: OpenAI API reference, Chat Completions, "Create chat completion"
(``POST /v1/chat/completions``): ``model``, ``messages``, ``tools``, ``tool_choice``,
``reasoning_effort``, ``temperature``, ``top_p``, ``max_tokens``, ``max_completion_tokens``,
``stop``, ``seed``, ``presence_penalty``, ``frequency_penalty``, ``response_format``,
``stream``, ``stream_options``.

Mapping (request field → :class:`~llmkit.types.options.CallOptions`):

- the first message, when it is ``system`` or ``developer`` → ``system``; later ``system`` /
  ``developer`` messages → :class:`~llmkit.types.messages.SystemMessage` in place. OpenAI
  treats ``developer`` as the newer name of ``system`` (API reference, "Developer message"),
  so the two are not told apart (the target protocol picks its own role). Their content is a
  string or a list of ``text`` parts (joined).
- ``user``: a string, or parts: ``text`` → TextPart; ``image_url`` (an ``https://``/``http://``
  URL or a ``data:<type>;base64,`` URL) → ImagePart, with ``detail`` kept in
  ``provider_options["openai"]["detail"]``; ``input_audio`` (``wav`` / ``mp3``) → FilePart of
  type ``audio/wav`` / ``audio/mpeg``; ``file`` with ``file_data`` (a ``data:`` URL, or bare
  base64 read as a PDF, the only file type the endpoint takes) → FilePart. ``file_id`` refers
  to a file stored at OpenAI, which the gateway cannot read: refused.
- ``assistant``: ``reasoning_content`` (the DeepSeek convention) → a ReasoningPart first,
  then ``content`` (a string or ``text``/``refusal`` parts) → a TextPart, then each
  ``tool_calls[]`` entry → a ToolCallPart (``arguments`` parsed; arguments that are not a
  JSON object become ``{}`` with a warning, so a conversation the model once answered with
  broken arguments can still be replayed).
- ``tool`` messages → ToolResultPart (the ``tool_name`` is looked up from the assistant
  tool call with the same id, ``""`` when none); consecutive tool messages form one
  :class:`~llmkit.types.messages.ToolMessage`.
- ``tools`` (``type: function`` only) → ToolDefinition; ``tool_choice`` ``auto`` / ``none`` /
  ``required`` / ``{"type": "function", "function": {"name"}}`` → ToolChoice.
- ``reasoning_effort`` ``minimal``/``low``/``medium``/``high`` → ``reasoning.effort``;
  ``xhigh`` → ``high`` and ``none`` is dropped, each with a warning.
- ``max_completion_tokens`` (or the deprecated ``max_tokens``) → ``max_output_tokens``;
  ``stop`` (a string or a list) → ``stop_sequences``; ``temperature``, ``top_p``, ``seed``,
  ``presence_penalty``, ``frequency_penalty`` as they are; ``top_k`` (a vLLM / OpenRouter
  extension) → ``top_k``.
- ``response_format``: ``text`` → nothing; ``json_schema`` → JsonSchemaFormat (``strict``
  defaults to false, as in OpenAI); ``json_object`` → a non-strict JsonSchemaFormat of
  ``{"type": "object"}`` with a warning (the unified options have no schema-less JSON mode).
- ``stream`` → :attr:`~llmkit.protocols.serving.ServedRequest.stream`;
  ``stream_options.include_usage`` is read by :func:`include_usage`.
- Every other field (``n``, ``logprobs``, ``user``, ``parallel_tool_calls``, ``metadata``...)
  is dropped with a :class:`~llmkit.types.warnings.CallWarning` naming it.

Malformed input raises :class:`~llmkit.protocols.serving.RequestFieldError` with the JSON path
of the field and what to send instead.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from llmkit.protocols.serving import RequestFieldError, ServedRequest
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
    ToolResultPart,
    UserMessage,
)
from llmkit.types.options import (
    CallOptions,
    JsonSchemaFormat,
    NamedToolChoice,
    ReasoningOptions,
    ToolChoice,
    ToolDefinition,
)
from llmkit.types.warnings import CallWarning

__all__ = ["include_usage", "parse_request"]

_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}
_EFFORTS = ("minimal", "low", "medium", "high")
_HANDLED = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "reasoning_effort",
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "response_format",
        "stream",
        "stream_options",
    }
)
_MESSAGE_KEYS = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset(
        {"role", "content", "name", "tool_calls", "reasoning_content", "refusal", "audio"}
    ),
    "tool": frozenset({"role", "content", "tool_call_id"}),
}
_ROLES = "system, developer, user, assistant or tool"


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _object(value: object, path: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestFieldError(path, f"expected {what}, got {_type_name(value)}")
    return value


def _string(value: object, path: str, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise RequestFieldError(path, f"expected {what}, got {_type_name(value)}")
    return value


def _number(value: object, path: str, low: float | None, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestFieldError(path, f"expected a number, got {_type_name(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise RequestFieldError(
            path, f"{value} is out of range; send a number from {low} to {high}"
        )
    return value


def _integer(value: object, path: str, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestFieldError(path, f"expected an integer, got {_type_name(value)}")
    if low is not None and value < low:
        raise RequestFieldError(path, f"{value} is too small; send an integer of at least {low}")
    return value


class _Reader:
    """One request's conversion state: warnings and the tool names by call id."""

    def __init__(self) -> None:
        self.warnings: list[CallWarning] = []
        self.tool_names: dict[str, str] = {}

    def warn(self, setting: str, message: str, kind: str = "unsupported_setting") -> None:
        self.warnings.append(CallWarning(kind, setting, message))  # type: ignore[arg-type]

    def extra_keys(self, obj: Mapping[str, object], allowed: frozenset[str], path: str) -> None:
        for key in obj:
            if key not in allowed:
                self.warn(f"{path}.{key}", f"{path}.{key} has no unified equivalent; dropped")

    # -------------------------------------------------------------- content
    def text_only(self, content: object, path: str) -> str:
        """A string, or a list of ``text`` parts joined (system, developer, tool content)."""
        if isinstance(content, str):
            return content
        if not isinstance(content, list):
            raise RequestFieldError(
                path, f"expected a string or an array of text parts, got {_type_name(content)}"
            )
        texts: list[str] = []
        for j, part in enumerate(content):
            where = f"{path}[{j}]"
            part = _object(part, where, 'a content part such as {"type": "text", "text": "..."}')
            if part.get("type") != "text":
                raise RequestFieldError(
                    f"{where}.type", 'only {"type": "text"} parts are accepted here'
                )
            texts.append(_string(part.get("text"), f"{where}.text"))
        return "".join(texts)

    def image(self, part: dict[str, Any], where: str) -> ImagePart:
        spec = _object(part.get("image_url"), f"{where}.image_url", 'an object {"url": "..."}')
        url = _string(spec.get("url"), f"{where}.image_url.url", "a URL string")
        options: dict[str, dict[str, Any]] | None = None
        detail = spec.get("detail")
        if detail is not None:
            options = {"openai": {"detail": _string(detail, f"{where}.image_url.detail")}}
        if url.startswith(("https://", "http://")):
            return ImagePart(image=url, provider_options=options)
        media_type, _ = _data_url(url, f"{where}.image_url.url", "image")
        return ImagePart(image=url, media_type=media_type, provider_options=options)

    def audio(self, part: dict[str, Any], where: str) -> FilePart:
        spec = _object(
            part.get("input_audio"), f"{where}.input_audio", 'an object {"data", "format"}'
        )
        fmt = spec.get("format")
        media_type = _AUDIO_TYPES.get(fmt) if isinstance(fmt, str) else None
        if media_type is None:
            raise RequestFieldError(f"{where}.input_audio.format", 'send "wav" or "mp3"')
        data = _string(spec.get("data"), f"{where}.input_audio.data", "base64 text")
        _check_base64(data, f"{where}.input_audio.data")
        return FilePart(data=data, media_type=media_type)

    def file(self, part: dict[str, Any], where: str) -> FilePart:
        spec = _object(part.get("file"), f"{where}.file", 'an object {"file_data", "filename"}')
        filename = spec.get("filename")
        if filename is not None:
            filename = _string(filename, f"{where}.file.filename")
        data = spec.get("file_data")
        if data is None:
            if spec.get("file_id") is not None:
                raise RequestFieldError(
                    f"{where}.file.file_id",
                    "files uploaded to OpenAI cannot be read by this server; send the file's "
                    "content as file_data (a data:application/pdf;base64,... URL)",
                )
            raise RequestFieldError(
                f"{where}.file.file_data", "missing; send the file as a data URL"
            )
        data = _string(data, f"{where}.file.file_data", "a data URL or base64 text")
        if data.startswith("data:"):
            media_type, _ = _data_url(data, f"{where}.file.file_data", "file")
        else:
            _check_base64(data, f"{where}.file.file_data")
            media_type = "application/pdf"
        return FilePart(data=data, media_type=media_type, filename=filename)

    def user_content(
        self, content: object, path: str
    ) -> str | list[TextPart | ImagePart | FilePart]:
        if isinstance(content, str):
            return content
        if not isinstance(content, list):
            raise RequestFieldError(
                path, f"expected a string or an array of content parts, got {_type_name(content)}"
            )
        parts: list[TextPart | ImagePart | FilePart] = []
        for j, raw in enumerate(content):
            where = f"{path}[{j}]"
            part = _object(raw, where, 'a content part such as {"type": "text", "text": "..."}')
            kind = part.get("type")
            if kind == "text":
                parts.append(TextPart(text=_string(part.get("text"), f"{where}.text")))
            elif kind == "image_url":
                parts.append(self.image(part, where))
            elif kind == "input_audio":
                parts.append(self.audio(part, where))
            elif kind == "file":
                parts.append(self.file(part, where))
            else:
                raise RequestFieldError(
                    f"{where}.type",
                    f"unknown content part type {kind!r}; send text, image_url, input_audio or "
                    "file",
                )
        return parts

    # -------------------------------------------------------------- messages
    def assistant(self, message: dict[str, Any], path: str) -> AssistantMessage:
        parts: list[TextPart | ReasoningPart | ToolCallPart] = []
        reasoning = message.get("reasoning_content")
        if reasoning is not None:
            reasoning = _string(reasoning, f"{path}.reasoning_content")
            if reasoning:
                parts.append(ReasoningPart(text=reasoning))
        content = message.get("content")
        text = ""
        if isinstance(content, list):
            pieces: list[str] = []
            for j, raw in enumerate(content):
                where = f"{path}.content[{j}]"
                part = _object(raw, where, 'a content part such as {"type": "text", "text": "..."}')
                kind = part.get("type")
                if kind == "text":
                    pieces.append(_string(part.get("text"), f"{where}.text"))
                elif kind == "refusal":
                    pieces.append(_string(part.get("refusal"), f"{where}.refusal"))
                else:
                    raise RequestFieldError(
                        f"{where}.type", "assistant content parts are text or refusal"
                    )
            text = "".join(pieces)
        elif content is not None:
            text = _string(content, f"{path}.content", "a string, an array of parts or null")
        calls = message.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            raise RequestFieldError(
                f"{path}.tool_calls", f"expected an array, got {_type_name(calls)}"
            )
        if not calls and not reasoning:
            return AssistantMessage(content=text)
        if text:
            parts.append(TextPart(text=text))
        for k, raw in enumerate(calls or []):
            parts.append(self.tool_call(raw, f"{path}.tool_calls[{k}]"))
        return AssistantMessage(content=parts)

    def tool_call(self, raw: object, where: str) -> ToolCallPart:
        call = _object(raw, where, 'a tool call {"id", "type": "function", "function"}')
        call_id = _string(call.get("id"), f"{where}.id", "the tool call's id (a string)")
        kind = call.get("type", "function")
        if kind != "function":
            raise RequestFieldError(f"{where}.type", 'only "function" tool calls are supported')
        function = _object(
            call.get("function"), f"{where}.function", 'an object {"name", "arguments"}'
        )
        name = _string(function.get("name"), f"{where}.function.name")
        arguments = function.get("arguments")
        args: object = {}
        if isinstance(arguments, str) and arguments.strip():
            try:
                args = json.loads(arguments)
            except ValueError:
                args = None
        elif arguments is not None and not isinstance(arguments, str):
            raise RequestFieldError(
                f"{where}.function.arguments", "expected the arguments as JSON text (a string)"
            )
        if not isinstance(args, dict):
            self.warn(
                f"{where}.function.arguments",
                "the arguments are not a JSON object; replayed as {}",
                "changed_setting",
            )
            args = {}
        self.tool_names[call_id] = name
        return ToolCallPart(tool_call_id=call_id, tool_name=name, args=args)

    def tool_result(self, message: dict[str, Any], path: str) -> ToolResultPart:
        call_id = _string(
            message.get("tool_call_id"), f"{path}.tool_call_id", "the id of the tool call answered"
        )
        content = self.text_only(message.get("content"), f"{path}.content")
        return ToolResultPart(
            tool_call_id=call_id, tool_name=self.tool_names.get(call_id, ""), result=content
        )

    def messages(self, raw: object) -> tuple[str | None, list[Message]]:
        if not isinstance(raw, list):
            raise RequestFieldError(
                "messages",
                'missing or not an array; send a list such as [{"role": "user", "content": "Hi"}]'
                if raw is None
                else f"expected an array of messages, got {_type_name(raw)}",
            )
        if not raw:
            raise RequestFieldError("messages", "empty; send at least one message")
        system: str | None = None
        out: list[Message] = []
        for i, item in enumerate(raw):
            path = f"messages[{i}]"
            message = _object(item, path, 'a message such as {"role": "user", "content": "Hi"}')
            role = message.get("role")
            if role is None:
                raise RequestFieldError(f"{path}.role", f"missing; send one of {_ROLES}")
            allowed = _MESSAGE_KEYS.get(role) if isinstance(role, str) else None
            if allowed is None:
                hint = " (send tool results as role tool)" if role == "function" else ""
                raise RequestFieldError(
                    f"{path}.role", f"unknown role {role!r}; send one of {_ROLES}{hint}"
                )
            self.extra_keys(message, allowed, path)
            if "name" in message:
                self.warn(f"{path}.name", f"{path}.name has no unified equivalent; dropped")
            if role in ("system", "developer"):
                text = self.text_only(message.get("content"), f"{path}.content")
                if i == 0:
                    system = text
                else:
                    out.append(SystemMessage(content=text))
            elif role == "user":
                if "content" not in message:
                    raise RequestFieldError(f"{path}.content", "missing; send the user's text")
                out.append(
                    UserMessage(content=self.user_content(message["content"], f"{path}.content"))
                )
            elif role == "assistant":
                out.append(self.assistant(message, path))
            else:
                part = self.tool_result(message, path)
                last = out[-1] if out else None
                if isinstance(last, ToolMessage):
                    out[-1] = ToolMessage(content=[*last.content, part])
                else:
                    out.append(ToolMessage(content=[part]))
        return system, out

    # -------------------------------------------------------------- tools
    def tools(self, raw: object) -> list[ToolDefinition] | None:
        if raw is None:
            return None
        if not isinstance(raw, list):
            raise RequestFieldError("tools", f"expected an array of tools, got {_type_name(raw)}")
        out: list[ToolDefinition] = []
        for i, item in enumerate(raw):
            path = f"tools[{i}]"
            tool = _object(item, path, 'a tool {"type": "function", "function": {...}}')
            if tool.get("type") != "function":
                raise RequestFieldError(
                    f"{path}.type", f'unsupported tool type {tool.get("type")!r}; send "function"'
                )
            function = _object(
                tool.get("function"), f"{path}.function", 'an object {"name", "parameters"}'
            )
            name = _string(function.get("name"), f"{path}.function.name", "the tool's name")
            if not name:
                raise RequestFieldError(f"{path}.function.name", "empty; send the tool's name")
            description = function.get("description")
            if description is not None:
                description = _string(description, f"{path}.function.description")
            parameters = function.get("parameters")
            if parameters is None:
                parameters = {"type": "object", "properties": {}}
            parameters = _object(parameters, f"{path}.function.parameters", "a JSON Schema object")
            if parameters.get("type", "object") != "object":
                raise RequestFieldError(
                    f"{path}.function.parameters.type",
                    'the arguments are a JSON object; send a schema with "type": "object"',
                )
            strict = function.get("strict")
            if strict is not None and not isinstance(strict, bool):
                raise RequestFieldError(f"{path}.function.strict", "expected true, false or null")
            out.append(
                ToolDefinition(
                    name=name, description=description, parameters=parameters, strict=strict
                )
            )
        return out

    def tool_choice(self, raw: object, tools: list[ToolDefinition] | None) -> ToolChoice | None:
        if raw is None:
            return None
        if raw in ("auto", "none", "required"):
            return raw
        if isinstance(raw, dict) and raw.get("type") == "function":
            function = _object(raw.get("function"), "tool_choice.function", 'an object {"name"}')
            name = _string(function.get("name"), "tool_choice.function.name", "a tool's name")
            if not tools or all(t.name != name for t in tools):
                raise RequestFieldError(
                    "tool_choice.function.name", f"{name!r} is not one of the request's tools"
                )
            return NamedToolChoice(tool_name=name)
        raise RequestFieldError(
            "tool_choice",
            'send "auto", "none", "required" or {"type": "function", "function": {"name": ...}}',
        )

    # -------------------------------------------------------------- settings
    def reasoning(self, raw: object) -> ReasoningOptions | None:
        if raw is None:
            return None
        effort = _string(raw, "reasoning_effort")
        if effort in _EFFORTS:
            return ReasoningOptions(effort=effort)
        if effort == "xhigh":
            self.warn(
                "reasoning_effort", 'reasoning_effort "xhigh" was sent as "high"', "changed_setting"
            )
            return ReasoningOptions(effort="high")
        if effort == "none":
            self.warn(
                "reasoning_effort",
                'reasoning_effort "none" has no unified equivalent; dropped (the model '
                "default applies)",
            )
            return None
        raise RequestFieldError(
            "reasoning_effort", f"unknown value {effort!r}; send minimal, low, medium or high"
        )

    def response_format(self, raw: object) -> JsonSchemaFormat | None:
        if raw is None:
            return None
        fmt = _object(raw, "response_format", 'an object such as {"type": "json_schema", ...}')
        kind = fmt.get("type")
        if kind == "text":
            return None
        if kind == "json_object":
            self.warn(
                "response_format",
                "response_format json_object was sent as a non-strict JSON schema "
                '{"type": "object"}',
                "changed_setting",
            )
            return JsonSchemaFormat(
                name="json_object", json_schema={"type": "object"}, strict=False
            )
        if kind != "json_schema":
            raise RequestFieldError(
                "response_format.type", 'send "text", "json_object" or "json_schema"'
            )
        spec = _object(
            fmt.get("json_schema"), "response_format.json_schema", 'an object {"name", "schema"}'
        )
        name = _string(spec.get("name"), "response_format.json_schema.name", "the schema's name")
        schema = spec.get("schema")
        schema = _object(
            {"type": "object"} if schema is None else schema,
            "response_format.json_schema.schema",
            "a JSON Schema object",
        )
        description = spec.get("description")
        if description is not None:
            description = _string(description, "response_format.json_schema.description")
        strict = spec.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise RequestFieldError("response_format.json_schema.strict", "expected true or false")
        try:
            return JsonSchemaFormat(
                name=name, json_schema=schema, description=description, strict=bool(strict)
            )
        except ValidationError as exc:
            raise RequestFieldError(
                "response_format.json_schema.name",
                "use 1 to 64 letters, digits, underscores or dashes",
            ) from exc

    def stop(self, raw: object) -> list[str] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return [raw]
        if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
            return list(raw) or None
        raise RequestFieldError("stop", "send a string or an array of strings")


def _check_base64(data: str, path: str) -> None:
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestFieldError(path, "not valid base64 text") from exc


def _data_url(url: str, path: str, what: str) -> tuple[str, str]:
    """(media type, base64 data) of a ``data:<type>;base64,<data>`` URL."""
    header, sep, data = url[5:].partition(",") if url.startswith("data:") else ("", "", "")
    if not sep or not header.endswith(";base64") or not header[: -len(";base64")]:
        raise RequestFieldError(
            path,
            f"send the {what} as an https:// URL or a data:<media type>;base64,<data> URL",
        )
    _check_base64(data, path)
    return header[: -len(";base64")], data


def include_usage(body: Mapping[str, object]) -> bool:
    """``stream_options.include_usage`` of a decoded request body (False when absent)."""
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


def _decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RequestFieldError(
            "", "the request body is not valid JSON; send a JSON object (OpenAI Chat Completions)"
        ) from exc
    if not isinstance(data, dict):
        raise RequestFieldError("", f"the request body is {_type_name(data)}, not a JSON object")
    return data


def parse_request(body: bytes) -> ServedRequest:
    """Read an OpenAI Chat Completions request body (mapping in the module docstring).

    Args:
        body: the raw JSON request body.

    Returns:
        The requested ``model`` (as sent), ``stream``, the unified call options and the
        warnings for dropped or changed fields.

    Raises:
        RequestFieldError: the body is not a JSON object, or a field is missing or of the
            wrong type or value (``field`` is its JSON path, e.g. ``messages[2].content``).
    """
    data = _decode(body)
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise RequestFieldError("model", "missing or not a string; send the model's name")
    reader = _Reader()
    system, messages = reader.messages(data.get("messages"))
    options: dict[str, Any] = {"messages": messages, "system": system}
    tools = reader.tools(data.get("tools"))
    options["tools"] = tools
    options["tool_choice"] = reader.tool_choice(data.get("tool_choice"), tools)
    options["reasoning"] = reader.reasoning(data.get("reasoning_effort"))
    options["response_format"] = reader.response_format(data.get("response_format"))
    options["stop_sequences"] = reader.stop(data.get("stop"))
    for name, low, high in (
        ("temperature", 0.0, 2.0),
        ("top_p", 0.0, 1.0),
        ("presence_penalty", -2.0, 2.0),
        ("frequency_penalty", -2.0, 2.0),
    ):
        if data.get(name) is not None:
            options[name] = _number(data[name], name, low, high)
    if data.get("seed") is not None:
        options["seed"] = _integer(data["seed"], "seed")
    if data.get("top_k") is not None:
        options["top_k"] = _integer(data["top_k"], "top_k", 0)
    limit = data.get("max_completion_tokens")
    field = "max_completion_tokens"
    if limit is None:
        limit, field = data.get("max_tokens"), "max_tokens"
    elif data.get("max_tokens") is not None:
        reader.warn("max_tokens", "max_tokens is ignored beside max_completion_tokens")
    if limit is not None:
        options["max_output_tokens"] = _integer(limit, field, 1)
    stream = data.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise RequestFieldError("stream", "expected true or false")
    stream_options = data.get("stream_options")
    if stream_options is not None:
        _object(stream_options, "stream_options", 'an object {"include_usage": true}')
    for key, value in data.items():
        if key not in _HANDLED and value is not None:
            reader.warn(key, f"{key} has no unified equivalent; dropped")
    try:
        call = CallOptions(**options)
    except ValidationError as exc:  # a value the checks above let through
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise RequestFieldError(where, str(first.get("msg", "invalid value"))) from exc
    return ServedRequest(
        model=model,
        stream=bool(stream),
        call=call,
        warnings=tuple(reader.warnings),
        stream_options={"include_usage": include_usage(data)},
    )
