"""``llmkit demo``: real recorded provider streams played through the whole stack.

Each stream is served by a loopback :class:`~llmkit.testing.ReplayServer` in small random
network chunks, registered as a provider, and read with :func:`llmkit.stream_text`, exactly as
application code would read a live provider.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib import resources
from typing import TextIO

from llmkit.providers.config import ProtocolName

__all__ = ["DEMO_STREAMS", "run_demo"]


@dataclass(frozen=True)
class DemoStream:
    """A recorded stream shipped for the demo (see ``demo_streams/NOTICE``)."""

    file: str
    provider: str
    protocol: ProtocolName
    title: str


DEMO_STREAMS: tuple[DemoStream, ...] = (
    DemoStream(
        "openai-openai-chat-gpt4o-text-then-tool-call.sse",
        "openai",
        "openai-chat",
        "OpenAI gpt-4o: text, then a streamed tool call",
    ),
    DemoStream(
        "deepseek-openai-chat-reasoning-content-text.sse",
        "deepseek",
        "openai-chat",
        "DeepSeek: reasoning_content, then the answer",
    ),
    DemoStream(
        "groq-openai-chat-llama3-text-x-groq-usage.sse",
        "groq",
        "openai-chat",
        "Groq llama3: text with usage in x_groq",
    ),
    DemoStream(
        "anthropic-anthropic-messages-sonnet45-thinking.sse",
        "anthropic",
        "anthropic-messages",
        "Anthropic Claude Sonnet 4.5: extended thinking (signed), then text",
    ),
    DemoStream(
        "anthropic-anthropic-messages-haiku45-thinking-tool-use.sse",
        "anthropic",
        "anthropic-messages",
        "Anthropic Claude Haiku 4.5: thinking, then a tool call",
    ),
    DemoStream(
        "anthropic-anthropic-messages-haiku45-web-search-citations.sse",
        "anthropic",
        "anthropic-messages",
        "Anthropic Claude Haiku 4.5: server-side web search with citations",
    ),
)


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


async def _play(
    stream: DemoStream, out: TextIO, style: _Style, delay: float, show_events: bool
) -> None:
    from llmkit import stream_text
    from llmkit.providers import default_registry
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.testing.replay import ReplayResponse, ReplayServer, random_chunks
    from llmkit.types.events import event_to_json

    body = resources.files("llmkit.cli").joinpath("demo_streams").joinpath(stream.file).read_bytes()
    response = ReplayResponse(
        body, chunking=random_chunks(seed=len(body), max_size=96), delay=delay
    )
    with ReplayServer([response]) as server:
        # the recorded provider's own built-in config (its quirks), pointed at the loopback server
        provider = default_registry().get(stream.provider)
        replay = provider.model_copy(
            update={"base_url": f"{server.url}/v1", "api_key_required": False, "auth": "none"}
        )
        result = stream_text(
            model=f"{stream.provider}:recorded",
            prompt="(recorded)",
            registry=ProviderRegistry([replay]),
        )
        out.write(style("1;36", f"\n▶ {stream.title}") + style("2", f"  [{stream.file}]") + "\n")
        async for event in result:
            if show_events:
                out.write(event_to_json(event) + "\n")
                continue
            if event.type == "reasoning_start":
                out.write(style("2;3", "  thinking: "))
            elif event.type == "reasoning_delta":
                out.write(style("2;3", event.delta.replace("\n", "\n  ")))
            elif event.type == "reasoning_end":
                signed = " (signed)" if event.signature else ""
                redacted = " (redacted)" if event.redacted_data else ""
                out.write(style("2", f"{signed}{redacted}") + "\n")
            elif event.type == "text_start":
                out.write("  ")
            elif event.type == "text_delta":
                out.write(event.delta.replace("\n", "\n  "))
            elif event.type == "text_end":
                out.write("\n")
            elif event.type == "tool_call":
                who = "server tool" if event.provider_executed else "tool call"
                out.write(
                    style("33", f"  {who}: {event.tool_name}({json.dumps(event.args)})") + "\n"
                )
            elif event.type == "source":
                out.write(style("34", f"  source: {event.title or ''} <{event.url}>") + "\n")
            elif event.type == "finish":
                u = event.usage
                out.write(
                    style(
                        "32",
                        f"  finish: {event.finish_reason} (raw {event.raw_finish_reason!r}); "
                        f"usage: input {u.input_tokens}, output {u.output_tokens}, "
                        f"cache read {u.cache_read_tokens}, reasoning {u.reasoning_tokens} tokens",
                    )
                    + "\n"
                )
            out.flush()


async def run_demo(
    *,
    out: TextIO | None = None,
    delay: float = 0.004,
    show_events: bool = False,
    color: bool | None = None,
) -> int:
    """Play every demo stream; returns a process exit code (0 when all streams finished)."""
    out = out or sys.stdout
    style = _Style(out.isatty() if color is None else color)
    out.write(
        "llmkit demo: real recorded provider streams, served over a loopback HTTP server in\n"
        "random network chunks, read with llmkit.stream_text as unified events.\n"
    )
    for stream in DEMO_STREAMS:
        await _play(stream, out, style, delay, show_events)
    out.write(style("1", f"\n{len(DEMO_STREAMS)} streams played.") + "\n")
    return 0
