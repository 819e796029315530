"""MCP tools from a real streamable-HTTP server (``mcp_test_server.py --http``, uvicorn on
127.0.0.1 in a child process): listing, calls, images, headers, notifications, refused
connections and a server that dies mid-call."""

from __future__ import annotations

import base64
import gc
import socket

import pytest
from mcp_fixtures import HTTPServerProcess, call, until

from llmkit.errors import ConfigurationError
from llmkit.mcp import (
    MCPConnectionError,
    MCPLogMessage,
    MCPServer,
    MCPServerHTTP,
    MCPTimeoutError,
    MCPToolError,
)
from llmkit.tools import run_tool_call

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_list_and_call_over_http(http: MCPServer, http_url: str) -> None:
    tools = {t.name: t for t in await http.list_tools(prefix="web")}
    assert {"web_get_weather", "web_chart", "web_add"} <= set(tools)
    weather = tools["web_get_weather"]
    assert weather.remote_name == "get_weather"
    assert weather.description == "The current weather in a city."
    assert await weather.execute({"city": "Lima"}) == {"result": "12 °C and clear in Lima"}
    image = await tools["web_chart"].execute({"title": "Q3"})
    assert isinstance(image, list) and image[0] == {"type": "text", "text": "Chart: Q3"}
    assert isinstance(image[1], dict) and image[1]["media_type"] == "image/png"
    assert isinstance(image[1]["data"], str)
    assert base64.b64decode(image[1]["data"]).startswith(b"\x89PNG")
    assert http.name == "http-test" and http.is_connected
    assert repr(http) == f"MCPServerHTTP(url={http_url!r}, name='http-test')"


async def test_errors_over_http(http: MCPServer) -> None:
    (add,) = await http.list_tools(filter=["add"])
    event = await run_tool_call(call("add", {"a": 1, "b": "2"}), {"add": add})
    assert event.is_error and isinstance(event.result, str)
    assert "b: '2' is not of type 'integer'" in event.result
    with pytest.raises(MCPToolError, match="the tool failed on purpose: x"):
        await http.call_tool("fail", {"reason": "x"})
    with pytest.raises(MCPToolError, match="Unknown tool: no_such_tool"):
        await http.call_tool("no_such_tool", {})


async def test_logs_over_http(http: MCPServer) -> None:
    logs: list[MCPLogMessage] = []
    http.on_log = logs.append
    try:
        assert await http.call_tool("slow_count", {"steps": 1}) == {"result": "counted to 1"}
    finally:
        http.on_log = None
    assert logs == [MCPLogMessage("http-test", "info", None, "step 1 of 1")]


async def test_headers_are_sent_and_never_shown(http_url: str) -> None:
    server = MCPServerHTTP(http_url, headers={"Authorization": "Bearer sk-secret-1"})
    assert "sk-secret" not in repr(server)
    async with server:
        value = await server.call_tool("request_header", {"name": "Authorization"})
    assert value == {"result": "Bearer sk-secret-1"}


async def test_tools_list_changed_over_http() -> None:
    process = HTTPServerProcess()  # its own server: the test changes the tool list
    try:
        changed: list[MCPServer] = []
        async with MCPServerHTTP(process.url, on_tools_changed=changed.append) as server:
            assert "new_tool" not in [t.name for t in await server.list_tools()]
            await server.call_tool("add_tool")

            async def refreshed() -> bool:
                return "new_tool" in [t.name for t in await server.list_tools()]

            await until(refreshed)
            assert changed and all(s is server for s in changed)  # one per notification
    finally:
        process.stop()


async def test_a_server_that_dies_mid_call_over_http() -> None:
    process = HTTPServerProcess()
    try:
        async with MCPServerHTTP(process.url, name="doomed") as server:
            (crash,) = await server.list_tools(filter=["crash"])
            event = await run_tool_call(call("crash", {}), {"crash": crash})
        assert event.is_error and isinstance(event.result, str)
        assert event.result.startswith("Error: tool 'crash' failed: MCPConnectionError: ")
        assert "'doomed'" in event.result
    finally:
        process.stop()


async def test_connection_refused() -> None:
    with socket.socket() as sock:  # a free port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://user:pw@127.0.0.1:{port}/mcp"
    server = MCPServerHTTP(url)
    assert server.name == f"http://127.0.0.1:{port}/mcp"
    with pytest.raises(MCPConnectionError) as caught:
        async with server:
            pass
    message = str(caught.value)
    assert f"could not start or connect to the MCP server 'http://127.0.0.1:{port}/mcp'" in message
    assert f"check that an MCP server is listening at http://127.0.0.1:{port}/mcp" in message
    assert "pw" not in message


async def test_not_an_http_url() -> None:
    with pytest.raises(ConfigurationError, match="is not an http:// or https:// URL"):
        MCPServerHTTP("127.0.0.1:8000/mcp")


async def test_a_server_that_never_answers_times_out(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # accepts connections (the backlog) and never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
        server = MCPServerHTTP(url, connect_timeout=0.5)
        with pytest.raises(MCPTimeoutError) as caught:
            async with server:
                pass
    assert caught.value.seconds == 0.5
    assert str(caught.value) == (
        f"the MCP server {url!r} did not start and initialise within 0.5 s: check that an MCP "
        f"server is listening at {url} (its streamable-HTTP endpoint, usually ending in /mcp), "
        "or raise connect_timeout="
    )
    assert not server.is_connected
    del caught  # its traceback holds the frames of the abandoned connection
    gc.collect()  # nothing of the abandoned connection is left unretrieved
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
