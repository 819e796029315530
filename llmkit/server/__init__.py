"""The gateway: an ASGI app that serves any model llmkit can call in the OpenAI chat, Anthropic
messages and AI SDK UI message stream protocols (``pip install "llmkit[server]"``).

``create_app(config)`` builds the Starlette app (``POST /v1/chat/completions``,
``POST /v1/messages``, ``POST /api/chat``, ``GET /v1/models``); ``llmkit serve`` runs it on
uvicorn. Importing this package imports neither starlette nor uvicorn: its names load on first
use. See ``docs/gateway.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmkit.server.app import create_app
    from llmkit.server.background import BackgroundServer
    from llmkit.server.config import GatewayConfig, GatewayConfigError, load_config
    from llmkit.server.keys import GatewayKey, KeysFile

__all__ = [
    "BackgroundServer",
    "GatewayConfig",
    "GatewayConfigError",
    "GatewayKey",
    "KeysFile",
    "create_app",
    "load_config",
]

_WHERE = {
    "create_app": "llmkit.server.app",
    "BackgroundServer": "llmkit.server.background",
    "GatewayConfig": "llmkit.server.config",
    "GatewayConfigError": "llmkit.server.config",
    "load_config": "llmkit.server.config",
    "GatewayKey": "llmkit.server.keys",
    "KeysFile": "llmkit.server.keys",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit.server' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
