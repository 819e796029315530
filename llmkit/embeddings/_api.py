"""The public embedding calls: :func:`embed`, :func:`embed_many` and their ``*_sync`` forms.

Each request goes through :func:`llmkit._driver.send_request` (credentials, concurrency gate,
rate limits, retries, fallback models, time limits); the provider's embedding protocol builds it
and parses the answer (:mod:`llmkit.embeddings.registry` says which protocol).

A call with ``telemetry=`` (or under ``llmkit.telemetry.instrument()``) records one OpenTelemetry
``embeddings`` span per request (:mod:`llmkit.telemetry._embeddings`); without it, nothing of
:mod:`llmkit.telemetry` or OpenTelemetry is imported and each request pays one ``is None`` test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from llmkit._driver import Connection, Target, make_connection, resolve_target, send_request
from llmkit.embeddings.base import (
    EmbeddingBatch,
    EmbeddingProtocol,
    OutputForm,
    ParsedEmbeddings,
)
from llmkit.embeddings.registry import default_embedding_model, embedding_protocol_for
from llmkit.embeddings.results import EmbeddingResponse, EmbedManyResult, EmbedResult
from llmkit.errors import APIError, APIStatusError, EmbeddingBatchError, InvalidArgumentError
from llmkit.reliability.deadline import Timeouts
from llmkit.types.usage import Usage

if TYPE_CHECKING:
    import httpx

    from llmkit.auth.secret import Secret
    from llmkit.protocols.base import BuiltRequest
    from llmkit.providers.inline import ModelLike
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.reliability.ratelimit import RateLimit
    from llmkit.reliability.retry import RetryPolicy
    from llmkit.telemetry import Telemetry
    from llmkit.telemetry._embeddings import EmbeddingsObserver

__all__ = [
    "EmbedManyResult",
    "EmbedResult",
    "EmbeddingResponse",
    "embed",
    "embed_many",
    "embed_many_sync",
    "embed_sync",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R", EmbedResult, EmbedManyResult)

DEFAULT_MAX_PARALLEL = 4
"""Batches of one :func:`embed_many` call in flight at once, unless ``max_parallel`` says."""


def _resolve(model: ModelLike, registry: ProviderRegistry | None) -> Target:
    """Like :func:`~llmkit._driver.resolve_target`, but a bare ``"provider"`` (or
    ``"provider:"``) means the provider's default *embedding* model."""
    if isinstance(model, str):
        provider_id, _, model_id = model.partition(":")
        if not model_id:
            from llmkit.protocols import get_protocol
            from llmkit.providers import default_registry

            provider = (registry or default_registry()).get(provider_id)
            return Target(
                provider, default_embedding_model(provider), get_protocol(provider.protocol)
            )
    return resolve_target(model, registry)


def _check_values(values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidArgumentError(
            "values must be a list of strings (for one string use embed(value=...))"
        )
    bad = [i for i, v in enumerate(values) if not isinstance(v, str)]
    if bad:
        raise InvalidArgumentError(f"values must be strings; not at index {bad[:10]}")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class _Call:
    """The settings every batch of one call shares."""

    target: Target
    connection: Connection
    timeouts: Timeouts | None
    output: OutputForm
    dimensions: int | None
    task_type: str | None
    encoding: Literal["base64", "float"]
    extra_body: Mapping[str, object]
    observer: EmbeddingsObserver | None = None

    def batch(self, candidate: Target, values: tuple[str, ...]) -> EmbeddingBatch:
        return EmbeddingBatch(
            candidate.model_id,
            values,
            self.dimensions,
            self.task_type,
            self.encoding,
            self.extra_body,
        )

    async def send(
        self, values: tuple[str, ...], indexes: range
    ) -> tuple[ParsedEmbeddings, EmbeddingResponse]:
        """Embed one batch (one request, with its retries and fallbacks); traced as one
        ``embeddings`` span when the call has an observer."""
        if self.observer is None:
            parsed, response, _ = await self._send(values, indexes)
            return parsed, response
        with self.observer.request(self.target, self.dimensions) as traced:
            parsed, response, request = await self._send(values, indexes)
            encoding = request.body.get("encoding_format") if request is not None else None
            traced.answered(
                model=response.model,
                served_model=parsed.model,
                attempts=response.attempts,
                usage=parsed.usage,
                dimension_count=len(parsed.embeddings[0]) if parsed.embeddings else None,
                encoding_format=encoding if isinstance(encoding, str) else None,
            )
        return parsed, response

    async def _send(
        self, values: tuple[str, ...], indexes: range
    ) -> tuple[ParsedEmbeddings, EmbeddingResponse, BuiltRequest | None]:
        built: dict[str, BuiltRequest] = {}

        def build(candidate: Target) -> BuiltRequest:
            protocol = embedding_protocol_for(candidate.provider)
            request = protocol.build_request(self.batch(candidate, values), candidate.provider)
            built[candidate.name] = request
            return request

        sent = await send_request(self.target, build, self.connection, timeouts=self.timeouts)
        body, answered, attempts = sent.body, sent.target, sent.attempts
        protocol = embedding_protocol_for(answered.provider)
        try:
            parsed = protocol.parse_response(body, self.batch(answered, values), self.output)
        except APIError as exc:
            exc.provider_id = exc.provider_id or answered.provider.id
            exc.model_id = exc.model_id or answered.model_id
            raise
        parsed = dataclasses.replace(parsed, usage=_priced(parsed.usage, answered))
        request = built.get(answered.name)
        response = EmbeddingResponse(
            answered.name,
            parsed.model,
            parsed.body,
            attempts,
            request.warnings if request is not None else (),
            indexes,
        )
        return parsed, response, request


def _prepare(
    model: ModelLike,
    *,
    output: OutputForm,
    dimensions: int | None,
    task_type: str | None,
    encoding: Literal["base64", "float"],
    extra_body: Mapping[str, object] | None,
    api_key: str | Secret | None,
    http_client: httpx.AsyncClient | None,
    retry: RetryPolicy | int | None,
    timeouts: Timeouts | None,
    timeout: float | None,
    rate_limit: RateLimit | None,
    fallback_models: Sequence[ModelLike] | None,
    registry: ProviderRegistry | None,
    telemetry: Telemetry | bool | None,
) -> _Call:
    observer = _observer(telemetry)  # a wrong telemetry= fails before any request
    if output not in ("list", "array", "numpy"):
        raise InvalidArgumentError(f"output must be 'list', 'array' or 'numpy', not {output!r}")
    if encoding not in ("base64", "float"):
        raise InvalidArgumentError(f"encoding must be 'base64' or 'float', not {encoding!r}")
    if dimensions is not None and (not isinstance(dimensions, int) or dimensions < 1):
        raise InvalidArgumentError(f"dimensions must be a positive int, not {dimensions!r}")
    if timeouts is None and timeout is not None:
        timeouts = Timeouts(connect=min(5.0, timeout), first_event=timeout, write=max(timeout, 1.0))
    target = _resolve(model, registry)
    embedding_protocol_for(target.provider)  # fails now when the provider has no endpoint
    connection = make_connection(
        api_key,
        http_client,
        retry=retry,
        timeouts=timeouts,
        rate_limit=rate_limit,
        fallback_models=fallback_models,
        registry=registry,
    )
    return _Call(
        target,
        connection,
        timeouts,
        output,
        dimensions,
        task_type,
        encoding,
        extra_body or {},
        observer,
    )


def _observer(setting: Telemetry | bool | None) -> EmbeddingsObserver | None:
    """The observer of one call from its ``telemetry=`` setting, chosen as for a text call
    (:func:`llmkit._api._observer`): ``False`` → none; ``None`` → the process default
    (``llmkit.telemetry.instrument()``), if any; ``True`` → the default, else ``Telemetry()``;
    a ``Telemetry`` → that one. Imports :mod:`llmkit.telemetry` only for a traced call."""
    from llmkit._instrument import telemetry_for

    chosen = telemetry_for(setting)
    if chosen is False:
        return None
    from llmkit.telemetry import _embeddings_observer

    return _embeddings_observer(chosen)


async def _observed(call: _Call, work: Awaitable[R]) -> R:
    """Await ``work`` (the call's requests), inside the call's telemetry when it has some:
    ``invoke_agent`` around it when the settings name an agent."""
    observer = call.observer
    if observer is None:
        return await work
    observer.call_start(call.target)
    try:
        result = await work
    except BaseException as exc:
        observer.call_error(exc)
        raise
    observer.call_end(result.usage)
    return result


async def embed(
    *,
    model: ModelLike,
    value: str,
    dimensions: int | None = None,
    task_type: str | None = None,
    output: OutputForm = "list",
    encoding: Literal["base64", "float"] = "base64",
    extra_body: Mapping[str, object] | None = None,
    api_key: str | Secret | None = None,
    http_client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    timeout: float | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
    registry: ProviderRegistry | None = None,
    telemetry: Telemetry | bool | None = None,
) -> EmbedResult:
    """Embed one text.

    Args:
        model: ``"provider:model"``, ``"provider"`` (its default embedding model) or an
            inline :class:`~llmkit.Model`.
        value: the text.
        dimensions: the vector length, where the model can shorten its vectors (OpenAI
            ``dimensions``, Gemini ``outputDimensionality``, Ollama ``dimensions``).
        task_type: what the vector is for (Gemini ``taskType``: ``RETRIEVAL_QUERY``,
            ``RETRIEVAL_DOCUMENT``, ``SEMANTIC_SIMILARITY``...); other APIs drop it with a
            warning in ``response.warnings``.
        output: the vector's form (:data:`~llmkit.embeddings.base.OutputForm`): ``list`` of
            floats (default), ``array`` (:class:`array.array`, no Python floats built from
            base64) or ``numpy`` (needs numpy).
        encoding: what to ask an OpenAI-compatible API for: ``base64`` (default: exact
            float32, about 4x smaller) or ``float`` (JSON numbers).
        extra_body: provider-specific fields merged into the request body.
        api_key, http_client, retry, timeouts, timeout, rate_limit, fallback_models, registry:
            as for :func:`llmkit.stream_text` (``timeout``: seconds for the whole answer).
        telemetry: ``True`` or a ``llmkit.telemetry.Telemetry`` to record an OpenTelemetry
            ``embeddings`` span and the GenAI metrics (needs the ``otel`` extra); ``False``
            turns off the process default set by ``llmkit.telemetry.instrument()``.

    Returns:
        :class:`EmbedResult`: ``embedding`` (``dimensions`` numbers), ``usage``, ``response``.

    Raises:
        InvalidArgumentError: a wrong setting.
        NoSuchProviderError, ConfigurationError: an unknown provider, no embedding endpoint or
            default embedding model.
        MissingCredentialError: no key.
        APIStatusError, APIConnectionError, APITimeoutError: from the provider, after retries
            and fallbacks.
        InvalidResponseError: an answer that is not an embedding of the value.
    """
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"value must be a string, not {type(value).__name__} (for many use embed_many)"
        )
    call = _prepare(
        model,
        output=output,
        dimensions=dimensions,
        task_type=task_type,
        encoding=encoding,
        extra_body=extra_body,
        api_key=api_key,
        http_client=http_client,
        retry=retry,
        timeouts=timeouts,
        timeout=timeout,
        rate_limit=rate_limit,
        fallback_models=fallback_models,
        registry=registry,
        telemetry=telemetry,
    )
    return await _observed(call, _embed_one(call, value))


async def _embed_one(call: _Call, value: str) -> EmbedResult:
    parsed, response = await call.send((value,), range(1))
    return EmbedResult(parsed.embeddings[0], parsed.usage, response)


def _batch_size(call: _Call, max_batch_size: int | None) -> int:
    protocols: list[EmbeddingProtocol] = [embedding_protocol_for(call.target.provider)]
    for fallback in call.connection.fallbacks:
        protocols.append(embedding_protocol_for(fallback.provider))
    size = min(p.max_batch_size for p in protocols)
    if max_batch_size is not None:
        if not isinstance(max_batch_size, int) or max_batch_size < 1:
            raise InvalidArgumentError(
                f"max_batch_size must be a positive int, not {max_batch_size!r}"
            )
        size = min(size, max_batch_size)
    return size


async def embed_many(
    *,
    model: ModelLike,
    values: Sequence[str],
    max_parallel: int = DEFAULT_MAX_PARALLEL,
    max_batch_size: int | None = None,
    dimensions: int | None = None,
    task_type: str | None = None,
    output: OutputForm = "list",
    encoding: Literal["base64", "float"] = "base64",
    extra_body: Mapping[str, object] | None = None,
    api_key: str | Secret | None = None,
    http_client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    timeout: float | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
    registry: ProviderRegistry | None = None,
    telemetry: Telemetry | bool | None = None,
) -> EmbedManyResult:
    """Embed many texts: split into batches, send them with bounded parallelism, keep order.

    Batches hold at most the protocol's documented limit (``max_batch_size`` of the provider's
    embedding protocol and of every fallback's: OpenAI-compatible 2048, Gemini 100, Ollama 512),
    or ``max_batch_size`` when smaller. At most ``max_parallel`` batches are in flight at once
    (each request still passes the provider's rate limit and the loop's concurrency gate).

    Args:
        values: the texts, in order (an empty list gives an empty result without a request).
        max_parallel: batches in flight at once (>= 1).
        max_batch_size: a smaller batch size than the protocol's limit.
        model, dimensions, task_type, output, encoding, extra_body: as for :func:`embed`.
        api_key, http_client, retry, timeouts, timeout, rate_limit, fallback_models, registry:
            as for :func:`embed`.
        telemetry: as for :func:`embed`; one ``embeddings`` span per batch, all children of
            the span current when the call started (or of ``invoke_agent`` when the settings
            name an agent).

    Returns:
        :class:`EmbedManyResult`: ``embeddings[i]`` is the vector of ``values[i]``; ``usage``
        summed over the batches; ``responses`` one per batch, in order.

    Raises:
        EmbeddingBatchError: a batch failed (after its retries and fallbacks); the others
            were cancelled. ``not_embedded`` lists the input indexes without a vector,
            ``failed_batch`` the failed batch's; the batch's error is ``__cause__``.
        InvalidArgumentError, NoSuchProviderError, ConfigurationError, MissingCredentialError:
            as for :func:`embed`, before any request is sent.
    """
    texts = _check_values(values)
    if not isinstance(max_parallel, int) or max_parallel < 1:
        raise InvalidArgumentError(f"max_parallel must be a positive int, not {max_parallel!r}")
    call = _prepare(
        model,
        output=output,
        dimensions=dimensions,
        task_type=task_type,
        encoding=encoding,
        extra_body=extra_body,
        api_key=api_key,
        http_client=http_client,
        retry=retry,
        timeouts=timeouts,
        timeout=timeout,
        rate_limit=rate_limit,
        fallback_models=fallback_models,
        registry=registry,
        telemetry=telemetry,
    )
    size = _batch_size(call, max_batch_size)
    if not texts:  # nothing to send: nothing to trace
        return EmbedManyResult([], Usage(), [])
    return await _observed(call, _embed_batches(call, texts, size, max_parallel))


async def _embed_batches(
    call: _Call, texts: tuple[str, ...], size: int, max_parallel: int
) -> EmbedManyResult:
    ranges = [range(i, min(i + size, len(texts))) for i in range(0, len(texts), size)]
    results: list[tuple[ParsedEmbeddings, EmbeddingResponse] | None] = [None] * len(ranges)
    gate = asyncio.Semaphore(max_parallel)

    async def run(k: int) -> None:
        async with gate:
            chunk = ranges[k]
            results[k] = await call.send(texts[chunk.start : chunk.stop], chunk)

    tasks = [asyncio.ensure_future(run(k)) for k in range(len(ranges))]
    try:
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = next(
            (k for k, t in enumerate(tasks) if t.done() and not t.cancelled() and t.exception()),
            None,
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if failed is not None:
        exc = tasks[failed].exception()
        assert exc is not None
        if not isinstance(exc, APIError):
            raise exc
        raise _batch_error(exc, ranges, results, failed) from exc
    done = [r for r in results if r is not None]
    embeddings = [vector for parsed, _ in done for vector in parsed.embeddings]
    usage = done[0][0].usage if len(done) == 1 else sum((p.usage for p, _ in done), Usage())
    return EmbedManyResult(embeddings, usage, [response for _, response in done])


def _batch_error(
    exc: APIError,
    ranges: list[range],
    results: Sequence[object],
    failed: int,
) -> EmbeddingBatchError:
    missing = tuple(i for k, r in enumerate(ranges) if results[k] is None for i in r)
    chunk = ranges[failed]
    message = (
        f"embed_many: the batch of inputs {chunk.start}..{chunk.stop - 1} failed "
        f"({type(exc).__name__}: {exc.message}); "
        f"{len(missing)} of {sum(len(r) for r in ranges)} inputs were not embedded "
        "(see .not_embedded); retry those"
    )
    error = EmbeddingBatchError(message, provider_id=exc.provider_id, model_id=exc.model_id)
    error.request_id = exc.request_id
    error.not_embedded = missing
    error.failed_batch = tuple(chunk)
    error.attempts = exc.attempts
    error.status_code = exc.status_code if isinstance(exc, APIStatusError) else None
    return error


def _blocking(fn: Callable[P, Coroutine[Any, Any, T]], name: str) -> Callable[P, T]:
    """The blocking form of ``fn``: run on llmkit's private event loop (:mod:`llmkit._sync`),
    same keywords, result and errors."""

    @functools.wraps(fn)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        from llmkit._sync import run_sync

        return run_sync(fn(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name
    blocking.__doc__ = (
        f"The blocking form of :func:`{fn.__name__}`: the same keywords, result and errors; run "
        "on llmkit's private event loop thread (works in scripts, threads and inside a running "
        "loop; a caller's ``http_client`` must not be bound to another loop)."
    )
    return blocking


embed_sync = _blocking(embed, "embed_sync")
"""The blocking form of :func:`embed` (same keywords, result and errors)."""

embed_many_sync = _blocking(embed_many, "embed_many_sync")
"""The blocking form of :func:`embed_many` (same keywords, result and errors)."""


def _priced(usage: Usage, answered: Target) -> Usage:
    """``usage`` with its cost in USD on the model that answered, computed on first read (None
    when unpriced: see :func:`llmkit.catalog.cost_of`)."""
    from llmkit.catalog import with_cost

    return with_cost(usage, f"{answered.provider.id}:{answered.model_id}")
