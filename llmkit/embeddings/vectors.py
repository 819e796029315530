"""Vector decoding (JSON numbers or base64 bytes) into the requested output form, and cosine
similarity.

Base64 vectors (OpenAI ``encoding_format: "base64"``) are little-endian IEEE-754 float32, 4 bytes
per dimension, decoded bit-exactly. Two vendors differ, and a body does not say which it sent
(see ``tests/fixtures/README.md``, "Quirks seen — embeddings"):

- Perplexity ``pplx-embed-*`` answers base64 **int8** (1 byte per dimension) without being asked;
- an older vLLM answered base64 **float64** (8 bytes per dimension).

:func:`base64_dtype` picks the element type: the one given (the model table of
:mod:`llmkit.embeddings.openai`), else from the byte length when the dimensions are known, else
float32 unless the bytes read as float64 plausibly (finite, small) while as float32 they are
implausible or every low word is zero-like (a float64 widened from float32/float16, as vLLM's).
"""

from __future__ import annotations

import array
import base64
import binascii
import importlib
import math
import sys
from collections.abc import Sequence
from typing import Any, Literal

from llmkit.embeddings.base import OutputForm, Vector
from llmkit.errors import InvalidArgumentError, InvalidResponseError

__all__ = ["Dtype", "base64_dtype", "cosine_similarity", "decode_base64", "from_numbers"]

Dtype = Literal["float32", "float64", "int8"]
"""The element type of a base64 vector."""

_SIZES: dict[str, int] = {"float32": 4, "float64": 8, "int8": 1}
_TYPECODES: dict[str, str] = {"float32": "f", "float64": "d", "int8": "b"}
_NUMPY: dict[str, str] = {"float32": "<f4", "float64": "<f8", "int8": "i1"}
_LOW_29 = (1 << 29) - 1
_PLAUSIBLE = 1e4
"""An embedding component above this (or a non-finite one) means the bytes were misread."""


def _numpy() -> Any:
    """numpy, imported on demand (an optional dependency: only ``output="numpy"`` needs it).

    Raises:
        InvalidArgumentError: numpy is not installed.
    """
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise InvalidArgumentError(
            'output="numpy" needs numpy (pip install numpy); or use output="array"'
        ) from None


def base64_dtype(raw: bytes, dimensions: int | None = None, dtype: Dtype | None = None) -> Dtype:
    """The element type of a decoded base64 vector of ``len(raw)`` bytes.

    Args:
        raw: the decoded bytes.
        dimensions: the vector length requested, if any: a length of ``dimensions`` bytes
            means int8, ``8 * dimensions`` float64, else float32.
        dtype: a known element type (a model table, the caller): returned as is.
    """
    if dtype is not None:
        return dtype
    if dimensions:
        if len(raw) == dimensions:
            return "int8"
        if len(raw) == 8 * dimensions:
            return "float64"
        return "float32"
    if len(raw) % 8 == 0 and raw and _plausible(raw, "d"):
        singles = _array(raw, "f")
        if not all(math.isfinite(v) and abs(v) <= _PLAUSIBLE for v in singles):
            return "float64"
        # a float64 widened from a float32 (or float16) value has its low 29 mantissa bits
        # zero: every low 32-bit word (the even float32 slots) is 0 below bit 29; no float32
        # embedding has that in every other component
        words = _array(raw, "I" if array.array("I").itemsize == 4 else "L")
        if any(words) and all(word & _LOW_29 == 0 for word in words[::2]):
            return "float64"
    return "float32"


def _plausible(raw: bytes, typecode: str) -> bool:
    values = _array(raw, typecode)
    return all(math.isfinite(v) and abs(v) <= _PLAUSIBLE for v in values)


def _array(raw: bytes, typecode: str) -> array.array[Any]:
    values = array.array(typecode)
    values.frombytes(raw)
    if sys.byteorder == "big" and typecode != "b":  # the wire is little-endian
        values.byteswap()
    return values


def decode_base64(
    text: str,
    output: OutputForm = "list",
    *,
    dimensions: int | None = None,
    dtype: Dtype | None = None,
) -> Vector:
    """One base64 vector in the ``output`` form, bit-exact (float32 → Python float is exact).

    Args:
        text: the base64 string (standard alphabet, padded).
        output: ``list`` (floats; ints for int8), ``array`` (:class:`array.array` of the wire
            type) or ``numpy`` (a read-only ``numpy.ndarray`` over the bytes, little-endian).
        dimensions: the requested length, to tell the element type (:func:`base64_dtype`).
        dtype: the element type when known.

    Raises:
        InvalidResponseError: not base64, or a byte count that is not a whole number of
            elements.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidResponseError("an embedding is not valid base64", raw=text[:200]) from exc
    kind = base64_dtype(raw, dimensions, dtype)
    if len(raw) % _SIZES[kind]:
        raise InvalidResponseError(
            f"a base64 embedding of {len(raw)} bytes is not a whole number of {kind} values",
            raw=text[:200],
        )
    if output == "numpy":
        vector: Vector = _numpy().frombuffer(raw, dtype=_NUMPY[kind])
        return vector
    values = _array(raw, _TYPECODES[kind])
    return values if output == "array" else values.tolist()


def from_numbers(numbers: object, output: OutputForm = "list") -> Vector:
    """A vector given as JSON numbers, in the ``output`` form (``array``: typecode ``'d'``).

    Raises:
        InvalidResponseError: not a list of numbers.
    """
    if not isinstance(numbers, list) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in numbers
    ):
        raise InvalidResponseError("an embedding is not a list of numbers", raw=repr(numbers)[:200])
    if output == "list":
        return numbers
    if output == "numpy":
        np = _numpy()
        vector: Vector = np.asarray(numbers, dtype=np.float64)
        return vector
    return array.array("d", numbers)


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of the angle between two vectors: ``a·b / (|a| |b|)``, in [-1, 1].

    Works on lists, ``array.array`` and 1-D numpy arrays alike (computed in double precision
    with :func:`math.fsum`, each vector first scaled by its largest magnitude so tiny or huge
    components neither underflow nor overflow). Two identical directions give 1.0, opposite
    ones -1.0.

    Raises:
        InvalidArgumentError: the vectors differ in length, are empty, hold a NaN or
            infinity, or one is all zeros (no direction: the cosine is undefined).
    """
    if len(a) != len(b):
        raise InvalidArgumentError(
            f"cosine_similarity needs vectors of the same length, not {len(a)} and {len(b)}"
        )
    if len(a) == 0:
        raise InvalidArgumentError("cosine_similarity needs non-empty vectors")
    xs = [float(x) for x in a]
    ys = [float(y) for y in b]
    scale_a = max(map(abs, xs))
    scale_b = max(map(abs, ys))
    if scale_a == 0.0 or scale_b == 0.0:
        raise InvalidArgumentError("cosine_similarity is undefined for an all-zero vector")
    if not (math.isfinite(scale_a) and math.isfinite(scale_b)):
        raise InvalidArgumentError("cosine_similarity needs finite numbers")
    xs = [x / scale_a for x in xs]  # scaled to at most 1: no underflow or overflow below
    ys = [y / scale_b for y in ys]
    dot = math.fsum(x * y for x, y in zip(xs, ys, strict=True))
    norm_a = math.sqrt(math.fsum(x * x for x in xs))
    norm_b = math.sqrt(math.fsum(y * y for y in ys))
    return max(-1.0, min(1.0, dot / (norm_a * norm_b)))
