"""The errors of :mod:`llmkit.mcp`, all in the :class:`~llmkit.errors.LLMKitError` tree::

    LLMKitError
    ├── ConfigurationError
    │   └── MCPNotInstalledError (ImportError)  the ``mcp`` extra is not installed
    └── MCPError                  .server: a failure talking to an MCP server
        ├── MCPConnectionError    could not start / connect, or the connection broke (a crash)
        │   └── MCPTimeoutError   .seconds: no answer in time
        ├── MCPRequestError       .code: the server answered a request with a JSON-RPC error
        ├── MCPToolError          the tool ran and reported an error (``isError``)
        └── MCPToolArgumentsError (ValueError) .problems: arguments that do not match the tool's
                                  input schema; the server was not called

Inside the tool loop none of these stop the run: the loop turns an exception from a tool into an
error result for the model. They reach your code from ``async with server:``,
:meth:`~llmkit.mcp.MCPServer.list_tools` and :meth:`~llmkit.mcp.MCPServer.call_tool`.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmkit.errors import ConfigurationError, LLMKitError
from llmkit.tools._tool import ToolArgumentsError

__all__ = [
    "MCPConnectionError",
    "MCPError",
    "MCPNotInstalledError",
    "MCPRequestError",
    "MCPTimeoutError",
    "MCPToolArgumentsError",
    "MCPToolError",
]


class MCPNotInstalledError(ConfigurationError, ImportError):
    """The ``mcp`` package (the optional extra ``llmkit[mcp]``) is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "MCP servers need the official MCP SDK: pip install 'llmkit[mcp]' "
            "(or pip install 'mcp>=2.3')"
        )


class MCPError(LLMKitError):
    """A failure while talking to an MCP server.

    Attributes:
        server: the server's name (its ``name=``, else its command or URL).
    """

    def __init__(self, message: str, *, server: str) -> None:
        super().__init__(message)
        self.server = server


class MCPConnectionError(MCPError):
    """The server could not be started or reached, or the connection broke (for example the
    server process exited in the middle of a call). Start it again with a new ``async with``."""


class MCPTimeoutError(MCPConnectionError):
    """The server did not answer in time.

    Attributes:
        seconds: the time limit that passed (seconds).
    """

    def __init__(self, message: str, *, server: str, seconds: float | None) -> None:
        super().__init__(message, server=server)
        self.seconds = seconds


class MCPRequestError(MCPError):
    """The server answered a request with a JSON-RPC error (an unknown tool, invalid params...).

    Attributes:
        code: the JSON-RPC error code (e.g. -32602 invalid params).
    """

    def __init__(self, message: str, *, server: str, code: int) -> None:
        super().__init__(message, server=server)
        self.code = code


class MCPToolError(MCPError):
    """The tool ran and reported an error (a ``CallToolResult`` with ``isError: true``); the
    message is the tool's own text.

    Attributes:
        tool_name: the tool's name on the server.
    """

    def __init__(self, message: str, *, server: str, tool_name: str) -> None:
        super().__init__(message, server=server)
        self.tool_name = tool_name


class MCPToolArgumentsError(MCPError, ToolArgumentsError):
    """The arguments do not match the tool's input JSON Schema; the server was not called.

    Attributes:
        tool_name: the tool's name as the model calls it (with the prefix, if any).
        problems: one line per problem, ``"<path>: <message>"``.
    """

    def __init__(self, *, server: str, tool_name: str, problems: Sequence[str]) -> None:
        MCPError.__init__(
            self,
            f"invalid arguments for tool {tool_name!r}: {'; '.join(problems)}. "
            "Call the tool again with arguments that match its schema.",
            server=server,
        )
        self.tool_name = tool_name
        self.problems = list(problems)
