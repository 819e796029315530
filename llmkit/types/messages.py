"""Messages and content parts: the conversation sent to a model.

Plain dicts are accepted wherever a message is (``{"role": "user", "content": "Hi"}``); they are
validated into these frozen pydantic models by :func:`to_messages`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    field_serializer,
    model_validator,
)

from llmkit.errors import ConfigurationError

__all__ = [
    "AssistantMessage",
    "AssistantPart",
    "FilePart",
    "ImagePart",
    "Message",
    "MessageLike",
    "ReasoningPart",
    "SystemMessage",
    "TextPart",
    "ToolApprovalResponsePart",
    "ToolCallPart",
    "ToolMessage",
    "ToolPart",
    "ToolResultPart",
    "UserMessage",
    "UserPart",
    "to_messages",
]


class _Value(BaseModel):
    # defer_build: the validator is built on first use, not at import (``import llmkit`` and
    # ``from llmkit import stream_text`` stay fast)
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class TextPart(_Value):
    """Plain text.

    Attributes:
        text: the text.
        provider_options: per-protocol-family options for this part, e.g.
            ``{"anthropic": {"cache_control": {"type": "ephemeral"}}}``.
    """

    type: Literal["text"] = "text"
    text: str
    provider_options: dict[str, dict[str, JsonValue]] | None = None


def _split_data_url(value: str) -> tuple[str, str] | None:
    """``data:<media type>;base64,<data>`` → (media type, base64 data); else None."""
    if not value.startswith("data:"):
        return None
    header, sep, data = value[5:].partition(",")
    if not sep or not header.endswith(";base64"):
        return None
    return header[: -len(";base64")], data


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def _sniff(data: bytes) -> str | None:
    """The media type of well-known image and PDF bytes, from their first bytes."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _local_path(value: object) -> Path | None:
    if isinstance(value, os.PathLike):
        return Path(value)
    if isinstance(value, str) and value.startswith("file://"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        return Path(url2pathname(urlparse(value).path))
    return None


def _load_local_file(data: object, key: str, *, filename: bool) -> object:
    """Before validation: a local path (``os.PathLike`` or ``file://`` URL) in ``key`` becomes
    the file's bytes, with ``media_type`` guessed from the name or the bytes when not given."""
    if not isinstance(data, dict):
        return data
    path = _local_path(data.get(key))
    if path is None:
        return data
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the file {str(path)!r}: {exc.strerror or exc}") from exc
    out = dict(data)
    out[key] = raw
    if not out.get("media_type"):
        import mimetypes

        media_type = mimetypes.guess_type(path.name)[0] or _sniff(raw)
        if media_type:
            out["media_type"] = media_type
    if filename and not out.get("filename"):
        out["filename"] = path.name
    return out


def _bytes_as_base64(value: str | bytes) -> str:
    """JSON form of inline data: standard base64 text for bytes (read back as base64)."""
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


class _BinaryPart(_Value):
    def _payload(self) -> str | bytes:
        raise NotImplementedError

    def _media_type(self) -> str | None:
        raise NotImplementedError

    def url(self) -> str | None:
        """The http(s) URL this part points to, or None if it carries its data inline."""
        value = self._payload()
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
        return None

    def base64_data(self) -> tuple[str, str]:
        """(media type, base64 text) of inline data.

        Raises:
            ConfigurationError: the part is a URL, its base64 is invalid, or its media type is
                unknown.
        """
        value = self._payload()
        media_type = self._media_type()
        if isinstance(value, bytes):
            data = base64.b64encode(value).decode("ascii")
        else:
            if self.url() is not None:
                raise ConfigurationError("this part is a URL, not inline data")
            split = _split_data_url(value)
            if split is not None:
                media_type = media_type or split[0]
                data = split[1]
            else:
                data = value
            try:
                base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ConfigurationError(
                    "inline data must be bytes, a data: URL or base64 text"
                ) from exc
        if not media_type:
            raise ConfigurationError("inline data needs a media_type, e.g. 'image/png'")
        return media_type, data

    def data_url(self) -> str:
        """The part as a URL: its http(s) URL, or a ``data:`` URL of its inline data."""
        url = self.url()
        if url is not None:
            return url
        media_type, data = self.base64_data()
        return f"data:{media_type};base64,{data}"


class ImagePart(_BinaryPart):
    """An image, by URL, inline, or from a local file.

    A ``pathlib.Path`` (or a ``file://`` URL) given as ``image`` is read when the part is
    created; its media type is guessed from the file name or its first bytes. See also
    :meth:`from_path`.

    Attributes:
        image: an ``http(s)://`` URL, a ``data:`` URL, base64 text, or raw bytes.
        media_type: e.g. ``image/png``; required for base64 text and bytes.
    """

    type: Literal["image"] = "image"
    image: str | bytes
    media_type: str | None = None
    provider_options: dict[str, dict[str, JsonValue]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_path(cls, data: object) -> object:
        return _load_local_file(data, "image", filename=False)

    @field_serializer("image", when_used="json")
    def _image_json(self, value: str | bytes) -> str:
        return _bytes_as_base64(value)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], media_type: str | None = None) -> ImagePart:
        """An image part with a local file's bytes.

        Raises:
            pydantic.ValidationError: the file cannot be read.
        """
        return cls.model_validate({"image": Path(path), "media_type": media_type})

    def _payload(self) -> str | bytes:
        return self.image

    def _media_type(self) -> str | None:
        return self.media_type


class FilePart(_BinaryPart):
    """A file such as a PDF, by URL, inline, or from a local file.

    A ``pathlib.Path`` (or a ``file://`` URL) given as ``data`` is read when the part is
    created; ``media_type`` is then guessed from the file name (or its first bytes) and
    ``filename`` defaults to the file's name. See also :meth:`from_path`.

    Attributes:
        data: an ``http(s)://`` URL, a ``data:`` URL, base64 text, or raw bytes.
        media_type: e.g. ``application/pdf``.
        filename: an optional file name shown to the model.
    """

    type: Literal["file"] = "file"
    data: str | bytes
    media_type: str
    filename: str | None = None
    provider_options: dict[str, dict[str, JsonValue]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_path(cls, data: object) -> object:
        return _load_local_file(data, "data", filename=True)

    @field_serializer("data", when_used="json")
    def _data_json(self, value: str | bytes) -> str:
        return _bytes_as_base64(value)

    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str],
        media_type: str | None = None,
        filename: str | None = None,
    ) -> FilePart:
        """A file part with a local file's bytes (media type guessed when not given).

        Raises:
            pydantic.ValidationError: the file cannot be read or its media type is unknown.
        """
        return cls.model_validate(
            {"data": Path(path), "media_type": media_type, "filename": filename}
        )

    def _payload(self) -> str | bytes:
        return self.data

    def _media_type(self) -> str | None:
        return self.media_type


class ReasoningPart(_Value):
    """Reasoning (thinking) the model produced in an earlier assistant turn.

    Attributes:
        text: the reasoning text (empty for redacted reasoning).
        signature: Anthropic's thinking signature; required to send the block back to Anthropic.
        redacted_data: Anthropic ``redacted_thinking`` data, sent back unchanged.
        provider_options: per-protocol-family data for this part, e.g. OpenAI Responses'
            ``{"openai": {"item_id": "rs_...", "encrypted_content": "..."}}`` (set from the
            ``reasoning_end`` event's ``provider_metadata``; a protocol of another family
            ignores it).
    """

    type: Literal["reasoning"] = "reasoning"
    text: str = ""
    signature: str | None = None
    redacted_data: str | None = None
    provider_options: dict[str, dict[str, JsonValue]] | None = None


class ToolCallPart(_Value):
    """A tool call the assistant made.

    Attributes:
        tool_call_id: the id the provider gave the call.
        tool_name: the tool's name.
        args: the call's arguments (a JSON object).
        provider_options: per-protocol-family options for this part (e.g. an Anthropic
            ``cache_control`` breakpoint on the ``tool_use`` block).
    """

    type: Literal["tool_call"] = "tool_call"
    tool_call_id: str
    tool_name: str
    args: dict[str, JsonValue] = Field(default_factory=dict)
    provider_options: dict[str, dict[str, JsonValue]] | None = None


class ToolResultPart(_Value):
    """The result of a tool call, sent back to the model.

    Attributes:
        tool_call_id: the id of the call this answers.
        tool_name: the tool's name.
        result: the result; strings are sent as they are, anything else as JSON.
        is_error: True when the tool failed.
        provider_options: per-protocol-family options for this part (e.g. an Anthropic
            ``cache_control`` breakpoint on the ``tool_result`` block).
    """

    type: Literal["tool_result"] = "tool_result"
    tool_call_id: str
    tool_name: str
    result: JsonValue
    is_error: bool = False
    provider_options: dict[str, dict[str, JsonValue]] | None = None


class ToolApprovalResponsePart(_Value):
    """The application's answer to a :class:`~llmkit.ToolApprovalRequestEvent`, in a ``tool``
    message; made by :func:`llmkit.approve` and :func:`llmkit.deny`.

    It is an instruction to llmkit's tool loop, never sent to a provider: on the next call the
    loop runs each approved call (its result replaces this part in the request) and answers a
    denied one with an error result that gives the model the reason.

    Attributes:
        tool_call_id: the id of the call waiting for approval.
        approved: True to run the call, False to refuse it.
        reason: why (given to the model when the call is denied).
    """

    type: Literal["tool_approval_response"] = "tool_approval_response"
    tool_call_id: str
    approved: bool
    reason: str | None = None


UserPart: TypeAlias = Annotated[TextPart | ImagePart | FilePart, Field(discriminator="type")]
ToolPart: TypeAlias = Annotated[
    ToolResultPart | ToolApprovalResponsePart, Field(discriminator="type")
]
"""A part of a ``tool`` message: a tool result, or an answer to an approval request."""
AssistantPart: TypeAlias = Annotated[
    TextPart | ReasoningPart | ToolCallPart, Field(discriminator="type")
]


class SystemMessage(_Value):
    """Instructions for the model (also settable with ``system=``).

    ``provider_options`` applies per protocol family, e.g.
    ``{"anthropic": {"cache_control": {"type": "ephemeral"}}}`` marks a prompt-cache
    breakpoint after this system text (the ``system`` field is then sent as text blocks).
    """

    role: Literal["system"] = "system"
    content: str
    provider_options: dict[str, dict[str, JsonValue]] | None = None


class UserMessage(_Value):
    """A user turn: text, or a list of text, image and file parts.

    ``provider_options`` applies to the message's last content block (e.g. an Anthropic
    ``cache_control`` breakpoint), like the AI SDK's message-level provider options.
    """

    role: Literal["user"] = "user"
    content: str | list[UserPart]
    provider_options: dict[str, dict[str, JsonValue]] | None = None


class AssistantMessage(_Value):
    """An assistant turn: text, or a list of text, reasoning and tool call parts.

    ``provider_options`` applies to the message's last content block.
    """

    role: Literal["assistant"] = "assistant"
    content: str | list[AssistantPart]
    provider_options: dict[str, dict[str, JsonValue]] | None = None


class ToolMessage(_Value):
    """Results of the tool calls of the previous assistant turn (and answers to approval
    requests, which llmkit's tool loop turns into results before a request is sent).

    ``provider_options`` applies to the message's last content block.
    """

    role: Literal["tool"] = "tool"
    content: list[ToolPart]
    provider_options: dict[str, dict[str, JsonValue]] | None = None

    @property
    def results(self) -> list[ToolResultPart]:
        """The tool results (without the answers to approval requests): what a protocol sends."""
        return [part for part in self.content if isinstance(part, ToolResultPart)]


Message: TypeAlias = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]
MessageLike: TypeAlias = (
    SystemMessage | UserMessage | AssistantMessage | ToolMessage | Mapping[str, object]
)


@functools.cache
def _messages_adapter() -> TypeAdapter[list[Message]]:
    """The validator of a message list, built on first use (not at import)."""
    return TypeAdapter(list[Message])


def to_messages(messages: Sequence[MessageLike]) -> list[Message]:
    """Validate messages given as dicts or typed objects.

    Raises:
        InvalidArgumentError: ``messages`` is not a list, a message has an unknown role or an
            invalid part; one line per problem says which one, why and what to do.
    """
    from llmkit._validation import explain, problem_lines
    from llmkit.errors import InvalidArgumentError

    if isinstance(messages, (str, Mapping, BaseModel)):
        line = (
            "messages must be a list of messages, such as "
            '[{"role": "user", "content": "Hi"}]; wrap one message in [...]'
        )
        raise InvalidArgumentError(line, problems=[line])
    try:
        return _messages_adapter().validate_python(list(messages))
    except ValidationError as exc:
        lines = problem_lines(exc, model=_AnyMessage, prefix="messages")
        raise InvalidArgumentError(explain("invalid messages", lines), problems=lines) from None


class _AnyMessage(BaseModel):
    """Every message type, for :func:`to_messages`' did-you-mean of field names."""

    model_config = ConfigDict(defer_build=True)
    messages: list[Message]
