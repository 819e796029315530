"""The model list of a Responses provider: ``GET {base_url}/models``, the same endpoint and
shape as OpenAI chat (OpenAI API reference, "Models: list"), read by
:mod:`llmkit.protocols.openai_chat.models`."""

from __future__ import annotations

from llmkit.protocols.openai_chat.models import build_models_request, parse_models

__all__ = ["build_models_request", "parse_models"]
