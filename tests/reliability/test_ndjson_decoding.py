"""NDJSON decoding (for protocols whose framing is ``ndjson``): any network chunking gives the
same lines, with the same strict UTF-8 and size cap as server-sent events."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import InvalidResponseError
from llmkit.transport.ndjson import iter_ndjson


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


async def _lines(
    chunks: list[bytes], content_type: str = "application/x-ndjson", **kwargs: int
) -> list[str]:
    response = httpx.Response(200, headers={"content-type": content_type}, stream=_Chunks(chunks))
    return [e.data async for e in iter_ndjson(response, **kwargs)]


def _cut(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(body)})
    bounds = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


_values = st.lists(
    st.dictionaries(st.text(max_size=5), st.text(max_size=20) | st.integers(), max_size=3),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    values=_values,
    crlf=st.booleans(),
    final_newline=st.booleans(),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=12),
)
async def test_any_chunking_gives_the_same_lines(
    values: list[dict[str, object]], crlf: bool, final_newline: bool, cuts: list[int]
) -> None:
    nl = "\r\n" if crlf else "\n"
    text = nl.join(json.dumps(v, ensure_ascii=False) for v in values)
    body = (text + (nl if final_newline and values else "")).encode()
    assert await _lines(_cut(body, cuts)) == [json.dumps(v, ensure_ascii=False) for v in values]


@pytest.mark.parametrize(
    "content_type",
    ["application/x-ndjson", "Application/X-NDJSON; charset=utf-8", "application/json"],
)
async def test_media_types_compare_case_insensitively(content_type: str) -> None:
    assert await _lines([b'{"a": 1}\n\n{"b": 2}\n'], content_type) == ['{"a": 1}', '{"b": 2}']


async def test_an_html_page_is_refused() -> None:
    with pytest.raises(InvalidResponseError, match="NDJSON") as info:
        await _lines([b"<html>login</html>"], "text/html")
    assert info.value.raw == b"<html>login</html>"


async def test_invalid_utf8_is_refused_even_split_across_chunks() -> None:
    with pytest.raises(InvalidResponseError, match="not valid UTF-8"):
        await _lines([b'{"a": "\xe2\x82', b'"}\n'])


async def test_a_line_past_the_cap_is_refused() -> None:
    with pytest.raises(InvalidResponseError, match="exceeded 64 bytes"):
        await _lines([b'{"a": "' + b"x" * 40, b"x" * 40 + b'"}\n'], max_event_bytes=64)
