"""The one place that imports the MCP SDK (``mcp``), when a server is first used."""

from __future__ import annotations

import importlib
from types import ModuleType

from llmkit.mcp._errors import MCPNotInstalledError

__all__ = ["require_sdk"]


def require_sdk() -> ModuleType:
    """The ``mcp`` package, imported now.

    Raises:
        MCPNotInstalledError: ``mcp`` is not installed (``pip install 'llmkit[mcp]'``).
    """
    try:
        return importlib.import_module("mcp")
    except ImportError as exc:
        raise MCPNotInstalledError() from exc
