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

from collections.abc import Callable, Mapping
from typing import Any

from llmkit.protocols._serve_fields import (
    FieldReader,
    add_tool_result,
    call_options,
    check_base64,
    content_parts,
    decode_body,
    file_data_part,
    function_tool,
    image_part,
    integer_field,
    number_field,
    object_field,
    optional_string,
    reasoning_effort,
    response_format,
    stream_flag,
    string_field,
    text_parts,
    type_name,
)
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
    ToolResultPart,
    UserMessage,
)
from llmkit.types.options import (
    JsonSchemaFormat,
    NamedToolChoice,
    ReasoningOptions,
    ToolChoice,
    ToolDefinition,
)

__all__ = ["include_usage", "parse_request"]

_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}
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
_PART = 'a content part such as {"type": "text", "text": "..."}'

_UserPart = TextPart | ImagePart | FilePart


def _text_part(part: dict[str, Any], where: str) -> TextPart:
    return TextPart(text=string_field(part.get("text"), f"{where}.text"))


class _Reader(FieldReader):
    """One request's conversion state: warnings and the tool names by call id."""

    def extra_keys(self, obj: Mapping[str, object], allowed: frozenset[str], path: str) -> None:
        for key in obj:
            if key not in allowed:
                self.warn(f"{path}.{key}", f"{path}.{key} has no unified equivalent; dropped")

    # -------------------------------------------------------------- content
    def text_only(self, content: object, path: str) -> str:
        """A string, or a list of ``text`` parts joined (system, developer, tool content)."""
        return text_parts(
            content,
            path,
            ("text",),
            _PART,
            lambda _: 'only {"type": "text"} parts are accepted here',
        )

    def image(self, part: dict[str, Any], where: str) -> ImagePart:
        spec = object_field(part.get("image_url"), f"{where}.image_url", 'an object {"url": "..."}')
        url = string_field(spec.get("url"), f"{where}.image_url.url", "a URL string")
        detail = optional_string(spec.get("detail"), f"{where}.image_url.detail")
        return image_part(url, f"{where}.image_url.url", detail)

    def audio(self, part: dict[str, Any], where: str) -> FilePart:
        spec = object_field(
            part.get("input_audio"), f"{where}.input_audio", 'an object {"data", "format"}'
        )
        fmt = spec.get("format")
        media_type = _AUDIO_TYPES.get(fmt) if isinstance(fmt, str) else None
        if media_type is None:
            raise RequestFieldError(f"{where}.input_audio.format", 'send "wav" or "mp3"')
        data = string_field(spec.get("data"), f"{where}.input_audio.data", "base64 text")
        check_base64(data, f"{where}.input_audio.data")
        return FilePart(data=data, media_type=media_type)

    def file(self, part: dict[str, Any], where: str) -> FilePart:
        spec = object_field(
            part.get("file"), f"{where}.file", 'an object {"file_data", "filename"}'
        )
        filename = optional_string(spec.get("filename"), f"{where}.file.filename")
        return file_data_part(spec, f"{where}.file", filename)

    def user_content(self, content: object, path: str) -> str | list[_UserPart]:
        readers: dict[str, Callable[[dict[str, Any], str], _UserPart]] = {
            "text": _text_part,
            "image_url": self.image,
            "input_audio": self.audio,
            "file": self.file,
        }
        return content_parts(content, path, readers, _PART)

    # -------------------------------------------------------------- messages
    def assistant(self, message: dict[str, Any], path: str) -> AssistantMessage:
        parts: list[TextPart | ReasoningPart | ToolCallPart] = []
        reasoning = message.get("reasoning_content")
        if reasoning is not None:
            reasoning = string_field(reasoning, f"{path}.reasoning_content")
            if reasoning:
                parts.append(ReasoningPart(text=reasoning))
        content = message.get("content")
        text = ""
        if isinstance(content, list):
            pieces: list[str] = []
            for j, raw in enumerate(content):
                where = f"{path}.content[{j}]"
                part = object_field(raw, where, _PART)
                kind = part.get("type")
                if kind == "text":
                    pieces.append(string_field(part.get("text"), f"{where}.text"))
                elif kind == "refusal":
                    pieces.append(string_field(part.get("refusal"), f"{where}.refusal"))
                else:
                    raise RequestFieldError(
                        f"{where}.type", "assistant content parts are text or refusal"
                    )
            text = "".join(pieces)
        elif content is not None:
            text = string_field(content, f"{path}.content", "a string, an array of parts or null")
        calls = message.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            raise RequestFieldError(
                f"{path}.tool_calls", f"expected an array, got {type_name(calls)}"
            )
        if not calls and not reasoning:
            return AssistantMessage(content=text)
        if text:
            parts.append(TextPart(text=text))
        for k, raw in enumerate(calls or []):
            parts.append(self.tool_call(raw, f"{path}.tool_calls[{k}]"))
        return AssistantMessage(content=parts)

    def tool_call(self, raw: object, where: str) -> ToolCallPart:
        call = object_field(raw, where, 'a tool call {"id", "type": "function", "function"}')
        call_id = string_field(call.get("id"), f"{where}.id", "the tool call's id (a string)")
        kind = call.get("type", "function")
        if kind != "function":
            raise RequestFieldError(f"{where}.type", 'only "function" tool calls are supported')
        function = object_field(
            call.get("function"), f"{where}.function", 'an object {"name", "arguments"}'
        )
        name = string_field(function.get("name"), f"{where}.function.name")
        args = self.tool_arguments(function.get("arguments"), f"{where}.function.arguments")
        self.tool_names[call_id] = name
        return ToolCallPart(tool_call_id=call_id, tool_name=name, args=args)

    def tool_result(self, message: dict[str, Any], path: str) -> ToolResultPart:
        call_id = string_field(
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
                else f"expected an array of messages, got {type_name(raw)}",
            )
        if not raw:
            raise RequestFieldError("messages", "empty; send at least one message")
        system: str | None = None
        out: list[Message] = []
        for i, item in enumerate(raw):
            path = f"messages[{i}]"
            message = object_field(
                item, path, 'a message such as {"role": "user", "content": "Hi"}'
            )
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
                add_tool_result(out, self.tool_result(message, path))
        return system, out

    # -------------------------------------------------------------- tools
    def tools(self, raw: object) -> list[ToolDefinition] | None:
        if raw is None:
            return None
        if not isinstance(raw, list):
            raise RequestFieldError("tools", f"expected an array of tools, got {type_name(raw)}")
        out: list[ToolDefinition] = []
        for i, item in enumerate(raw):
            path = f"tools[{i}]"
            tool = object_field(item, path, 'a tool {"type": "function", "function": {...}}')
            if tool.get("type") != "function":
                raise RequestFieldError(
                    f"{path}.type", f'unsupported tool type {tool.get("type")!r}; send "function"'
                )
            function = object_field(
                tool.get("function"), f"{path}.function", 'an object {"name", "parameters"}'
            )
            out.append(function_tool(function, f"{path}.function"))
        return out

    def tool_choice(self, raw: object, tools: list[ToolDefinition] | None) -> ToolChoice | None:
        if raw is None:
            return None
        if raw in ("auto", "none", "required"):
            return raw
        if isinstance(raw, dict) and raw.get("type") == "function":
            function = object_field(
                raw.get("function"), "tool_choice.function", 'an object {"name"}'
            )
            name = string_field(function.get("name"), "tool_choice.function.name", "a tool's name")
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
        return reasoning_effort(raw, "reasoning_effort", "reasoning_effort", self.warn)

    def response_format(self, raw: object) -> JsonSchemaFormat | None:
        if raw is None:
            return None
        fmt = object_field(raw, "response_format", 'an object such as {"type": "json_schema", ...}')
        return response_format(fmt, "response_format", "json_schema", self.warn)

    def stop(self, raw: object) -> list[str] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return [raw]
        if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
            return list(raw) or None
        raise RequestFieldError("stop", "send a string or an array of strings")


def include_usage(body: Mapping[str, object]) -> bool:
    """``stream_options.include_usage`` of a decoded request body (False when absent)."""
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


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
    data = decode_body(body, "OpenAI Chat Completions")
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
            options[name] = number_field(data[name], name, low, high)
    if data.get("seed") is not None:
        options["seed"] = integer_field(data["seed"], "seed")
    if data.get("top_k") is not None:
        options["top_k"] = integer_field(data["top_k"], "top_k", 0)
    limit = data.get("max_completion_tokens")
    field = "max_completion_tokens"
    if limit is None:
        limit, field = data.get("max_tokens"), "max_tokens"
    elif data.get("max_tokens") is not None:
        reader.warn("max_tokens", "max_tokens is ignored beside max_completion_tokens")
    if limit is not None:
        options["max_output_tokens"] = integer_field(limit, field, 1)
    stream = stream_flag(data)
    stream_options = data.get("stream_options")
    if stream_options is not None:
        object_field(stream_options, "stream_options", 'an object {"include_usage": true}')
    reader.warn_unhandled(data, _HANDLED)
    return ServedRequest(
        model=model,
        stream=stream,
        call=call_options(options),
        warnings=tuple(reader.warnings),
        stream_options={"include_usage": include_usage(data)},
    )
