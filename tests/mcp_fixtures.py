"""Helpers of the MCP tests (``tests/mcp``): the test server (``mcp/mcp_test_server.py``) on
stdio or on streamable HTTP in a child process on 127.0.0.1, a connection held by a task of its
own, and polling.

This module lives at the top of ``tests/`` (imported as ``mcp_fixtures``, like ``fixture_util``)
because ``tests/mcp`` has no ``__init__.py`` on purpose: as a package it would be named ``mcp``
and shadow the MCP SDK.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from llmkit.mcp import MCPServer, MCPServerStdio
from llmkit.types.events import ToolCallEvent

SERVER_SCRIPT = Path(__file__).parent / "mcp" / "mcp_test_server.py"


def stdio_server(**options: Any) -> MCPServerStdio:
    """A new (not yet started) stdio connection to the test server."""
    options.setdefault("name", "stdio-test")
    return MCPServerStdio(sys.executable, [str(SERVER_SCRIPT)], **options)


class HTTPServerProcess:
    """The test server on streamable HTTP in a child process (``.url`` is its endpoint)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), "--http"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


async def _hold(server: MCPServer, ready: asyncio.Future[None], stop: asyncio.Event) -> None:
    try:
        async with server:
            ready.set_result(None)
            await stop.wait()
    except BaseException as exc:
        if not ready.done():
            ready.set_exception(exc)
        raise


async def held(server: MCPServer) -> AsyncIterator[MCPServer]:
    """``server`` connected for the duration of a fixture, by a task of its own (``async with``
    must be entered and left in one task; a fixture's setup and teardown may run in two)."""
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(_hold(server, ready, stop))
    await ready
    try:
        yield server
    finally:
        stop.set()
        await task


async def call_counts(server: MCPServer) -> dict[str, Any]:
    """The test server's record of tool runs and cancelled calls."""
    counts = await server.call_tool("call_counts")
    assert isinstance(counts, dict)
    return counts


async def until(check: Callable[[], Awaitable[bool]], attempts: int = 250) -> None:
    """Wait for the server to catch up: a bounded number of short polls (nothing is timed)."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the server never reached the expected state")


def call(name: str, args: dict[str, object], call_id: str = "call_1") -> ToolCallEvent:
    """A model's tool call."""
    return ToolCallEvent(call_id, name, args, json.dumps(args))
