"""llmkit's SSE decoding (strict UTF-8, size cap) is invariant under any network chunking and
agrees with httpx-sse's own parser; an oversized event fails cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import InvalidResponseError
from llmkit.transport.sse import iter_sse


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


async def _decode(chunks: list[bytes], **kwargs: int) -> list[tuple[str, str, str]]:
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_Chunks(chunks)
    )
    return [(e.event, e.data, e.id) async for e in iter_sse(response, **kwargs)]


def _reference(body: bytes) -> list[tuple[str, str, str]]:
    lines = SSELineDecoder().decode(body.decode())
    decoder = SSEDecoder()
    events = (decoder.decode(line) for line in lines)
    return [(e.event, e.data, e.id) for e in events if e is not None]


_field = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"))
_event = st.tuples(st.sampled_from(["", "message", "error", "ping"]), _field, _field)
_newline = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    out = []
    for name, data, comment in draw(st.lists(_event, max_size=6)):
        nl = draw(_newline)
        if comment:
            out.append(f": {comment}{nl}")
        if name:
            out.append(f"event: {name}{nl}")
        out.append(f"data: {data}{nl}{nl}")
    return "".join(out).encode()


@settings(max_examples=150, deadline=None)
@given(body=_bodies(), cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=12))
async def test_any_chunking_gives_the_same_events(body: bytes, cuts: list[int]) -> None:
    points = sorted({c for c in cuts if c < len(body)})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert await _decode([p for p in pieces if p]) == await _decode([body]) == _reference(body)


async def test_multibyte_characters_split_across_reads() -> None:
    body = "data: héllo → 世界 🎉\n\n".encode()
    one_byte = [body[i : i + 1] for i in range(len(body))]
    assert await _decode(one_byte) == [("message", "héllo → 世界 🎉", "")]


async def test_an_oversized_event_fails_cleanly() -> None:
    big = [b"data: " + b"x" * 1000] * 20 + [b"\n\n"]
    with pytest.raises(InvalidResponseError, match="exceeded 8000 bytes"):
        await _decode(big, max_event_bytes=8000)
    events = await _decode(big, max_event_bytes=64_000)
    assert len(events) == 1 and len(events[0][1]) == 20 * 1006 - 6
