"""Every llmkit exception pickles and unpickles with its type, message and every field: errors
cross ``multiprocessing``, Celery and other task-queue boundaries intact.

The tree is walked at run time (every subclass of ``LLMKitError``, wherever it is defined), so a
new error class is covered as soon as it exists; one whose ``__init__`` needs a parameter this
file has no representative value for fails with a message that says what to add.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import multiprocessing
import pickle
import pkgutil
from pathlib import Path

import pytest

import llmkit
from llmkit import errors
from llmkit.errors import (
    APIError,
    APIStatusError,
    InBandOverloadedError,
    InBandStatusError,
    LLMKitError,
    OverloadedError,
    StreamError,
    in_band_error_class,
    in_band_status_error,
    status_error_class,
)
from llmkit.types.events import ToolCallEvent
from llmkit.types.partial import PartialResult
from llmkit.types.usage import Usage

_USAGE = Usage(input_tokens=12, output_tokens=34, total_tokens=46, raw={"prompt_tokens": 12})

VALUES: dict[str, object] = {
    "message": "the provider failed; retry later",
    "server": "weather",
    "tool_name": "get_weather",
    "code": -32602,
    "provider_id": "openai",
    "model_id": "gpt-4o-mini",
    "request_id": "req_123",
    "known": ["anthropic", "openai"],
    "env_var": "OPENAI_API_KEY",
    "oauth": False,
    "error": "invalid_grant",
    "login_required": False,
    "status_code": 529,
    "body": {"error": {"type": "overloaded_error", "message": "Overloaded", "nested": [1, 2]}},
    "error_type": "overloaded_error",
    "error_code": "overloaded",
    "retry_after": 1.5,
    "seconds": 12.5,
    "limit": "idle",
    "raw": b'{"not json',
    "text": '{"name": ',
    "errors": [{"loc": ("name",), "msg": "field required", "type": "missing"}],
    "finish_reason": "length",
    "usage": _USAGE,
    "problems": ["temperature: should be at most 2 (got 5); use a value from 0 to 2"],
    "setting": "max_tokens",
    "suggestion": "max_output_tokens",
    "key": "aliases.fast",  # GatewayConfigError
    "path": Path("llmkit-gateway.toml"),
}
"""A representative value per ``__init__`` parameter name."""

_API_KWARGS = ("provider_id", "model_id", "request_id", "error_type", "body")
"""Passed through ``**kwargs`` (``InvalidResponseError``) to the StreamError/APIError init."""

EXTRA_FIELDS: dict[type[BaseException], dict[str, object]] = {
    APIError: {
        "partial": PartialResult(
            text="Hello, wor",
            reasoning_text="thinking",
            tool_calls=(
                ToolCallEvent(
                    tool_call_id="call_1",
                    tool_name="get_weather",
                    args={"city": "Paris"},
                    args_json='{"city": "Paris"}',
                ),
            ),
            usage=_USAGE,
            events=7,
        ),
        "attempts": 3,
    },
    APIStatusError: {"should_retry": False},
}
"""Attributes the driver and transport set after construction."""


def _import_all() -> None:
    for module in pkgutil.walk_packages(llmkit.__path__, "llmkit."):
        importlib.import_module(module.name)


def _all_error_classes() -> list[type[LLMKitError]]:
    _import_all()
    seen: dict[type[LLMKitError], None] = {}
    stack: list[type[LLMKitError]] = [LLMKitError]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen[cls] = None
        stack.extend(cls.__subclasses__())
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def make(cls: type[LLMKitError]) -> LLMKitError:
    """An instance of ``cls`` with a representative value for every parameter and field."""
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind is param.VAR_POSITIONAL:
            continue
        if param.kind is param.VAR_KEYWORD:
            kwargs.update({k: VALUES[k] for k in _API_KWARGS if issubclass(cls, APIError)})
            continue
        if name not in VALUES:
            raise AssertionError(
                f"{cls.__qualname__}.__init__ takes {name!r}: add a representative value for it "
                "to VALUES in tests/test_errors_pickle.py"
            )
        if param.kind is param.POSITIONAL_OR_KEYWORD:
            args.append(VALUES[name])
        else:
            kwargs[name] = VALUES[name]
    error = cls(*args, **kwargs)
    for base, fields in EXTRA_FIELDS.items():
        if isinstance(error, base):
            for name, value in fields.items():
                setattr(error, name, value)
    # a caller's note (PEP 678; set by hand before 3.11, where add_note does not exist)
    error.__notes__ = ["a note added by the caller"]  # type: ignore[attr-defined]
    return error


def assert_same(restored: BaseException, original: BaseException) -> None:
    assert type(restored) is type(original)
    assert str(restored) == str(original)
    assert repr(restored) == repr(original)
    assert restored.args == original.args
    assert vars(restored) == vars(original)
    assert restored.__notes__ == original.__notes__  # type: ignore[attr-defined]
    for name in vars(original):
        assert getattr(restored, name) == getattr(original, name), name
    if isinstance(original, APIError):
        assert isinstance(restored, APIError)
        assert restored.partial == original.partial
        assert restored.attempts == original.attempts == 3
    if isinstance(original, APIStatusError):
        assert isinstance(restored, APIStatusError)
        assert restored.is_retryable == original.is_retryable


CLASSES = _all_error_classes()


def test_the_walk_finds_the_whole_tree() -> None:
    names = {c.__name__ for c in CLASSES}
    public = {n for n in errors.__all__ if n[0].isupper()}
    assert public <= names
    assert len(CLASSES) >= 35


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_every_error_pickles_with_its_fields(cls: type[LLMKitError]) -> None:
    error = make(cls)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert_same(pickle.loads(pickle.dumps(error, protocol=protocol)), error)
    assert_same(copy.copy(error), error)
    assert_same(copy.deepcopy(error), error)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_every_error_is_a_statically_importable_class(cls: type[LLMKitError]) -> None:
    module = importlib.import_module(cls.__module__)
    assert getattr(module, cls.__qualname__) is cls  # pickle finds classes by this name


def test_in_band_classes_are_static_and_caught_by_both_parents() -> None:
    error = in_band_status_error("Overloaded", status_code=529, error_type="overloaded_error")
    assert type(error) is InBandOverloadedError
    assert isinstance(error, OverloadedError)
    assert isinstance(error, StreamError)
    assert isinstance(error, InBandStatusError)
    assert error.status_code == 529
    assert error.error_type == "overloaded_error"
    assert error.is_retryable
    with pytest.raises(OverloadedError):
        raise error
    with pytest.raises(StreamError):
        raise error
    for status in (400, 401, 402, 403, 404, 413, 422, 429, 500, 503, 504, 529):
        cls = in_band_error_class(status)
        assert issubclass(cls, status_error_class(status))
        assert issubclass(cls, StreamError)
        assert cls.__name__.startswith("InBand")
        assert cls.__name__ in errors.__all__
        restored = pickle.loads(pickle.dumps(in_band_status_error("x", status_code=status)))
        assert type(restored) is cls
        assert restored.status_code == status


def _raise(error: BaseException) -> None:
    raise error


def _echo(items: list[LLMKitError]) -> list[LLMKitError]:
    return items


POOL_TIMEOUT = 120.0  # seconds; only a lost task reaches it


def test_errors_cross_a_real_process_boundary() -> None:
    """A fresh interpreter (spawn) receives every error and sends it back; one is raised in the
    worker and re-raised in the parent, as ``multiprocessing.Pool`` does."""
    originals = [make(cls) for cls in CLASSES]
    # a generous bound, not a timing check: an error the worker cannot unpickle loses the task
    # and would leave a plain ``apply`` waiting forever
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        returned = pool.apply_async(_echo, (originals,)).get(timeout=POOL_TIMEOUT)
        with pytest.raises(InBandOverloadedError) as caught:
            pool.apply_async(_raise, (make(InBandOverloadedError),)).get(timeout=POOL_TIMEOUT)
    assert len(returned) == len(originals)
    for restored, original in zip(returned, originals, strict=True):
        assert_same(restored, original)
    assert caught.value.status_code == 529
    expected = make(InBandOverloadedError)
    assert isinstance(expected, InBandOverloadedError)
    assert caught.value.partial == expected.partial
