"""From the public functions' ``**settings`` to the driver's :class:`CallOptions` and
:class:`Connection` (shared by the text and the structured-output functions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from llmkit._driver import Connection, build_call, make_connection
from llmkit.types.options import CallOptions
from llmkit.types.settings import CallSettings

__all__ = ["call_options", "check_settings", "connection"]

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


def check_settings(function: str, settings: Mapping[str, object], known: frozenset[str]) -> None:
    """Reject a keyword that is not a setting, as Python does for a parameter that is not there.

    Raises:
        TypeError: ``settings`` has a key outside ``known``.
    """
    for name in settings:
        if name not in known:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")


def call_options(settings: Mapping[str, object], **overrides: object) -> CallOptions:
    """The validated call options among ``settings``, with ``overrides`` on top.

    Raises:
        ConfigurationError: an option is invalid; the message names it.
    """
    return build_call({**{name: settings.get(name) for name in _CALL_FIELDS}, **overrides})


def connection(settings: CallSettings, fallback_models: Sequence[str] | None = None) -> Connection:
    """The I/O settings among ``settings``, and the fallback models resolved now.

    A plain-string ``api_key`` is taken out of ``settings`` (the caller's fresh ``**settings``
    dict) and wrapped in a :class:`~llmkit.auth.secret.Secret`, so that no traceback with
    locals of an llmkit frame shows it.

    Raises:
        NoSuchProviderError: a fallback names an unknown provider.
    """
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
