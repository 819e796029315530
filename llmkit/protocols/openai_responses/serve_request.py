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

import json
from typing import Any

from pydantic import JsonValue, ValidationError

from llmkit.protocols.openai_chat.serve_request import (
    _check_base64,
    _data_url,
    _integer,
    _number,
    _object,
    _string,
    _type_name,
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

__all__ = ["parse_request"]

_EFFORTS = ("minimal", "low", "medium", "high")
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
_STATELESS = (
    "this gateway is stateless and keeps no responses or conversations; send the whole "
    "conversation as input (every earlier message, reasoning item, function_call and "
    "function_call_output) and leave {field} out"
)


class _Reader:
    """One request's conversion state: warnings, tool names by call id, the messages so far."""

    def __init__(self) -> None:
        self.warnings: list[CallWarning] = []
        self.tool_names: dict[str, str] = {}
        self.out: list[Message] = []

    def warn(self, setting: str, message: str, kind: str = "unsupported_setting") -> None:
        self.warnings.append(CallWarning(kind, setting, message))  # type: ignore[arg-type]

    # -------------------------------------------------------------- content
    def text_parts(self, content: object, path: str, kinds: tuple[str, ...]) -> str:
        """A string, or a list of text parts (of the given types) joined."""
        if isinstance(content, str):
            return content
        if not isinstance(content, list):
            raise RequestFieldError(
                path, f"expected a string or an array of text parts, got {_type_name(content)}"
            )
        texts: list[str] = []
        for j, raw in enumerate(content):
            where = f"{path}[{j}]"
            part = _object(raw, where, 'a content part such as {"type": "input_text", "text"}')
            kind = part.get("type")
            if kind not in kinds:
                raise RequestFieldError(
                    f"{where}.type", f"expected one of {', '.join(kinds)} here, got {kind!r}"
                )
            key = "refusal" if kind == "refusal" else "text"
            texts.append(_string(part.get(key), f"{where}.{key}"))
        return "".join(texts)

    def image(self, part: dict[str, Any], where: str) -> ImagePart:
        url = part.get("image_url")
        if url is None:
            if part.get("file_id") is not None:
                raise RequestFieldError(
                    f"{where}.file_id",
                    "files uploaded to OpenAI cannot be read by this server; send the image as "
                    "image_url (an https:// URL or a data: URL)",
                )
            raise RequestFieldError(f"{where}.image_url", "missing; send an https:// or data: URL")
        url = _string(url, f"{where}.image_url", "a URL string")
        options: dict[str, dict[str, JsonValue]] | None = None
        detail = part.get("detail")
        if detail is not None and detail != "auto":
            options = {"openai": {"detail": _string(detail, f"{where}.detail")}}
        if url.startswith(("https://", "http://")):
            return ImagePart(image=url, provider_options=options)
        media_type, _ = _data_url(url, f"{where}.image_url", "image")
        return ImagePart(image=url, media_type=media_type, provider_options=options)

    def file(self, part: dict[str, Any], where: str) -> FilePart:
        filename = part.get("filename")
        if filename is not None:
            filename = _string(filename, f"{where}.filename")
        url = part.get("file_url")
        if url is not None:
            url = _string(url, f"{where}.file_url", "a URL string")
            if not url.startswith(("https://", "http://")):
                raise RequestFieldError(f"{where}.file_url", "send an https:// URL")
            return FilePart(data=url, media_type="application/pdf", filename=filename)
        data = part.get("file_data")
        if data is None:
            if part.get("file_id") is not None:
                raise RequestFieldError(
                    f"{where}.file_id",
                    "files uploaded to OpenAI cannot be read by this server; send the file's "
                    "content as file_data (a data:application/pdf;base64,... URL)",
                )
            raise RequestFieldError(f"{where}.file_data", "missing; send the file as a data URL")
        data = _string(data, f"{where}.file_data", "a data URL or base64 text")
        if data.startswith("data:"):
            media_type, _ = _data_url(data, f"{where}.file_data", "file")
        else:
            _check_base64(data, f"{where}.file_data")
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
            part = _object(raw, where, 'a content part such as {"type": "input_text", "text"}')
            kind = part.get("type")
            if kind == "input_text":
                parts.append(TextPart(text=_string(part.get("text"), f"{where}.text")))
            elif kind == "input_image":
                parts.append(self.image(part, where))
            elif kind == "input_file":
                parts.append(self.file(part, where))
            else:
                raise RequestFieldError(
                    f"{where}.type",
                    f"unknown content part type {kind!r}; send input_text, input_image or "
                    "input_file",
                )
        return parts

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
            data["item_id"] = _string(item_id, f"{path}.id", "the reasoning item's id")
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
                part = _object(part, where, f'a part {{"type": "{kind}", "text"}}')
                if part.get("type") != kind:
                    raise RequestFieldError(f"{where}.type", f'send "{kind}"')
                pieces.append(_string(part.get("text"), f"{where}.text"))
            texts.extend(pieces)
            if pieces:
                data[key] = list(pieces)
        encrypted = item.get("encrypted_content")
        if encrypted is not None:
            data["encrypted_content"] = _string(encrypted, f"{path}.encrypted_content")
        options = {"openai": data} if data else None
        self.assistant_part(ReasoningPart(text="".join(texts), provider_options=options))

    def function_call(self, item: dict[str, Any], path: str) -> None:
        call_id = _string(item.get("call_id"), f"{path}.call_id", "the call's id (a string)")
        name = _string(item.get("name"), f"{path}.name", "the function's name")
        arguments = item.get("arguments")
        args: object = {}
        if isinstance(arguments, str) and arguments.strip():
            try:
                args = json.loads(arguments)
            except ValueError:
                args = None
        elif arguments is not None and not isinstance(arguments, str):
            raise RequestFieldError(
                f"{path}.arguments", "expected the arguments as JSON text (a string)"
            )
        if not isinstance(args, dict):
            self.warn(
                f"{path}.arguments",
                "the arguments are not a JSON object; replayed as {}",
                "changed_setting",
            )
            args = {}
        self.tool_names[call_id] = name
        self.assistant_part(ToolCallPart(tool_call_id=call_id, tool_name=name, args=args))

    def function_output(self, item: dict[str, Any], path: str) -> None:
        call_id = _string(
            item.get("call_id"), f"{path}.call_id", "the call_id of the function call answered"
        )
        output = self.text_parts(item.get("output"), f"{path}.output", ("input_text",))
        part = ToolResultPart(
            tool_call_id=call_id, tool_name=self.tool_names.get(call_id, ""), result=output
        )
        last = self.out[-1] if self.out else None
        if isinstance(last, ToolMessage):
            self.out[-1] = ToolMessage(content=[*last.content, part])
        else:
            self.out.append(ToolMessage(content=[part]))

    def input(self, raw: object, instructions: str | None) -> tuple[str | None, list[Message]]:
        if isinstance(raw, str):
            return instructions, [UserMessage(content=raw)]
        if not isinstance(raw, list):
            raise RequestFieldError(
                "input",
                "missing; send a string or a list of items such as "
                '[{"role": "user", "content": "Hi"}]'
                if raw is None
                else f"expected a string or an array of items, got {_type_name(raw)}",
            )
        if not raw:
            raise RequestFieldError("input", "empty; send at least one message")
        system: list[str] = []
        for i, entry in enumerate(raw):
            path = f"input[{i}]"
            item = _object(entry, path, 'an item such as {"role": "user", "content": "Hi"}')
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
            raise RequestFieldError("tools", f"expected an array of tools, got {_type_name(raw)}")
        out: list[ToolDefinition] = []
        for i, item in enumerate(raw):
            path = f"tools[{i}]"
            tool = _object(item, path, 'a tool {"type": "function", "name", "parameters"}')
            kind = tool.get("type")
            if kind != "function":
                if not isinstance(kind, str):
                    raise RequestFieldError(f"{path}.type", 'send "function"')
                self.warn(path, f"{kind!r} tools are not available through this gateway; dropped")
                continue
            name = _string(tool.get("name"), f"{path}.name", "the tool's name")
            if not name:
                raise RequestFieldError(f"{path}.name", "empty; send the tool's name")
            description = tool.get("description")
            if description is not None:
                description = _string(description, f"{path}.description")
            parameters = tool.get("parameters")
            if parameters is None:
                parameters = {"type": "object", "properties": {}}
            parameters = _object(parameters, f"{path}.parameters", "a JSON Schema object")
            if parameters.get("type", "object") != "object":
                raise RequestFieldError(
                    f"{path}.parameters.type",
                    'the arguments are a JSON object; send a schema with "type": "object"',
                )
            strict = tool.get("strict")
            if strict is not None and not isinstance(strict, bool):
                raise RequestFieldError(f"{path}.strict", "expected true, false or null")
            out.append(
                ToolDefinition(
                    name=name, description=description, parameters=parameters, strict=strict
                )
            )
        return out or None

    def tool_choice(self, raw: object, tools: list[ToolDefinition] | None) -> ToolChoice | None:
        if raw is None:
            return None
        if raw in ("auto", "none", "required"):
            return raw
        if isinstance(raw, dict) and raw.get("type") == "function":
            name = _string(raw.get("name"), "tool_choice.name", "a tool's name")
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
        spec = _object(raw, "reasoning", 'an object {"effort", "summary"}')
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
        effort = _string(effort, "reasoning.effort")
        if effort in _EFFORTS:
            return ReasoningOptions(effort=effort)
        if effort == "xhigh":
            self.warn(
                "reasoning.effort", 'reasoning effort "xhigh" was sent as "high"', "changed_setting"
            )
            return ReasoningOptions(effort="high")
        if effort == "none":
            self.warn(
                "reasoning.effort",
                'reasoning effort "none" has no unified equivalent; dropped (the model default '
                "applies)",
            )
            return None
        raise RequestFieldError(
            "reasoning.effort", f"unknown value {effort!r}; send minimal, low, medium or high"
        )

    def text_format(self, raw: object) -> JsonSchemaFormat | None:
        if raw is None:
            return None
        text = _object(raw, "text", 'an object such as {"format": {"type": "json_schema"}}')
        for key in text:
            if key != "format":
                self.warn(f"text.{key}", f"text.{key} has no unified equivalent; dropped")
        fmt = text.get("format")
        if fmt is None:
            return None
        fmt = _object(fmt, "text.format", 'an object such as {"type": "json_schema", ...}')
        kind = fmt.get("type")
        if kind == "text":
            return None
        if kind == "json_object":
            self.warn(
                "text.format",
                'text.format json_object was sent as a non-strict JSON schema {"type": "object"}',
                "changed_setting",
            )
            return JsonSchemaFormat(
                name="json_object", json_schema={"type": "object"}, strict=False
            )
        if kind != "json_schema":
            raise RequestFieldError(
                "text.format.type", 'send "text", "json_object" or "json_schema"'
            )
        name = _string(fmt.get("name"), "text.format.name", "the schema's name")
        schema = fmt.get("schema")
        schema = _object(
            {"type": "object"} if schema is None else schema,
            "text.format.schema",
            "a JSON Schema object",
        )
        description = fmt.get("description")
        if description is not None:
            description = _string(description, "text.format.description")
        strict = fmt.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise RequestFieldError("text.format.strict", "expected true or false")
        try:
            return JsonSchemaFormat(
                name=name, json_schema=schema, description=description, strict=bool(strict)
            )
        except ValidationError as exc:
            raise RequestFieldError(
                "text.format.name", "use 1 to 64 letters, digits, underscores or dashes"
            ) from exc

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


def _decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RequestFieldError(
            "", "the request body is not valid JSON; send a JSON object (OpenAI Responses)"
        ) from exc
    if not isinstance(data, dict):
        raise RequestFieldError("", f"the request body is {_type_name(data)}, not a JSON object")
    return data


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
    data = _decode(body)
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
            options[name] = _number(data[name], name, low, high)
    if data.get("max_output_tokens") is not None:
        options["max_output_tokens"] = _integer(data["max_output_tokens"], "max_output_tokens", 1)
    stream = data.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise RequestFieldError("stream", "expected true or false")
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
        model=model, stream=bool(stream), call=call, warnings=tuple(reader.warnings)
    )
