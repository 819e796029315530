"""``prepare_step``: one step's model, tools, tool choice, system instructions and messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from llmkit.errors import InvalidArgumentError

if TYPE_CHECKING:
    from llmkit._driver import Target
    from llmkit._hooks import StepPreparation
    from llmkit.providers.inline import ModelLike
    from llmkit.tools._tool import Tool
    from llmkit.types.options import CallOptions

__all__ = ["prepared_step"]

_KEYS = frozenset({"model", "active_tools", "tool_choice", "system", "messages"})


def prepared_step(
    preparation: StepPreparation | Mapping[str, object],
    call: CallOptions,
    target: Target,
    tools: Mapping[str, Tool],
    resolve: Callable[[ModelLike], Target],
) -> tuple[CallOptions, Target, Mapping[str, Tool]]:
    """The step's call options, model and runnable tools once ``preparation`` is applied.

    Raises:
        InvalidArgumentError: an unknown key, an ``active_tools`` name that is not a tool of
            the call, or an invalid ``tool_choice`` / ``system`` / ``messages``.
        NoSuchProviderError, ConfigurationError: ``model`` does not resolve.
    """
    from llmkit._driver import build_call

    if not isinstance(preparation, Mapping):
        raise InvalidArgumentError(
            "prepare_step must return a dict (llmkit.StepPreparation) or None, not "
            f"{type(preparation).__name__}"
        )
    unknown = set(preparation) - _KEYS
    if unknown:
        raise InvalidArgumentError(
            f"prepare_step returned unknown key(s) {sorted(unknown)}; the keys are {sorted(_KEYS)}"
        )
    update: dict[str, object] = {}
    if "active_tools" in preparation:
        names = list(preparation["active_tools"])  # type: ignore[call-overload]
        missing = [n for n in names if n not in tools]
        if missing:
            known = ", ".join(sorted(tools)) or "none"
            raise InvalidArgumentError(
                f"prepare_step: active_tools names {missing}, which are not tools of this call "
                f"(its tools: {known})"
            )
        active = set(names)
        tools = {name: tool for name, tool in tools.items() if name in active}
        update["tools"] = [t for t in call.tools or () if t.name in active] or None
    checked = {k: preparation[k] for k in ("tool_choice", "system", "messages") if k in preparation}
    if checked:
        valid = build_call({"messages": call.messages, **checked})
        update.update({name: getattr(valid, name) for name in checked})
    if update:
        call = call.model_copy(update=update)
    if "model" in preparation:
        target = resolve(preparation["model"])  # type: ignore[arg-type]
    return call, target, tools
