"""An incoming Anthropic Messages request body → unified call options.

Anthropic API reference, "Messages" ("Create a Message", request body), "Vision", "PDF
support", "Tool use", "Extended thinking", "Prompt caching". The field rules (what is kept,
how, and what becomes a warning) are documented on
:mod:`llmkit.protocols.anthropic_messages.serve`. Every malformed field raises
:class:`~llmkit.protocols.serving.RequestFieldError` with its JSON path
(``messages[1].content[0].tool_use_id``) and what to send instead.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import JsonValue, ValidationError

from llmkit.protocols._serve_fields import check_base64
from llmkit.protocols._serve_fields import type_name as _type_name
from llmkit.protocols.anthropic_messages.convert_messages import IMAGE_MEDIA_TYPES
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
    UserPart,
)
from llmkit.types.options import (
    CallOptions,
    NamedToolChoice,
    ReasoningOptions,
    ToolChoice,
    ToolDefinition,
)
from llmkit.types.warnings import CallWarning

__all__ = ["parse_messages_request"]

_KEY = "anthropic"
_BLOCK_OPTIONS = ("cache_control", "citations", "context")
"""Block keys kept as ``provider_options["anthropic"]`` (sent back to an Anthropic upstream)."""

_KNOWN = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "metadata",
        "stream",
    }
)


def _fail(path: str, message: str) -> RequestFieldError:
    return RequestFieldError(path, message)


def _string(obj: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        what = "is missing" if key not in obj else f"is {_type_name(value)}"
        raise _fail(f"{path}.{key}" if path else key, f"{what}; send a string")
    return value


def _object(value: object, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, f"is {_type_name(value)}; send {what}")
    return value


def _options(block: Mapping[str, Any]) -> dict[str, dict[str, JsonValue]] | None:
    extra = {key: block[key] for key in _BLOCK_OPTIONS if block.get(key) is not None}
    return {_KEY: extra} if extra else None


def _number(
    body: Mapping[str, Any], key: str, low: float, high: float | None, *, integer: bool
) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (integer and not isinstance(value, int))
    ):
        raise _fail(key, f"is {_type_name(value)}; send {'an integer' if integer else 'a number'}")
    number = float(value)
    if number < low or (high is not None and number > high):
        bound = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"
        raise _fail(key, f"is {value}; send a value {bound}")
    return value


# ---------------------------------------------------------------------------- content blocks
def _base64(data: object, path: str) -> str:
    if not isinstance(data, str):
        raise _fail(path, f"is {_type_name(data)}; send base64 text")
    check_base64(data, path, "is not valid base64; send the data as standard base64")
    return data


def _url(source: Mapping[str, Any], path: str) -> str:
    """An ``http(s)`` URL (never ``file://`` or ``data:``: the gateway must not read local
    files for a client)."""
    url = _string(source, "url", path) or ""
    if not url.startswith(("https://", "http://")):
        raise _fail(f"{path}.url", "is not an http(s) URL; send an https:// URL or base64 data")
    return url


def _image(block: Mapping[str, Any], path: str) -> ImagePart:
    source = _object(block.get("source"), f"{path}.source", "a base64 or url image source")
    kind = source.get("type")
    if kind == "url":
        url = _url(source, f"{path}.source")
        return ImagePart(image=url, provider_options=_options(block))
    if kind == "base64":
        media_type = source.get("media_type")
        if media_type not in IMAGE_MEDIA_TYPES:
            raise _fail(
                f"{path}.source.media_type",
                f"is {media_type!r}; send one of {', '.join(sorted(IMAGE_MEDIA_TYPES))}",
            )
        data = _base64(source.get("data"), f"{path}.source.data")
        return ImagePart(image=data, media_type=media_type, provider_options=_options(block))
    raise _fail(f"{path}.source.type", f"is {kind!r}; send 'base64' or 'url'")


def _document(block: Mapping[str, Any], path: str) -> FilePart:
    source = _object(block.get("source"), f"{path}.source", "a document source")
    kind = source.get("type")
    title = _string(block, "title", path, required=False)
    options = _options(block)
    where = f"{path}.source"
    if kind == "url":
        url = _url(source, where)
        return FilePart(
            data=url, media_type="application/pdf", filename=title, provider_options=options
        )
    if kind == "base64":
        if source.get("media_type") != "application/pdf":
            raise _fail(f"{where}.media_type", "send 'application/pdf' for a base64 document")
        data = _base64(source.get("data"), f"{where}.data")
        return FilePart(
            data=data, media_type="application/pdf", filename=title, provider_options=options
        )
    if kind == "text":
        text = _string(source, "data", where) or ""
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        return FilePart(
            data=encoded, media_type="text/plain", filename=title, provider_options=options
        )
    raise _fail(
        f"{where}.type",
        f"is {kind!r}; this gateway takes documents with a 'base64' (PDF), 'url' or 'text' "
        "source (send a content source's text as text blocks)",
    )


def _blocks(content: list[Any], path: str) -> Iterator[tuple[str, Mapping[str, Any], object]]:
    """``(path, block, type)`` of each content block of an array at ``path``."""
    for n, item in enumerate(content):
        where = f"{path}[{n}]"
        block = _object(item, where, "a content block")
        yield where, block, block.get("type")


def _text(block: Mapping[str, Any], path: str) -> TextPart:
    return TextPart(text=_string(block, "text", path) or "", provider_options=_options(block))


def _tool_result_content(
    value: object, path: str, hoisted: list[UserPart], warnings: list[CallWarning]
) -> JsonValue:
    """A ``tool_result`` ``content``: a string as is; text blocks joined by newlines; image and
    document blocks moved to the user turn after the results (with a warning)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise _fail(path, f"is {_type_name(value)}; send a string or an array of content blocks")
    texts: list[str] = []
    for where, block, kind in _blocks(value, path):
        if kind == "text":
            texts.append(_string(block, "text", where) or "")
        elif kind == "image":
            hoisted.append(_image(block, where))
        elif kind == "document":
            hoisted.append(_document(block, where))
        else:
            raise _fail(f"{where}.type", f"is {kind!r}; send 'text', 'image' or 'document'")
    if len(texts) < len(value):
        warnings.append(
            CallWarning(
                "changed_setting",
                "messages",
                f"{path}: image and document blocks of a tool result were sent in the user "
                "turn after the tool results (a tool result holds text only here)",
            )
        )
    return "\n".join(texts)


def _user_message(
    content: list[Any], path: str, names: Mapping[str, str], warnings: list[CallWarning]
) -> list[Message]:
    results: list[ToolResultPart] = []
    parts: list[UserPart] = []
    hoisted: list[UserPart] = []
    for where, block, kind in _blocks(content, path):
        if kind == "text":
            parts.append(_text(block, where))
        elif kind == "image":
            parts.append(_image(block, where))
        elif kind == "document":
            parts.append(_document(block, where))
        elif kind == "tool_result":
            tool_use_id = _string(block, "tool_use_id", where) or ""
            name = names.get(tool_use_id)
            if name is None:
                raise _fail(
                    f"{where}.tool_use_id",
                    f"{tool_use_id!r} answers no tool_use block of an earlier assistant "
                    "message; send the id of the tool_use it answers",
                )
            is_error = block.get("is_error")
            if is_error is not None and not isinstance(is_error, bool):
                raise _fail(f"{where}.is_error", f"is {_type_name(is_error)}; send a boolean")
            result = _tool_result_content(
                block.get("content"), f"{where}.content", hoisted, warnings
            )
            results.append(
                ToolResultPart(
                    tool_call_id=tool_use_id,
                    tool_name=name,
                    result=result,
                    is_error=bool(is_error),
                    provider_options=_options(block),
                )
            )
        else:
            raise _fail(
                f"{where}.type",
                f"is {kind!r}; a user message takes 'text', 'image', 'document' and "
                "'tool_result' blocks",
            )
    out: list[Message] = []
    if results:
        out.append(ToolMessage(content=results))
    if parts or hoisted:
        out.append(UserMessage(content=[*parts, *hoisted]))
    return out


def _assistant_message(
    content: list[Any], path: str, names: dict[str, str], warnings: list[CallWarning]
) -> list[Message]:
    parts: list[AssistantPart] = []
    for where, block, kind in _blocks(content, path):
        if kind == "text":
            parts.append(_text(block, where))
        elif kind == "tool_use":
            tool_id = _string(block, "id", where) or ""
            name = _string(block, "name", where) or ""
            args = _object(block.get("input", {}), f"{where}.input", "an object")
            names[tool_id] = name
            parts.append(
                ToolCallPart(
                    tool_call_id=tool_id,
                    tool_name=name,
                    args=dict(args),
                    provider_options=_options(block),
                )
            )
        elif kind == "thinking":
            text = _string(block, "thinking", where) or ""
            signature = _string(block, "signature", where, required=False)
            parts.append(ReasoningPart(text=text, signature=signature or None))
        elif kind == "redacted_thinking":
            data = _string(block, "data", where) or ""
            parts.append(ReasoningPart(redacted_data=data))
        elif isinstance(kind, str) and (kind.endswith("tool_use") or kind.endswith("_tool_result")):
            warnings.append(
                CallWarning(
                    "unsupported_setting",
                    "messages",
                    f"{where}: a {kind} block (a provider-executed tool) was dropped",
                )
            )
        else:
            raise _fail(
                f"{where}.type",
                f"is {kind!r}; an assistant message takes 'text', 'tool_use', 'thinking' and "
                "'redacted_thinking' blocks",
            )
    return [AssistantMessage(content=parts)] if parts else []


def _messages(value: object, warnings: list[CallWarning]) -> list[Message]:
    if value is None:
        raise _fail("messages", "is missing; send an array of {role, content} messages")
    if not isinstance(value, list):
        raise _fail("messages", f"is {_type_name(value)}; send an array of messages")
    if not value:
        raise _fail("messages", "is empty; send at least one message")
    out: list[Message] = []
    names: dict[str, str] = {}  # tool_use id → tool name, for the tool results
    for index, item in enumerate(value):
        path = f"messages[{index}]"
        message = _object(item, path, "a {role, content} object")
        role = message.get("role")
        content = message.get("content")
        if role not in ("user", "assistant"):
            raise _fail(f"{path}.role", f"is {role!r}; send 'user' or 'assistant'")
        if isinstance(content, str):
            out.append(
                UserMessage(content=content)
                if role == "user"
                else AssistantMessage(content=content)
            )
        elif isinstance(content, list):
            where = f"{path}.content"
            if role == "user":
                out += _user_message(content, where, names, warnings)
            else:
                out += _assistant_message(content, where, names, warnings)
        else:
            raise _fail(
                f"{path}.content", f"is {_type_name(content)}; send a string or content blocks"
            )
    return out


def _system(value: object) -> list[SystemMessage]:
    if value is None:
        return []
    if isinstance(value, str):
        return [SystemMessage(content=value)] if value else []
    if not isinstance(value, list):
        raise _fail("system", f"is {_type_name(value)}; send a string or text blocks")
    out: list[SystemMessage] = []
    for n, item in enumerate(value):
        where = f"system[{n}]"
        block = _object(item, where, "a text block")
        if block.get("type") != "text":
            raise _fail(f"{where}.type", f"is {block.get('type')!r}; send 'text'")
        text = _string(block, "text", where) or ""
        out.append(SystemMessage(content=text, provider_options=_options(block)))
    return out


# ---------------------------------------------------------------------------- tools, thinking
def _tools(value: object, extra: dict[str, JsonValue]) -> list[ToolDefinition] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _fail("tools", f"is {_type_name(value)}; send an array of tools")
    out: list[ToolDefinition] = []
    server: list[JsonValue] = []
    for n, item in enumerate(value):
        where = f"tools[{n}]"
        tool = _object(item, where, "a {name, description, input_schema} object")
        kind = tool.get("type")
        if kind not in (None, "custom"):
            server.append(dict(tool))  # a server tool (web_search_...), for Anthropic only
            continue
        name = _string(tool, "name", where) or ""
        schema = _object(tool.get("input_schema"), f"{where}.input_schema", "a JSON Schema object")
        description = _string(tool, "description", where, required=False)
        options = {k: tool[k] for k in ("cache_control",) if tool.get(k) is not None}
        out.append(
            ToolDefinition(
                name=name,
                description=description,
                parameters=dict(schema),
                provider_options={_KEY: options} if options else None,
            )
        )
    if server:
        extra["tools"] = server
    return out or None


def _tool_choice(
    value: object, extra: dict[str, JsonValue], openai: dict[str, JsonValue]
) -> ToolChoice | None:
    if value is None:
        return None
    choice = _object(value, "tool_choice", "an object such as {'type': 'auto'}")
    kind = choice.get("type")
    out: ToolChoice
    if kind == "auto":
        out = "auto"
    elif kind == "any":
        out = "required"
    elif kind == "none":
        out = "none"
    elif kind == "tool":
        out = NamedToolChoice(tool_name=_string(choice, "name", "tool_choice") or "")
    else:
        raise _fail("tool_choice.type", f"is {kind!r}; send 'auto', 'any', 'tool' or 'none'")
    disable = choice.get("disable_parallel_tool_use")
    if disable is not None:
        if not isinstance(disable, bool):
            raise _fail(
                "tool_choice.disable_parallel_tool_use", f"is {_type_name(disable)}; send a boolean"
            )
        extra["tool_choice"] = {"disable_parallel_tool_use": disable}
        openai["parallel_tool_calls"] = not disable
    return out


def _thinking(value: object) -> ReasoningOptions | None:
    if value is None:
        return None
    thinking = _object(value, "thinking", "{'type': 'enabled', 'budget_tokens': n}")
    kind = thinking.get("type")
    if kind == "disabled":
        return None
    if kind != "enabled":
        raise _fail("thinking.type", f"is {kind!r}; send 'enabled' or 'disabled'")
    budget = thinking.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise _fail("thinking.budget_tokens", f"is {budget!r}; send a positive integer")
    return ReasoningOptions(budget_tokens=budget)


def _stop_sequences(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise _fail("stop_sequences", "send an array of strings")
    return list(value) or None


# ---------------------------------------------------------------------------- the body
def parse_messages_request(body: bytes) -> ServedRequest:
    """Read a Messages request body (see :meth:`.serve.Codec.parse_request`).

    Raises:
        RequestFieldError: the body is not JSON, not an object, or a field is missing or
            malformed (its JSON path is ``field``).
    """
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _fail("", f"the body is not valid JSON ({exc}); send a JSON object") from None
    request = _object(obj, "", "a JSON object (the Messages request)")
    try:
        return _parse(request)
    except ValidationError as exc:  # a value the unified types refuse
        error = exc.errors()[0]
        path = ".".join(str(part) for part in error["loc"])
        raise _fail(path, str(error["msg"])) from None


def _parse(request: Mapping[str, Any]) -> ServedRequest:
    model = _string(request, "model", "") or ""
    max_tokens = request.get("max_tokens")
    if max_tokens is None:
        raise _fail("max_tokens", "is missing; Anthropic requires it: send a positive integer")
    max_tokens = _number(request, "max_tokens", 1, None, integer=True)
    warnings: list[CallWarning] = []
    anthropic: dict[str, JsonValue] = {}
    openai: dict[str, JsonValue] = {}
    messages: list[Message] = [
        *_system(request.get("system")),
        *_messages(request.get("messages"), warnings),
    ]
    tools = _tools(request.get("tools"), anthropic)
    tool_choice = _tool_choice(request.get("tool_choice"), anthropic, openai)
    metadata = request.get("metadata")
    if metadata is not None:
        anthropic["metadata"] = dict(
            _object(metadata, "metadata", "an object such as {'user_id': ...}")
        )
        warnings.append(
            CallWarning("other", None, "metadata is forwarded to anthropic-messages upstreams only")
        )
    stream = request.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _fail("stream", f"is {_type_name(stream)}; send true or false")
    for key in request:
        if key not in _KNOWN:
            warnings.append(
                CallWarning("unsupported_setting", None, f"{key} is not supported and was dropped")
            )
    provider_options: dict[str, dict[str, JsonValue]] = {}
    if anthropic:
        provider_options[_KEY] = anthropic
    if openai:
        provider_options["openai"] = openai
    call = CallOptions(
        messages=messages,
        max_output_tokens=max_tokens,
        temperature=_number(request, "temperature", 0, 1, integer=False),
        top_p=_number(request, "top_p", 0, 1, integer=False),
        top_k=_number(request, "top_k", 0, None, integer=True),
        stop_sequences=_stop_sequences(request.get("stop_sequences")),
        tools=tools,
        tool_choice=tool_choice,
        reasoning=_thinking(request.get("thinking")),
        provider_options=provider_options,
    )
    return ServedRequest(model=model, stream=stream, call=call, warnings=tuple(warnings))
