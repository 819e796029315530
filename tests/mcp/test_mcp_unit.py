"""The parts of llmkit.mcp that need no server: result mapping (every MCP content type), error
mapping, argument checks, and the import rules (``import llmkit.mcp`` does not import the SDK;
without the SDK, a server says how to install it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mcp_types
import pytest
from mcp.shared.exceptions import MCPError as SDKError
from pydantic import JsonValue

from llmkit.errors import ConfigurationError
from llmkit.mcp import (
    MCPConnectionError,
    MCPNotInstalledError,
    MCPRequestError,
    MCPServerStdio,
    MCPTimeoutError,
    MCPTool,
    MCPToolArgumentsError,
    content_to_json,
    result_to_json,
)

ROOT = Path(__file__).resolve().parents[2]


def test_text_only_results_are_text() -> None:
    one = [mcp_types.TextContent(text="hello")]
    assert result_to_json(one) == "hello"
    two = [mcp_types.TextContent(text="a"), mcp_types.TextContent(text="b")]
    assert result_to_json(two) == "a\nb"
    assert result_to_json([]) == ""


def test_structured_content_wins_over_its_text_copy() -> None:
    content = [mcp_types.TextContent(text='{"temp": 12}')]
    assert result_to_json(content, {"temp": 12}) == {"temp": 12}
    assert result_to_json(content, [1, 2]) == [1, 2]  # any JSON value (MCP 2026-07-28)


def test_every_content_type_keeps_its_data() -> None:
    content = [
        mcp_types.TextContent(text="see"),
        mcp_types.ImageContent(data="iVBO", mime_type="image/png"),
        mcp_types.AudioContent(data="UklG", mime_type="audio/wav"),
        mcp_types.EmbeddedResource(
            resource=mcp_types.TextResourceContents(
                uri="file:///a.txt", mime_type="text/plain", text="A"
            )
        ),
        mcp_types.EmbeddedResource(
            resource=mcp_types.BlobResourceContents(uri="file:///b.bin", blob="AAE=")
        ),
        mcp_types.ResourceLink(
            uri="file:///c.md", name="c.md", description="notes", mime_type="text/markdown"
        ),
    ]
    expected = [
        {"type": "text", "text": "see"},
        {"type": "image", "media_type": "image/png", "data": "iVBO"},
        {"type": "audio", "media_type": "audio/wav", "data": "UklG"},
        {"type": "resource", "uri": "file:///a.txt", "media_type": "text/plain", "text": "A"},
        {"type": "resource", "uri": "file:///b.bin", "data": "AAE="},
        {
            "type": "resource_link",
            "uri": "file:///c.md",
            "name": "c.md",
            "description": "notes",
            "media_type": "text/markdown",
        },
    ]
    assert content_to_json(content) == expected
    # with an image, the structured content is not enough: the blocks are kept
    assert result_to_json(content, {"x": 1}) == expected
    json.dumps(expected)  # plain JSON


def _server() -> MCPServerStdio:
    return MCPServerStdio("mcp-server", name="s", timeout=5)


def test_sdk_errors_become_typed_errors() -> None:
    server = _server()
    closed = server._request_error(SDKError(-32000, "Connection closed"), "the call", 5)
    assert type(closed) is MCPConnectionError and "it may have crashed" in str(closed)
    late = server._request_error(SDKError(-32001, "timed out"), "the call of tool 'x'", 5)
    assert isinstance(late, MCPTimeoutError) and late.seconds == 5
    assert str(late) == (
        "the MCP server 's' did not answer the call of tool 'x' within 5 s; raise timeout= if "
        "the tool needs longer"
    )
    refused = server._request_error(SDKError(-32602, "Invalid params"), "listing its tools", 5)
    assert isinstance(refused, MCPRequestError) and refused.code == -32602
    assert str(refused) == (
        "the MCP server 's' refused listing its tools: Invalid params (JSON-RPC error -32602)"
    )
    group = Exception("an anyio task group's error")  # an exception group, duck-typed (3.10)
    group.exceptions = (SDKError(-32000, "Connection closed"),)  # type: ignore[attr-defined]
    assert type(server._request_error(group, "the call", 5)) is MCPConnectionError
    broken = server._request_error(OSError("pipe"), "the call", 5)
    assert type(broken) is MCPConnectionError and "OSError: pipe" in str(broken)
    start = server._connect_error(TimeoutError())
    assert isinstance(start, MCPTimeoutError) and "raise connect_timeout=" in str(start)


async def test_argument_checks_follow_the_schema_dialect() -> None:
    schema: dict[str, JsonValue] = {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 1}, "tags": {"type": "array"}},
        "required": ["n"],
        "additionalProperties": False,
    }
    tool = MCPTool(_server(), name="t", remote_name="t", description=None, parameters=schema)
    assert tool.validate_arguments({"n": 2}) == {"n": 2}
    with pytest.raises(MCPToolArgumentsError) as caught:
        tool.validate_arguments({"n": 0, "extra": 1})
    assert caught.value.problems == [
        "(arguments): Additional properties are not allowed ('extra' was unexpected)",
        "n: 0 is less than the minimum of 1",
    ]
    # a schema jsonschema cannot use is left to the server
    odd = MCPTool(_server(), name="o", remote_name="o", description=None, parameters={"type": 12})
    assert odd.validate_arguments({"anything": 1}) == {"anything": 1}
    # not connected: a typed error that says what to do
    with pytest.raises(MCPConnectionError, match="is not connected"):
        await tool.execute({"n": 1})


def _run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip()


def test_importing_llmkit_mcp_does_not_import_the_sdk() -> None:
    code = (
        "import sys, llmkit, llmkit.mcp; "
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'mcp_'))))"
    )
    assert _run(code) == "[]"


def test_without_the_sdk_a_server_says_how_to_install_it() -> None:
    code = """
import asyncio, sys
sys.modules["mcp"] = None  # as if not installed
from llmkit.mcp import MCPServerStdio, MCPNotInstalledError
from llmkit.errors import ConfigurationError

async def main():
    try:
        async with MCPServerStdio("server"):
            pass
    except MCPNotInstalledError as exc:
        assert isinstance(exc, ConfigurationError) and isinstance(exc, ImportError)
        print(exc)

asyncio.run(main())
"""
    assert "pip install 'llmkit[mcp]'" in _run(code)
    assert issubclass(MCPNotInstalledError, ConfigurationError)


async def test_tool_names_are_made_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    def listed(*names: str) -> list[mcp_types.Tool]:
        schema = {"type": "object", "properties": {}}
        return [mcp_types.Tool(name=n, description=None, input_schema=schema) for n in names]

    server = _server()

    async def fetch() -> list[mcp_types.Tool]:
        return tools

    monkeypatch.setattr(server, "_fetch_tools", fetch)
    tools = listed("files.read", "search/web", "ok-name")
    made = await server.list_tools(prefix="fs")
    assert [t.name for t in made] == ["fs_files_read", "fs_search_web", "fs_ok-name"]
    assert [t.remote_name for t in made] == ["files.read", "search/web", "ok-name"]
    assert made[0].description is None
    tools = listed("files.read", "files/read")
    with pytest.raises(ConfigurationError, match="both named 'files_read'"):
        await server.list_tools()
