"""The OpenTelemetry GenAI semantic conventions llmkit follows, as plain data.

The names mirror ``opentelemetry.semconv._incubating.attributes.gen_ai_attributes`` and
``...metrics.gen_ai_metrics`` (opentelemetry-semantic-conventions 0.66b2; a test checks they
are equal) so that the ``otel`` extra needs only ``opentelemetry-api``. The source is the
GenAI semantic conventions, status Development: "Semantic conventions for generative client AI
spans" (``docs/gen-ai/gen-ai-spans.md``: Inference, Embeddings, Execute tool span), "Semantic
Conventions for GenAI agent and framework spans" (``gen-ai-agent-spans.md``: Invoke agent
internal span) and "Semantic conventions for generative AI metrics" (``gen-ai-metrics.md``), as of
open-telemetry/semantic-conventions commit 953276f (May 2026; the GenAI pages have since moved
to open-telemetry/semantic-conventions-genai).

Nothing here imports OpenTelemetry.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

# --- attributes (registry: gen-ai.md, error.md, server.md)
OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"
AGENT_NAME: Final = "gen_ai.agent.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
REQUEST_TOP_P: Final = "gen_ai.request.top_p"
REQUEST_TOP_K: Final = "gen_ai.request.top_k"
REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
REQUEST_SEED: Final = "gen_ai.request.seed"
REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
REQUEST_STREAM: Final = "gen_ai.request.stream"
REQUEST_ENCODING_FORMATS: Final = "gen_ai.request.encoding_formats"
EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension.count"
OUTPUT_TYPE: Final = "gen_ai.output.type"
RESPONSE_ID: Final = "gen_ai.response.id"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
TOKEN_TYPE: Final = "gen_ai.token.type"
TOOL_NAME: Final = "gen_ai.tool.name"
TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
TOOL_TYPE: Final = "gen_ai.tool.type"
TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
# opt-in content (recorded only with Telemetry(record_content=True))
INPUT_MESSAGES: Final = "gen_ai.input.messages"
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
ERROR_TYPE: Final = "error.type"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"

# --- llmkit's own attributes (not in the conventions; namespaced "llmkit.")
FUNCTION_ID: Final = "llmkit.function_id"
ATTEMPTS: Final = "llmkit.attempts"
ANSWERED_BY: Final = "llmkit.answered_by"
STOP_REASON: Final = "llmkit.stop_reason"
USAGE_COST: Final = "llmkit.usage.cost_usd"

# --- gen_ai.operation.name values
CHAT: Final = "chat"
INVOKE_AGENT: Final = "invoke_agent"
EXECUTE_TOOL: Final = "execute_tool"
EMBEDDINGS: Final = "embeddings"

# --- metrics (gen-ai-metrics.md, "Generative AI client metrics")
TOKEN_USAGE: Final = "gen_ai.client.token.usage"
OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"

TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
"""``gen_ai.client.token.usage``: "SHOULD be specified with ExplicitBucketBoundaries of" these."""

SECONDS_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
"""``gen_ai.client.operation.duration`` and ``...time_to_first_chunk``: the advised buckets."""

PROVIDER_NAMES: Final[dict[str, str]] = {
    "openai": "openai",
    "openai-responses": "openai",
    "chatgpt": "openai",
    "anthropic": "anthropic",
    "google": "gcp.gemini",
    "gemini-openai": "gcp.gemini",
    "deepseek": "deepseek",
    "groq": "groq",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "perplexity": "perplexity",
    "cohere": "cohere",
}
"""llmkit provider id → the well-known ``gen_ai.provider.name`` value ("If one of them applies,
then the respective value MUST be used"). ``gcp.gemini`` is the one "used when accessing the
'generativelanguage.googleapis.com' endpoint", which both ``google`` (native protocol) and
``gemini-openai`` (its OpenAI-compatible endpoint) call. Any other provider (openrouter,
together, fireworks, ollama, a provider of your own...) is recorded under its llmkit id."""

SPEC_FINISH_REASONS: Final[dict[str, str]] = {"tool_calls": "tool_call"}
"""llmkit finish reason → the output messages schema's ``FinishReason`` value where they differ
(its enum: stop, length, content_filter, tool_call, error; any other string is allowed)."""


def provider_name(provider_id: str) -> str:
    """The ``gen_ai.provider.name`` of an llmkit provider id (see :data:`PROVIDER_NAMES`)."""
    return PROVIDER_NAMES.get(provider_id, provider_id)


def finish_reason(reason: str) -> str:
    """An llmkit finish reason as recorded (``tool_calls`` → ``tool_call``)."""
    return SPEC_FINISH_REASONS.get(reason, reason)


def server_attributes(base_url: str) -> dict[str, str | int]:
    """``server.address`` and ``server.port`` of a provider's base URL: the host and the port
    (the scheme's default when the URL names none). Never the path, the query or user info,
    which may carry a credential. Empty for a URL without a host."""
    try:
        parts = urlsplit(base_url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return {}
    if not host:
        return {}
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme)
    out: dict[str, str | int] = {SERVER_ADDRESS: host}
    if port is not None:
        out[SERVER_PORT] = port
    return out
