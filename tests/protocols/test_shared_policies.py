"""Policies every protocol applies alike, decided once in ``llmkit.protocols.base``: parametrised
over every registered protocol, so a new protocol is held to them too."""

from __future__ import annotations

import pytest

from llmkit.errors import UnsupportedFeatureError
from llmkit.protocols import get_protocol, protocol_names
from llmkit.protocols.base import merge_provider_options
from llmkit.providers.config import ProviderConfig
from llmkit.types.messages import UserMessage
from llmkit.types.options import CallOptions, NamedToolChoice

BUILTIN = [name for name in protocol_names() if not name.startswith("ollama")]


def _provider(protocol: str) -> ProviderConfig:
    return ProviderConfig(id="p", protocol=protocol, base_url="https://llm.example/v1")


def _call(**fields: object) -> CallOptions:
    return CallOptions(messages=[UserMessage(content="hi")], **fields)


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("choice", ["auto", "none"])
def test_an_optional_tool_choice_without_tools_is_dropped(name: str, choice: str) -> None:
    protocol = get_protocol(name)
    request = protocol.build_request(_call(tool_choice=choice), _provider(name), "m")
    assert "tool_choice" not in request.body and "toolConfig" not in request.body
    assert request.warnings == ()


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("choice", ["required", NamedToolChoice(tool_name="t")])
def test_a_forced_tool_choice_without_tools_is_refused(name: str, choice: object) -> None:
    protocol = get_protocol(name)
    with pytest.raises(UnsupportedFeatureError, match="needs tools"):
        protocol.build_request(_call(tool_choice=choice), _provider(name), "m")


@pytest.mark.parametrize("name", BUILTIN)
def test_provider_options_are_merged_last_under_the_metadata_key(name: str) -> None:
    protocol = get_protocol(name)
    extra = {"llmkit_test_field": {"nested": True}}
    call = _call(provider_options={protocol.metadata_key: extra})
    body = protocol.build_request(call, _provider(name), "m").body
    assert body["llmkit_test_field"] == {"nested": True}


def test_merge_is_deep_for_objects_and_replaces_the_rest() -> None:
    body: dict[str, object] = {"a": {"x": 1, "y": 2}, "b": [1], "c": 1}
    merge_provider_options(body, {"a": {"y": 3, "z": 4}, "b": [2], "d": None})
    assert body == {"a": {"x": 1, "y": 3, "z": 4}, "b": [2], "c": 1, "d": None}


@pytest.mark.parametrize("name", BUILTIN)
def test_every_protocol_declares_its_contract(name: str) -> None:
    protocol = get_protocol(name)
    assert protocol.name == name
    assert protocol.framing in ("sse", "ndjson")
    assert isinstance(protocol.metadata_key, str) and protocol.metadata_key
    protocol.quirks_model.model_validate({})  # every flag has a default
