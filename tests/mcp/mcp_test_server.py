"""A real MCP server for llmkit's tests and the MCP guide, built with the official ``mcp`` SDK.

Run it as a stdio server (``python mcp_test_server.py``) or as a streamable-HTTP server on
127.0.0.1 (``python mcp_test_server.py --http``: it binds a free port, prints its URL on one
line, then serves until killed).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import sys
import warnings

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)
"""A 1x1 PNG."""

# ctx.info() (MCP logging) is deprecated in protocol 2026-07-28, still sent, and tested here
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message="The logging capability is deprecated")

server = MCPServer("llmkit-test", instructions="Test tools for llmkit.", log_level="WARNING")
calls: dict[str, int] = {}
cancelled: list[str] = []


def _count(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


@server.tool()
def get_weather(city: str) -> str:
    """The current weather in a city."""
    _count("get_weather")
    return f"12 °C and clear in {city}"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    _count("add")
    return a + b


@server.tool()
def fail(reason: str) -> str:
    """Always fails."""
    _count("fail")
    raise ToolError(f"the tool failed on purpose: {reason}")


@server.tool(structured_output=False)
def chart(title: str) -> list[object]:
    """A chart as an image, with a caption."""
    _count("chart")
    return [f"Chart: {title}", Image(data=PNG, format="png")]


@server.tool()
async def slow_count(steps: int, ctx: Context) -> str:
    """Counts to ``steps``, logging and reporting progress on the way."""
    _count("slow_count")
    for step in range(1, steps + 1):
        await ctx.info(f"step {step} of {steps}")
        await ctx.report_progress(step, steps, f"step {step}")
    return f"counted to {steps}"


@server.tool()
async def sleep(seconds: float) -> str:
    """Sleeps, then answers (records a cancellation)."""
    _count("sleep")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        cancelled.append("sleep")
        raise
    return "slept"


@server.tool()
def call_counts() -> dict[str, object]:
    """How often each tool ran, and which calls were cancelled."""
    return {"calls": dict(calls), "cancelled": list(cancelled)}


@server.tool()
async def add_tool(ctx: Context) -> str:
    """Adds a tool named ``new_tool`` and tells the client the tool list changed."""

    def new_tool() -> str:
        """A tool added while the server runs."""
        return "new"

    server.add_tool(new_tool)
    await ctx.notify_tools_changed()
    await ctx.session.send_tool_list_changed()
    return "added new_tool"


@server.tool()
def pid() -> int:
    """This server's process id."""
    return os.getpid()


@server.tool()
def request_header(name: str, ctx: Context) -> str:
    """The value of an HTTP request header ("" when absent, or on stdio)."""
    return (ctx.headers or {}).get(name.lower(), "")


@server.tool()
def crash() -> str:
    """Ends the server process at once (no answer)."""
    os._exit(3)


def serve_http() -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    port = sock.getsockname()[1]
    app = server.streamable_http_app()
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    print(f"http://127.0.0.1:{port}/mcp", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    if "--http" in sys.argv[1:]:
        serve_http()
    else:
        server.run()
