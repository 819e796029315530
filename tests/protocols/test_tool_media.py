"""Tool results with media blocks (MCP images) per protocol, sans-IO."""

from __future__ import annotations

import base64
import json

from llmkit.protocols._tool_media import media_blocks, without_media_data
from llmkit.protocols.anthropic_messages.convert_messages import _tool_content

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 24).decode()
CHART = [
    {"type": "text", "text": "Chart"},
    {"type": "image", "media_type": "image/png", "data": PNG},
    {"type": "resource", "uri": "file:///a.txt", "media_type": "text/plain", "text": "a"},
]


def test_only_lists_of_blocks_with_media_count() -> None:
    assert media_blocks(CHART) == CHART
    assert media_blocks([{"type": "text", "text": "no media"}]) is None
    assert media_blocks([{"type": "image", "data": PNG}, 3]) is None
    assert media_blocks([{"type": "row", "image": 1}]) is None
    assert media_blocks({"type": "image"}) is None
    assert media_blocks([]) is None


def test_text_only_apis_get_the_size_instead_of_the_data() -> None:
    sent = json.loads(without_media_data(CHART))
    note = "<image/png, 32 bytes: not sent, this API takes text-only tool results>"
    assert sent == [CHART[0], {**CHART[1], "data": note}, CHART[2]]


def test_anthropic_gets_image_blocks() -> None:
    assert _tool_content(CHART) == [
        {"type": "text", "text": "Chart"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "text", "text": json.dumps(CHART[2])},
    ]
    svg = [{"type": "image", "media_type": "image/svg+xml", "data": PNG}]
    assert _tool_content(svg) == [{"type": "text", "text": json.dumps(svg[0])}]
    assert _tool_content({"a": 1}) == '{"a": 1}'
    assert _tool_content("plain") == "plain"
