"""Tool results with media blocks (MCP images and audio) per protocol, sans-IO: images go as
images where the API takes them, and no protocol ever sends media data as text."""

from __future__ import annotations

import base64
import json
from typing import Any

from llmkit.protocols._tool_media import media_blocks, without_media_data
from llmkit.protocols.anthropic_messages.convert_messages import _tool_content
from llmkit.protocols.google_generative.convert_messages import _tool_parts
from llmkit.protocols.openai_chat.convert_messages import TOOL_CALL_ID_FORMAT
from llmkit.protocols.openai_responses.convert_messages import _tool_output
from llmkit.types.messages import ToolMessage, ToolResultPart
from llmkit.types.warnings import CallWarning

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 24).decode()
WAV = base64.b64encode(b"RIFF" + b"\0" * 40).decode()
CHART: Any = [
    {"type": "text", "text": "Chart"},
    {"type": "image", "media_type": "image/png", "data": PNG},
    {"type": "resource", "uri": "file:///a.txt", "media_type": "text/plain", "text": "a"},
]
SPOKEN: Any = [
    {"type": "text", "text": "Said"},
    {"type": "audio", "media_type": "audio/wav", "data": WAV},
]
SVG: Any = [{"type": "image", "media_type": "image/svg+xml", "data": PNG}]


def _note(kind: str, size: int, why: str) -> str:
    return f"<{kind}, {size} bytes: not sent, {why}>"


def test_only_lists_of_blocks_with_media_count() -> None:
    assert media_blocks(CHART) == CHART
    assert media_blocks([{"type": "text", "text": "no media"}]) is None
    assert media_blocks([{"type": "image", "data": PNG}, 3]) is None
    assert media_blocks([{"type": "row", "image": 1}]) is None
    assert media_blocks({"type": "image"}) is None
    assert media_blocks([]) is None


def test_text_only_apis_get_the_size_instead_of_the_data() -> None:
    sent = json.loads(without_media_data(CHART))
    note = _note("image/png", 32, "this API takes text-only tool results")
    assert sent == [CHART[0], {**CHART[1], "data": note}, CHART[2]]


def test_anthropic_gets_image_blocks_and_never_media_as_text() -> None:
    warnings: list[CallWarning] = []
    assert _tool_content(CHART, warnings) == [
        {"type": "text", "text": "Chart"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "text", "text": json.dumps(CHART[2])},
    ]
    assert warnings == []
    why = "anthropic-messages tool results take text and JPEG, PNG, GIF or WebP images only"
    svg_blocks = _tool_content(SVG, warnings)
    assert isinstance(svg_blocks, list)
    (svg,) = svg_blocks
    assert isinstance(svg, dict) and json.loads(str(svg["text"]))["data"] == _note(
        "image/svg+xml", 32, why
    )
    spoken = _tool_content(SPOKEN, warnings)
    assert isinstance(spoken, list)
    said, audio = spoken
    assert said == {"type": "text", "text": "Said"}
    assert isinstance(audio, dict) and WAV not in str(audio["text"])
    assert json.loads(str(audio["text"]))["data"] == _note("audio/wav", 44, why)
    assert len(warnings) == 1 and "their data was left out" in warnings[0].message
    assert _tool_content({"a": 1}, warnings) == '{"a": 1}'
    assert _tool_content("plain", warnings) == "plain"


def test_openai_responses_gets_input_images() -> None:
    """API reference "Responses", input item "Function tool call output": ``output`` is a
    string or a list of ``input_text`` / ``input_image`` / ``input_file`` items."""
    warnings: list[CallWarning] = []
    assert _tool_output(CHART, warnings) == [
        {"type": "input_text", "text": "Chart"},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
        {"type": "input_text", "text": json.dumps(CHART[2])},
    ]
    assert warnings == []
    spoken = _tool_output(SPOKEN, warnings)
    assert isinstance(spoken, list)
    said, audio = spoken
    assert said == {"type": "input_text", "text": "Said"}
    assert isinstance(audio, dict) and WAV not in str(audio["text"])
    assert len(warnings) == 1 and "openai-responses" in warnings[0].message
    assert _tool_output({"a": 1}, warnings) == '{"a": 1}'
    assert _tool_output("plain", warnings) == "plain"


def test_gemini_function_responses_leave_the_media_data_out() -> None:
    warnings: list[CallWarning] = []
    result = ToolResultPart(tool_call_id="call_1", tool_name="chart", result=CHART)
    message = ToolMessage(content=[result])
    (part,) = _tool_parts(message, TOOL_CALL_ID_FORMAT, warnings)
    response = part["functionResponse"]["response"]  # type: ignore[index]
    note = _note("image/png", 32, "this API takes text-only tool results")
    assert response == {"output": [CHART[0], {**CHART[1], "data": note}, CHART[2]]}
    assert PNG not in json.dumps(part)
    assert len(warnings) == 1 and "google-generative" in warnings[0].message
