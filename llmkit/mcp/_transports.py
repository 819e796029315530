"""The two ways to reach an MCP server: a child process on stdio (:class:`MCPServerStdio`) and
streamable HTTP (:class:`MCPServerHTTP`). MCP specification, "Base protocol → Transports"."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit, urlunsplit

from llmkit.errors import ConfigurationError
from llmkit.mcp._notifications import Hook, LogLevel, MCPLogMessage, MCPProgress
from llmkit.mcp._server import MCPServer

__all__ = ["MCPServerHTTP", "MCPServerStdio"]


class MCPServerStdio(MCPServer):
    """An MCP server run as a child process, speaking MCP over its stdin and stdout.

    ``async with server:`` starts the process and initialises the session; leaving the block
    closes the server's stdin, waits for it to exit, then terminates it (and its children)
    if it does not (the SDK's shutdown, bounded in time, also when the task is cancelled).

    Example::

        server = MCPServerStdio(sys.executable, ["weather_server.py"])
        async with server:
            tools = await server.list_tools()

    Args:
        command: the program to run (found on ``PATH`` if not a path).
        args: its arguments.
        env: environment variables for the process, added to a safe base (``HOME``, ``PATH``,
            ``SHELL``, ``TERM``, ``USER``, ``LOGNAME``; the SDK does not pass on the rest of
            this process's environment, API keys included).
        cwd: its working directory (default: this process's).
        stderr: where the server's stderr goes (a file with a file descriptor; default
            ``sys.stderr``).
        name: the server's name in messages, logs and errors.
        tool_prefix: prefix of the tool names from ``list_tools`` (``"<prefix>_<name>"``).
        timeout: time limit for each request, tool calls included (seconds; None: none).
        connect_timeout: time limit for connecting and initialising (seconds).
        log_level: the lowest level of log messages the server should send (None: none).
        on_log: called with each :class:`MCPLogMessage`.
        on_progress: called with each :class:`MCPProgress` of a running tool call.
        on_tools_changed: called with the server when its tool list changed.
        protocol: ``"auto"`` (the newest the server speaks) or ``"legacy"`` (``initialize``).

    Raises:
        ConfigurationError: an empty command.
    """

    def __init__(
        self,
        command: str | os.PathLike[str],
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stderr: TextIO | None = None,
        name: str | None = None,
        tool_prefix: str | None = None,
        timeout: float | None = 300.0,
        connect_timeout: float = 30.0,
        log_level: LogLevel | None = "info",
        on_log: Hook[MCPLogMessage] | None = None,
        on_progress: Hook[MCPProgress] | None = None,
        on_tools_changed: Hook[MCPServer] | None = None,
        protocol: Literal["auto", "legacy"] = "auto",
    ) -> None:
        super().__init__(
            name=name,
            tool_prefix=tool_prefix,
            timeout=timeout,
            connect_timeout=connect_timeout,
            log_level=log_level,
            on_log=on_log,
            on_progress=on_progress,
            on_tools_changed=on_tools_changed,
            protocol=protocol,
        )
        self.command = os.fspath(command)
        if not self.command.strip():
            raise ConfigurationError("MCPServerStdio needs a command to run, e.g. 'npx' or 'uvx'")
        if isinstance(args, str):
            raise ConfigurationError(
                f"args must be a list of arguments, not one string: use {shlex.split(args)!r}"
            )
        self.args = [str(a) for a in args]
        self.env = dict(env) if env is not None else None
        self.cwd = os.fspath(cwd) if cwd is not None else None
        self.stderr = stderr

    def _transport(self) -> AbstractAsyncContextManager[Any]:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        parameters = StdioServerParameters(
            command=self.command, args=self.args, env=self.env, cwd=self.cwd
        )
        return stdio_client(parameters, errlog=self.stderr or sys.stderr)

    def _default_name(self) -> str:
        program = Path(self.command).name
        if program.startswith("python") and self.args:
            return Path(self.args[0]).name  # "server.py" says more than "python3.11"
        return " ".join([program, *self.args[:1]])

    def _connect_hint(self) -> str:
        command = shlex.join([self.command, *self.args])
        return (
            f"check that `{command}` runs an MCP server on stdio (its stderr says why it stopped)"
        )

    def __repr__(self) -> str:
        return f"MCPServerStdio(command={self.command!r}, args={self.args!r}, name={self.name!r})"


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class MCPServerHTTP(MCPServer):
    """An MCP server reached over streamable HTTP (the MCP endpoint's URL, often ``.../mcp``).

    ``async with server:`` connects and initialises the session; leaving the block ends the
    session (an HTTP ``DELETE`` to the endpoint) and closes the connections.

    Example::

        async with MCPServerHTTP("http://127.0.0.1:8000/mcp") as server:
            tools = await server.list_tools()

    Args:
        url: the MCP endpoint (``http://`` or ``https://``).
        headers: HTTP headers sent with every request (e.g. ``Authorization``); never shown in
            a repr, log or error.
        name: the server's name in messages, logs and errors.
        tool_prefix: prefix of the tool names from ``list_tools`` (``"<prefix>_<name>"``).
        timeout: time limit for each request, tool calls included (seconds; None: none).
        connect_timeout: time limit for connecting and initialising (seconds).
        log_level: the lowest level of log messages the server should send (None: none).
        on_log: called with each :class:`MCPLogMessage`.
        on_progress: called with each :class:`MCPProgress` of a running tool call.
        on_tools_changed: called with the server when its tool list changed.
        protocol: ``"auto"`` (the newest the server speaks) or ``"legacy"`` (``initialize``).

    Raises:
        ConfigurationError: a URL that is not ``http://`` or ``https://``.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        tool_prefix: str | None = None,
        timeout: float | None = 300.0,
        connect_timeout: float = 30.0,
        log_level: LogLevel | None = "info",
        on_log: Hook[MCPLogMessage] | None = None,
        on_progress: Hook[MCPProgress] | None = None,
        on_tools_changed: Hook[MCPServer] | None = None,
        protocol: Literal["auto", "legacy"] = "auto",
    ) -> None:
        super().__init__(
            name=name,
            tool_prefix=tool_prefix,
            timeout=timeout,
            connect_timeout=connect_timeout,
            log_level=log_level,
            on_log=on_log,
            on_progress=on_progress,
            on_tools_changed=on_tools_changed,
            protocol=protocol,
        )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"the MCP server URL {_without_userinfo(url)!r} is not an http:// or https:// "
                "URL; give the server's MCP endpoint, e.g. 'http://127.0.0.1:8000/mcp'"
            )
        self.url = url
        self._headers = dict(headers) if headers else None

    def _transport(self) -> AbstractAsyncContextManager[Any]:
        return self._http_transport()

    @asynccontextmanager
    async def _http_transport(self) -> AsyncIterator[Any]:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        # the SDK's own defaults: 30 s to connect, write or wait for a pooled connection; 300 s
        # between reads (a response stream may stay quiet while a tool runs)
        limits = httpx2.Timeout(30.0, read=300.0)
        async with (
            httpx2.AsyncClient(headers=self._headers, timeout=limits) as http,
            streamable_http_client(self.url, http_client=http) as streams,
        ):
            yield streams

    def _default_name(self) -> str:
        return _without_userinfo(self.url)

    def _connect_hint(self) -> str:
        return (
            f"check that an MCP server is listening at {_without_userinfo(self.url)} "
            "(its streamable-HTTP endpoint, usually ending in /mcp)"
        )

    def __repr__(self) -> str:
        return f"MCPServerHTTP(url={_without_userinfo(self.url)!r}, name={self.name!r})"
