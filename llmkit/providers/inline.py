"""One-line endpoints: a provider and a model given inline, without touching any registry.

    from llmkit import provider, stream_text

    local = provider("http://127.0.0.1:8000/v1", api_key="sk-local")  # openai-chat by default
    result = stream_text(model=local("qwen3"), prompt="Hi")

    proxy = provider("openai", base_url="http://127.0.0.1:4000/v1")  # the built-in's quirks
    result = stream_text(model=proxy("gpt-4o"), prompt="Hi")

Every ``model=`` argument (``stream_text``, ``generate_text``, ``stream_object``,
``generate_object``, ``fallback_models``, ``list_models``) takes such a :class:`Model` as well as
a ``"provider:model"`` string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union
from urllib.parse import urlsplit

from pydantic import ValidationError

from llmkit.auth.secret import Secret
from llmkit.errors import ConfigurationError, InvalidProviderConfigError
from llmkit.providers.config import ProviderConfig

if TYPE_CHECKING:
    from llmkit.middleware._model import WrappedModel
    from llmkit.providers.registry import ProviderRegistry

__all__ = ["Model", "ModelLike", "Provider", "provider"]


@dataclass(frozen=True, slots=True, repr=False)
class Model:
    """A model on a provider given inline: pass it as ``model=`` instead of a
    ``"provider:model"`` string. Usually made by calling a :class:`Provider`
    (``llmkit.provider(url)("qwen3")``).

    Attributes:
        provider: the provider's configuration (base URL, protocol, auth, quirks...).
        id: the model id sent to the provider (``"qwen3"``, ``"gpt-4o"``).
        api_key: the key for this endpoint (a plain string is wrapped in
            :class:`~llmkit.Secret` at once; never shown in ``repr``), or None to look it up
            as for a registered provider (``provider.api_key_env``, then the keychain). It is
            used for every call to this model; a call's ``api_key=`` applies only to models
            without one.
    """

    provider: ProviderConfig
    id: str
    api_key: Secret | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.provider, ProviderConfig):
            raise ConfigurationError(
                f"Model(provider=...) takes a ProviderConfig, not {type(self.provider).__name__}"
            )
        if not isinstance(self.id, str) or not self.id:
            raise ConfigurationError(f"Model(id=...) must be a non-empty model id, not {self.id!r}")
        if isinstance(self.api_key, str):
            object.__setattr__(self, "api_key", Secret(self.api_key))

    @property
    def name(self) -> str:
        """``"provider:model"``, as ``stream_start.model`` reports it."""
        return f"{self.provider.id}:{self.id}"

    def __repr__(self) -> str:
        key = ", api_key=Secret('***')" if self.api_key is not None else ""
        return f"Model({self.name!r}, base_url={self.provider.base_url!r}{key})"


# a forward reference: the middleware package is imported when a wrapped model is used, not
# by every first call
ModelLike = Union[str, Model, "WrappedModel"]
"""What ``model=`` takes: a ``"provider:model"`` string resolved through the registry, a
:class:`Model` carrying its own provider, or either wrapped in middleware
(:func:`llmkit.middleware.wrap_model`)."""


class Provider:
    """A provider given inline: call it with a model id to get a :class:`Model`.

    Made by :func:`provider`; or directly from a :class:`~llmkit.ProviderConfig`
    (``Provider(config, api_key=...)``). Nothing is registered.

    Attributes:
        config: the provider's configuration.
        api_key: the key for this endpoint (:class:`~llmkit.Secret`), or None.
    """

    __slots__ = ("api_key", "config")

    def __init__(self, config: ProviderConfig, api_key: str | Secret | None = None) -> None:
        self.config = config
        self.api_key = Secret(api_key) if isinstance(api_key, str) else api_key

    def __call__(self, model_id: str | None = None) -> Model:
        """The model ``model_id`` on this provider (None: the provider's default model).

        Raises:
            ConfigurationError: no model id and the provider has no default model.
        """
        if model_id is None:
            model_id = self.config.default_model
            if model_id is None:
                raise ConfigurationError(
                    f"provider {self.config.id!r} has no default model; name one: "
                    f"provider(...)('<model id>')"
                )
        return Model(self.config, model_id, self.api_key)

    def __repr__(self) -> str:
        key = ", api_key=Secret('***')" if self.api_key is not None else ""
        return (
            f"Provider(id={self.config.id!r}, protocol={self.config.protocol!r}, "
            f"base_url={self.config.base_url!r}{key})"
        )


def provider(
    base_url_or_id: str | ProviderConfig,
    /,
    *,
    protocol: str | None = None,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    id: str | None = None,
    registry: ProviderRegistry | None = None,
    **fields: object,
) -> Provider:
    """A provider for one-line use, without touching the registry.

    - ``provider("http://127.0.0.1:8000/v1", protocol="openai-chat", api_key=...)``: a new
      endpoint. The protocol defaults to ``openai-chat``; without ``api_key`` or
      ``api_key_env`` no key is required (a local server); the id (shown in
      ``stream_start.model`` and errors) defaults to the URL's host and port
      (``127.0.0.1-8000``).
    - ``provider("openai", base_url="http://127.0.0.1:4000/v1")``: a registered provider
      (a built-in, or one of the providers file) with some fields changed; it keeps the rest
      (protocol, auth, key variable, headers, quirks), and ``quirks`` / ``headers`` given here
      merge flag by flag over its own.
    - ``provider(ProviderConfig(...), api_key=...)``: a configuration you built.

    Args:
        base_url_or_id: an ``http(s)://`` base URL, a provider id, or a ``ProviderConfig``.
        protocol: the protocol name (``openai-chat``, ``anthropic-messages``,
            ``openai-responses``, ``google-generative`` or your own).
        api_key: the key for this endpoint (wrapped in :class:`~llmkit.Secret` at once).
        base_url: the API root, to point a registered provider elsewhere.
        id: the provider id to report (default: as above).
        registry: where a provider id is looked up (default ``llmkit.registry``).
        **fields: any other :class:`~llmkit.ProviderConfig` field (``headers``, ``quirks``,
            ``api_key_env``, ``auth``, ``default_model``, ``timeouts``, ``retry``...).

    Returns:
        A :class:`Provider`; call it with a model id: ``provider(...)("qwen3")``.

    Raises:
        NoSuchProviderError: ``base_url_or_id`` is neither a URL nor a known provider id.
        InvalidProviderConfigError: a field is invalid (also a ``ValueError``).
    """
    given: dict[str, object] = dict(fields)
    for name, value in (("protocol", protocol), ("base_url", base_url), ("id", id)):
        if value is not None:
            given[name] = value
    try:
        if isinstance(base_url_or_id, ProviderConfig):
            from llmkit.providers.registry import overlay_provider

            config = overlay_provider(base_url_or_id, given) if given else base_url_or_id
        elif base_url_or_id.startswith(("http://", "https://")):
            if base_url is not None:
                raise InvalidProviderConfigError(
                    "provider() got a base URL twice: as the first argument and as base_url="
                )
            given.setdefault("protocol", "openai-chat")
            given.setdefault("id", _id_from_url(base_url_or_id))
            given.setdefault("api_key_required", "api_key_env" in given)
            config = ProviderConfig.model_validate({**given, "base_url": base_url_or_id})
        else:
            from llmkit.providers import default_registry
            from llmkit.providers.registry import overlay_provider

            base = (registry or default_registry()).get(base_url_or_id)
            config = overlay_provider(base, given) if given else base
    except ValidationError as exc:
        raise InvalidProviderConfigError(f"invalid inline provider: {exc}") from exc
    return Provider(config, api_key)


def _id_from_url(url: str) -> str:
    """A provider id from a base URL's host and port: ``127.0.0.1-8000``, ``my-proxy.example``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    raw = f"{host}-{port}" if port else host
    return re.sub(r"[^a-z0-9._-]+", "-", raw).strip("-._") or "custom"
