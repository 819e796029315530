"""Tools from MCP (Model Context Protocol) servers, through the official ``mcp`` SDK.

Connect to a server, list its tools, and pass them to the tool loop::

    from llmkit.mcp import MCPServerHTTP, MCPServerStdio

    files = MCPServerStdio("npx", ["-y", "@modelcontextprotocol/server-filesystem", "."])
    search = MCPServerHTTP("http://127.0.0.1:8000/mcp", tool_prefix="search")
    async with files, search:
        tools = [*await files.list_tools(), *await search.list_tools()]
        result = stream_text(model=..., prompt=..., tools=tools, max_steps=5)
        print(await result.text)

Each MCP tool becomes an :class:`MCPTool` (an llmkit :class:`~llmkit.tools.Tool` that llmkit
runs): its arguments are checked against the tool's input schema, then sent to the server; the
result comes back as JSON (text, structured content, or content blocks with images). A failure
becomes an error result for the model, never an exception out of the loop.

The SDK is the optional extra ``llmkit[mcp]``; importing this module does not import it.
See the "MCP tools" guide.
"""

from llmkit.mcp._errors import (
    MCPConnectionError,
    MCPError,
    MCPNotInstalledError,
    MCPRequestError,
    MCPTimeoutError,
    MCPToolArgumentsError,
    MCPToolError,
)
from llmkit.mcp._notifications import LogLevel, MCPLogMessage, MCPProgress
from llmkit.mcp._results import content_to_json, result_to_json
from llmkit.mcp._server import MCPServer, ToolFilter
from llmkit.mcp._tool import MCPTool
from llmkit.mcp._transports import MCPServerHTTP, MCPServerStdio

__all__ = [
    "LogLevel",
    "MCPConnectionError",
    "MCPError",
    "MCPLogMessage",
    "MCPNotInstalledError",
    "MCPProgress",
    "MCPRequestError",
    "MCPServer",
    "MCPServerHTTP",
    "MCPServerStdio",
    "MCPTimeoutError",
    "MCPTool",
    "MCPToolArgumentsError",
    "MCPToolError",
    "ToolFilter",
    "content_to_json",
    "result_to_json",
]
