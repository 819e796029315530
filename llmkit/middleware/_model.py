"""A model wrapped in middleware: :class:`WrappedModel` and :func:`wrap_model`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmkit.errors import InvalidArgumentError
from llmkit.middleware._base import Middleware

if TYPE_CHECKING:
    from llmkit.providers.inline import Model, ModelLike

__all__ = ["WrappedModel", "wrap_model"]


@dataclass(frozen=True, slots=True)
class WrappedModel:
    """A model with middleware around each of its calls; made by :func:`wrap_model`.

    Pass it wherever a model goes: ``model=`` of ``stream_text``, ``generate_text``,
    ``stream_object`` and ``generate_object``, and ``fallback_models=``.

    Attributes:
        model: the model underneath: a ``"provider:model"`` string or an inline
            :class:`~llmkit.Model` (never another ``WrappedModel``: nesting is flattened).
        middleware: the layers, outermost first.
    """

    model: str | Model
    middleware: tuple[Middleware, ...]

    def __post_init__(self) -> None:
        from llmkit.providers.inline import Model

        if not isinstance(self.model, (str, Model)):
            raise InvalidArgumentError(
                f"WrappedModel.model must be a 'provider:model' string or an llmkit.Model, "
                f"not {type(self.model).__name__}: use wrap_model(model, middleware)"
            )
        _check_middleware(self.middleware)

    @property
    def name(self) -> str:
        """The model's ``"provider:model"`` name: the string itself, or an inline model's
        (``stream_start.model`` reports the one that answered)."""
        return self.model if isinstance(self.model, str) else self.model.name

    def __repr__(self) -> str:
        layers = ", ".join(repr(m) for m in self.middleware)
        return f"WrappedModel({self.model!r}, [{layers}])"


def _check_middleware(layers: Sequence[object]) -> None:
    for layer in layers:
        if isinstance(layer, type) and issubclass(layer, Middleware):
            raise InvalidArgumentError(
                f"middleware must be instances: pass {layer.__name__}(...), not the class"
            )
        if not isinstance(layer, Middleware):
            raise InvalidArgumentError(
                f"middleware must be llmkit.middleware.Middleware instances, not "
                f"{type(layer).__name__} (subclass Middleware, or use a built-in such as "
                f"extract_reasoning())"
            )


def wrap_model(model: ModelLike, middleware: Middleware | Sequence[Middleware]) -> WrappedModel:
    """Wrap a model in middleware that runs around each of its calls.

    As the Vercel AI SDK's ``wrapLanguageModel``: with ``[a, b]``, ``a`` is the outermost
    layer (its :meth:`~Middleware.transform_options` runs first, its
    :meth:`~Middleware.wrap_stream` sees the events last) and ``b`` wraps the model.
    Wrapping a :class:`WrappedModel` again puts the new layers outside the old ones:
    ``wrap_model(wrap_model(m, a), b)`` equals ``wrap_model(m, [b, a])``.

    Nothing is resolved or sent here: a model string is looked up in the registry by the call
    that uses it.

    Args:
        model: a ``"provider:model"`` string, an inline :class:`~llmkit.Model`, or a
            ``WrappedModel``.
        middleware: one :class:`Middleware` or a sequence of them, outermost first.

    Returns:
        A frozen :class:`WrappedModel`.

    Raises:
        InvalidArgumentError: ``model`` is none of the above, or a middleware is not a
            :class:`Middleware` instance (a class given instead of an instance included).
    """
    layers: tuple[Middleware, ...]
    if isinstance(middleware, Sequence) and not isinstance(middleware, str):
        layers = tuple(middleware)
    else:  # one middleware (or a mistake, refused next)
        layers = (middleware,)
    _check_middleware(layers)
    if isinstance(model, WrappedModel):
        return WrappedModel(model.model, layers + model.middleware)
    return WrappedModel(model, layers)
