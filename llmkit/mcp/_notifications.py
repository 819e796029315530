"""What an MCP server tells the client on its own: log messages and progress, as llmkit values,
and the hooks that receive them."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias, TypeVar

from pydantic import JsonValue

__all__ = ["LogLevel", "MCPLogMessage", "MCPProgress", "call_hook", "logger", "python_level"]

logger = logging.getLogger("llmkit.mcp")

LogLevel: TypeAlias = Literal[
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"
]
"""The MCP log levels (RFC 5424 severities, MCP specification "Utilities → Logging")."""

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}


def python_level(level: str) -> int:
    """The :mod:`logging` level of an MCP log level (``notice`` → INFO, ``alert`` and
    ``emergency`` → CRITICAL; an unknown level → INFO)."""
    return _LEVELS.get(level, logging.INFO)


@dataclass(frozen=True, slots=True)
class MCPLogMessage:
    """A log message an MCP server sent (``notifications/message``).

    Attributes:
        server: the server's name.
        level: the MCP log level (``debug`` ... ``emergency``).
        logger: the server-side logger's name, if given.
        data: the message: a string or any JSON value.
    """

    server: str
    level: str
    logger: str | None
    data: JsonValue


@dataclass(frozen=True, slots=True)
class MCPProgress:
    """A progress report for a running tool call (``notifications/progress``).

    Attributes:
        server: the server's name.
        tool_name: the tool's name on the server.
        progress: the progress so far (increases with each report; units are the tool's).
        total: the total, if the tool knows it.
        message: a human-readable status, if given.
    """

    server: str
    tool_name: str
    progress: float
    total: float | None
    message: str | None


T = TypeVar("T")

Hook: TypeAlias = Callable[[T], Awaitable[object] | object]
"""A callback that receives one value; sync or async."""


async def call_hook(hook: Hook[T] | None, value: T, what: str) -> None:
    """Run ``hook(value)`` (awaited if it returns an awaitable); an exception from it is logged
    (``what`` names the hook), never raised into the MCP session."""
    if hook is None:
        return
    try:
        result = hook(value)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("the %s hook raised", what)
