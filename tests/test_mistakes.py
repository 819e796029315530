"""Everyday mistakes explain themselves: each raises one typed llmkit error (a ``ValueError`` or
``TypeError`` too, where Python code expects one) with a readable line and the fix, never a
pydantic dump, before anything is sent."""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path

import pytest

import llmkit
from llmkit import (
    ConfigurationError,
    InvalidArgumentError,
    InvalidProviderConfigError,
    LLMKitError,
    ProviderConfig,
    UnknownSettingError,
)
from llmkit.types.messages import to_messages

MODEL = "openai:gpt-4o-mini"
"""A built-in provider: every mistake is found before a credential or the network is needed."""


def _readable(error: BaseException) -> str:
    text = str(error)
    assert isinstance(error, LLMKitError)
    assert "pydantic" not in text
    assert "errors.pydantic.dev" not in text
    assert "validation error" not in text
    assert "Input should" not in text
    assert error.__cause__ is None or type(error.__cause__).__name__ != "ValidationError"
    return text


def _stream(**settings: object) -> BaseException:
    with pytest.raises(LLMKitError) as info:
        llmkit.stream_text(model=MODEL, **settings)  # type: ignore[arg-type]
    return info.value


def test_messages_given_as_a_string() -> None:
    error = _stream(messages="hello")
    assert isinstance(error, InvalidArgumentError)
    assert isinstance(error, ValueError)
    text = _readable(error)
    assert "messages must be a list of messages, not a string" in text
    assert 'prompt="..."' in text


def test_a_bad_role_names_the_roles_and_guesses() -> None:
    error = _stream(messages=[{"role": "bot", "content": "hi"}])
    assert isinstance(error, InvalidArgumentError)
    text = _readable(error)
    assert "messages[0]: unknown role 'bot'" in text
    assert "'system', 'user', 'assistant', 'tool'" in text
    assert "did you mean 'assistant'" in text
    assert _readable(_stream(messages=[{"role": "human", "content": "hi"}])).endswith(
        "(did you mean 'user'?)"
    )


def test_a_misspelt_message_field_is_guessed() -> None:
    text = _readable(_stream(messages=[{"role": "user", "contnt": "hi"}]))
    assert "messages[0].contnt: is not a known field; did you mean 'content'?" in text
    assert "messages[0].content: is required" in text


def test_to_messages_explains_too() -> None:
    with pytest.raises(InvalidArgumentError, match="wrap one message in"):
        to_messages("hello")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"^invalid messages: messages\[0\]: unknown"):
        to_messages([{"role": "robot", "content": "x"}])


def test_max_output_tokens_below_one() -> None:
    error = _stream(prompt="hi", max_output_tokens=-1)
    assert isinstance(error, InvalidArgumentError)
    assert isinstance(error, ValueError)
    assert error.problems == [
        "max_output_tokens: should be at least 1 (got -1); pass a positive number of tokens, "
        "or leave it out for the default"
    ]
    assert str(error) == f"invalid call options: {error.problems[0]}"


@pytest.mark.parametrize(
    ("setting", "value", "needle"),
    [
        ("temperature", 5, "temperature: should be at most 2 (got 5); use a value from 0 to 2"),
        ("temperature", -0.1, "temperature: should be at least 0 (got -0.1)"),
        ("top_p", 1.5, "top_p: should be at most 1 (got 1.5); use a probability from 0 to 1"),
        ("top_k", -1, "top_k: should be at least 0 (got -1)"),
    ],
)
def test_out_of_range_sampling_values_are_refused(setting: str, value: float, needle: str) -> None:
    error = _stream(prompt="hi", **{setting: value})
    assert isinstance(error, InvalidArgumentError)
    assert needle in _readable(error)


def test_several_problems_one_line_each() -> None:
    error = _stream(prompt="hi", temperature=5, top_p=2)
    assert isinstance(error, InvalidArgumentError)
    lines = str(error).splitlines()
    assert lines[0] == "invalid call options:"
    assert [line.split(":")[0] for line in lines[1:]] == ["  - temperature", "  - top_p"]
    assert len(error.problems) == 2


@pytest.mark.parametrize("settings", [{}, {"system": "Be brief."}, {"messages": []}])
def test_neither_prompt_nor_messages(settings: dict[str, object]) -> None:
    error = _stream(**settings)
    assert isinstance(error, InvalidArgumentError)
    assert _readable(error).startswith('nothing to send: pass prompt="..." or messages=')


@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_an_empty_prompt(prompt: str) -> None:
    assert "prompt is empty" in _readable(_stream(prompt=prompt))


def test_max_tokens_is_max_output_tokens() -> None:
    error = _stream(prompt="hi", max_tokens=100)
    assert isinstance(error, UnknownSettingError)
    assert isinstance(error, TypeError)
    assert isinstance(error, ConfigurationError)
    assert str(error) == (
        "stream_text() got an unexpected keyword argument 'max_tokens': "
        "did you mean max_output_tokens=?"
    )
    assert (error.setting, error.suggestion) == ("max_tokens", "max_output_tokens")


async def test_stream_true_points_to_the_other_function() -> None:
    error = _stream(prompt="hi", stream=True)
    assert isinstance(error, UnknownSettingError)
    assert "stream_text() always streams; call generate_text() instead" in str(error)
    with pytest.raises(UnknownSettingError, match=r"never streams; call stream_text\(\)"):
        await llmkit.generate_text(model=MODEL, prompt="hi", stream=True)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("temprature", "did you mean temperature=?"),
        ("functions", "did you mean tools=?"),
        ("stop", "did you mean stop_sequences=?"),
        ("n", "make several calls"),
        ("response_format", "generate_object(schema=...)"),
        ("api_base", "llmkit.registry.register(ProviderConfig("),
        ("zzz", "the settings are listed in help(stream_text)"),
    ],
)
def test_other_sdks_settings_are_translated(name: str, needle: str) -> None:
    error = _stream(prompt="hi", **{name: 1})
    assert isinstance(error, UnknownSettingError)
    assert needle in str(error)


def test_object_functions_take_no_tools() -> None:
    with pytest.raises(UnknownSettingError, match=r"takes no tools; call generate_text\(\)"):
        llmkit.stream_object(model=MODEL, schema={"type": "object"}, tools=[])  # type: ignore[call-overload]


def test_insecure_provider_base_url() -> None:
    with pytest.raises(InvalidProviderConfigError) as info:
        ProviderConfig(id="x", protocol="openai-chat", base_url="http://example.com")
    error = info.value
    assert isinstance(error, ValueError)
    text = _readable(error)
    assert text.startswith("invalid provider 'x' config: unsafe base_url 'http://example.com'")
    assert "allow_insecure_http=True" in text
    assert "\n" not in text


def test_provider_config_problems_one_line_each_with_guesses() -> None:
    with pytest.raises(InvalidProviderConfigError) as info:
        ProviderConfig(id="My Server", protocol="openai-chat", base_uri="https://x")  # type: ignore[call-arg]
    lines = _readable(info.value).splitlines()
    assert lines[0] == "invalid provider 'My Server' config:"
    assert "  - base_uri: is not a known field; did you mean 'base_url'?" in lines
    assert "  - base_url: is required" in lines
    assert any(line.startswith("  - id: should match pattern") for line in lines)
    with pytest.raises(InvalidProviderConfigError, match="did you mean 'max_tokens_field'"):
        ProviderConfig(
            id="x", protocol="openai-chat", base_url="https://x", quirks={"max_tokens_feld": 1}
        )
    with pytest.raises(InvalidProviderConfigError, match=r"auth: .* \(got 'bearr'\) \(did you"):
        ProviderConfig(id="x", protocol="openai-chat", base_url="https://x", auth="bearr")


def test_a_header_value_is_never_shown() -> None:
    error = _stream(prompt="hi", headers={"Authorization": 12345678})
    assert "12345678" not in str(error)
    assert "headers.Authorization: should be a valid string" in str(error)


def test_the_new_errors_pickle() -> None:
    error = _stream(prompt="hi", max_tokens=1)
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is UnknownSettingError
    assert str(restored) == str(error)
    assert restored.suggestion == "max_output_tokens"


@pytest.mark.parametrize(
    "function",
    [
        llmkit.stream_text,
        llmkit.generate_text,
        llmkit.generate_object,
        llmkit.stream_object,
        llmkit.stream_text_sync,
        llmkit.generate_text_sync,
        llmkit.stream_object_sync,
        llmkit.generate_object_sync,
    ],
)
def test_the_signature_lists_every_setting(function: object) -> None:
    params = inspect.signature(function).parameters  # type: ignore[arg-type]
    assert "settings" not in params
    assert {"prompt", "messages", "temperature", "max_output_tokens", "api_key"} <= set(params)
    assert params["temperature"].kind is inspect.Parameter.KEYWORD_ONLY
    assert str(params["temperature"]) == "temperature: float | None = None"


def test_help_lists_every_text_setting() -> None:
    params = inspect.signature(llmkit.stream_text).parameters
    assert set(llmkit.TextCallSettings.__optional_keys__) <= set(params)


def test_a_bad_providers_file_table_and_tool_definition_read_as_lines(tmp_path: Path) -> None:
    from llmkit.providers.registry import load_providers_file
    from llmkit.tools._tool import tool_map

    path = tmp_path / "providers.toml"
    path.write_text('[providers.x]\nprotocol = "openai-chat"\nbase_url = "https://x/v1"\nwat = 1\n')
    with pytest.raises(llmkit.InvalidProviderConfigError) as info:
        load_providers_file(path)
    assert "wat: is not a known field" in str(info.value)
    assert "pydantic" not in str(info.value) and "validation error" not in str(info.value)
    with pytest.raises(llmkit.ConfigurationError) as tool_info:
        tool_map([{"name": 5}])
    assert str(tool_info.value) == "invalid tool definition: name: should be a valid string (got 5)"
