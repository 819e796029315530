"""Done when: an agent uses a tool from a real stdio MCP server and one from a streamable-HTTP
MCP server in one loop. The model is a MockModel on 127.0.0.1 that calls both tools in one step
(run in parallel); the next request shows the tool results the model got back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit import stream_text
from llmkit.mcp import MCPServer
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.types.warnings import CallWarning

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCRIPT = [
    MockTurn(
        text="Checking.",
        tool_calls=[
            ("weather_get_weather", {"city": "Paris"}),
            ("web_add", {"a": 2, "b": 40}),
            ("web_add", {"a": "two"}),  # invalid: an error result, the server is not called
        ],
    ),
    MockTurn(text="12 °C in Paris, and 2 + 40 = 42."),
]


async def _tools(stdio: MCPServer, http: MCPServer) -> list[Any]:
    return [
        *await stdio.list_tools(prefix="weather", filter=["get_weather"]),
        *await http.list_tools(prefix="web", filter=["add"]),
    ]


async def test_one_loop_uses_a_stdio_tool_and_an_http_tool_openai_chat(
    stdio: MCPServer, http: MCPServer
) -> None:
    registry = ProviderRegistry()
    with MockModel(SCRIPT, registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            prompt="Weather in Paris, and 2 + 40?",
            tools=await _tools(stdio, http),
            max_steps=3,
            registry=registry,
        )
        assert await result.text == "12 °C in Paris, and 2 + 40 = 42."
        first, second = (r.json() for r in mock.requests)
    assert isinstance(first, dict) and isinstance(second, dict)
    names = [t["function"]["name"] for t in first["tools"]]
    assert names == ["weather_get_weather", "web_add"]
    assert first["tools"][0]["function"]["parameters"]["required"] == ["city"]
    results = {m["tool_call_id"]: m["content"] for m in second["messages"] if m["role"] == "tool"}
    assert json.loads(results["call_0_0"]) == {"result": "12 °C and clear in Paris"}
    assert json.loads(results["call_0_1"]) == {"result": 42}
    assert results["call_0_2"].startswith("Error: ")
    assert "invalid arguments for tool 'web_add': " in results["call_0_2"]
    assert "a: 'two' is not of type 'integer'" in results["call_0_2"]
    assert "Call the tool again with arguments that match its schema." in results["call_0_2"]
    steps = await result.steps
    assert [r.is_error for r in steps[0].tool_results] == [False, False, True]


async def test_one_loop_with_an_image_result_anthropic(stdio: MCPServer, http: MCPServer) -> None:
    registry = ProviderRegistry()
    turns = [
        MockTurn(
            tool_calls=[("weather_get_weather", {"city": "Rome"}), ("web_chart", {"title": "T"})]
        ),
        MockTurn(text="Done."),
    ]
    tools = [
        *await stdio.list_tools(prefix="weather", filter=["get_weather"]),
        *await http.list_tools(prefix="web", filter=["chart"]),
    ]
    with MockModel(turns, protocol="anthropic-messages", registry=registry) as mock:
        result = stream_text(
            model=mock.model, prompt="Go.", tools=tools, max_steps=3, registry=registry
        )
        assert await result.text == "Done."
        second = mock.requests[1].json()
    assert isinstance(second, dict)
    blocks = [b for m in second["messages"] if isinstance(m["content"], list) for b in m["content"]]
    results = {b["tool_use_id"]: b["content"] for b in blocks if b["type"] == "tool_result"}
    assert json.loads(results["toolu_0_0"]) == {"result": "12 °C and clear in Rome"}
    content = results["toolu_0_1"]  # Anthropic tool_result content: text and image blocks
    assert content[0] == {"type": "text", "text": "Chart: T"}
    assert content[1]["type"] == "image"
    assert content[1]["source"]["media_type"] == "image/png"
    assert content[1]["source"]["data"].startswith("iVBORw0KGgo")


async def _chart_then_done(
    http: MCPServer, protocol: str
) -> tuple[dict[str, Any], tuple[CallWarning, ...]]:
    """One loop on ``protocol`` whose tool step calls the MCP chart tool (an image result):
    the JSON body of the request that sends the result back, and that step's warnings."""
    registry = ProviderRegistry()
    turns = [MockTurn(tool_calls=[("web_chart", {"title": "T"})]), MockTurn(text="Done.")]
    tools = await http.list_tools(prefix="web", filter=["chart"])
    with MockModel(turns, protocol=protocol, registry=registry) as mock:
        result = stream_text(
            model=mock.model, prompt="Go.", tools=tools, max_steps=3, registry=registry
        )
        assert await result.text == "Done."
        second = mock.requests[1].json()
    assert isinstance(second, dict)
    return second, (await result.steps)[1].warnings


async def test_an_image_result_on_text_only_tool_messages(http: MCPServer) -> None:
    """OpenAI chat tool messages are text: the image's data is left out (with a warning), not
    sent as base64 text."""
    second, warnings = await _chart_then_done(http, "openai-chat")
    chart = json.loads(second["messages"][-1]["content"])
    assert chart[0] == {"type": "text", "text": "Chart: T"}
    assert chart[1]["type"] == "image" and chart[1]["media_type"] == "image/png"
    assert chart[1]["data"].startswith("<image/png, ")
    assert chart[1]["data"].endswith(" bytes: not sent, this API takes text-only tool results>")
    assert "their data was left out" in warnings[0].message


async def test_an_image_result_on_openai_responses_is_an_input_image(http: MCPServer) -> None:
    """Responses function outputs take images: the MCP chart goes as an ``input_image``."""
    second, warnings = await _chart_then_done(http, "openai-responses")
    (output,) = [i["output"] for i in second["input"] if i.get("type") == "function_call_output"]
    assert output[0] == {"type": "input_text", "text": "Chart: T"}
    assert output[1]["type"] == "input_image"
    assert output[1]["image_url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert warnings == ()


async def test_an_image_result_on_gemini_leaves_its_data_out(http: MCPServer) -> None:
    """Gemini's functionResponse.response is a JSON object: the image's data is left out
    (with a warning), never sent as base64 text."""
    second, warnings = await _chart_then_done(http, "google-generative")
    parts = [p for c in second["contents"] for p in c["parts"] if "functionResponse" in p]
    (chart,) = [p["functionResponse"]["response"]["output"] for p in parts]
    assert chart[0] == {"type": "text", "text": "Chart: T"}
    assert chart[1]["data"].startswith("<image/png, ")
    assert "iVBORw0KGgo" not in json.dumps(second)
    assert "their data was left out" in warnings[0].message
