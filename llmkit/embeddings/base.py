"""The sans-IO embedding protocol contract: build one batch request, parse its body.

An :class:`EmbeddingProtocol` never does I/O. :func:`llmkit.embeddings.embed_many` splits the
inputs into batches of at most :attr:`EmbeddingProtocol.max_batch_size`, asks the protocol for
each batch's :class:`~llmkit.protocols.base.BuiltRequest`, sends it with
:func:`llmkit._driver.send_request` (credentials, retries, fallbacks, rate limits, time limits;
error bodies read by the provider's *chat* protocol's ``parse_error``) and hands the 2xx body
back to :meth:`EmbeddingProtocol.parse_response`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from llmkit.types.usage import Usage

if TYPE_CHECKING:
    from llmkit.protocols.base import BuiltRequest
    from llmkit.providers.config import ProviderConfig

__all__ = ["EmbeddingBatch", "EmbeddingProtocol", "OutputForm", "ParsedEmbeddings", "Vector"]

OutputForm = Literal["list", "array", "numpy"]
"""How vectors are returned: ``list`` (Python floats; ints for an int8 model), ``array``
(:class:`array.array`: typecode ``'f'`` for base64 float32, ``'d'`` for JSON numbers and
float64, ``'b'`` for int8; no Python float objects are built from base64) or ``numpy`` (a
``numpy.ndarray`` per vector, read straight from the bytes; needs numpy installed)."""

Vector = Sequence[float]
"""One embedding: a sequence of numbers (a ``list``, an ``array.array`` or a 1-D
``numpy.ndarray``, per :data:`OutputForm`), ``dimensions`` long."""


@dataclass(frozen=True, slots=True)
class EmbeddingBatch:
    """What a protocol needs to build one request.

    Attributes:
        model_id: the model, as the provider names it.
        values: the texts of this batch, in order (at most the protocol's ``max_batch_size``).
        dimensions: the requested vector length (None: the model's default).
        task_type: what the vectors are for, where the API takes it (Gemini ``taskType``:
            ``RETRIEVAL_QUERY``, ``RETRIEVAL_DOCUMENT``, ``SEMANTIC_SIMILARITY``...).
        encoding: ``base64`` (the default where the API has it: exact and about 4x smaller
            than JSON numbers) or ``float``.
        extra_body: provider-specific fields merged into the JSON body as given.
    """

    model_id: str
    values: tuple[str, ...]
    dimensions: int | None = None
    task_type: str | None = None
    encoding: Literal["base64", "float"] = "base64"
    extra_body: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedEmbeddings:
    """A parsed embeddings body.

    Attributes:
        embeddings: one vector per input, in input order.
        usage: token counts (``input_tokens``; None where the body has none) and the raw usage
            object.
        model: the model as served (None when the body does not say).
        body: the parsed JSON body.
    """

    embeddings: list[Vector]
    usage: Usage
    model: str | None
    body: Mapping[str, object]


class EmbeddingProtocol(abc.ABC):
    """An embeddings wire protocol: request building and response parsing, no I/O.

    Subclass it, set :attr:`name` and :attr:`max_batch_size`, implement the two methods, and
    register it with :func:`llmkit.embeddings.register_embedding_protocol`; a provider then
    uses it with ``ProviderConfig(kind_protocols={"embedding": <name>})``.
    """

    name: ClassVar[str]
    """The registry name (``openai-embeddings``...): ``[a-z0-9][a-z0-9._-]*``."""

    max_batch_size: ClassVar[int]
    """The most inputs one request may carry, per the vendor's API reference."""

    @abc.abstractmethod
    def build_request(self, batch: EmbeddingBatch, provider: ProviderConfig) -> BuiltRequest:
        """The HTTP request embedding ``batch.values`` (no credentials: the auth layer adds
        them).

        Raises:
            UnsupportedFeatureError: a setting the API cannot honour.
        """

    @abc.abstractmethod
    def parse_response(
        self, body: bytes, batch: EmbeddingBatch, output: OutputForm = "list"
    ) -> ParsedEmbeddings:
        """Read a 2xx body into one vector per input of ``batch``.

        Raises:
            InvalidResponseError: the body is not the documented shape, or its vector count
                differs from ``len(batch.values)``.
        """
