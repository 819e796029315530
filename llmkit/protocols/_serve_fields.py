"""Reading an incoming request body's fields into unified parts, with a JSON path for errors.

The serving codecs of the OpenAI protocols (:mod:`.openai_chat.serve_request`,
:mod:`.openai_responses.serve_request`) read the same kinds of fields that sit at different
places in their bodies: typed scalars, base64 and ``data:`` URLs, images and files, function
tools, tool-call arguments, reasoning efforts, JSON-schema response formats. Each reader here
takes the already-extracted value (or the object holding the fields) and the JSON path of that
place (``messages[2].content[0].image_url.url``, ``input[1].file_data``), checks it and builds
the unified value. Every check that fails raises
:class:`~llmkit.protocols.serving.RequestFieldError` with that path (or the path of the inner
field) and what to send instead; the protocol-specific shapes (which key holds what) stay in
each protocol's own module, which passes the paths and wording in.

Error wording, unless a function says otherwise: ``expected <what>, got <JSON type>``
(:func:`type_name` names the type as JSON would: ``null``, ``a boolean``, ``a number``,
``a string``, ``an array``, ``an object``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import JsonValue, ValidationError

from llmkit.protocols.serving import RequestFieldError
from llmkit.types.messages import FilePart, ImagePart, Message, ToolMessage, ToolResultPart
from llmkit.types.options import CallOptions, JsonSchemaFormat, ReasoningOptions, ToolDefinition
from llmkit.types.warnings import CallWarning

__all__ = [
    "EFFORTS",
    "FieldReader",
    "add_tool_result",
    "call_options",
    "check_base64",
    "content_parts",
    "data_url",
    "decode_body",
    "file_data_part",
    "function_tool",
    "image_part",
    "integer_field",
    "number_field",
    "object_field",
    "optional_string",
    "reasoning_effort",
    "response_format",
    "stored_file_error",
    "stream_flag",
    "string_field",
    "text_parts",
    "type_name",
]

EFFORTS = ("minimal", "low", "medium", "high")
"""The reasoning efforts the unified options take as they are."""

_T = TypeVar("_T")

Warn = Callable[..., None]
"""A reader's ``warn(setting, message, kind="unsupported_setting")``."""


# ---------------------------------------------------------------------------- scalars
def type_name(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages (``"an array"``)."""
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


def object_field(value: object, path: str, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ``RequestFieldError`` at ``path``."""
    if not isinstance(value, dict):
        raise RequestFieldError(path, f"expected {what}, got {type_name(value)}")
    return value


def string_field(value: object, path: str, what: str = "a string") -> str:
    """``value`` if it is a string, else ``RequestFieldError`` at ``path``."""
    if not isinstance(value, str):
        raise RequestFieldError(path, f"expected {what}, got {type_name(value)}")
    return value


def optional_string(value: object, path: str) -> str | None:
    """None for an absent (``null``) value, else :func:`string_field`."""
    return None if value is None else string_field(value, path)


def number_field(value: object, path: str, low: float | None, high: float | None) -> float:
    """A JSON number (not a boolean) within ``[low, high]`` (a None bound is open)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestFieldError(path, f"expected a number, got {type_name(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise RequestFieldError(
            path, f"{value} is out of range; send a number from {low} to {high}"
        )
    return value


def integer_field(value: object, path: str, low: int | None = None) -> int:
    """A JSON integer (not a boolean) of at least ``low`` (when given)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestFieldError(path, f"expected an integer, got {type_name(value)}")
    if low is not None and value < low:
        raise RequestFieldError(path, f"{value} is too small; send an integer of at least {low}")
    return value


def check_base64(data: str, path: str, message: str = "not valid base64 text") -> None:
    """Raise ``RequestFieldError(path, message)`` unless ``data`` is standard base64."""
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestFieldError(path, message) from exc


def data_url(url: str, path: str, what: str) -> tuple[str, str]:
    """(media type, base64 data) of a ``data:<type>;base64,<data>`` URL.

    Raises:
        RequestFieldError: not such a URL ("send the <what> as an https:// URL or a
            data:<media type>;base64,<data> URL"), or its data is not base64.
    """
    header, sep, data = url[5:].partition(",") if url.startswith("data:") else ("", "", "")
    if not sep or not header.endswith(";base64") or not header[: -len(";base64")]:
        raise RequestFieldError(
            path,
            f"send the {what} as an https:// URL or a data:<media type>;base64,<data> URL",
        )
    check_base64(data, path)
    return header[: -len(";base64")], data


def stream_flag(data: Mapping[str, object]) -> bool:
    """The body's ``stream``: true, false, or absent/``null`` (false)."""
    stream = data.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise RequestFieldError("stream", "expected true or false")
    return bool(stream)


# ---------------------------------------------------------------------------- the body
def decode_body(body: bytes, protocol: str) -> dict[str, Any]:
    """The request body as a JSON object.

    Raises:
        RequestFieldError: (field ``""``) not JSON ("send a JSON object (<protocol>)"), or
            JSON that is not an object.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RequestFieldError(
            "", f"the request body is not valid JSON; send a JSON object ({protocol})"
        ) from exc
    if not isinstance(data, dict):
        raise RequestFieldError("", f"the request body is {type_name(data)}, not a JSON object")
    return data


def call_options(options: Mapping[str, Any]) -> CallOptions:
    """``CallOptions(**options)``; a value the unified types refuse (which the field checks let
    through) raises ``RequestFieldError`` at the dotted location pydantic reports."""
    try:
        return CallOptions(**options)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise RequestFieldError(where, str(first.get("msg", "invalid value"))) from exc


# ---------------------------------------------------------------------------- reader state
class FieldReader:
    """One request's conversion state: the warnings and the tool names by call id.

    Attributes:
        warnings: :class:`~llmkit.types.warnings.CallWarning` per dropped or changed field.
        tool_names: the tool name of every tool call read so far (by call id), for the tool
            results that answer them.
    """

    def __init__(self) -> None:
        self.warnings: list[CallWarning] = []
        self.tool_names: dict[str, str] = {}

    def warn(self, setting: str, message: str, kind: str = "unsupported_setting") -> None:
        """Record a warning about ``setting`` (a JSON path or field name)."""
        self.warnings.append(CallWarning(kind, setting, message))  # type: ignore[arg-type]

    def warn_unhandled(self, data: Mapping[str, object], handled: frozenset[str]) -> None:
        """A warning per top-level field (not ``null``) the codec does not read."""
        for key, value in data.items():
            if key not in handled and value is not None:
                self.warn(key, f"{key} has no unified equivalent; dropped")

    def tool_arguments(self, arguments: object, path: str) -> dict[str, Any]:
        """A tool call's ``arguments`` (JSON text) as an object.

        Empty or absent text is ``{}``; text that is not a JSON object is ``{}`` with a
        ``changed_setting`` warning (a conversation once answered with broken arguments can
        still be replayed).

        Raises:
            RequestFieldError: ``arguments`` is neither a string nor absent.
        """
        args: object = {}
        if isinstance(arguments, str) and arguments.strip():
            try:
                args = json.loads(arguments)
            except ValueError:
                args = None
        elif arguments is not None and not isinstance(arguments, str):
            raise RequestFieldError(path, "expected the arguments as JSON text (a string)")
        if not isinstance(args, dict):
            self.warn(
                path, "the arguments are not a JSON object; replayed as {}", "changed_setting"
            )
            args = {}
        return args


def add_tool_result(out: list[Message], part: ToolResultPart) -> None:
    """Append a tool result: to the last message if it is a tool message, else as a new one
    (consecutive results form one :class:`~llmkit.types.messages.ToolMessage`)."""
    last = out[-1] if out else None
    if isinstance(last, ToolMessage):
        out[-1] = ToolMessage(content=[*last.content, part])
    else:
        out.append(ToolMessage(content=[part]))


# ---------------------------------------------------------------------------- content
def text_parts(
    content: object,
    path: str,
    kinds: tuple[str, ...],
    example: str,
    wrong_kind: Callable[[object], str],
) -> str:
    """A string, or an array of text parts joined (their ``text``; a ``refusal`` part's
    ``refusal``).

    Args:
        content: the value read.
        path: its JSON path.
        kinds: the part types accepted.
        example: how a part looks, for the error of a part that is not an object.
        wrong_kind: the error message for a part of another type (given that type).
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise RequestFieldError(
            path, f"expected a string or an array of text parts, got {type_name(content)}"
        )
    texts: list[str] = []
    for j, raw in enumerate(content):
        where = f"{path}[{j}]"
        part = object_field(raw, where, example)
        kind = part.get("type")
        if kind not in kinds:
            raise RequestFieldError(f"{where}.type", wrong_kind(kind))
        key = "refusal" if kind == "refusal" else "text"
        texts.append(string_field(part.get(key), f"{where}.{key}"))
    return "".join(texts)


def content_parts(
    content: object,
    path: str,
    readers: Mapping[str, Callable[[dict[str, Any], str], _T]],
    example: str,
) -> str | list[_T]:
    """A string, or an array of content parts, each read by the reader of its ``type``
    (called with the part and its path).

    Raises:
        RequestFieldError: not a string or array; a part that is not an object; a part type
            with no reader ("unknown content part type ...; send a, b or c").
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise RequestFieldError(
            path, f"expected a string or an array of content parts, got {type_name(content)}"
        )
    parts: list[_T] = []
    for j, raw in enumerate(content):
        where = f"{path}[{j}]"
        part = object_field(raw, where, example)
        kind = part.get("type")
        reader = readers.get(kind) if isinstance(kind, str) else None
        if reader is None:
            *first, last = readers
            raise RequestFieldError(
                f"{where}.type",
                f"unknown content part type {kind!r}; send {', '.join(first)} or {last}",
            )
        parts.append(reader(part, where))
    return parts


def image_part(url: str, path: str, detail: str | None) -> ImagePart:
    """An image by ``http(s)`` URL or ``data:`` URL (``path`` is the URL's), with ``detail``
    kept as ``provider_options["openai"]["detail"]`` when given."""
    options: dict[str, dict[str, JsonValue]] | None = None
    if detail is not None:
        options = {"openai": {"detail": detail}}
    if url.startswith(("https://", "http://")):
        return ImagePart(image=url, provider_options=options)
    media_type, _ = data_url(url, path, "image")
    return ImagePart(image=url, media_type=media_type, provider_options=options)


def stored_file_error(path: str, instead: str) -> RequestFieldError:
    """The error for a ``file_id``: a file stored at OpenAI, which the gateway cannot read."""
    return RequestFieldError(
        path, f"files uploaded to OpenAI cannot be read by this server; send {instead}"
    )


def file_data_part(spec: Mapping[str, Any], path: str, filename: str | None) -> FilePart:
    """A file from the object at ``path`` holding ``file_data``: a ``data:`` URL, or bare
    base64 read as a PDF.

    Raises:
        RequestFieldError: ``file_data`` is missing (``file_id`` instead: refused), not a
            string, not a valid data URL or not base64.
    """
    data = spec.get("file_data")
    if data is None:
        if spec.get("file_id") is not None:
            raise stored_file_error(
                f"{path}.file_id",
                "the file's content as file_data (a data:application/pdf;base64,... URL)",
            )
        raise RequestFieldError(f"{path}.file_data", "missing; send the file as a data URL")
    data = string_field(data, f"{path}.file_data", "a data URL or base64 text")
    if data.startswith("data:"):
        media_type, _ = data_url(data, f"{path}.file_data", "file")
    else:
        check_base64(data, f"{path}.file_data")
        media_type = "application/pdf"
    return FilePart(data=data, media_type=media_type, filename=filename)


# ---------------------------------------------------------------------------- tools, settings
def function_tool(spec: Mapping[str, Any], path: str) -> ToolDefinition:
    """A function tool from the object at ``path`` holding ``name``, ``description``,
    ``parameters`` (a JSON Schema of ``type: object``; absent: no parameters) and ``strict``
    (true, false or null)."""
    name = string_field(spec.get("name"), f"{path}.name", "the tool's name")
    if not name:
        raise RequestFieldError(f"{path}.name", "empty; send the tool's name")
    description = optional_string(spec.get("description"), f"{path}.description")
    parameters = spec.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    parameters = object_field(parameters, f"{path}.parameters", "a JSON Schema object")
    if parameters.get("type", "object") != "object":
        raise RequestFieldError(
            f"{path}.parameters.type",
            'the arguments are a JSON object; send a schema with "type": "object"',
        )
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise RequestFieldError(f"{path}.strict", "expected true, false or null")
    return ToolDefinition(name=name, description=description, parameters=parameters, strict=strict)


def reasoning_effort(value: object, path: str, label: str, warn: Warn) -> ReasoningOptions | None:
    """A reasoning effort: ``minimal`` / ``low`` / ``medium`` / ``high`` as they are;
    ``xhigh`` → ``high`` and ``none`` → no reasoning option, each with a warning that names
    the setting as ``label`` (``reasoning_effort``, ``reasoning effort``)."""
    effort = string_field(value, path)
    if effort in EFFORTS:
        return ReasoningOptions(effort=effort)
    if effort == "xhigh":
        warn(path, f'{label} "xhigh" was sent as "high"', "changed_setting")
        return ReasoningOptions(effort="high")
    if effort == "none":
        warn(
            path,
            f'{label} "none" has no unified equivalent; dropped (the model default applies)',
        )
        return None
    raise RequestFieldError(path, f"unknown value {effort!r}; send minimal, low, medium or high")


def response_format(
    fmt: Mapping[str, Any], path: str, schema_key: str | None, warn: Warn
) -> JsonSchemaFormat | None:
    """An OpenAI response format object (``{"type": "text" | "json_object" |
    "json_schema", ...}``) at ``path``.

    ``text`` → None; ``json_object`` → a non-strict ``{"type": "object"}`` schema with a
    warning; ``json_schema`` → its ``name``, ``schema`` (absent: any object), ``description``
    and ``strict`` (default false), read from the nested object ``schema_key`` (Chat
    Completions' ``json_schema``) or, when None, from ``fmt`` itself (Responses).
    """
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        warn(
            path,
            f'{path} json_object was sent as a non-strict JSON schema {{"type": "object"}}',
            "changed_setting",
        )
        return JsonSchemaFormat(name="json_object", json_schema={"type": "object"}, strict=False)
    if kind != "json_schema":
        raise RequestFieldError(f"{path}.type", 'send "text", "json_object" or "json_schema"')
    spec: Mapping[str, Any] = fmt
    if schema_key is not None:
        path = f"{path}.{schema_key}"
        spec = object_field(fmt.get(schema_key), path, 'an object {"name", "schema"}')
    name = string_field(spec.get("name"), f"{path}.name", "the schema's name")
    schema = spec.get("schema")
    schema = object_field(
        {"type": "object"} if schema is None else schema, f"{path}.schema", "a JSON Schema object"
    )
    description = optional_string(spec.get("description"), f"{path}.description")
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise RequestFieldError(f"{path}.strict", "expected true or false")
    try:
        return JsonSchemaFormat(
            name=name, json_schema=schema, description=description, strict=bool(strict)
        )
    except ValidationError as exc:
        raise RequestFieldError(
            f"{path}.name", "use 1 to 64 letters, digits, underscores or dashes"
        ) from exc
