"""Every content part × protocol is either mapped (the body is checked against the provider's
API reference) or refused with a typed error naming the provider and the part.

OpenAI: API reference, Chat Completions, create, ``messages`` (``text``, ``image_url``, ``file``,
``input_audio`` content parts; assistant ``tool_calls``; ``tool`` messages). Anthropic: API
reference, Messages (``text``, ``image`` and ``document`` blocks with ``base64`` / ``url`` /
``text`` sources; ``thinking``, ``redacted_thinking``, ``tool_use`` and ``tool_result``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llmkit.errors import ConfigurationError, UnsupportedFeatureError
from llmkit.protocols.anthropic_messages import AnthropicMessagesProtocol
from llmkit.protocols.openai_chat import OpenAIChatProtocol
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.types.messages import (
    AssistantMessage,
    FilePart,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    UserMessage,
)
from llmkit.types.options import CallOptions

OPENAI = next(p for p in BUILTIN_PROVIDERS if p.id == "openai")
ANTHROPIC = next(p for p in BUILTIN_PROVIDERS if p.id == "anthropic")
DEEPSEEK = next(p for p in BUILTIN_PROVIDERS if p.id == "deepseek")

PNG = b"\x89PNG\r\n\x1a\n-not-really-a-png"
PNG64 = base64.b64encode(PNG).decode()
PDF = b"%PDF-1.4 tiny"
PDF64 = base64.b64encode(PDF).decode()
WAV64 = base64.b64encode(b"RIFF....WAVEfmt ").decode()
TEXT64 = base64.b64encode("Plain notes, ünïcode.".encode()).decode()


@dataclass(frozen=True)
class Refused:
    """The part must raise this error type, with these words in the message."""

    error: type[Exception]
    words: tuple[str, ...]


def user(part: Any) -> list[Message]:
    return [UserMessage(content=[part])]


def assistant(*parts: Any) -> list[Message]:
    return [UserMessage(content="hi"), AssistantMessage(content=list(parts))]


WHERE = "messages[0].content[0]"

# (id, messages, expected OpenAI messages[-1], expected Anthropic messages[-1])
USER_PARTS: list[tuple[str, Any, Any, Any]] = [
    (
        "text",
        TextPart(text="Hello"),
        {"type": "text", "text": "Hello"},
        {"type": "text", "text": "Hello"},
    ),
    (
        "image-url",
        ImagePart(image="https://example.com/cat.jpg"),
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ),
    (
        "image-bytes",
        ImagePart(image=PNG, media_type="image/png"),
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
    ),
    (
        "image-base64",
        ImagePart(image=PNG64, media_type="image/png"),
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
    ),
    (
        "image-data-url",
        ImagePart(image=f"data:image/png;base64,{PNG64}"),
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
    ),
    (
        "image-openai-detail",
        ImagePart(
            image="https://example.com/a.png", provider_options={"openai": {"detail": "low"}}
        ),
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
    ),
    (
        "image-bmp",
        ImagePart(image=b"BM...", media_type="image/bmp"),
        {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0uLi4="}},
        Refused(UnsupportedFeatureError, ("'anthropic'", WHERE, "image/bmp")),
    ),
    (
        "image-as-file-part",
        FilePart(data=PNG, media_type="image/png"),
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
    ),
    (
        "pdf-bytes",
        FilePart(data=PDF, media_type="application/pdf", filename="r.pdf"),
        {
            "type": "file",
            "file": {"filename": "r.pdf", "file_data": f"data:application/pdf;base64,{PDF64}"},
        },
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
            "title": "r.pdf",
        },
    ),
    (
        "pdf-url",
        FilePart(data="https://example.com/r.pdf", media_type="application/pdf"),
        Refused(UnsupportedFeatureError, ("'openai'", WHERE, "by URL")),
        {"type": "document", "source": {"type": "url", "url": "https://example.com/r.pdf"}},
    ),
    (
        "plain-text-file",
        FilePart(data=TEXT64, media_type="text/plain"),
        Refused(UnsupportedFeatureError, ("'openai'", WHERE, "text/plain")),
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "Plain notes, ünïcode."},
        },
    ),
    (
        "plain-text-url",
        FilePart(data="https://example.com/notes.txt", media_type="text/plain"),
        Refused(UnsupportedFeatureError, ("'openai'", WHERE, "by URL")),
        Refused(UnsupportedFeatureError, ("'anthropic'", WHERE, "by URL")),
    ),
    (
        "wav-audio",
        FilePart(data=WAV64, media_type="audio/wav"),
        {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}},
        Refused(UnsupportedFeatureError, ("'anthropic'", WHERE, "audio/wav")),
    ),
    (
        "zip-file",
        FilePart(data=b"PK\x03\x04", media_type="application/zip"),
        Refused(UnsupportedFeatureError, ("'openai'", WHERE, "application/zip")),
        Refused(UnsupportedFeatureError, ("'anthropic'", WHERE, "application/zip")),
    ),
    (
        "image-bytes-without-media-type",
        ImagePart(image=b"???"),
        Refused(ConfigurationError, ("media_type",)),
        Refused(ConfigurationError, ("media_type",)),
    ),
]


def build(protocol: str, messages: list[Message], provider: Any = None) -> Any:
    call = CallOptions(messages=messages)
    if protocol == "openai-chat":
        return OpenAIChatProtocol().build_request(call, provider or OPENAI, "m")
    return AnthropicMessagesProtocol().build_request(call, provider or ANTHROPIC, "m")


@pytest.mark.parametrize("protocol", ["openai-chat", "anthropic-messages"])
@pytest.mark.parametrize(
    ("name", "part", "openai", "anthropic"), USER_PARTS, ids=[c[0] for c in USER_PARTS]
)
def test_user_parts(protocol: str, name: str, part: Any, openai: Any, anthropic: Any) -> None:
    expected = openai if protocol == "openai-chat" else anthropic
    if isinstance(expected, Refused):
        with pytest.raises(expected.error) as info:
            build(protocol, user(part))
        for word in expected.words:
            assert word in str(info.value), (word, str(info.value))
        return
    body = build(protocol, user(part)).body
    assert body["messages"] == [{"role": "user", "content": [expected]}]


def test_local_file_paths_are_read(tmp_path: Path) -> None:
    image, pdf = tmp_path / "cat.png", tmp_path / "report.pdf"
    image.write_bytes(PNG)
    pdf.write_bytes(PDF)
    parts: list[Any] = [ImagePart.from_path(image), FilePart.from_path(pdf)]
    anthropic = build("anthropic-messages", [UserMessage(content=parts)]).body["messages"][0]
    assert anthropic["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
            "title": "report.pdf",
        },
    ]
    # dict messages: a pathlib.Path or a file:// URL works too
    from llmkit.types.messages import to_messages

    (message,) = to_messages(
        [{"role": "user", "content": [{"type": "image", "image": image.as_uri()}]}]
    )
    openai = build("openai-chat", [message]).body["messages"][0]
    assert openai["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}}
    ]
    with pytest.raises(ConfigurationError, match="cannot read the file"):
        to_messages([{"role": "user", "content": [{"type": "image", "image": tmp_path / "no"}]}])


SIGNED = ReasoningPart(text="Let me think.", signature="c2ln")
REDACTED = ReasoningPart(redacted_data="ZW5jcnlwdGVk")
UNSIGNED = ReasoningPart(text="Thinking out loud.")
CALL = ToolCallPart(tool_call_id="call_1", tool_name="add", args={"a": 1})
TEXT = TextPart(text="Done.")
OPENAI_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "add", "arguments": '{"a": 1}'},
}


@pytest.mark.parametrize(
    ("name", "parts", "openai", "anthropic", "anthropic_warns"),
    [
        (
            "text-and-tool-call",
            [TEXT, CALL],
            {"role": "assistant", "content": "Done.", "tool_calls": [OPENAI_CALL]},
            [
                {"type": "text", "text": "Done."},
                {"type": "tool_use", "id": "call_1", "name": "add", "input": {"a": 1}},
            ],
            False,
        ),
        (
            "signed-reasoning",
            [SIGNED, CALL],
            {"role": "assistant", "tool_calls": [OPENAI_CALL]},
            [
                {"type": "thinking", "thinking": "Let me think.", "signature": "c2ln"},
                {"type": "tool_use", "id": "call_1", "name": "add", "input": {"a": 1}},
            ],
            False,
        ),
        (
            "redacted-reasoning",
            [REDACTED, TEXT],
            {"role": "assistant", "content": "Done."},
            [
                {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
                {"type": "text", "text": "Done."},
            ],
            False,
        ),
        (
            "unsigned-reasoning",
            [UNSIGNED, TEXT],
            {"role": "assistant", "content": "Done."},
            [{"type": "text", "text": "Done."}],
            True,
        ),
    ],
)
def test_assistant_parts(
    name: str, parts: list[Any], openai: Any, anthropic: Any, anthropic_warns: bool
) -> None:
    request = build("openai-chat", assistant(*parts))
    assert request.body["messages"][-1] == openai
    reasoning = any(isinstance(p, ReasoningPart) for p in parts)
    # OpenAI chat has no field for reasoning: dropped, with a warning, never sent
    assert [w.setting for w in request.warnings] == (["messages"] if reasoning else [])
    request = build("anthropic-messages", assistant(*parts))
    assert request.body["messages"][-1] == {"role": "assistant", "content": anthropic}
    assert [w.setting for w in request.warnings] == (["messages"] if anthropic_warns else [])


def test_deepseek_takes_reasoning_back_only_with_tool_calls() -> None:
    with_calls = build("openai-chat", assistant(UNSIGNED, CALL), DEEPSEEK)
    assert with_calls.body["messages"][-1] == {
        "role": "assistant",
        "tool_calls": [OPENAI_CALL],
        "reasoning_content": "Thinking out loud.",
    }
    assert with_calls.warnings == ()
    without = build("openai-chat", assistant(UNSIGNED, TEXT), DEEPSEEK)
    assert without.body["messages"][-1] == {"role": "assistant", "content": "Done."}
    assert without.warnings == ()


def test_tool_results() -> None:
    messages: list[Message] = [
        *assistant(CALL, ToolCallPart(tool_call_id="call_2", tool_name="add", args={})),
        ToolMessage(
            content=[
                ToolResultPart(tool_call_id="call_1", tool_name="add", result={"sum": 1}),
                ToolResultPart(tool_call_id="call_2", tool_name="add", result="bad", is_error=True),
            ]
        ),
    ]
    assert build("openai-chat", messages).body["messages"][-2:] == [
        {"role": "tool", "tool_call_id": "call_1", "content": '{"sum": 1}'},
        {"role": "tool", "tool_call_id": "call_2", "content": "bad"},
    ]
    assert build("anthropic-messages", messages).body["messages"][-1] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": '{"sum": 1}'},
            {"type": "tool_result", "tool_use_id": "call_2", "content": "bad", "is_error": True},
        ],
    }


def test_forced_tool_choice_with_thinking_is_refused_for_anthropic() -> None:
    # Anthropic, "Extended thinking" → tool use: only tool_choice auto / none with thinking on.
    from llmkit.types.options import NamedToolChoice, ReasoningOptions, ToolDefinition

    tools = [ToolDefinition(name="add")]
    thinking = ReasoningOptions(budget_tokens=1024)
    protocol = AnthropicMessagesProtocol()
    for choice in ("required", NamedToolChoice(tool_name="add")):
        call = CallOptions(
            messages=[UserMessage(content="hi")],
            tools=tools,
            tool_choice=choice,
            reasoning=thinking,
        )
        with pytest.raises(UnsupportedFeatureError, match="only be 'auto' or 'none'"):
            protocol.build_request(call, ANTHROPIC, "m")
    call = CallOptions(
        messages=[UserMessage(content="hi")], tools=tools, tool_choice="auto", reasoning=thinking
    )
    assert protocol.build_request(call, ANTHROPIC, "m").body["tool_choice"] == {"type": "auto"}
