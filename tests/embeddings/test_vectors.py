"""Base64 decoding is bit-exact (hypothesis), the vendor element types, output forms, and
cosine similarity."""

from __future__ import annotations

import array
import base64
import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.embeddings import EmbeddingBatch, cosine_similarity, get_embedding_protocol
from llmkit.embeddings.vectors import base64_dtype, decode_base64
from llmkit.errors import InvalidArgumentError, InvalidResponseError

float32s = st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), min_size=1)


def _b64(values: list[float], fmt: str = "f") -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}{fmt}", *values)).decode()


@given(float32s)
def test_base64_float32_round_trips_bit_exactly(values: list[float]) -> None:
    text = _b64(values)
    wire = base64.b64decode(text)
    as_list = decode_base64(text, "list", dimensions=len(values))
    assert struct.pack(f"<{len(as_list)}f", *as_list) == wire
    as_array = decode_base64(text, "array", dimensions=len(values))
    assert isinstance(as_array, array.array) and as_array.typecode == "f"
    assert struct.pack(f"<{len(as_array)}f", *as_array) == wire


@given(st.lists(st.floats(width=32, min_value=-1, max_value=1), min_size=1, max_size=64))
def test_through_the_openai_protocol(values: list[float]) -> None:
    body = json.dumps({"data": [{"index": 0, "embedding": _b64(values)}]}).encode()
    batch = EmbeddingBatch("text-embedding-3-small", ("x",), len(values))
    parsed = get_embedding_protocol("openai-embeddings").parse_response(body, batch)
    assert parsed.embeddings[0] == values  # float32 → Python float is exact
    assert parsed.usage.input_tokens is None


def test_element_types() -> None:
    assert base64_dtype(b"\x00" * 256, 256) == "int8"
    assert base64_dtype(b"\x00" * 2048, 256) == "float64"
    assert base64_dtype(b"\x00" * 1024, 256) == "float32"
    assert base64_dtype(b"\x00" * 8, None, "int8") == "int8"
    # float32 values widened to float64 (as vLLM sent): low mantissa words zero-like
    doubles = [struct.unpack("<f", struct.pack("<f", x))[0] for x in (0.001636, -0.25, 0.3, 0.1)]
    raw = struct.pack("<4d", *doubles)
    assert base64_dtype(raw) == "float64"
    assert decode_base64(base64.b64encode(raw).decode()) == doubles
    ints = decode_base64(base64.b64encode(bytes([0xD7, 0xFF, 0x00])).decode(), dtype="int8")
    assert ints == [-41, -1, 0]


def test_bad_base64() -> None:
    with pytest.raises(InvalidResponseError):
        decode_base64("not base64!")
    with pytest.raises(InvalidResponseError, match="whole number"):
        decode_base64(base64.b64encode(b"abc").decode())


def test_numpy_output() -> None:
    numpy = pytest.importorskip("numpy")
    vector = decode_base64(_b64([1.0, 2.0]), "numpy", dimensions=2)
    assert isinstance(vector, numpy.ndarray)
    assert vector.dtype == numpy.dtype("<f4")


def test_cosine_similarity() -> None:
    assert cosine_similarity([1.0, 0.0], [2.0, 0.0]) == 1.0
    assert cosine_similarity([1.0, 0.0], [-3.0, 0.0]) == -1.0
    assert cosine_similarity([1.0, 0.0], [0.0, 5.0]) == 0.0
    assert math.isclose(cosine_similarity([1, 1], [1, 0]), 1 / math.sqrt(2))
    assert cosine_similarity(array.array("f", [1, 2, 3]), [1.0, 2.0, 3.0]) == 1.0
    for a, b in ([[1.0], [1.0, 2.0]], [[], []], [[0.0, 0.0], [1.0, 1.0]]):
        with pytest.raises(InvalidArgumentError):
            cosine_similarity(a, b)


@given(
    st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
    st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
)
def test_cosine_is_bounded_and_symmetric(a: list[float], b: list[float]) -> None:
    if not any(a) or not any(b):
        return
    value = cosine_similarity(a, b)
    assert -1.0 <= value <= 1.0
    assert value == cosine_similarity(b, a)


def test_an_all_zero_vector_stays_float32() -> None:
    assert base64_dtype(b"\x00" * 16) == "float32"
