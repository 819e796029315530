"""Messages and content parts: the conversation sent to a model.

Plain dicts are accepted wherever a message is (``{"role": "user", "content": "Hi"}``); they are
validated into these frozen pydantic models by :func:`to_messages`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError

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
    "ToolCallPart",
    "ToolMessage",
    "ToolResultPart",
    "UserMessage",
    "UserPart",
    "to_messages",
]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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
    """An image, by URL or inline.

    Attributes:
        image: an ``http(s)://`` URL, a ``data:`` URL, base64 text, or raw bytes.
        media_type: e.g. ``image/png``; required for base64 text and bytes.
    """

    type: Literal["image"] = "image"
    image: str | bytes
    media_type: str | None = None
    provider_options: dict[str, dict[str, JsonValue]] | None = None

    def _payload(self) -> str | bytes:
        return self.image

    def _media_type(self) -> str | None:
        return self.media_type


class FilePart(_BinaryPart):
    """A file such as a PDF, by URL or inline.

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
    """

    type: Literal["reasoning"] = "reasoning"
    text: str = ""
    signature: str | None = None
    redacted_data: str | None = None


class ToolCallPart(_Value):
    """A tool call the assistant made.

    Attributes:
        tool_call_id: the id the provider gave the call.
        tool_name: the tool's name.
        args: the call's arguments (a JSON object).
    """

    type: Literal["tool_call"] = "tool_call"
    tool_call_id: str
    tool_name: str
    args: dict[str, JsonValue] = Field(default_factory=dict)


class ToolResultPart(_Value):
    """The result of a tool call, sent back to the model.

    Attributes:
        tool_call_id: the id of the call this answers.
        tool_name: the tool's name.
        result: the result; strings are sent as they are, anything else as JSON.
        is_error: True when the tool failed.
    """

    type: Literal["tool_result"] = "tool_result"
    tool_call_id: str
    tool_name: str
    result: JsonValue
    is_error: bool = False


UserPart: TypeAlias = Annotated[TextPart | ImagePart | FilePart, Field(discriminator="type")]
AssistantPart: TypeAlias = Annotated[
    TextPart | ReasoningPart | ToolCallPart, Field(discriminator="type")
]


class SystemMessage(_Value):
    """Instructions for the model (also settable with ``system=``)."""

    role: Literal["system"] = "system"
    content: str


class UserMessage(_Value):
    """A user turn: text, or a list of text, image and file parts."""

    role: Literal["user"] = "user"
    content: str | list[UserPart]


class AssistantMessage(_Value):
    """An assistant turn: text, or a list of text, reasoning and tool call parts."""

    role: Literal["assistant"] = "assistant"
    content: str | list[AssistantPart]


class ToolMessage(_Value):
    """Results of the tool calls of the previous assistant turn."""

    role: Literal["tool"] = "tool"
    content: list[ToolResultPart]


Message: TypeAlias = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]
MessageLike: TypeAlias = (
    SystemMessage | UserMessage | AssistantMessage | ToolMessage | Mapping[str, object]
)

_MESSAGES: TypeAdapter[list[Message]] = TypeAdapter(list[Message])


def to_messages(messages: Sequence[MessageLike]) -> list[Message]:
    """Validate messages given as dicts or typed objects.

    Raises:
        ConfigurationError: a message has an unknown role or an invalid part; the message says
            which one and why.
    """
    try:
        return _MESSAGES.validate_python(list(messages))
    except ValidationError as exc:
        raise ConfigurationError(f"invalid messages: {exc}") from exc
