"""An incoming OpenAI Responses request body → unified call options (serving half).

Source: OpenAI API reference, Responses, "Create a model response" (``POST /v1/responses``):
``model``, ``input``, ``instructions``, ``tools``, ``tool_choice``, ``reasoning``,
``max_output_tokens``, ``temperature``, ``top_p``, ``text``, ``stream``, ``store``,
``previous_response_id``, ``include``; OpenAI "Reasoning models" guide ("Encrypted reasoning
items").

Mapping (request field → :class:`~llmkit.types.options.CallOptions`):

- ``instructions`` → ``system``. ``input`` as a string → one user message. As a list of
  items:

  - messages (``{"role", "content"}``, with or without ``"type": "message"``): ``system`` and
    ``developer`` (the same thing to the unified options) → ``system`` when first and no
    ``instructions`` were given, else a :class:`~llmkit.types.messages.SystemMessage` in place
    (content a string or ``input_text`` parts, joined); ``user`` → a string, or parts:
    ``input_text`` → TextPart; ``input_image`` (``image_url`` an ``http(s)`` URL or a
    ``data:`` URL; ``detail`` kept in ``provider_options["openai"]["detail"]``) → ImagePart;
    ``input_file`` (``file_data`` a ``data:`` URL, or bare base64 read as a PDF; ``file_url``
    → a PDF by URL; ``filename``) → FilePart; ``assistant`` → text (``output_text`` /
    ``refusal`` parts or a string), with ``phase`` kept in ``provider_options["openai"]``.
    ``file_id`` (a file stored at OpenAI) is refused: the gateway cannot read it;
  - ``reasoning`` items → a ReasoningPart whose text is the ``summary`` texts (then the
    ``content`` texts) joined, with ``provider_options["openai"]`` ``item_id``,
    ``encrypted_content``, ``summary`` and ``content`` exactly as llmkit's own reader sets
    them, so an OpenAI Responses upstream gets the item back byte for byte;
  - ``function_call`` items → a ToolCallPart (``arguments`` parsed; text that is not a JSON
    object becomes ``{}`` with a warning); ``function_call_output`` items → a ToolResultPart
    (``output`` a string or ``input_text`` parts joined; the tool name looked up from the
    call with the same ``call_id``). Consecutive assistant-side items (assistant messages,
    reasoning, function calls) form one assistant message, consecutive outputs one tool
    message;
  - ``item_reference`` → refused (the gateway keeps nothing); other item types (hosted tool
    calls such as ``web_search_call``) are dropped with a warning.

  **Drop rule:** the ``id`` of ``message`` and ``function_call`` items is not kept (the
  gateway gives its own ids, which an upstream could not resolve); reasoning item ids are.
- ``tools``: ``function`` tools (``name``, ``description``, ``parameters``, ``strict``) →
  ToolDefinition; any other tool type (``web_search``, ``file_search``, ``mcp``...) is
  dropped with a warning. ``tool_choice`` ``auto`` / ``none`` / ``required`` /
  ``{"type": "function", "name"}`` → ToolChoice; a hosted tool choice is dropped with a
  warning.
- ``reasoning.effort`` ``minimal`` / ``low`` / ``medium`` / ``high`` → ``reasoning.effort``
  (``xhigh`` → ``high`` and ``none`` dropped, each with a warning); a ``reasoning`` object
  without an effort asks for reasoning at the model's default. ``reasoning.summary`` other than
  ``auto`` has no unified equivalent (llmkit asks an OpenAI upstream for ``auto``): a warning.
- ``max_output_tokens``, ``temperature`` (0 to 2), ``top_p`` (0 to 1) as they are.
- ``text.format``: ``text`` → nothing; ``json_schema`` (``name``, ``schema``, ``description``,
  ``strict``, flat as Responses has them) → JsonSchemaFormat; ``json_object`` → a non-strict
  ``{"type": "object"}`` schema with a warning. ``text.verbosity`` → a warning.
- ``stream`` → :attr:`~llmkit.protocols.serving.ServedRequest.stream`.
- ``previous_response_id`` and ``conversation`` are refused: the gateway is stateless, send
  the whole conversation as ``input``. ``store: true`` is accepted with a warning (nothing is
  stored); ``include`` entries other than ``reasoning.encrypted_content`` (which llmkit asks an
  OpenAI upstream for itself when reasoning is on) get a warning.
- Every other field (``parallel_tool_calls``, ``metadata``, ``user``, ``truncation``,
  ``service_tier``...) is dropped with a :class:`~llmkit.types.warnings.CallWarning` naming it.

Malformed input raises :class:`~llmkit.protocols.serving.RequestFieldError` with the JSON path
of the field (``input[2].content[0].image_url``) and what to send instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import JsonValue

from llmkit.protocols._serve_fields import (
    FieldReader,
    add_tool_result,
    call_options,
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
    stored_file_error,
    stream_flag,
    string_field,
    text_parts,
    type_name,
)
from llmkit.protocols.serving import RequestFieldError, ServedRequest
from llmkit.types.messages import (
    AssistantMessage,
    AssistantPart,
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

__all__ = ["parse_request"]

_ENCRYPTED = "reasoning.encrypted_content"
_HANDLED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "reasoning",
        "max_output_tokens",
        "temperature",
        "top_p",
        "text",
        "stream",
        "store",
        "include",
        "previous_response_id",
        "conversation",
    }
)
_ROLES = "user, assistant, system or developer"
_PART = 'a content part such as {"type": "input_text", "text"}'
_STATELESS = (
    "this gateway is stateless and keeps no responses or conversations; send the whole "
    "conversation as input (every earlier message, reasoning item, function_call and "
    "function_call_output) and leave {field} out"
)


_UserPart = TextPart | ImagePart | FilePart


def _text_part(part: dict[str, Any], where: str) -> TextPart:
    return TextPart(text=string_field(part.get("text"), f"{where}.text"))


def _image(part: dict[str, Any], where: str) -> ImagePart:
    url = part.get("image_url")
    if url is None:
        if part.get("file_id") is not None:
            raise stored_file_error(
                f"{where}.file_id", "the image as image_url (an https:// URL or a data: URL)"
            )
        raise RequestFieldError(f"{where}.image_url", "missing; send an https:// or data: URL")
    url = string_field(url, f"{where}.image_url", "a URL string")
    detail = part.get("detail")
    detail = None if detail == "auto" else optional_string(detail, f"{where}.detail")
    return image_part(url, f"{where}.image_url", detail)


def _file(part: dict[str, Any], where: str) -> FilePart:
    filename = optional_string(part.get("filename"), f"{where}.filename")
    url = part.get("file_url")
    if url is not None:
        url = string_field(url, f"{where}.file_url", "a URL string")
        if not url.startswith(("https://", "http://")):
            raise RequestFieldError(f"{where}.file_url", "send an https:// URL")
        return FilePart(data=url, media_type="application/pdf", filename=filename)
    return file_data_part(part, where, filename)


_USER_PARTS: dict[str, Callable[[dict[str, Any], str], _UserPart]] = {
    "input_text": _text_part,
    "input_image": _image,
    "input_file": _file,
}


class _Reader(FieldReader):
    """One request's conversion state: warnings, tool names by call id, the messages so far."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[Message] = []

    # -------------------------------------------------------------- content
    def text_parts(self, content: object, path: str, kinds: tuple[str, ...]) -> str:
        """A string, or a list of text parts (of the given types) joined."""
        return text_parts(
            content,
            path,
            kinds,
            _PART,
            lambda kind: f"expected one of {', '.join(kinds)} here, got {kind!r}",
        )

    def user_content(self, content: object, path: str) -> str | list[_UserPart]:
        return content_parts(content, path, _USER_PARTS, _PART)

    # -------------------------------------------------------------- items
    def assistant_part(self, part: AssistantPart) -> None:
        """Add a part to the assistant message being built (a new one after other items)."""
        last = self.out[-1] if self.out else None
        if isinstance(last, AssistantMessage) and isinstance(last.content, list):
            self.out[-1] = AssistantMessage(content=[*last.content, part])
        else:
            self.out.append(AssistantMessage(content=[part]))

    def message(self, item: dict[str, Any], path: str, first: bool, system: list[str]) -> None:
        role = item.get("role")
        if role is None:
            raise RequestFieldError(f"{path}.role", f"missing; send one of {_ROLES}")
        content = item.get("content")
        if content is None:
            raise RequestFieldError(f"{path}.content", "missing; send a string or content parts")
        if role in ("system", "developer"):
            text = self.text_parts(content, f"{path}.content", ("input_text",))
            if first:
                system.append(text)
            else:
                self.out.append(SystemMessage(content=text))
        elif role == "user":
            self.out.append(UserMessage(content=self.user_content(content, f"{path}.content")))
        elif role == "assistant":
            text = self.text_parts(content, f"{path}.content", ("output_text", "refusal"))
            phase = item.get("phase")
            options: dict[str, dict[str, JsonValue]] | None = None
            if isinstance(phase, str):
                options = {"openai": {"phase": phase}}
            self.assistant_part(TextPart(text=text, provider_options=options))
        else:
            raise RequestFieldError(f"{path}.role", f"unknown role {role!r}; send one of {_ROLES}")

    def reasoning(self, item: dict[str, Any], path: str) -> None:
        data: dict[str, JsonValue] = {}
        item_id = item.get("id")
        if item_id is not None:
            data["item_id"] = string_field(item_id, f"{path}.id", "the reasoning item's id")
        texts: list[str] = []
        for key, kind in (("summary", "summary_text"), ("content", "reasoning_text")):
            raw = item.get(key)
            if raw is None:
                continue
            if not isinstance(raw, list):
                raise RequestFieldError(f"{path}.{key}", f"expected an array of {kind} parts")
            pieces = []
            for j, part in enumerate(raw):
                where = f"{path}.{key}[{j}]"
                part = object_field(part, where, f'a part {{"type": "{kind}", "text"}}')
                if part.get("type") != kind:
                    raise RequestFieldError(f"{where}.type", f'send "{kind}"')
                pieces.append(string_field(part.get("text"), f"{where}.text"))
            texts.extend(pieces)
            if pieces:
                data[key] = list(pieces)
        encrypted = item.get("encrypted_content")
        if encrypted is not None:
            data["encrypted_content"] = string_field(encrypted, f"{path}.encrypted_content")
        options = {"openai": data} if data else None
        self.assistant_part(ReasoningPart(text="".join(texts), provider_options=options))

    def function_call(self, item: dict[str, Any], path: str) -> None:
        call_id = string_field(item.get("call_id"), f"{path}.call_id", "the call's id (a string)")
        name = string_field(item.get("name"), f"{path}.name", "the function's name")
        args = self.tool_arguments(item.get("arguments"), f"{path}.arguments")
        self.tool_names[call_id] = name
        self.assistant_part(ToolCallPart(tool_call_id=call_id, tool_name=name, args=args))

    def function_output(self, item: dict[str, Any], path: str) -> None:
        call_id = string_field(
            item.get("call_id"), f"{path}.call_id", "the call_id of the function call answered"
        )
        output = self.text_parts(item.get("output"), f"{path}.output", ("input_text",))
        part = ToolResultPart(
            tool_call_id=call_id, tool_name=self.tool_names.get(call_id, ""), result=output
        )
        add_tool_result(self.out, part)

    def input(self, raw: object, instructions: str | None) -> tuple[str | None, list[Message]]:
        if isinstance(raw, str):
            return instructions, [UserMessage(content=raw)]
        if not isinstance(raw, list):
            raise RequestFieldError(
                "input",
                "missing; send a string or a list of items such as "
                '[{"role": "user", "content": "Hi"}]'
                if raw is None
                else f"expected a string or an array of items, got {type_name(raw)}",
            )
        if not raw:
            raise RequestFieldError("input", "empty; send at least one message")
        system: list[str] = []
        for i, entry in enumerate(raw):
            path = f"input[{i}]"
            item = object_field(entry, path, 'an item such as {"role": "user", "content": "Hi"}')
            kind = item.get("type", "message")
            if kind == "message":
                first = instructions is None and not self.out and not system
                self.message(item, path, first, system)
            elif kind == "reasoning":
                self.reasoning(item, path)
            elif kind == "function_call":
                self.function_call(item, path)
            elif kind == "function_call_output":
                self.function_output(item, path)
            elif kind == "item_reference":
                raise RequestFieldError(f"{path}.type", _STATELESS.format(field="item references"))
            elif isinstance(kind, str):
                self.warn(
                    path,
                    f"{path} is a {kind!r} item, which has no unified equivalent; dropped",
                )
            else:
                raise RequestFieldError(f"{path}.type", "expected a string item type")
        if not self.out:
            raise RequestFieldError("input", "no message to answer; send at least one user message")
        return (system[0] if system else instructions), self.out

    # -------------------------------------------------------------- tools
    def tools(self, raw: object) -> list[ToolDefinition] | None:
        if raw is None:
            return None
        if not isinstance(raw, list):
            raise RequestFieldError("tools", f"expected an array of tools, got {type_name(raw)}")
        out: list[ToolDefinition] = []
        for i, item in enumerate(raw):
            path = f"tools[{i}]"
            tool = object_field(item, path, 'a tool {"type": "function", "name", "parameters"}')
            kind = tool.get("type")
            if kind != "function":
                if not isinstance(kind, str):
                    raise RequestFieldError(f"{path}.type", 'send "function"')
                self.warn(path, f"{kind!r} tools are not available through this gateway; dropped")
                continue
            out.append(function_tool(tool, path))
        return out or None

    def tool_choice(self, raw: object, tools: list[ToolDefinition] | None) -> ToolChoice | None:
        if raw is None:
            return None
        if raw in ("auto", "none", "required"):
            return raw
        if isinstance(raw, dict) and raw.get("type") == "function":
            name = string_field(raw.get("name"), "tool_choice.name", "a tool's name")
            if not tools or all(t.name != name for t in tools):
                raise RequestFieldError(
                    "tool_choice.name", f"{name!r} is not one of the request's function tools"
                )
            return NamedToolChoice(tool_name=name)
        if isinstance(raw, dict) and isinstance(raw.get("type"), str):
            self.warn("tool_choice", f"tool_choice {raw['type']!r} has no unified equivalent")
            return None
        raise RequestFieldError(
            "tool_choice", 'send "auto", "none", "required" or {"type": "function", "name": ...}'
        )

    # -------------------------------------------------------------- settings
    def reasoning_options(self, raw: object) -> ReasoningOptions | None:
        if raw is None:
            return None
        spec = object_field(raw, "reasoning", 'an object {"effort", "summary"}')
        summary = spec.get("summary")
        if summary is not None and summary != "auto":
            self.warn(
                "reasoning.summary",
                f"reasoning.summary {summary!r} has no unified equivalent (an OpenAI upstream is "
                'asked for "auto")',
                "changed_setting",
            )
        for key in spec:
            if key not in ("effort", "summary", "generate_summary"):
                self.warn(f"reasoning.{key}", f"reasoning.{key} has no unified equivalent")
        effort = spec.get("effort")
        if effort is None:
            return ReasoningOptions()
        return reasoning_effort(effort, "reasoning.effort", "reasoning effort", self.warn)

    def text_format(self, raw: object) -> JsonSchemaFormat | None:
        if raw is None:
            return None
        text = object_field(raw, "text", 'an object such as {"format": {"type": "json_schema"}}')
        for key in text:
            if key != "format":
                self.warn(f"text.{key}", f"text.{key} has no unified equivalent; dropped")
        fmt = text.get("format")
        if fmt is None:
            return None
        fmt = object_field(fmt, "text.format", 'an object such as {"type": "json_schema", ...}')
        return response_format(fmt, "text.format", None, self.warn)

    def stateless(self, data: dict[str, Any]) -> None:
        for key in ("previous_response_id", "conversation"):
            if data.get(key) is not None:
                raise RequestFieldError(key, _STATELESS.format(field=key))
        store = data.get("store")
        if store is not None and not isinstance(store, bool):
            raise RequestFieldError("store", "expected true or false")
        if store:
            self.warn("store", "this gateway stores nothing; store: true was ignored")
        include = data.get("include")
        if include is None:
            return
        if not isinstance(include, list) or not all(isinstance(i, str) for i in include):
            raise RequestFieldError("include", "send an array of strings")
        for entry in include:
            if entry != _ENCRYPTED:
                self.warn("include", f"include {entry!r} is not available; dropped")


def parse_request(body: bytes) -> ServedRequest:
    """Read an OpenAI Responses request body (mapping in the module docstring).

    Args:
        body: the raw JSON request body.

    Returns:
        The requested ``model`` (as sent), ``stream``, the unified call options and the
        warnings for dropped or changed fields.

    Raises:
        RequestFieldError: the body is not a JSON object, a field is missing or of the wrong
            type or value (``field`` is its JSON path, e.g. ``input[2].content[0].type``), or
            it refers to stored state (``previous_response_id``, ``conversation``,
            ``item_reference``).
    """
    data = decode_body(body, "OpenAI Responses")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise RequestFieldError("model", "missing or not a string; send the model's name")
    reader = _Reader()
    reader.stateless(data)
    instructions = data.get("instructions")
    if instructions is not None:
        instructions = reader.text_parts(instructions, "instructions", ("input_text",))
    system, messages = reader.input(data.get("input"), instructions)
    options: dict[str, Any] = {"messages": messages, "system": system}
    tools = reader.tools(data.get("tools"))
    options["tools"] = tools
    options["tool_choice"] = reader.tool_choice(data.get("tool_choice"), tools)
    options["reasoning"] = reader.reasoning_options(data.get("reasoning"))
    options["response_format"] = reader.text_format(data.get("text"))
    for name, low, high in (("temperature", 0.0, 2.0), ("top_p", 0.0, 1.0)):
        if data.get(name) is not None:
            options[name] = number_field(data[name], name, low, high)
    if data.get("max_output_tokens") is not None:
        options["max_output_tokens"] = integer_field(
            data["max_output_tokens"], "max_output_tokens", 1
        )
    stream = stream_flag(data)
    reader.warn_unhandled(data, _HANDLED)
    return ServedRequest(
        model=model, stream=stream, call=call_options(options), warnings=tuple(reader.warnings)
    )
