"""The MCP SDK's failures (``mcp.shared.exceptions.MCPError`` with its JSON-RPC code, OS and
HTTP errors, anyio exception groups) as :mod:`llmkit.mcp` errors that say what to do."""

from __future__ import annotations

from llmkit.mcp._errors import MCPConnectionError, MCPError, MCPRequestError, MCPTimeoutError

__all__ = ["connect_error", "leaf_error", "request_error"]

_CONNECTION_CLOSED = -32000  # mcp_types.CONNECTION_CLOSED: the transport closed
_REQUEST_TIMEOUT = -32001  # mcp_types.REQUEST_TIMEOUT: no answer within the read timeout


def leaf_error(exc: BaseException) -> BaseException:
    """The first non-group exception of an (anyio task group) exception group (duck-typed:
    ``BaseExceptionGroup`` is built in from Python 3.11, a backport before)."""
    inner = getattr(exc, "exceptions", None)
    while isinstance(inner, tuple) and inner and isinstance(inner[0], BaseException):
        exc = inner[0]
        inner = getattr(exc, "exceptions", None)
    return exc


def connect_error(exc: Exception, server: str, hint: str, seconds: float) -> MCPError:
    """The error for a server that could not be started, reached or initialised.

    Args:
        exc: what the SDK raised (a ``TimeoutError`` when ``seconds`` passed).
        server: the server's name.
        hint: what to check, from the transport.
        seconds: the connect time limit (seconds).
    """
    if isinstance(exc, TimeoutError):
        return MCPTimeoutError(
            f"the MCP server {server!r} did not start and initialise within {seconds} s: "
            f"{hint}, or raise connect_timeout=",
            server=server,
            seconds=seconds,
        )
    detail = str(exc) or type(exc).__name__
    return MCPConnectionError(
        f"could not start or connect to the MCP server {server!r} "
        f"({type(exc).__name__}: {detail}): {hint}",
        server=server,
    )


def request_error(exc: BaseException, server: str, action: str, limit: float | None) -> MCPError:
    """The error for a failed request.

    Args:
        exc: what the SDK raised (exception groups are unwrapped).
        server: the server's name.
        action: the request, for the message (e.g. ``"the call of tool 'add'"``).
        limit: the request's time limit (seconds), for a timeout's message.
    """
    from mcp.shared.exceptions import MCPError as SDKError

    exc = leaf_error(exc)
    if isinstance(exc, SDKError):
        if exc.code == _CONNECTION_CLOSED:
            return MCPConnectionError(
                f"the MCP server {server!r} closed the connection during {action}; it may have "
                "crashed (see its log or stderr). Connect again with a new `async with server:`.",
                server=server,
            )
        if exc.code == _REQUEST_TIMEOUT:
            return MCPTimeoutError(
                f"the MCP server {server!r} did not answer {action} within {limit} s; raise "
                "timeout= if the tool needs longer",
                server=server,
                seconds=limit,
            )
        return MCPRequestError(
            f"the MCP server {server!r} refused {action}: {exc.message} (JSON-RPC error "
            f"{exc.code})",
            server=server,
            code=exc.code,
        )
    if isinstance(exc, TimeoutError):
        return MCPTimeoutError(
            f"the MCP server {server!r} did not answer {action} in time",
            server=server,
            seconds=limit,
        )
    return MCPConnectionError(
        f"{action} on MCP server {server!r} failed: {type(exc).__name__}: {exc}", server=server
    )
