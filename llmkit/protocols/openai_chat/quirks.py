"""The ``openai-chat`` protocol's quirk flags: documented deviations of OpenAI-compatible
providers from OpenAI's Chat Completions reference.

Protocol code reads these flags (through ``Protocol.quirks_of``); it never tests a provider id.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["OpenAIChatQuirks", "Quirks"]


class OpenAIChatQuirks(BaseModel):
    """Documented deviations of a provider from its protocol's reference behaviour.

    Protocol code reads these flags; it never tests a provider id.

    Attributes:
        system_role: role of the system prompt message in OpenAI chat: ``system``, or
            ``developer`` for OpenAI reasoning models (OpenAI API reference, Chat, "developer
            message").
        max_tokens_field: ``max_tokens`` or ``max_completion_tokens``. OpenAI deprecated
            ``max_tokens`` and its o-series/gpt-5 models reject it (OpenAI API reference, Chat,
            create, ``max_completion_tokens``); most compatibles only know ``max_tokens``.
        stream_usage: send ``stream_options: {"include_usage": true}`` so the stream ends with a
            usage chunk (OpenAI API reference, ``stream_options``). Off for servers that reject
            unknown fields or always send usage (Mistral).
        reasoning_fields: delta fields that carry reasoning text, checked in order: DeepSeek
            sends ``reasoning_content`` (DeepSeek API docs, "Reasoning Model"), OpenRouter and
            Groq send ``reasoning`` (OpenRouter docs, "Reasoning Tokens"; Groq docs,
            "Reasoning").
        reasoning_effort: the provider accepts ``reasoning_effort`` (OpenAI, Groq, xAI...);
            otherwise a reasoning effort setting is dropped with a warning.
        usage_in_x_groq: older Groq streams report usage only in ``x_groq.usage`` of the last
            chunk (Groq API reference, chat streaming).
        top_k: the provider accepts ``top_k`` in OpenAI chat (vLLM, Together, OpenRouter do;
            OpenAI does not), otherwise dropped with a warning.
        json_output: how a JSON Schema response format is sent in OpenAI chat: ``json_schema``
            (OpenAI "Structured Outputs": ``response_format: {"type": "json_schema", ...}``) or
            ``json_object`` for providers that only have JSON mode (DeepSeek API docs, "JSON
            Output"; Moonshot Kimi API docs, "JSON Mode"; Zhipu GLM): ``{"type":
            "json_object"}`` with the schema added to the system prompt.
        replay_reasoning_field: the assistant-message field that carries earlier reasoning
            back to the provider, or None (reasoning parts are then dropped with a warning).
            DeepSeek's thinking mode needs ``reasoning_content`` sent back on assistant turns
            that made tool calls, or answers 400 (DeepSeek API docs, "Thinking Mode", tool
            calls); it ignores it on other turns, so llmkit sends it only with tool calls.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    system_role: Literal["system", "developer"] = "system"
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    stream_usage: bool = True
    reasoning_fields: tuple[str, ...] = ("reasoning_content", "reasoning")
    reasoning_effort: bool = True
    usage_in_x_groq: bool = False
    top_k: bool = False
    json_output: Literal["json_schema", "json_object"] = "json_schema"
    replay_reasoning_field: str | None = None


Quirks = OpenAIChatQuirks
"""The name this model had when it was the only quirks model (``llmkit.Quirks``)."""
