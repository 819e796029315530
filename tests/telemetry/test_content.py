"""The opt-in content attributes in the shapes of the conventions' JSON schemas."""

from __future__ import annotations

import json

from llmkit.telemetry._content import (
    OutputCollector,
    input_messages,
    system_instructions,
    tool_definitions,
)
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolApprovalResponsePart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    UserMessage,
)
from llmkit.types.options import ToolDefinition


def test_input_messages_follow_the_schema() -> None:
    messages: list[Message] = [
        UserMessage(
            content=[
                TextPart(text="What is in these?"),
                ImagePart(image="https://example.org/cat.png"),
                ImagePart(image=b"\x89PNG", media_type="image/png"),
                FilePart(data=b"%PDF-1.4", media_type="application/pdf"),
            ]
        ),
        AssistantMessage(
            content=[
                ReasoningPart(text="Look closely.", signature="c2lnbmF0dXJl"),
                ToolCallPart(tool_call_id="c1", tool_name="zoom", args={"x": 1}),
            ]
        ),
        ToolMessage(
            content=[
                ToolResultPart(tool_call_id="c1", tool_name="zoom", result={"ok": True}),
                ToolApprovalResponsePart(tool_call_id="c2", approved=False, reason="no"),
            ]
        ),
    ]
    assert json.loads(input_messages(messages)) == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "What is in these?"},
                {"type": "uri", "modality": "image", "uri": "https://example.org/cat.png"},
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/png",
                    "content": "iVBORw==",
                },
                {
                    "type": "blob",
                    "modality": "application",
                    "mime_type": "application/pdf",
                    "content": "JVBERi0xLjQ=",
                },
            ],
        },
        {
            "role": "assistant",
            "parts": [
                # the signature is opaque round-trip data: never recorded
                {"type": "reasoning", "content": "Look closely."},
                {"type": "tool_call", "id": "c1", "name": "zoom", "arguments": {"x": 1}},
            ],
        },
        {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "id": "c1", "response": {"ok": True}},
                {"type": "tool_approval_response", "id": "c2", "approved": False},
            ],
        },
    ]


def test_system_instructions_and_tool_definitions() -> None:
    assert json.loads(system_instructions("Be brief.")) == [
        {"type": "text", "content": "Be brief."}
    ]
    tools = [
        ToolDefinition(name="a", description="Does a."),
        ToolDefinition(
            name="b", parameters={"type": "object", "properties": {"n": {"type": "integer"}}}
        ),
    ]
    assert json.loads(tool_definitions(tools)) == [
        {
            "type": "function",
            "name": "a",
            "description": "Does a.",
            "parameters": {"type": "object", "properties": {}},
        },
        {
            "type": "function",
            "name": "b",
            "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
    ]


def test_output_messages_join_each_blocks_text() -> None:
    output = OutputCollector()
    output.start("reasoning", "r")
    output.delta("reasoning", "r", "Think")
    output.delta("reasoning", "r", "ing.")
    output.delta("text", "t", "Hel")  # a delta without a start opens its block
    output.delta("text", "t", "lo")
    output.tool_call("c1", "search", {"q": "x"})
    output.tool_result("s1", [{"url": "https://example.org"}])
    assert json.loads(output.json("tool_calls")) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Thinking."},
                {"type": "text", "content": "Hello"},
                {"type": "tool_call", "id": "c1", "name": "search", "arguments": {"q": "x"}},
                {
                    "type": "tool_call_response",
                    "id": "s1",
                    "response": [{"url": "https://example.org"}],
                },
            ],
            "finish_reason": "tool_call",
        }
    ]
