""":class:`MCPServer`: one connection to an MCP server (the session, its notifications, its
tools), shared by the stdio and streamable-HTTP forms in :mod:`llmkit.mcp._transports`.

The MCP SDK (``mcp``) is imported when a server is entered, never at import time.
"""

from __future__ import annotations

import abc
import asyncio
import re
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import JsonValue

from llmkit.errors import ConfigurationError
from llmkit.mcp._error_map import connect_error, leaf_error, request_error
from llmkit.mcp._errors import MCPConnectionError, MCPError, MCPToolError
from llmkit.mcp._notifications import (
    Hook,
    LogLevel,
    MCPLogMessage,
    MCPProgress,
    call_hook,
    logger,
    python_level,
)
from llmkit.mcp._results import result_text, result_to_json
from llmkit.mcp._sdk import require_sdk
from llmkit.mcp._tool import MCPTool

if TYPE_CHECKING:
    from mcp import Client

__all__ = ["MCPServer", "ToolFilter"]

ToolFilter = Collection[str] | Callable[[str], bool]
"""Which tools :meth:`MCPServer.list_tools` returns: a collection of tool names (as the server
names them), or a function of the name that returns True to keep the tool."""

_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_PAGES = 100


class MCPServer(abc.ABC):
    """A connection to an MCP server; use :class:`MCPServerStdio` or :class:`MCPServerHTTP`.

    Use it as an async context manager: ``async with server:`` starts or connects to the
    server and initialises the MCP session; leaving the block closes the session (and stops a
    stdio server's process). The connection runs in a task of its own, so tools may run in any
    task of the event loop (asyncio). Nested ``async with`` blocks share one connection, closed
    when the outermost block is left.

    Args:
        name: the server's name in messages, logs and errors (default: from the command or URL).
        tool_prefix: prefix of every tool name from :meth:`list_tools` (``"<prefix>_<name>"``),
            to keep the names of two servers' tools apart.
        timeout: time limit for each request, tool calls included (seconds; None: no limit).
        connect_timeout: time limit for starting or connecting and initialising (seconds).
        log_level: the lowest level of log messages the server should send (opted in on each
            request, MCP 2026-07-28); None asks for none. Each message is logged to the
            ``llmkit.mcp`` logger and given to ``on_log``.
        on_log: called with each :class:`MCPLogMessage` (sync or async).
        on_progress: called with each :class:`MCPProgress` of a running tool call.
        on_tools_changed: called with the server when it says its tool list changed (the
            cached list is then fetched again by the next :meth:`list_tools`).
        protocol: ``"auto"`` (discover the newest protocol the server speaks, else the
            initialize handshake) or ``"legacy"`` (always the initialize handshake).

    Raises:
        ConfigurationError: an unknown ``protocol``.
        MCPNotInstalledError: on entering, when the ``mcp`` package is not installed.
        MCPConnectionError: on entering, when the server cannot be started or reached, or
            fails the handshake.
        MCPTimeoutError: on entering, when starting and initialising takes longer than
            ``connect_timeout``.
    """

    def __init__(
        self,
        *,
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
        if protocol not in ("auto", "legacy"):
            raise ConfigurationError(f"protocol must be 'auto' or 'legacy', not {protocol!r}")
        self._name = name
        self.tool_prefix = tool_prefix
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.log_level = log_level
        self.on_log = on_log
        self.on_progress = on_progress
        self.on_tools_changed = on_tools_changed
        self.protocol = protocol
        self._client: Client | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._depth = 0
        self._listed: list[Any] | None = None  # mcp_types.Tool from the last tools/list
        self._stale = False
        self._changes = 0

    # --- what each transport provides ----------------------------------------------------

    @abc.abstractmethod
    def _transport(self) -> AbstractAsyncContextManager[Any]:
        """A new SDK transport (an async context manager of the read and write streams)."""

    @abc.abstractmethod
    def _default_name(self) -> str:
        """The name used when ``name=`` is not given."""

    @abc.abstractmethod
    def _connect_hint(self) -> str:
        """What to check when starting or connecting fails."""

    @property
    def name(self) -> str:
        """The server's name in messages, logs and errors."""
        return self._name or self._default_name()

    @property
    def is_connected(self) -> bool:
        """True inside ``async with server:`` (until the connection is closed)."""
        return self._client is not None

    @property
    def tools_changes(self) -> int:
        """How many times the server said its tool list changed in this process."""
        return self._changes

    @property
    def instructions(self) -> str | None:
        """The server's instructions for the model (from the MCP handshake), if any."""
        return self._connected("read instructions").instructions

    # --- the connection --------------------------------------------------------------------

    async def __aenter__(self) -> MCPServer:
        if self._depth:
            self._depth += 1
            return self
        require_sdk()
        from mcp import Client
        from mcp_types import Implementation

        import llmkit

        client = Client(
            self._transport(),
            read_timeout_seconds=self.timeout,
            logging_callback=self._on_log,
            message_handler=self._on_message,
            log_level=self.log_level,
            client_info=Implementation(name="llmkit", version=llmkit.__version__),
            mode=self.protocol,
        )
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        stop = asyncio.Event()
        task = asyncio.create_task(self._hold(client, ready, stop), name=f"MCP {self.name}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.connect_timeout)
        except BaseException as exc:
            timed_out = isinstance(exc, asyncio.TimeoutError) and not ready.done()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if timed_out:
                raise self._connect_error(TimeoutError()) from None
            leaf = leaf_error(exc)
            if not isinstance(leaf, Exception):
                raise  # cancellation, KeyboardInterrupt...
            raise self._connect_error(leaf) from exc
        self._client, self._stop, self._task, self._depth = client, stop, task, 1
        self._listed, self._stale = None, False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth:
            return
        stop, task = self._stop, self._task
        self._client = self._stop = self._task = None
        if stop is None or task is None:
            return
        stop.set()
        # the SDK's shutdown is bounded in time (stdio: close stdin, wait, terminate, kill)
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, Exception):
            # closing after a crash may fail; the caller's own exception matters more
            logger.warning("closing the MCP server %r failed: %r", self.name, outcome)

    async def _hold(self, client: Client, ready: asyncio.Future[None], stop: asyncio.Event) -> None:
        """The connection's own task: enter the SDK client (its transport and task groups live
        here, so the server can be entered and left from any task), watch for tool list
        changes, and close everything when ``stop`` is set."""
        import anyio
        from mcp_types.version import MODERN_PROTOCOL_VERSIONS

        try:
            async with client, anyio.create_task_group() as group:
                tools = client.server_capabilities.tools
                if (
                    client.protocol_version in MODERN_PROTOCOL_VERSIONS
                    and tools is not None
                    and tools.list_changed
                ):
                    # 2026-07-28 sends tool list changes only on a subscriptions/listen stream;
                    # earlier protocols send notifications/tools/list_changed unasked
                    group.start_soon(self._listen, client)
                ready.set_result(None)
                await stop.wait()
                group.cancel_scope.cancel()
        except BaseException as exc:
            if not ready.done():
                if isinstance(exc, asyncio.CancelledError):
                    ready.cancel()  # __aenter__ cancelled this task: it handles its own end
                    raise
                ready.set_exception(exc)  # __aenter__ raises it
                return
            raise

    async def _listen(self, client: Client) -> None:
        try:
            async with client.listen(tools_list_changed=True) as subscription:
                async for _event in subscription:
                    await self._tools_changed()
        except Exception:
            logger.debug("MCP server %r: no tool list changes", self.name, exc_info=True)

    def _connected(self, action: str) -> Client:
        if self._client is None:
            raise MCPConnectionError(
                f"cannot {action}: the MCP server {self.name!r} is not connected. Use it "
                "inside `async with server:` (and keep the tools' run inside that block).",
                server=self.name,
            )
        return self._client

    # --- notifications -------------------------------------------------------------------

    async def _on_log(self, params: Any) -> None:
        message = MCPLogMessage(
            server=self.name, level=str(params.level), logger=params.logger, data=params.data
        )
        source = f"{self.name}/{message.logger}" if message.logger else self.name
        logger.log(python_level(message.level), "[%s] %s", source, message.data)
        await call_hook(self.on_log, message, "on_log")

    async def _on_message(self, message: Any) -> None:
        from mcp_types import ToolListChangedNotification

        if isinstance(message, ToolListChangedNotification):
            await self._tools_changed()
        elif isinstance(message, Exception):  # a transport fault the SDK hands on
            logger.warning("MCP server %r: %s", self.name, message)

    async def _tools_changed(self) -> None:
        self._stale = True
        self._changes += 1
        logger.debug("MCP server %r: the tool list changed", self.name)
        await call_hook(self.on_tools_changed, self, "on_tools_changed")

    def _progress_callback(self, tool_name: str) -> Callable[..., Any]:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            report = MCPProgress(self.name, tool_name, progress, total, message)
            logger.debug("[%s] %s: %s/%s %s", self.name, tool_name, progress, total, message)
            await call_hook(self.on_progress, report, "on_progress")

        return on_progress

    # --- tools -----------------------------------------------------------------------------

    async def list_tools(
        self, *, prefix: str | None = None, filter: ToolFilter | None = None
    ) -> list[MCPTool]:
        """The server's tools as llmkit tools, ready for ``tools=[...]``.

        The list is fetched once (every page of ``tools/list``) and cached until the server
        says it changed.

        Args:
            prefix: prefix for the tool names (``"<prefix>_<name>"``; default: ``tool_prefix``).
                Characters a tool name cannot hold (anything but letters, digits, ``_`` and
                ``-``) become ``_``.
            filter: the tools to keep: a collection of names (as the server names them) or a
                function of the name.

        Returns:
            One :class:`MCPTool` per tool, in the server's order.

        Raises:
            MCPConnectionError: not connected, or the connection broke.
            MCPTimeoutError: no answer within ``timeout``.
            MCPRequestError: the server refused the request.
            ConfigurationError: ``filter`` names a tool the server does not have, two tools
                get the same name, or a name is longer than 64 characters with the prefix.
        """
        listed = await self._fetch_tools()
        if filter is not None and not callable(filter):
            names = {tool.name for tool in listed}
            missing = sorted(set(filter) - names)
            if missing:
                raise ConfigurationError(
                    f"the MCP server {self.name!r} has no tool named {', '.join(missing)}; "
                    f"it has: {', '.join(sorted(names)) or 'none'}"
                )
        prefix = prefix if prefix is not None else self.tool_prefix
        out: list[MCPTool] = []
        seen: set[str] = set()
        for tool in listed:
            if filter is not None and not (
                filter(tool.name) if callable(filter) else tool.name in filter
            ):
                continue
            name = _INVALID_NAME_CHARS.sub("_", f"{prefix}_{tool.name}" if prefix else tool.name)
            if len(name) > 64:
                raise ConfigurationError(
                    f"the name {name!r} of a tool of MCP server {self.name!r} is longer than 64 "
                    "characters: use a shorter prefix, or leave the tool out with filter="
                )
            if name in seen:
                raise ConfigurationError(
                    f"two tools of MCP server {self.name!r} are both named {name!r} once made "
                    "valid tool names: leave one out with filter="
                )
            seen.add(name)
            out.append(
                MCPTool(
                    self,
                    name=name,
                    remote_name=tool.name,
                    description=tool.description or tool.title,
                    parameters=tool.input_schema,
                    title=tool.title,
                    output_schema=tool.output_schema,
                )
            )
        return out

    async def _fetch_tools(self) -> list[Any]:
        client = self._connected("list tools")
        if self._listed is not None and not self._stale:
            return self._listed
        refresh = self._stale
        self._stale = False  # a change announced during the fetch marks it stale again
        listed: list[Any] = []
        cursor: str | None = None
        try:
            for _ in range(_MAX_PAGES):
                page = await client.list_tools(
                    cursor=cursor, cache_mode="refresh" if refresh else "use"
                )
                listed.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
        except Exception as exc:
            raise self._request_error(exc, "listing its tools", self.timeout) from exc
        self._listed = listed
        return listed

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, object] | None = None,
        *,
        timeout: float | None = None,
    ) -> JsonValue:
        """Call a tool of the server (``tools/call``), without checking the arguments.

        Cancelling the awaiting task cancels the request (the server is sent
        ``notifications/cancelled``).

        Args:
            name: the tool's name on the server (without a prefix).
            arguments: the arguments object.
            timeout: time limit for this call (seconds; default: the server's ``timeout``).

        Returns:
            The result as JSON: the structured content, the text, or a list of content blocks
            when there are images, audio or resources (see :mod:`llmkit.mcp._results`).

        Raises:
            MCPToolError: the tool reported an error (``isError``); the message is its text.
            MCPConnectionError: not connected, or the connection broke (a server crash).
            MCPTimeoutError: no answer in time.
            MCPRequestError: the server refused the request (e.g. an unknown tool).
        """
        client = self._connected(f"call tool {name!r}")
        try:
            result = await client.call_tool(
                name,
                dict(arguments or {}),
                read_timeout_seconds=timeout,
                progress_callback=self._progress_callback(name),
            )
        except Exception as exc:
            limit = timeout if timeout is not None else self.timeout
            raise self._request_error(exc, f"the call of tool {name!r}", limit) from exc
        if result.is_error:
            text = result_text(result.content) or "the tool reported an error without a message"
            raise MCPToolError(text, server=self.name, tool_name=name)
        return result_to_json(result.content, result.structured_content)

    # --- errors ------------------------------------------------------------------------------

    def _connect_error(self, exc: Exception) -> MCPError:
        return connect_error(exc, self.name, self._connect_hint(), self.connect_timeout)

    def _request_error(self, exc: Exception, action: str, limit: float | None) -> MCPError:
        return request_error(exc, self.name, action, limit)
