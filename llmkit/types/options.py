"""Call options: everything a protocol needs to build one request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from llmkit.types.messages import Message, UserMessage

__all__ = [
    "CallOptions",
    "JsonSchemaFormat",
    "NamedToolChoice",
    "ReasoningOptions",
    "ToolChoice",
    "ToolDefinition",
]


class _Value(BaseModel):
    # defer_build: the validator is built on first use, not at import
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _empty_object_schema() -> dict[str, JsonValue]:
    return {"type": "object", "properties": {}}


class ToolDefinition(_Value):
    """A tool the model may call, described by a JSON Schema.

    Attributes:
        name: the tool's name (``^[a-zA-Z0-9_-]{1,64}$`` for most providers).
        description: what the tool does, for the model.
        parameters: JSON Schema of the arguments object.
        strict: ask for strict schema adherence where the protocol supports it (OpenAI).
        provider_options: per protocol family, copied onto the tool in the request, e.g.
            ``{"anthropic": {"cache_control": {"type": "ephemeral"}}}`` (a prompt-cache
            breakpoint after the tools, Anthropic "Prompt caching").
    """

    name: str
    description: str | None = None
    parameters: dict[str, JsonValue] = Field(default_factory=_empty_object_schema)
    strict: bool | None = None
    provider_options: dict[str, dict[str, JsonValue]] | None = None


class NamedToolChoice(_Value):
    """Force the model to call the tool ``tool_name``."""

    type: Literal["tool"] = "tool"
    tool_name: str


ToolChoice: TypeAlias = Literal["auto", "none", "required"] | NamedToolChoice


class ReasoningOptions(_Value):
    """Reasoning (thinking) settings, mapped per protocol.

    Attributes:
        effort: OpenAI-style ``reasoning_effort`` (``minimal``/``low``/``medium``/``high``).
        budget_tokens: Anthropic-style thinking budget in tokens (Anthropic requires >= 1024 and
            less than ``max_output_tokens``).
    """

    effort: Literal["minimal", "low", "medium", "high"] | None = None
    budget_tokens: int | None = Field(default=None, ge=1)


class JsonSchemaFormat(_Value):
    """Ask for a JSON object that matches a JSON Schema, as the response text.

    Protocols whose ``supports_response_format`` is True map it natively (OpenAI chat:
    ``response_format: {"type": "json_schema", "json_schema": {"name", "description",
    "schema", "strict"}}``, OpenAI API reference, Chat Completions, create, ``response_format``,
    and the "Structured Outputs" guide); the others raise
    :class:`~llmkit.errors.UnsupportedFeatureError` (``generate_object`` / ``stream_object``
    use a forced tool call there instead).

    Attributes:
        name: the schema's name (``^[a-zA-Z0-9_-]{1,64}$``, OpenAI's rule).
        json_schema: the JSON Schema of the object (root ``type: object``).
        description: what the object is for, for the model.
        strict: ask for strict schema adherence (OpenAI ``strict: true``; the schema is then
            adapted to OpenAI's strict subset, see
            :func:`llmkit.protocols.openai_chat.response_format.strict_json_schema`).
    """

    type: Literal["json_schema"] = "json_schema"
    name: str = Field(default="response", pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    json_schema: dict[str, JsonValue]
    description: str | None = None
    strict: bool = True


def _check_messages(messages: object) -> None:
    """Refuse ``messages=`` given as one string or one message (not a list of them)."""
    if isinstance(messages, str):
        raise ValueError(
            "messages must be a list of messages, not a string: for one user message pass "
            'prompt="...", or messages=[{"role": "user", "content": "..."}]'
        )
    if isinstance(messages, (Mapping, BaseModel)):
        raise ValueError("messages must be a list of messages: wrap the one message in [...]")


def _check_prompt(prompt: object) -> None:
    if not isinstance(prompt, str):
        raise ValueError(
            f"prompt must be a string, not {type(prompt).__name__}: for images, files or "
            'several parts pass messages=[{"role": "user", "content": [...]}]'
        )
    if not prompt.strip():
        raise ValueError("prompt is empty: pass the text to send, or leave prompt out")


_RANGES: dict[str, str] = {
    "max_output_tokens": "pass a positive number of tokens, or leave it out for the default",
    "temperature": "use a value from 0 to 2 (OpenAI and Gemini accept 0 to 2, Anthropic 0 to 1)",
    "top_p": "use a probability from 0 to 1",
    "top_k": "use a positive number of tokens, or leave it out",
    "timeout": "use a number of seconds above 0",
    "budget_tokens": "use a positive number of tokens (Anthropic requires at least 1024)",
    "tool_choice": 'use "auto", "none", "required" or {"tool_name": "..."}',
    "messages": 'a message is a dict such as {"role": "user", "content": "Hi"}',
}
"""What to do when a call option is out of range, by option name (see :func:`build_call`'s
error lines)."""


class CallOptions(_Value):
    """The unified parameters of one model call.

    ``prompt=`` is accepted as a shortcut and appended as a final user message.

    Attributes:
        messages: the conversation, oldest first (dicts are validated into messages).
        system: system instructions, sent the way the protocol wants (top-level ``system`` for
            Anthropic, a first ``system``/``developer`` message for OpenAI chat).
        max_output_tokens: the output token limit (tokens, at least 1).
        temperature, top_p, top_k, seed, presence_penalty, frequency_penalty: sampling settings;
            a protocol that cannot honour one reports a warning in ``stream_start``. Values
            no built-in protocol accepts are refused: ``temperature`` outside 0 to 2 (the
            widest documented range: OpenAI API reference, Chat Completions, ``temperature``
            "between 0 and 2"; Gemini API reference, ``GenerationConfig.temperature``
            "[0.0, 2.0]"; Anthropic accepts 0 to 1, see its protocol), ``top_p`` outside 0 to 1,
            a negative ``top_k``.
        stop_sequences: strings that end generation.
        tools: tools the model may call; tool_choice: how it must choose.
        reasoning: reasoning settings.
        response_format: ask for a JSON object matching a schema as the response text (see
            :class:`JsonSchemaFormat`; ``generate_object`` / ``stream_object`` set it).
        provider_options: options for one protocol family, e.g. ``{"anthropic": {...}}``; merged
            into that protocol's request body last.
        headers: extra HTTP headers for this call.
        timeout: overall read timeout for this call, in seconds.
    """

    messages: list[Message] = Field(default_factory=list)
    system: str | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    stop_sequences: list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoice | None = None
    reasoning: ReasoningOptions | None = None
    response_format: JsonSchemaFormat | None = None
    provider_options: dict[str, dict[str, JsonValue]] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _prompt_to_message(cls, data: object) -> object:
        if isinstance(data, dict):
            _check_messages(data.get("messages"))
        if isinstance(data, dict) and "prompt" in data:
            data = dict(data)
            prompt = data.pop("prompt")
            if prompt is not None:
                _check_prompt(prompt)
                messages = list(data.get("messages") or [])
                messages.append(UserMessage(content=prompt))
                data["messages"] = messages
        return data
