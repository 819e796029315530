"""The provider registry: built-in and custom providers, and ``"provider:model"`` resolution."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from llmkit.errors import ConfigurationError, InvalidProviderConfigError, NoSuchProviderError
from llmkit.providers.config import ProviderConfig

__all__ = ["ProviderRegistry", "default_config_file", "load_providers_file"]


def default_config_file() -> Path:
    """The user's providers file: ``$LLMKIT_PROVIDERS_FILE`` if set, else
    ``<user config dir>/llmkit/providers.toml`` (platformdirs)."""
    import os

    import platformdirs

    override = os.environ.get("LLMKIT_PROVIDERS_FILE")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("llmkit")) / "providers.toml"


def load_providers_file(path: Path) -> list[ProviderConfig]:
    """Read custom providers from a TOML file.

    The file has one table per provider under ``providers``; the table name is the id::

        [providers.local]
        protocol = "openai-chat"
        base_url = "http://127.0.0.1:8000/v1"
        api_key_env = "LOCAL_KEY"

        [providers.local.quirks]
        reasoning_fields = ["reasoning_content"]

    Raises:
        InvalidProviderConfigError: the file is not valid TOML or an entry fails validation; the
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
    table = data.get("providers", {})
    if not isinstance(table, dict):
        raise InvalidProviderConfigError(f"{path}: 'providers' must be a table of tables")
    out: list[ProviderConfig] = []
    for provider_id, fields in table.items():
        if not isinstance(fields, dict):
            raise InvalidProviderConfigError(f"{path}: [providers.{provider_id}] must be a table")
        try:
            out.append(ProviderConfig.model_validate({"id": provider_id, **fields}))
        except ValidationError as exc:
            raise InvalidProviderConfigError(
                f"{path}: invalid provider {provider_id!r}: {exc}"
            ) from exc
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
        self._providers: dict[str, ProviderConfig] = {p.id: p for p in providers}
        self._config_file = config_file
        self._loaded = config_file is None
        self._lock = threading.RLock()

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            path = self._config_file
            if path is not None and path.is_file():
                for provider in load_providers_file(path):
                    self._providers[provider.id] = provider

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
        try:
            return self._providers[provider_id]
        except KeyError:
            raise NoSuchProviderError(provider_id, list(self._providers)) from None

    def resolve(self, model: str) -> tuple[ProviderConfig, str]:
        """Split ``"provider:model"`` at the first ``:`` and look the provider up.

        ``"provider"`` alone means the provider's ``default_model``. Model ids may contain
        further colons (``"ollama:llama3.1:8b"`` → ``ollama``, ``llama3.1:8b``).

        Returns:
            (provider config, model id).

        Raises:
            NoSuchProviderError: unknown provider id.
            ConfigurationError: no model id given and the provider has no default model.
        """
        provider_id, sep, model_id = model.partition(":")
        provider = self.get(provider_id)
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
        with self._lock:
            return [self._providers[k] for k in sorted(self._providers)]

    def __contains__(self, provider_id: object) -> bool:
        self._ensure_loaded()
        return provider_id in self._providers
