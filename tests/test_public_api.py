"""The public surface: ``__all__`` is explicit and complete, every name resolves, and importing
llmkit has no side effects and loads no heavy module."""

from __future__ import annotations

import json
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
        llmkit.nope  # type: ignore[attr-defined]  # noqa: B018


def test_import_is_lazy_and_side_effect_free() -> None:
    code = (
        "import sys, json; import llmkit; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'pydantic', 'keyring', 'httpx_sse', 'platformdirs', 'anyio'))))"
    )
    env = {"PATH": "/usr/bin:/bin", "LLMKIT_PROVIDERS_FILE": "/nonexistent/providers.toml"}
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
