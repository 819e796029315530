"""How a client asked the stream to be written reaches the encoder: OpenAI chat writes the
final usage chunk only when the request set ``stream_options.include_usage`` (as OpenAI does)."""

from __future__ import annotations

import json

import pytest

from llmkit.protocols.serving import get_codec
from llmkit.types.events import (
    FinishEvent,
    StreamEvent,
    StreamStartEvent,
    TextDeltaEvent,
    TextEndEvent,
    TextStartEvent,
)
from llmkit.types.usage import Usage

EVENTS: list[StreamEvent] = [
    StreamStartEvent(),
    TextStartEvent("t"),
    TextDeltaEvent("t", "Hi"),
    TextEndEvent("t"),
    FinishEvent("stop", "stop", Usage(input_tokens=3, output_tokens=1)),
]


def _chunks(stream_options: dict[str, object] | None) -> list[dict[str, object]]:
    codec = get_codec("openai-chat")
    body: dict[str, object] = {
        "model": "p:m",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    if stream_options is not None:
        body["stream_options"] = stream_options
    served = codec.parse_request(json.dumps(body).encode())
    encoder = codec.stream_encoder(served.model, **served.stream_options)
    raw = b"".join(encoder.encode(e) for e in EVENTS) + encoder.end()
    datas = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
    assert datas[-1] == "[DONE]"
    return [json.loads(d) for d in datas[:-1]]


@pytest.mark.parametrize(
    ("stream_options", "usage_chunk"),
    [(None, False), ({"include_usage": False}, False), ({"include_usage": True}, True)],
)
def test_the_usage_chunk_follows_include_usage(
    stream_options: dict[str, object] | None, usage_chunk: bool
) -> None:
    chunks = _chunks(stream_options)
    usage = [c for c in chunks if c.get("choices") == []]
    assert bool(usage) is usage_chunk
    if usage_chunk:
        assert usage[0]["usage"] == {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    assert all(c["choices"] for c in chunks if c not in usage)  # choices[0] is safe to index


def test_a_codec_without_stream_options_reads_none_and_encodes_as_before() -> None:
    codec = get_codec("anthropic-messages")
    body = {
        "model": "p:m",
        "max_tokens": 16,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    served = codec.parse_request(json.dumps(body).encode())
    assert served.stream_options == {}
    encoder = codec.stream_encoder(served.model, **served.stream_options)
    raw = b"".join(encoder.encode(e) for e in EVENTS) + encoder.end()
    assert b"event: message_start" in raw and raw.rstrip().endswith(b'{"type":"message_stop"}')
