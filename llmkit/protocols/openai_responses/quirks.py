"""The ``openai-responses`` protocol's quirk flags: documented deviations of a provider (or of a
way of paying for it) from OpenAI's Responses API reference.

Protocol code reads these flags (through ``Protocol.quirks_of``); it never tests a provider id.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["CHATGPT_PLAN_QUIRKS", "OpenAIResponsesQuirks"]


class OpenAIResponsesQuirks(BaseModel):
    """Documented deviations of a Responses provider from the reference behaviour.

    Attributes:
        system_role: the role of system instructions as input messages: ``system``, or
            ``developer`` (OpenAI API reference, Responses, create, ``input`` → input message
            ``role``: ``user``, ``system`` or ``developer``; OpenAI's reasoning models read
            ``system`` as ``developer``).
        store: the ``store`` value sent: False (llmkit's default: the conversation is replayed
            by the client, nothing needs to stay on the server; OpenAI API reference,
            ``store``), True, or None to omit the field (the API default is true).
        encrypted_reasoning: when to ask for ``include: ["reasoning.encrypted_content"]`` with
            ``store: false`` (OpenAI "Reasoning models" guide, "Encrypted reasoning items"):
            ``with_reasoning`` (the call sets ``reasoning=``: only reasoning models take it;
            others answer 400 "Encrypted content is not supported with this model"),
            ``always`` (providers that serve only reasoning models), or ``never``.
        reasoning_summary: the ``reasoning.summary`` sent when the call sets ``reasoning=``
            (``auto``, ``concise``, ``detailed``; OpenAI API reference, ``reasoning.summary``);
            without it OpenAI streams no reasoning text at all. None: not sent.
        stream_only: the provider answers only streamed requests; a non-streamed call
            (``generate_text``) is sent with ``stream: true`` and the streamed body is read
            whole ("Sign in with ChatGPT", preview limitations: ``stream: true`` is required).
        unsupported_fields: request fields the provider rejects; a call setting one of them
            (``temperature``, ``top_p``, ``max_output_tokens``) gets an ``unsupported_setting``
            warning and the field is not sent, and the same names are removed from
            ``provider_options["openai"]`` ("Sign in with ChatGPT", preview limitations).
        hosted_tools: the provider runs OpenAI's hosted tools (``web_search``,
            ``code_interpreter``, ``file_search``, ``mcp``...); when False, such tools given in
            ``provider_options["openai"]["tools"]`` are dropped with a warning.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    system_role: Literal["system", "developer"] = "system"
    store: bool | None = False
    encrypted_reasoning: Literal["with_reasoning", "always", "never"] = "with_reasoning"
    reasoning_summary: Literal["auto", "concise", "detailed"] | None = "auto"
    stream_only: bool = False
    unsupported_fields: tuple[str, ...] = ()
    hosted_tools: bool = True


CHATGPT_PLAN_QUIRKS = OpenAIResponsesQuirks(
    system_role="developer",
    store=False,
    encrypted_reasoning="always",
    stream_only=True,
    unsupported_fields=(
        "temperature",
        "top_p",
        "max_output_tokens",
        "previous_response_id",
        "background",
        "conversation",
        "prompt_cache_retention",
    ),
    hosted_tools=False,
)
"""Requests paid for by a ChatGPT plan ("Sign in with ChatGPT", preview limitations,
https://developers.openai.com/siwc/token-sharing-open-source/preview-limitations): ``store:
false`` and ``stream: true`` are required; ``temperature``, ``top_p``, ``max_output_tokens``
and ``previous_response_id`` (among other listed fields) must be omitted; hosted tools are not
available. Without ``previous_response_id`` and with nothing stored, reasoning context travels
as encrypted reasoning items, so ``include: ["reasoning.encrypted_content"]`` is always asked
for (the plan's models are reasoning models)."""
