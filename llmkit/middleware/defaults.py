"""Default call settings for a model: :func:`default_settings`.

Behaviour as the Vercel AI SDK's ``defaultSettingsMiddleware`` (AI SDK reference,
"defaultSettingsMiddleware": the defaults are merged under the call's own settings, so a setting
the call gives wins, and provider options are merged deeply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from llmkit.middleware._base import CallKind, Middleware

if TYPE_CHECKING:
    from pydantic import JsonValue

    from llmkit.types.options import CallOptions, ReasoningOptions

__all__ = ["DefaultSettingsMiddleware", "default_settings"]

_SCALARS = (
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
    "timeout",
)
"""Settings a call leaves unset with ``None``: the default fills them."""


def _merge(default: Mapping[str, object], given: Mapping[str, object]) -> dict[str, object]:
    """``given`` over ``default``, nested objects merged key by key (``given`` wins)."""
    out = dict(default)
    for key, value in given.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = _merge(below, value)
        else:
            out[key] = value
    return out


class DefaultSettingsMiddleware(Middleware):
    """Fills the call options a call leaves unset (made by :func:`default_settings`).

    Attributes:
        defaults: the validated defaults (a ``CallOptions`` without messages).
        names: the settings that have a default.
    """

    def __init__(self, defaults: CallOptions, names: frozenset[str]) -> None:
        self.defaults = defaults
        self.names = names

    def transform_options(self, call: CallOptions, *, kind: CallKind, model: str) -> CallOptions:
        """The call with each unset setting taken from the defaults; ``provider_options``
        merged deeply and ``headers`` merged by case-insensitive name, the call's values
        winning."""
        defaults, update = self.defaults, {}
        for name in _SCALARS:
            if name in self.names and getattr(call, name) is None:
                update[name] = getattr(defaults, name)
        if defaults.provider_options:
            update["provider_options"] = _merge(defaults.provider_options, call.provider_options)
        if defaults.headers:
            given = {name.lower() for name in call.headers}
            headers = {k: v for k, v in defaults.headers.items() if k.lower() not in given}
            update["headers"] = {**headers, **call.headers}
        return call.model_copy(update=update) if update else call

    def __repr__(self) -> str:  # header values may be credentials: names only
        shown = []
        for name in sorted(self.names):
            value = getattr(self.defaults, name)
            if name == "headers":
                shown.append(f"headers=[{', '.join(sorted(value))}]")
            elif name == "provider_options":
                shown.append(f"provider_options=[{', '.join(sorted(value))}]")
            else:
                shown.append(f"{name}={value!r}")
        return f"default_settings({', '.join(shown)})"


def default_settings(
    *,
    system: str | None = None,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    reasoning: ReasoningOptions | Mapping[str, object] | None = None,
    provider_options: Mapping[str, Mapping[str, JsonValue]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> DefaultSettingsMiddleware:
    """Middleware that gives a model default call settings.

    A setting the call gives wins (``temperature=0`` included); an unset one (``None``) takes
    the default. ``provider_options`` are merged deeply (the call's values win key by key) and
    ``headers`` by case-insensitive name. Each argument means what the call option of the same
    name means (:class:`~llmkit.types.options.CallOptions`).

    Args:
        system: system instructions for calls that give none.
        max_output_tokens: output token limit (tokens).
        temperature, top_p, top_k, seed, presence_penalty, frequency_penalty: sampling.
        stop_sequences: strings that end generation.
        reasoning: reasoning settings (``{"effort": "low"}`` or ``ReasoningOptions``).
        provider_options: per protocol family, e.g. ``{"openai": {"service_tier": "flex"}}``.
        headers: extra HTTP headers.
        timeout: overall read timeout, in seconds.

    Returns:
        A :class:`DefaultSettingsMiddleware` for :func:`~llmkit.middleware.wrap_model`.

    Raises:
        InvalidArgumentError: a value is out of range (``temperature=5``), one line per
            problem with what to do.
    """
    from pydantic import ValidationError

    from llmkit._validation import explain, problem_lines
    from llmkit.errors import InvalidArgumentError
    from llmkit.types.options import _RANGES, CallOptions

    given = {
        "system": system,
        "max_output_tokens": max_output_tokens,
        "temperature": temperature,
        "top_p": top_p,
        "top_k": top_k,
        "stop_sequences": list(stop_sequences) if stop_sequences is not None else None,
        "seed": seed,
        "presence_penalty": presence_penalty,
        "frequency_penalty": frequency_penalty,
        "reasoning": reasoning,
        "provider_options": provider_options,
        "headers": headers,
        "timeout": timeout,
    }
    values = {name: value for name, value in given.items() if value is not None}
    try:
        defaults = CallOptions.model_validate(values)
    except ValidationError as exc:
        lines = problem_lines(exc, model=CallOptions, fixes=_RANGES)
        raise InvalidArgumentError(
            explain("invalid default_settings", lines), problems=lines
        ) from None
    return DefaultSettingsMiddleware(defaults, frozenset(values))
