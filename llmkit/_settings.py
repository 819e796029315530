"""From the public functions' ``**settings`` to the driver's :class:`CallOptions` and
:class:`Connection` (shared by the text and the structured-output functions)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from llmkit.errors import UnknownSettingError

if TYPE_CHECKING:
    # imported by the functions that use them: ``from llmkit import stream_text`` must not load
    # the driver, the transport, the protocols or pydantic (they load on the first call)
    from llmkit._driver import Connection
    from llmkit.providers.inline import ModelLike
    from llmkit.types.options import CallOptions
    from llmkit.types.settings import CallSettings

__all__ = ["call_options", "check_settings", "connection", "show_settings"]

_CALL_FIELDS = (
    "prompt",
    "messages",
    "system",
    "max_output_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "reasoning",
    "provider_options",
    "headers",
    "timeout",
)
"""The :class:`CallSettings` keys that are :class:`CallOptions` fields."""


_ALIASES: dict[str, str] = {
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "max_new_tokens": "max_output_tokens",
    "maxTokens": "max_output_tokens",
    "maxOutputTokens": "max_output_tokens",
    "stop": "stop_sequences",
    "topP": "top_p",
    "topK": "top_k",
    "functions": "tools",
    "function_call": "tool_choice",
    "system_prompt": "system",
    "instructions": "system",
    "thinking": "reasoning",
    "reasoning_effort": "reasoning",
    "max_retries": "retry",
    "fallbacks": "fallback_models",
    "input": "prompt",
}
"""Settings of other SDKs (OpenAI, Anthropic, Gemini, the AI SDK) and the llmkit setting that
means the same; used when the llmkit setting is one the function takes."""

_ADVICE: dict[str, str] = {
    "n": "llmkit asks for one answer per call; make several calls (e.g. with asyncio.gather)",
    "provider": 'name the provider in the model string: model="provider:model"',
    "base_url": "register a provider with that base_url: "
    'llmkit.registry.register(ProviderConfig(id=..., protocol="openai-chat", base_url=...)), '
    'then pass model="<id>:<model>"',
    "user": 'pass provider-specific fields in provider_options={"openai": {"user": ...}}',
    "extra_body": 'pass provider-specific fields in provider_options={"<family>": {...}}',
}
"""Keywords other SDKs take that have no llmkit setting of their own, and what to do instead."""
_ADVICE["api_base"] = _ADVICE["endpoint"] = _ADVICE["base_url"]
_ADVICE["metadata"] = _ADVICE["extra_body"]


def _suggestion(function: str, name: str, known: frozenset[str]) -> tuple[str | None, str]:
    """What to use instead of the keyword ``name``: (the setting or function, the advice)."""
    streams = function.startswith("stream_")
    kind = "object" if function.endswith("_object") else "text"
    if name == "stream":
        other = f"generate_{kind}" if streams else f"stream_{kind}"
        why = "always streams" if streams else "never streams"
        return f"{other}()", f"{function}() {why}; call {other}() instead"
    if name == "response_format" or (name in ("schema", "output") and kind == "text"):
        return "generate_object()", (
            "for a JSON object matching a schema, call generate_object(schema=...) or "
            "stream_object(schema=...)"
        )
    if name in ("tools", "tool_choice", "max_steps", "stop_when") and kind == "object":
        return "generate_text()", (
            f"{function}() takes no tools; call generate_text() or stream_text() with tools=, "
            "or force one tool with tool_choice"
        )
    if name in _ADVICE:
        return None, _ADVICE[name]
    from llmkit._validation import did_you_mean

    alias = _ALIASES.get(name)
    guess = alias if alias in known else did_you_mean(name, known)
    if guess is None:
        return None, f"the settings are listed in help({function})"
    return guess, f"did you mean {guess}=?"


def check_settings(function: str, settings: Mapping[str, object], known: frozenset[str]) -> None:
    """Reject a keyword that is not a setting, as Python does for a parameter that is not there,
    and say what to use instead.

    Raises:
        UnknownSettingError: (a ``TypeError``) ``settings`` has a key outside ``known``; the
            message says which setting (``max_tokens`` → ``max_output_tokens``), function
            (``stream=True`` → ``generate_text``) or place to use instead.
    """
    for name in settings:
        if name not in known:
            suggestion, advice = _suggestion(function, name, known)
            raise UnknownSettingError(
                f"{function}() got an unexpected keyword argument {name!r}: {advice}",
                setting=name,
                suggestion=suggestion,
            )


def call_options(settings: Mapping[str, object], **overrides: object) -> CallOptions:
    """The validated call options among ``settings``, with ``overrides`` on top.

    Raises:
        ConfigurationError: an option is invalid; the message names it.
    """
    from llmkit._driver import build_call

    return build_call({**{name: settings.get(name) for name in _CALL_FIELDS}, **overrides})


def connection(
    settings: CallSettings, fallback_models: Sequence[ModelLike] | None = None
) -> Connection:
    """The I/O settings among ``settings``, and the fallback models resolved now.

    A plain-string ``api_key`` is taken out of ``settings`` (the caller's fresh ``**settings``
    dict) and wrapped in a :class:`~llmkit.auth.secret.Secret`, so that no traceback with
    locals of an llmkit frame shows it.

    Raises:
        NoSuchProviderError: a fallback names an unknown provider.
    """
    from llmkit._driver import make_connection

    return make_connection(
        settings.pop("api_key", None),
        settings.get("http_client"),
        retry=settings.get("retry"),
        timeouts=settings.get("timeouts"),
        rate_limit=settings.get("rate_limit"),
        fallback_models=fallback_models,
        cache=settings.get("cache"),
        registry=settings.get("registry"),
    )


class _Annotation(str):
    """A type written as text, shown without quotes in ``help()`` and ``inspect.signature``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def show_settings(function: Callable[..., object], settings: type[Mapping[str, object]]) -> None:
    """Give ``function`` (``def f(*, model, **settings: Unpack[...])``) a ``__signature__``
    that lists every key of the settings TypedDict as a keyword-only parameter (default
    ``None``), so ``help()``, ``inspect.signature`` and IDEs show each setting, not
    ``**settings``. The keywords are still checked by :func:`check_settings`."""
    signature = inspect.signature(function)
    params = [
        p.replace(annotation=_text(p.annotation))
        for p in signature.parameters.values()
        if p.kind is not p.VAR_KEYWORD
    ]
    taken = {p.name for p in params}
    for name, hint in settings.__annotations__.items():
        if name in taken:
            continue
        kind = inspect.Parameter.KEYWORD_ONLY
        params.append(inspect.Parameter(name, kind, default=None, annotation=_text(hint)))
    returns = _text(signature.return_annotation)
    vars(function)["__signature__"] = signature.replace(
        parameters=params, return_annotation=returns
    )


def _text(hint: object) -> object:
    """A string or forward-reference annotation as unquoted text; others unchanged."""
    text = getattr(hint, "__forward_arg__", hint)
    return _Annotation(text) if isinstance(text, str) else text
