"""MCP tools from a real stdio server (``mcp_test_server.py`` run with ``sys.executable``):
listing, calls, argument checks, error results, images, notifications, crashes, cancellation
and the process's lifetime."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import sys

import pytest
from mcp_fixtures import call, call_counts, stdio_server, until

from llmkit.errors import ConfigurationError
from llmkit.mcp import (
    MCPConnectionError,
    MCPLogMessage,
    MCPProgress,
    MCPServer,
    MCPServerStdio,
    MCPTimeoutError,
    MCPTool,
    MCPToolArgumentsError,
    MCPToolError,
)
from llmkit.tools import run_tool_call

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_list_tools_gives_the_servers_definitions(stdio: MCPServer) -> None:
    tools = await stdio.list_tools()
    by_name = {tool.name: tool for tool in tools}
    assert {"get_weather", "add", "fail", "chart", "slow_count", "sleep"} <= set(by_name)
    add = by_name["add"]
    assert isinstance(add, MCPTool) and add.executable
    assert add.remote_name == "add" and add.server is stdio
    assert add.description == "Add two integers."
    assert add.definition.parameters == {
        "type": "object",
        "properties": {
            "a": {"title": "A", "type": "integer"},
            "b": {"title": "B", "type": "integer"},
        },
        "required": ["a", "b"],
        "title": "addArguments",
    }
    assert add.output_schema is not None and add.output_schema["title"] == "addOutput"
    assert stdio.instructions == "Test tools for llmkit."
    assert repr(add) == "MCPTool(name='add', server='stdio-test')"


async def test_list_tools_prefix_and_filter(stdio: MCPServer) -> None:
    picked = await stdio.list_tools(prefix="wx", filter={"get_weather", "add"})
    assert [t.name for t in picked] == ["wx_get_weather", "wx_add"]
    assert [t.remote_name for t in picked] == ["get_weather", "add"]
    kept = await stdio.list_tools(filter=lambda name: name.startswith("s"))
    assert {t.name for t in kept} == {"slow_count", "sleep"}
    with pytest.raises(ConfigurationError, match="has no tool named nope; it has: add, "):
        await stdio.list_tools(filter=["nope"])
    with pytest.raises(ConfigurationError, match="longer than 64 characters"):
        await stdio.list_tools(prefix="p" * 60, filter=["get_weather"])


async def test_a_valid_call_runs_on_the_server(stdio: MCPServer) -> None:
    (weather,) = await stdio.list_tools(filter=["get_weather"])
    assert await weather.execute({"city": "Oslo"}) == {"result": "12 °C and clear in Oslo"}
    event = await run_tool_call(call("get_weather", {"city": "Paris"}), {"get_weather": weather})
    assert not event.is_error
    assert event.result == {"result": "12 °C and clear in Paris"}
    # a tool without structured content gives its text
    assert await stdio.call_tool("chart", {"title": "t"}) != ""


async def test_invalid_arguments_are_an_error_result_and_the_server_is_not_called(
    stdio: MCPServer,
) -> None:
    (add,) = await stdio.list_tools(filter=["add"])
    before = (await call_counts(stdio))["calls"].get("add", 0)
    event = await run_tool_call(call("add", {"a": "x"}), {"add": add})
    assert event.is_error
    assert isinstance(event.result, str)
    assert "invalid arguments for tool 'add'" in event.result
    assert "a: 'x' is not of type 'integer'" in event.result
    assert "(arguments): 'b' is a required property" in event.result
    assert "Call the tool again with arguments that match its schema." in event.result
    with pytest.raises(MCPToolArgumentsError) as caught:
        await add.execute({"a": 1, "b": [2]})
    assert caught.value.problems == ["b: [2] is not of type 'integer'"]
    assert caught.value.tool_name == "add" and caught.value.server == "stdio-test"
    assert (await call_counts(stdio))["calls"].get("add", 0) == before
    assert await add.execute({"a": 2, "b": 3}) == {"result": 5}


async def test_a_tool_that_fails_gives_an_error_result(stdio: MCPServer) -> None:
    (fail,) = await stdio.list_tools(filter=["fail"])
    with pytest.raises(MCPToolError) as caught:
        await fail.execute({"reason": "boom"})
    assert str(caught.value) == "Error executing tool fail: the tool failed on purpose: boom"
    assert caught.value.tool_name == "fail"
    event = await run_tool_call(call("fail", {"reason": "late"}), {"fail": fail})
    assert event.is_error
    assert event.result == (
        "Error: tool 'fail' failed: MCPToolError: "
        "Error executing tool fail: the tool failed on purpose: late"
    )


async def test_text_and_image_results_keep_the_image(stdio: MCPServer) -> None:
    (chart,) = await stdio.list_tools(filter=["chart"])
    event = await run_tool_call(call("chart", {"title": "Sales"}), {"chart": chart})
    assert not event.is_error
    assert isinstance(event.result, list)
    text, image = event.result
    assert text == {"type": "text", "text": "Chart: Sales"}
    assert isinstance(image, dict)
    assert image["type"] == "image" and image["media_type"] == "image/png"
    assert isinstance(image["data"], str)
    assert base64.b64decode(image["data"]).startswith(b"\x89PNG\r\n\x1a\n")


async def test_log_messages_and_progress_reach_the_hooks_and_the_logger(
    stdio: MCPServer, caplog: pytest.LogCaptureFixture
) -> None:
    logs: list[MCPLogMessage] = []
    progress: list[MCPProgress] = []

    async def on_progress(report: MCPProgress) -> None:
        progress.append(report)

    stdio.on_log, stdio.on_progress = logs.append, on_progress
    try:
        with caplog.at_level(logging.INFO, logger="llmkit.mcp"):
            assert await stdio.call_tool("slow_count", {"steps": 2}) == {"result": "counted to 2"}
    finally:
        stdio.on_log = stdio.on_progress = None
    assert logs == [
        MCPLogMessage("stdio-test", "info", None, "step 1 of 2"),
        MCPLogMessage("stdio-test", "info", None, "step 2 of 2"),
    ]
    assert progress == [
        MCPProgress("stdio-test", "slow_count", 1.0, 2.0, "step 1"),
        MCPProgress("stdio-test", "slow_count", 2.0, 2.0, "step 2"),
    ]
    assert "[stdio-test] step 2 of 2" in caplog.messages


async def test_a_hook_that_raises_is_logged_not_raised(
    stdio: MCPServer, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(message: MCPLogMessage) -> None:
        raise RuntimeError("hook bug")

    stdio.on_log = broken
    try:
        assert await stdio.call_tool("slow_count", {"steps": 1}) == {"result": "counted to 1"}
    finally:
        stdio.on_log = None
    assert "the on_log hook raised" in caplog.messages


async def test_cancelling_a_tool_call_cancels_the_mcp_request(stdio: MCPServer) -> None:
    (sleep,) = await stdio.list_tools(filter=["sleep"])
    counts = await call_counts(stdio)
    started, cancelled = counts["calls"].get("sleep", 0), counts["cancelled"].count("sleep")
    task = asyncio.create_task(sleep.execute({"seconds": 60}))

    async def running() -> bool:
        return bool((await call_counts(stdio))["calls"].get("sleep", 0) > started)

    await until(running)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def server_cancelled() -> bool:
        return bool((await call_counts(stdio))["cancelled"].count("sleep") > cancelled)

    await until(server_cancelled)


async def test_a_call_past_its_timeout_raises_a_typed_error(stdio: MCPServer) -> None:
    with pytest.raises(MCPTimeoutError, match="did not answer the call of tool 'sleep' within"):
        await stdio.call_tool("sleep", {"seconds": 60}, timeout=0.1)
    # the session is still usable
    assert await stdio.call_tool("add", {"a": 1, "b": 1}) == {"result": 2}


async def test_tools_list_changed_refreshes_the_cached_list() -> None:
    for protocol in ("auto", "legacy"):
        changed: list[MCPServer] = []
        server = stdio_server(on_tools_changed=changed.append, protocol=protocol)
        async with server:
            names = [t.name for t in await server.list_tools()]
            assert "new_tool" not in names
            assert await server.call_tool("add_tool") == {"result": "added new_tool"}

            async def refreshed(server: MCPServer = server) -> bool:
                return "new_tool" in [t.name for t in await server.list_tools()]

            await until(refreshed)
            assert changed and changed[0] is server and server.tools_changes >= 1
            (new,) = await server.list_tools(filter=["new_tool"])
            assert await new.execute({}) == {"result": "new"}


async def test_a_server_that_dies_mid_call(caplog: pytest.LogCaptureFixture) -> None:
    server = stdio_server()
    async with server:
        add, crash = await server.list_tools(filter=["crash", "add"])  # in the server's order
        event = await run_tool_call(call("crash", {}), {"crash": crash})
        assert event.is_error and isinstance(event.result, str)
        assert "MCPConnectionError" in event.result
        assert "closed the connection during the call of tool 'crash'" in event.result
        assert "it may have crashed" in event.result
        with pytest.raises(MCPConnectionError, match="closed the connection"):
            await add.execute({"a": 1, "b": 2})
    assert not server.is_connected
    with pytest.raises(MCPConnectionError, match=r"not connected\. Use it inside `async with"):
        await add.execute({"a": 1, "b": 2})


async def test_leaving_the_block_stops_the_process_and_leaves_no_task() -> None:
    before = asyncio.all_tasks()
    server = stdio_server()
    async with server:
        async with server:  # nested: one connection
            pid = await server.call_tool("pid")
        assert server.is_connected
        assert await server.call_tool("pid") == pid
    assert not server.is_connected
    # entered in one task, used in a second, left in a third
    await asyncio.create_task(server.__aenter__())
    assert await asyncio.create_task(server.call_tool("pid")) != pid  # a new process
    await asyncio.create_task(server.__aexit__(None, None, None))
    assert not server.is_connected
    assert isinstance(pid, dict) and isinstance(pid["result"], int)
    assert pid["result"] != os.getpid()
    with pytest.raises(ProcessLookupError):
        os.kill(pid["result"], 0)
    assert asyncio.all_tasks() == before


async def test_a_command_that_cannot_start() -> None:
    server = MCPServerStdio("/nonexistent/mcp-server", ["--stdio"])
    assert server.name == "mcp-server --stdio"
    with pytest.raises(MCPConnectionError) as caught:
        async with server:
            pass
    message = str(caught.value)
    assert "could not start or connect to the MCP server 'mcp-server --stdio'" in message
    assert "FileNotFoundError" in message
    assert "check that `/nonexistent/mcp-server --stdio` runs an MCP server on stdio" in message
    assert not server.is_connected


async def test_a_server_that_exits_before_the_handshake() -> None:
    server = MCPServerStdio(sys.executable, ["-c", "pass"], connect_timeout=20)
    with pytest.raises(MCPConnectionError, match="could not start or connect"):
        async with server:
            pass


async def test_bad_arguments_are_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="needs a command"):
        MCPServerStdio(" ")
    with pytest.raises(ConfigurationError, match=r"use \['server.py', '--port', '1'\]"):
        MCPServerStdio(sys.executable, "server.py --port 1")  # a str is a Sequence[str]
    with pytest.raises(ConfigurationError, match="protocol must be 'auto' or 'legacy'"):
        MCPServerStdio("npx", protocol="2026")  # type: ignore[arg-type]
    server = MCPServerStdio(sys.executable, ["weather.py"], env={"API_KEY": "secret"})
    assert server.name == "weather.py"
    assert "secret" not in repr(server)
