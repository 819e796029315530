"""Fixtures of the MCP tests: the test server on stdio and on streamable HTTP, each connection
made once per test module on the module's event loop (see tests/mcp_fixtures.py)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from mcp_fixtures import HTTPServerProcess, held, stdio_server

from llmkit.mcp import MCPServer, MCPServerHTTP


@pytest.fixture(scope="module")
def http_process() -> Iterator[HTTPServerProcess]:
    server = HTTPServerProcess()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http_url(http_process: HTTPServerProcess) -> str:
    return http_process.url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stdio() -> AsyncIterator[MCPServer]:
    async for server in held(stdio_server()):
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http(http_url: str) -> AsyncIterator[MCPServer]:
    async for server in held(MCPServerHTTP(http_url, name="http-test")):
        yield server


@pytest.fixture(autouse=True)
def _nothing_left_unretrieved(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No test leaves a future or task whose exception nobody retrieved (asyncio logs those
    when they are collected)."""
    yield
    gc.collect()
    left = [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]
    assert not left, left
