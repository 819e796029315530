"""The provider registry: built-in and custom providers, and ``"provider:model"`` resolution."""

from __future__ import annotations

import difflib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from pydantic import BaseModel, ValidationError

from llmkit.errors import (
    ConfigurationError,
    InvalidProviderConfigError,
    NoSuchProviderError,
    ProvidersFileNotFoundError,
)
from llmkit.providers.config import ProviderConfig

__all__ = [
    "ProviderRegistry",
    "default_config_file",
    "load_providers_file",
    "overlay_provider",
    "suggest_model",
]

_MERGED = ("quirks", "headers")
"""Fields whose tables merge key by key over a base provider's instead of replacing them."""

_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("claude-", "anthropic"),
    ("gemini-", "google"),
    ("grok-", "xai"),
    ("deepseek-", "deepseek"),
    ("mistral-", "mistral"),
    ("magistral-", "mistral"),
    ("codestral-", "mistral"),
    ("glm-", "zhipu"),
    ("kimi-", "moonshot"),
)
"""Model id prefixes and the built-in provider that serves them, for "did you mean"."""


def overlay_provider(base: ProviderConfig, fields: Mapping[str, object]) -> ProviderConfig:
    """``base`` with ``fields`` on top: a field not given keeps the base's value, and
    ``quirks`` and ``headers`` merge flag by flag (header by header) over the base's.

    Changing the ``protocol`` starts the quirks and the auth scheme afresh (the base's quirks
    belong to its protocol): the new protocol's defaults apply unless ``fields`` sets them.

    Raises:
        pydantic.ValidationError: the result is not a valid provider.
    """
    data: dict[str, object] = {name: getattr(base, name) for name in ProviderConfig.model_fields}
    if "protocol" in fields and fields["protocol"] != base.protocol:
        del data["quirks"], data["auth"]
    for name, value in fields.items():
        current = data.get(name)
        if name in _MERGED and current is not None:
            data[name] = {**_as_dict(current), **_as_dict(value, only_set=True)}
        else:
            data[name] = value
    return ProviderConfig.model_validate(data)


def _as_dict(value: object, *, only_set: bool = False) -> dict[str, object]:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=only_set)
    if isinstance(value, Mapping):
        return dict(value)
    raise InvalidProviderConfigError(f"expected a table of flags, got {value!r}")


def suggest_model(model: str, providers: Iterable[ProviderConfig]) -> str | None:
    """The ``"provider:model"`` string ``model`` probably meant, or None.

    ``"gpt-4o"`` (a model id alone, found in a provider's ``models`` or by a known prefix) and
    ``"openai/gpt-4o"`` (a slash for the colon) give ``"openai:gpt-4o"``; a misspelt provider
    id (``"opneai:gpt-4o"``) gives the closest known id (difflib).
    """
    by_id = {p.id: p for p in providers}
    provider_id, sep, model_id = model.partition(":")
    if sep:
        close = difflib.get_close_matches(provider_id.lower(), list(by_id), n=1, cutoff=0.6)
        return f"{close[0]}:{model_id}" if close else None
    head, slash, tail = model.partition("/")
    if slash and tail and head in by_id:
        return f"{head}:{tail}"
    for provider in by_id.values():
        if model in provider.models:
            return f"{provider.id}:{model}"
    lowered = model.lower()
    for prefix, owner in _PREFIXES:
        if lowered.startswith(prefix) and owner in by_id:
            return f"{owner}:{model}"
    close = difflib.get_close_matches(lowered, list(by_id), n=1, cutoff=0.75)
    return close[0] if close else None


def _named_by_environment(path: Path) -> bool:
    named = os.environ.get("LLMKIT_PROVIDERS_FILE")
    return named is not None and named != "" and Path(named) == path


def default_config_file() -> Path:
    """The user's providers file: ``$LLMKIT_PROVIDERS_FILE`` if set, else
    ``<user config dir>/llmkit/providers.toml`` (platformdirs)."""
    override = os.environ.get("LLMKIT_PROVIDERS_FILE")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("llmkit")) / "providers.toml"


def load_providers_file(
    path: Path, base: Mapping[str, ProviderConfig] | None = None
) -> list[ProviderConfig]:
    """Read custom providers from a TOML file.

    The file has one table per provider under ``providers``; the table name is the id. A table
    whose id is in ``base`` (the built-ins, for the default registry) overlays that provider
    (:func:`overlay_provider`): fields it leaves out, and quirk flags it does not set, keep the
    base's values::

        [providers.local]
        protocol = "openai-chat"
        base_url = "http://127.0.0.1:8000/v1"
        api_key_env = "LOCAL_KEY"

        [providers.local.quirks]
        reasoning_fields = ["reasoning_content"]

    Raises:
        InvalidProviderConfigError: the file is not valid TOML, has a top-level table other
            than ``providers`` (``[provider.x]`` is a typo), or an entry fails validation; the
            message names the file, the provider and the field.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidProviderConfigError(f"cannot read providers file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidProviderConfigError(f"providers file {path} is not valid TOML: {exc}") from exc
    for key in data:
        if key != "providers":
            inner = data[key]
            example = next(iter(inner), "<id>") if isinstance(inner, dict) else "<id>"
            hint = (
                f"did you mean [providers.{example}]? "
                if isinstance(inner, dict) or key.lower().startswith("provider")
                else ""
            )
            raise InvalidProviderConfigError(
                f"{path}: unknown top-level key or table {key!r}; {hint}Each provider is a "
                "table under 'providers', e.g. [providers.local]."
            )
    table = data.get("providers", {})
    if not isinstance(table, dict):
        raise InvalidProviderConfigError(f"{path}: 'providers' must be a table of tables")
    out: list[ProviderConfig] = []
    for provider_id, fields in table.items():
        if not isinstance(fields, dict):
            raise InvalidProviderConfigError(f"{path}: [providers.{provider_id}] must be a table")
        try:
            if base is not None and provider_id in base:
                out.append(overlay_provider(base[provider_id], fields))
            else:
                out.append(ProviderConfig(**{"id": provider_id, **fields}))
        except ValidationError as exc:
            from llmkit.providers.config import provider_config_problems

            problems = provider_config_problems(exc, {"id": provider_id, **fields})
            raise InvalidProviderConfigError(f"{path}: {problems}") from None
        except InvalidProviderConfigError as exc:
            raise InvalidProviderConfigError(f"{path}: {exc}") from None
    return out


class ProviderRegistry:
    """Providers by id, and resolution of ``"provider:model"`` strings.

    Args:
        providers: the initial providers (e.g. :data:`~llmkit.providers.builtin.BUILTIN_PROVIDERS`).
        config_file: a providers TOML file read on first use (not at construction), or None.

    Thread-safe; the default registry is ``llmkit.registry``.
    """

    def __init__(
        self, providers: Iterable[ProviderConfig] = (), *, config_file: Path | None = None
    ) -> None:
        self._providers: dict[str, ProviderConfig | Callable[[], ProviderConfig]] = {
            p.id: p for p in providers
        }
        self._config_file = config_file
        self._loaded = config_file is None
        self._lock = threading.RLock()

    @classmethod
    def _lazy(
        cls, factories: Mapping[str, Callable[[], ProviderConfig]], *, config_file: Path | None
    ) -> ProviderRegistry:
        """A registry whose providers are built on first use (the default registry's built-ins:
        resolving ``"openai:..."`` validates only ``openai`` and imports only its protocol)."""
        registry = cls(config_file=config_file)
        registry._providers.update(factories)
        return registry

    def _config(self, provider_id: str) -> ProviderConfig | None:
        """The provider with this id, built now if it was registered lazily; None if unknown."""
        entry = self._providers.get(provider_id)
        if entry is None or isinstance(entry, ProviderConfig):
            return entry
        with self._lock:
            entry = self._providers.get(provider_id)
            if entry is None or isinstance(entry, ProviderConfig):
                return entry
            config = entry()
            self._providers[provider_id] = config
            return config

    def _configs(self) -> dict[str, ProviderConfig]:
        """Every provider by id, in registration order (lazy ones built now)."""
        with self._lock:
            out: dict[str, ProviderConfig] = {}
            for provider_id in list(self._providers):
                config = self._config(provider_id)
                if config is not None:
                    out[provider_id] = config
            return out

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            path = self._config_file
            if path is not None and path.is_file():
                for provider in load_providers_file(path, _Built(self)):
                    self._providers[provider.id] = provider
            elif path is not None and not path.exists() and _named_by_environment(path):
                raise ProvidersFileNotFoundError(
                    f"LLMKIT_PROVIDERS_FILE names {str(path)!r}, which does not exist; create "
                    "it, point LLMKIT_PROVIDERS_FILE at your providers file, set it to "
                    f"{os.devnull!r} for no providers file, or unset it for the default "
                    "location"
                )
            self._loaded = True  # not before: a broken file fails every use until fixed

    def register(self, provider: ProviderConfig, *, replace: bool = True) -> None:
        """Add a provider (a custom one, or a replacement for a built-in with the same id).

        Raises:
            ConfigurationError: ``replace=False`` and the id is taken.
        """
        self._ensure_loaded()
        with self._lock:
            if not replace and provider.id in self._providers:
                raise ConfigurationError(f"provider {provider.id!r} is already registered")
            self._providers[provider.id] = provider

    def unregister(self, provider_id: str) -> None:
        """Remove a provider.

        Raises:
            NoSuchProviderError: no provider has that id.
        """
        self._ensure_loaded()
        with self._lock:
            if provider_id not in self._providers:
                raise NoSuchProviderError(provider_id, list(self._providers))
            del self._providers[provider_id]

    def get(self, provider_id: str) -> ProviderConfig:
        """The provider with this id.

        Raises:
            NoSuchProviderError: unknown id; the error lists the known ids.
        """
        self._ensure_loaded()
        provider = self._config(provider_id)
        if provider is None:
            known = list(self._providers)
            close = difflib.get_close_matches(provider_id.lower(), known, n=1, cutoff=0.6)
            suggestion = close[0] if close else None
            raise NoSuchProviderError(provider_id, known, suggestion=suggestion)
        return provider

    def resolve(self, model: str) -> tuple[ProviderConfig, str]:
        """Split ``"provider:model"`` at the first ``:`` and look the provider up.

        ``"provider"`` alone means the provider's ``default_model``. Model ids may contain
        further colons (``"ollama:llama3.1:8b"`` → ``ollama``, ``llama3.1:8b``).

        Returns:
            (provider config, model id).

        Raises:
            NoSuchProviderError: unknown provider id; ``suggestion`` holds the string probably
                meant (``"openai:gpt-4o"`` for ``"gpt-4o"``, ``"openai/gpt-4o"`` or
                ``"opneai:gpt-4o"``).
            ConfigurationError: no model id given and the provider has no default model.
        """
        provider_id, sep, model_id = model.partition(":")
        self._ensure_loaded()
        provider = self._config(provider_id)
        if provider is None:
            known = list(self._providers)
            suggestion = suggest_model(model, self._configs().values())
            raise NoSuchProviderError(provider_id, known, suggestion=suggestion)
        if not sep or not model_id:
            if provider.default_model is None:
                raise ConfigurationError(
                    f"no model id in {model!r} and provider {provider_id!r} has no default "
                    f"model; write it as '{provider_id}:<model id>'"
                )
            model_id = provider.default_model
        return provider, model_id

    def list(self) -> list[ProviderConfig]:
        """Every provider, sorted by id."""
        self._ensure_loaded()
        configs = self._configs()
        return [configs[k] for k in sorted(configs)]

    def __contains__(self, provider_id: object) -> bool:
        self._ensure_loaded()
        return provider_id in self._providers


class _Built(Mapping[str, ProviderConfig]):
    """A registry's providers as a mapping that builds a lazily registered one when it is read
    (the base of a providers file's overlays)."""

    def __init__(self, registry: ProviderRegistry) -> None:
        self._registry = registry

    def __getitem__(self, provider_id: str) -> ProviderConfig:
        config = self._registry._config(provider_id)
        if config is None:
            raise KeyError(provider_id)
        return config

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._registry._providers

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._registry._providers))

    def __len__(self) -> int:
        return len(self._registry._providers)
