"""The public surface: ``__all__`` is explicit and complete, every name resolves, and importing
llmkit has no side effects and loads no heavy module."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import llmkit


def test_all_names_resolve() -> None:
    assert len(llmkit.__all__) == len(set(llmkit.__all__))
    for name in llmkit.__all__:
        assert getattr(llmkit, name) is not None, name
    assert set(llmkit.__all__) == {*llmkit._EXPORTS, "registry"}


def test_core_names_are_exported() -> None:
    for name in (
        "stream_text",
        "generate_text",
        "StreamTextResult",
        "GenerateTextResult",
        "ProviderConfig",
        "ProviderRegistry",
        "registry",
        "Usage",
        "StreamEvent",
        "LLMKitError",
        "APIStatusError",
        "StreamError",
        "NoSuchProviderError",
        "MissingCredentialError",
    ):
        assert name in llmkit.__all__


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="nope"):
        llmkit.nope  # noqa: B018


def test_import_is_lazy_and_side_effect_free() -> None:
    code = (
        "import sys, json; import llmkit; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'pydantic', 'keyring', 'httpx_sse', 'platformdirs', 'anyio'))))"
    )
    env = {"PATH": "/usr/bin:/bin", "LLMKIT_PROVIDERS_FILE": os.devnull}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(out.stdout) == []


def test_error_tree() -> None:
    from llmkit import errors

    assert issubclass(errors.NoSuchProviderError, errors.ConfigurationError)
    assert issubclass(errors.MissingCredentialError, errors.ConfigurationError)
    assert issubclass(errors.KeychainError, errors.AuthError)
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    assert issubclass(errors.InvalidResponseError, errors.StreamError)
    for status, cls in [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (429, errors.RateLimitError),
        (503, errors.OverloadedError),
        (529, errors.OverloadedError),
        (500, errors.InternalServerError),
        (502, errors.InternalServerError),
        (418, errors.APIStatusError),
    ]:
        assert errors.status_error_class(status) is cls
    classes = [n for n in errors.__all__ if n[0].isupper()]  # functions are lower-case
    assert all(issubclass(getattr(errors, n), errors.LLMKitError) for n in classes)


async def test_call_functions_reject_an_unknown_keyword() -> None:
    """``**settings: Unpack[...]`` takes any keyword at run time; a misspelt one still raises the
    TypeError Python raises for a missing parameter (before anything is resolved or sent)."""
    schema = {"type": "object"}
    with pytest.raises(TypeError, match=r"^stream_text\(\) got .* argument 'temprature':"):
        llmkit.stream_text(model="nope:m", temprature=0.2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^generate_text\(\) got .* argument 'fallbacks':"):
        await llmkit.generate_text(model="nope:m", fallbacks=[])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^stream_object\(\) got .* argument 'tools':"):
        llmkit.stream_object(model="nope:m", schema=schema, tools=[])  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"^generate_object\(\) got .* argument 'max_steps':"):
        await llmkit.generate_object(model="nope:m", schema=schema, max_steps=2)  # type: ignore[call-overload]


def test_settings_typed_dicts() -> None:
    from llmkit._settings import _CALL_FIELDS
    from llmkit.types.options import CallOptions

    base = llmkit.CallSettings.__optional_keys__
    assert not llmkit.CallSettings.__required_keys__
    assert llmkit.TextCallSettings.__optional_keys__ - base == {
        "tools",
        "tool_choice",
        "max_steps",
        "stop_when",
        "on_step_finish",
        "on_finish",
        "on_start",
        "on_step_start",
        "on_chunk",
        "on_error",
        "prepare_step",
        "repair_tool_call",
        "output",
        "fallback_models",
    }
    assert llmkit.ObjectCallSettings.__optional_keys__ - base == {
        "schema_name",
        "schema_description",
        "mode",
    }
    # every CallOptions field among the settings reaches CallOptions ("prompt" becomes a message)
    assert set(_CALL_FIELDS) == base & {*CallOptions.model_fields, "prompt"}
