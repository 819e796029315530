"""The gateway's configuration: a TOML file (``llmkit-gateway.toml``) read into
:class:`GatewayConfig`.

Example::

    host = "127.0.0.1"          # llmkit serve's defaults (--host / --port override them)
    port = 8787
    default_model = "fast"      # for POST /api/chat requests that name no model
    keys_file = "gateway-keys.json"   # relative to this file; default: the user config dir
    max_body_bytes = 10485760   # request bodies above this are refused (413)
    models = ["openai:gpt-4.1"] # listed by GET /v1/models besides the aliases
    rate_limit_wait = 10.0      # seconds a request over its key's rate waits, then 429
    cors_origins = ["http://localhost:3000"]  # browsers allowed to call the gateway

    [aliases]
    fast = ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"]   # first = primary
    smart = "anthropic:claude-sonnet-4-5"

Every problem raises :class:`GatewayConfigError` naming the file and the key.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmkit.errors import ConfigurationError

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_MAX_BODY_BYTES",
    "GatewayConfig",
    "GatewayConfigError",
    "InsecureListenError",
    "check_listen_address",
    "default_keys_file",
    "is_loopback",
    "load_config",
]

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
"""10 MiB: the default cap on a request body, in bytes."""

DEFAULT_CONFIG_FILE = "llmkit-gateway.toml"
"""The file ``llmkit serve`` reads from the working directory when ``--config`` is not given."""


class GatewayConfigError(ConfigurationError, ValueError):
    """The gateway configuration (file or values) is invalid.

    Attributes:
        key: the offending key as a dotted path (``"aliases.fast"``, ``"port"``), or ``""``
            for the file as a whole.
        path: the file, when the configuration came from one.
    """

    def __init__(self, message: str, *, key: str = "", path: Path | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.path = path


class InsecureListenError(ConfigurationError):
    """``llmkit serve`` was asked to listen on a non-loopback address with no gateway key."""


def default_keys_file() -> Path:
    """``<user config dir>/llmkit/gateway-keys.json`` (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("llmkit")) / "gateway-keys.json"


class GatewayConfig(BaseModel):
    """What the gateway serves and how.

    Attributes:
        aliases: alias name → models (``"provider:model"``), the first the primary and the
            rest its fallbacks (tried in order when the primary fails retryably before any
            content: llmkit's ``fallback_models``). A single string is one model.
        default_model: the model (alias or ``"provider:model"``) of a ``POST /api/chat``
            request that names none.
        models: further ``"provider:model"`` names listed by ``GET /v1/models``.
        keys_file: the gateway keys file (see :mod:`llmkit.server.keys`); None: the user
            config dir's ``gateway-keys.json``. With no keys in it, every request is accepted.
        max_body_bytes: the largest request body accepted, in bytes (default 10 MiB); a larger
            one is answered 413.
        host: the address ``llmkit serve`` listens on by default.
        port: the TCP port ``llmkit serve`` listens on by default (0: any free port).
        rate_limit_wait: seconds a request over its key's rate limit waits for a turn before
            it is answered 429.
        cors_origins: origins allowed to call the gateway from a browser (CORS); empty: no
            CORS headers.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    default_model: str | None = None
    models: tuple[str, ...] = ()
    keys_file: Path | None = None
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1)
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    rate_limit_wait: float = Field(default=10.0, ge=0)
    cors_origins: tuple[str, ...] = ()

    @field_validator("aliases", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: (v,) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("aliases")
    @classmethod
    def _check_aliases(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for name, models in value.items():
            if not name or ":" in name:
                raise ValueError(f"alias {name!r}: an alias name has no ':' (it is not a model)")
            if not models:
                raise ValueError(f"alias {name!r}: list at least one 'provider:model'")
            for model in models:
                if ":" not in model:
                    raise ValueError(
                        f"alias {name!r}: {model!r} is not 'provider:model' "
                        "(an alias cannot name another alias)"
                    )
        return value

    @field_validator("models")
    @classmethod
    def _check_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for model in value:
            if ":" not in model:
                raise ValueError(f"{model!r} is not 'provider:model'")
        return value

    def keys_path(self) -> Path:
        """The keys file in use (``keys_file`` or :func:`default_keys_file`)."""
        return self.keys_file.expanduser() if self.keys_file else default_keys_file()

    def candidates(self, model: str) -> tuple[str, ...]:
        """The models to try for ``model`` as a client sent it: an alias's list, or the
        ``"provider:model"`` itself."""
        return self.aliases.get(model, (model,))


def config_error(exc: ValidationError, path: Path | None = None) -> GatewayConfigError:
    """One :class:`GatewayConfigError` for a validation failure: the first problem's key,
    every problem on its own line."""
    lines: list[str] = []
    first = ""
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"])
        first = first or key
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (known: " + ", ".join(sorted(GatewayConfig.model_fields)) + ")"
        lines.append(f"{key}: {message}" if key else message)
    where = f"gateway config {path}" if path else "gateway config"
    body = lines[0] if len(lines) == 1 else "\n  " + "\n  ".join(lines)
    return GatewayConfigError(f"{where}: {body}", key=first, path=path)


def load_config(path: str | Path) -> GatewayConfig:
    """Read a gateway TOML file (see the module docstring); a relative ``keys_file`` is taken
    relative to the file's folder.

    Raises:
        GatewayConfigError: the file cannot be read, is not TOML, has an unknown key or a
            value of the wrong type or range; ``key`` names the offending key.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    path = Path(path).expanduser()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GatewayConfigError(f"cannot read gateway config {path}: {exc}", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise GatewayConfigError(
            f"gateway config {path} is not valid TOML: {exc}", path=path
        ) from exc
    keys_file = data.get("keys_file")
    if isinstance(keys_file, str) and not Path(keys_file).expanduser().is_absolute():
        data["keys_file"] = str(path.parent / keys_file)
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, path) from None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an IP address or ``localhost``) is a loopback address; any other host
    name counts as not loopback."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen_address(host: str, keys_configured: bool) -> None:
    """Refuse to serve beyond this machine without gateway keys.

    Raises:
        InsecureListenError: ``host`` is not a loopback address and ``keys_configured`` is
            false; the message says how to create a key.
    """
    if keys_configured or is_loopback(host):
        return
    raise InsecureListenError(
        f"refusing to listen on {host}: no gateway key is configured, so anyone who can reach "
        "this address could use your provider credentials. Create a key with "
        "`llmkit gateway keys create` (clients send it as 'Authorization: Bearer <key>' or "
        "'x-api-key'), or listen on 127.0.0.1"
    )
