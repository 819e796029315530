"""llmkit's copy of the GenAI semantic convention names against the official package, the
provider names and the server attributes."""

from __future__ import annotations

import pytest
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as ga
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics as gm
from opentelemetry.semconv.attributes import error_attributes, server_attributes

from llmkit.providers import default_registry
from llmkit.telemetry import _semconv as sc


def test_attribute_names_are_the_conventions() -> None:
    ours = {
        name: value
        for name, value in vars(sc).items()
        if name.isupper()
        and isinstance(value, str)
        and value.startswith("gen_ai.")
        and not value.startswith("gen_ai.client.")
    }
    official = {v for k, v in vars(ga).items() if k.startswith("GEN_AI_")}
    assert ours and set(ours.values()) <= official
    assert sc.ERROR_TYPE == error_attributes.ERROR_TYPE
    assert sc.SERVER_ADDRESS == server_attributes.SERVER_ADDRESS
    assert sc.SERVER_PORT == server_attributes.SERVER_PORT


def test_metric_names_are_the_conventions() -> None:
    assert sc.TOKEN_USAGE == gm.GEN_AI_CLIENT_TOKEN_USAGE
    assert sc.OPERATION_DURATION == gm.GEN_AI_CLIENT_OPERATION_DURATION
    assert sc.TIME_TO_FIRST_CHUNK == gm.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK


def test_operation_names_are_well_known_values() -> None:
    values = {v.value for v in ga.GenAiOperationNameValues}
    assert {sc.CHAT, sc.INVOKE_AGENT, sc.EXECUTE_TOOL, sc.EMBEDDINGS} <= values


def test_provider_names_are_well_known_values() -> None:
    values = {v.value for v in ga.GenAiProviderNameValues}
    assert set(sc.PROVIDER_NAMES.values()) <= values
    builtin = {p.id for p in default_registry().list()}
    # the built-in providers that have a well-known name get it
    named = {i: sc.provider_name(i) for i in builtin if sc.provider_name(i) != i}
    assert named == {
        "openai-responses": "openai",
        "chatgpt": "openai",
        "mistral": "mistral_ai",
        "xai": "x_ai",
        "google": "gcp.gemini",
        "gemini-openai": "gcp.gemini",
    }
    for same in ("openai", "anthropic", "deepseek", "groq"):
        assert same in builtin and sc.provider_name(same) == same
    # the others are recorded under their llmkit id
    assert sc.provider_name("openrouter") == "openrouter"
    assert sc.provider_name("my-gateway") == "my-gateway"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.openai.com/v1", {sc.SERVER_ADDRESS: "api.openai.com", sc.SERVER_PORT: 443}),
        ("http://127.0.0.1:8000/v1", {sc.SERVER_ADDRESS: "127.0.0.1", sc.SERVER_PORT: 8000}),
        ("http://localhost/v1", {sc.SERVER_ADDRESS: "localhost", sc.SERVER_PORT: 80}),
        # user info and query strings can hold a credential: never recorded
        (
            "https://user:sk-secret@gateway.example:8443/v1?key=sk-secret",
            {sc.SERVER_ADDRESS: "gateway.example", sc.SERVER_PORT: 8443},
        ),
        ("not a url", {}),
        ("http://[::1", {}),
    ],
)
def test_server_attributes(base_url: str, expected: dict[str, object]) -> None:
    assert sc.server_attributes(base_url) == expected


def test_finish_reasons_use_the_conventions_values() -> None:
    assert sc.finish_reason("tool_calls") == "tool_call"
    assert [sc.finish_reason(r) for r in ("stop", "length", "content_filter", "error")] == [
        "stop",
        "length",
        "content_filter",
        "error",
    ]
