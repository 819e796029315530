"""One model call, streamed or not: the I/O driver around a sans-IO protocol.

``stream_step`` and ``generate_step`` make one model call and turn its response into stream
events. Everything that wraps a call (multi-step tool loops, structured output) builds on these;
everything about sending one request (credentials, transport, error labelling) and getting it
answered reliably lives here:

- retries (:mod:`llmkit.reliability.retry`) and fallback models run only until the first
  content event: a stream's first events are read inside the retry loop and handed on only once
  content arrived, so nothing is ever yielded twice;
- timeouts above the transport (:mod:`llmkit.reliability.deadline`): first event, idle between
  events, total;
- client-side rate limits (:mod:`llmkit.reliability.ratelimit`) and the per-loop concurrency
  gate (:func:`llmkit.transport.http.concurrency_gate`), held until the response is closed;
- the opt-in response cache (:mod:`llmkit.reliability.cache`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from pydantic import ValidationError

from llmkit.auth.request import open_authorized, resolve_credentials, send_authorized
from llmkit.auth.secret import Secret
from llmkit.errors import APIError, APIStatusError, InvalidArgumentError, StreamError
from llmkit.protocols import Protocol, get_protocol
from llmkit.protocols.base import BuiltRequest
from llmkit.providers import default_registry
from llmkit.providers.config import ProviderConfig
from llmkit.providers.inline import Model, ModelLike
from llmkit.providers.registry import ProviderRegistry
from llmkit.reliability.deadline import DEFAULT_TIMEOUTS, Timeouts, Watchdog
from llmkit.reliability.ratelimit import Limiter, RateLimit, get_limiter
from llmkit.reliability.retry import DEFAULT_RETRY, RetryPolicy, call_with_retries
from llmkit.types.events import StreamEvent, StreamStartEvent
from llmkit.types.options import CallOptions

if TYPE_CHECKING:
    import httpx
    from httpx_sse import ServerSentEvent

    from llmkit.auth.manager import Credentials
    from llmkit.middleware._base import Middleware
    from llmkit.reliability.cache import ResponseCache
    from llmkit.transport.http import ErrorParser, HeadersHook
    from llmkit.transport.sse import FrameDecoder

__all__ = [
    "Connection",
    "OpenedResponse",
    "SentResponse",
    "Target",
    "build_call",
    "build_stream_request",
    "generate_step",
    "make_connection",
    "open_request",
    "resolve_target",
    "send_request",
    "stream_step",
]

_R = TypeVar("_R")

retry_log = logging.getLogger("llmkit.retry")
"""Each retry before the first answer is logged here at INFO (message: ``retrying <model>
after <reason> in <delay> s``; ``record.llmkit_retry`` holds ``model``, ``reason`` and
``delay`` for a handler such as the CLI's status line). Never a secret: the reason is the HTTP
status or the error class name, not the error message."""

_PRELUDE = frozenset({"stream_start", "response_metadata", "text_start", "reasoning_start"})
"""Events that are not content: a call is still retried after them."""


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved model: the provider, its model id, the provider's protocol, the key
    bound to the model (an inline :class:`~llmkit.Model`'s; it wins over the call's
    ``api_key``) and the middleware around its calls (a
    :class:`~llmkit.middleware.WrappedModel`'s, outermost first)."""

    provider: ProviderConfig
    model_id: str
    protocol: Protocol[Any]
    api_key: Secret | None = None
    middleware: tuple[Middleware, ...] = ()

    @property
    def name(self) -> str:
        """``"provider:model"``."""
        return f"{self.provider.id}:{self.model_id}"


@dataclass(frozen=True, slots=True)
class Connection:
    """Per-call I/O settings.

    Attributes:
        api_key: an explicit key instead of the keychain / environment lookup.
        http_client: a caller-owned ``httpx.AsyncClient`` instead of the shared one.
        retry: the call's retry policy (else the provider's, else two retries).
        timeouts: the call's time limits (else from ``call.timeout``, the provider's, defaults).
        rate_limit: client-side limits for this call (else the provider's).
        fallbacks: models tried in order when the call fails retryably before any content.
        cache: a response cache to answer from and fill (None: no caching).
    """

    api_key: Secret | None = None
    http_client: httpx.AsyncClient | None = None
    retry: RetryPolicy | None = None
    timeouts: Timeouts | None = None
    rate_limit: RateLimit | None = None
    fallbacks: tuple[Target, ...] = ()
    cache: ResponseCache | None = None


def make_connection(
    api_key: str | Secret | None = None,
    http_client: httpx.AsyncClient | None = None,
    *,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
    cache: ResponseCache | bool | None = None,
    registry: ProviderRegistry | None = None,
) -> Connection:
    """A :class:`Connection` from the public keyword arguments.

    ``retry`` may be a number of retries; ``cache=True`` means the process-wide
    :func:`~llmkit.reliability.cache.default_cache`; fallback models (strings,
    :class:`~llmkit.Model` or :class:`~llmkit.middleware.WrappedModel`) are resolved now.

    Raises:
        NoSuchProviderError: a fallback names an unknown provider.
    """
    policy = RetryPolicy(max_retries=retry) if isinstance(retry, int) else retry
    store: ResponseCache | None
    if cache is True:
        from llmkit.reliability.cache import default_cache

        store = default_cache()
    else:
        store = None if cache is None or cache is False else cache  # an empty cache is falsy
    fallbacks = tuple(resolve_target(m, registry) for m in fallback_models or ())
    # a plain-string key is wrapped at once so that no repr or traceback of the call shows it
    key = Secret(api_key) if isinstance(api_key, str) else api_key
    return Connection(key, http_client, policy, timeouts, rate_limit, fallbacks, store)


def resolve_target(model: ModelLike, registry: ProviderRegistry | None) -> Target:
    """Resolve ``"provider:model"`` through the registry (default ``llmkit.registry``), or
    take an inline :class:`~llmkit.Model` as it is (no registry involved); a
    :class:`~llmkit.middleware.WrappedModel` resolves its model and keeps its middleware.

    Raises:
        NoSuchProviderError, ConfigurationError: see :meth:`ProviderRegistry.resolve`; also an
            unknown protocol name (the message lists the known ones), or a ``model`` that is
            neither a string, a ``Model`` nor a ``WrappedModel``.
        InvalidProviderConfigError: the provider's quirks do not fit its protocol.
    """
    key: Secret | None = None
    if isinstance(model, Model):
        provider, model_id, key = model.provider, model.id, model.api_key
    elif isinstance(model, str):
        provider, model_id = (registry or default_registry()).resolve(model)
    else:
        from llmkit.middleware._model import WrappedModel

        if isinstance(model, WrappedModel):  # flat: its model is a string or a Model
            inner = resolve_target(model.model, registry)
            return dataclasses.replace(inner, middleware=model.middleware + inner.middleware)
        raise InvalidArgumentError(
            f"model must be a 'provider:model' string, an llmkit.Model "
            f"(llmkit.provider(base_url)(model_id)) or a wrapped model "
            f"(llmkit.middleware.wrap_model), not {type(model).__name__}"
        )
    protocol = get_protocol(provider.protocol)
    protocol.quirks_of(provider)  # a quirk that does not fit the protocol fails here, at once
    return Target(provider, model_id, protocol, key)


def build_call(options: Mapping[str, object]) -> CallOptions:
    """Validate call options given as keyword values (``None`` means unset).

    Raises:
        InvalidArgumentError: an option is invalid, or there is nothing to send (neither
            ``prompt`` nor ``messages``); one line per problem, with what to do.
    """
    from llmkit._validation import explain, problem_lines
    from llmkit.types.options import _RANGES

    try:
        call = CallOptions.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        lines = problem_lines(exc, model=CallOptions, fixes=_RANGES)
        raise InvalidArgumentError(explain("invalid call options", lines), problems=lines) from None
    if not call.messages:
        line = 'nothing to send: pass prompt="..." or messages=[{"role": "user", "content": ...}]'
        raise InvalidArgumentError(line, problems=[line])
    return call


def _scrub(exc: APIError, credential_headers: Mapping[str, str]) -> None:
    """Remove the request's credentials from an error a protocol built from a 200 response
    (in-band error event, error object in a JSON body); non-2xx bodies are cleaned in the
    transport before they are parsed."""
    if isinstance(exc, (StreamError, APIStatusError)):
        from llmkit.auth.redact import credential_values, scrub_error

        names = {name.lower() for name in credential_headers}
        scrub_error(exc, credential_values(credential_headers, names))


def _label(exc: APIError, target: Target) -> None:
    if exc.provider_id is None:
        exc.provider_id = target.provider.id
    if exc.model_id is None:
        exc.model_id = target.model_id


def build_stream_request(target: Target, call: CallOptions) -> BuiltRequest:
    """The protocol's streaming request for ``call``.

    Raises:
        UnsupportedFeatureError: a setting cannot be honoured.
    """
    return target.protocol.build_request(call, target.provider, target.model_id, stream=True)


# ---------------------------------------------------------------------------- settings
def _timeouts(call: CallOptions, connection: Connection, provider: ProviderConfig) -> Timeouts:
    if connection.timeouts is not None:
        return connection.timeouts
    if call.timeout is not None:
        t = call.timeout
        return Timeouts(connect=min(5.0, t), first_event=t, idle=t, write=max(t, 1.0))
    return provider.timeouts or DEFAULT_TIMEOUTS


def _policy(connection: Connection, provider: ProviderConfig) -> RetryPolicy:
    return connection.retry or provider.retry or DEFAULT_RETRY


def _limiter(connection: Connection, target: Target) -> Limiter | None:
    limit = connection.rate_limit or target.provider.rate_limit
    return get_limiter(limit, target.provider.id, target.model_id) if limit else None


def _tokens(request: BuiltRequest, call: CallOptions | None) -> int:
    """Estimated tokens of a request for a tokens-per-minute limit: body chars / 4 + output
    (a raw body, e.g. an audio upload, counts nothing: it is not tokens)."""
    if request.content is not None:
        return 0
    body = json.dumps(request.body, ensure_ascii=False, separators=(",", ":"))
    return len(body) // 4 + ((call.max_output_tokens or 0) if call is not None else 0)


async def _cached(
    target: Target, request: BuiltRequest, connection: Connection
) -> tuple[str | None, tuple[StreamEvent, ...] | None]:
    """The request's cache key (None: no cache) and the events cached under it (None: a miss)."""
    if connection.cache is None:
        return None, None
    from llmkit.reliability.cache import request_key

    key = request_key(target.provider.id, target.model_id, request)
    return key, await connection.cache.aget(key)


def _fallback_worthy(exc: APIError, policy: RetryPolicy) -> bool:
    if isinstance(exc, APIStatusError):
        return exc.is_retryable  # a long Retry-After is worth another model
    return policy.is_retryable(exc)


async def _admit(
    stack: AsyncExitStack,
    limiter: Limiter | None,
    request: BuiltRequest,
    call: CallOptions | None,
) -> None:
    """Take a slot of the loop's concurrency gate and the rate limiter (released by ``stack``)."""
    from llmkit.transport.http import concurrency_gate

    gate = concurrency_gate()
    await gate.acquire()
    stack.callback(gate.release)
    if limiter is not None:
        await limiter.acquire(_tokens(request, call) if limiter.limit.tokens_per_minute else 0)
        stack.callback(limiter.release)


def _headers_hook(limiter: Limiter | None) -> Callable[[int, httpx.Headers], None] | None:
    if limiter is None:
        return None
    from llmkit._headers import parse_retry_after

    def hook(status: int, headers: httpx.Headers) -> None:
        limiter.observe(headers, parse_retry_after(headers) if status >= 400 else None)

    return hook


class _SendOptions(TypedDict):
    """The keyword arguments of :func:`~llmkit.transport.http.open_response` and
    :func:`~llmkit.transport.http.post_json` for one attempt."""

    on_error: ErrorParser
    client: httpx.AsyncClient | None
    timeout: Timeouts
    on_headers: HeadersHook | None
    follow_redirects: bool
    allow_http: bool


async def _start_attempt(
    stack: AsyncExitStack,
    target: Target,
    request: BuiltRequest,
    call: CallOptions | None,
    connection: Connection,
    timeouts: Timeouts,
    watchdog: Watchdog,
) -> tuple[Credentials, _SendOptions]:
    """One attempt up to the send: queue for the concurrency gate and the rate limiter (slots
    released by ``stack``), start the attempt's clock, find the credential; return it with the
    transport's keyword arguments."""
    limiter = _limiter(connection, target)
    provider = target.provider
    watchdog.sleeping()  # queueing counts against the total deadline only
    await _admit(stack, limiter, request, call)
    watchdog.attempt()
    key = target.api_key if target.api_key is not None else connection.api_key
    creds = await resolve_credentials(provider, key)
    options = _SendOptions(
        on_error=target.protocol.parse_error,
        client=connection.http_client,
        timeout=timeouts,
        on_headers=_headers_hook(limiter),
        follow_redirects=provider.follow_redirects,
        allow_http=provider.allow_insecure_http,
    )
    return creds, options


def _on_retry(watchdog: Watchdog, target: Target, exc: BaseException, delay: float) -> None:
    """Before each retry: pause the first-event watchdog; log the retry (see ``retry_log``)."""
    watchdog.sleeping()
    if retry_log.isEnabledFor(logging.INFO):
        reason = str(exc.status_code) if isinstance(exc, APIStatusError) else type(exc).__name__
        info = {"model": target.name, "reason": reason, "delay": delay}
        retry_log.info(
            "retrying %s after %s in %.1f s",
            target.name,
            reason,
            delay,
            extra={"llmkit_retry": info},
        )


async def _first_answer(
    candidates: Sequence[tuple[Target, BuiltRequest | None]],
    build: Callable[[Target], BuiltRequest],
    send: Callable[[Target, BuiltRequest], Awaitable[_R]],
    connection: Connection,
    watchdog: Watchdog,
) -> tuple[_R, int]:
    """``send`` to the first candidate that answers, retrying each per its policy; return the
    answer and the number of requests made (over every candidate).

    A candidate without a request gets one from ``build`` when its turn comes. A failure moves
    on to the next candidate when it is worth a fallback (:func:`_fallback_worthy`).

    Raises:
        APIError: the last failure, labelled with its candidate; ``attempts`` counts the
            requests made so far.
    """
    attempts = 0
    for index, (target, request) in enumerate(candidates):
        built = request if request is not None else build(target)
        policy = _policy(connection, target.provider)
        tries = 0

        async def attempt(target: Target = target, built: BuiltRequest = built) -> _R:
            nonlocal tries
            tries += 1
            return await send(target, built)

        try:
            answer = await call_with_retries(
                attempt,
                policy,
                on_retry=functools.partial(_on_retry, watchdog, target),
            )
        except APIError as exc:
            _label(exc, target)
            attempts += tries
            exc.attempts = attempts
            if index + 1 < len(candidates) and _fallback_worthy(exc, policy):
                continue
            raise
        return answer, attempts + tries
    raise AssertionError("unreachable: no candidate")  # pragma: no cover


# ---------------------------------------------------------------------------- streaming
def _decoder(framing: str) -> FrameDecoder:
    """The sans-IO decoder of a protocol's framing: server-sent events, or NDJSON lines."""
    if framing == "ndjson":
        from llmkit.transport.ndjson import NDJSONDecoder

        return NDJSONDecoder()
    from llmkit.transport.sse import SSEDecoder

    return SSEDecoder()


@dataclass(slots=True)
class _Opened:
    """A stream that reached its first content event (or its end)."""

    target: Target
    request: BuiltRequest
    stack: AsyncExitStack
    chunks: AsyncIterator[bytes]
    """The rest of the body, network chunk by network chunk."""
    decoder: FrameDecoder
    pending: Iterable[ServerSentEvent]
    """Events of the last chunk read that come after the first content event (the rest of
    the decoder's iterator): parsed only once the attempt has answered (an error among them
    is not retried)."""
    state: Any
    buffered: list[StreamEvent]
    done: bool
    credential_headers: Mapping[str, str]


async def _open_once(
    target: Target,
    request: BuiltRequest,
    call: CallOptions | None,
    connection: Connection,
    timeouts: Timeouts,
    watchdog: Watchdog,
) -> tuple[AsyncExitStack, httpx.Response, Credentials]:
    """One attempt up to the response headers: the open 2xx response, the stack that closes
    it (and releases the gate and rate-limit slots), and the credential sent. On failure
    everything is closed; a first-event timeout is raised as this attempt's error."""
    from llmkit.transport.http import open_response

    stack = AsyncExitStack()
    try:
        creds, options = await _start_attempt(
            stack, target, request, call, connection, timeouts, watchdog
        )
        response = await stack.enter_async_context(
            open_authorized(  # a 401 with an OAuth token: one refresh, one retry
                target.provider,
                creds,
                request,
                lambda req, auth: open_response(req, auth, **options),
            )
        )
    except BaseException as exc:
        timeout = watchdog.claim(exc)
        await stack.aclose()
        if timeout is not None:
            raise timeout from None
        raise
    return stack, response, creds


async def _open_stream(
    target: Target,
    request: BuiltRequest,
    call: CallOptions,
    connection: Connection,
    timeouts: Timeouts,
    watchdog: Watchdog,
) -> _Opened:
    """One attempt: send the request and read up to the first content event."""
    from llmkit.transport.http import HTTPError, map_httpx_error
    from llmkit.transport.sse import check_content_type

    protocol, provider = target.protocol, target.provider
    stack, response, creds = await _open_once(target, request, call, connection, timeouts, watchdog)
    try:
        decoder = _decoder(protocol.framing)
        await check_content_type(response, decoder.CONTENT_TYPES, decoder.WHAT)
        chunks = response.aiter_bytes()
        stack.push_async_callback(chunks.aclose)  # type: ignore[attr-defined]
        state = protocol.new_state(provider)
        buffered: list[StreamEvent] = []
        parse = protocol.parse_event
        opened = functools.partial(
            _Opened, target, request, stack, chunks, decoder, state=state, buffered=buffered
        )
        try:
            async for chunk in chunks:
                sses = iter(decoder.feed(chunk))
                for sse in sses:
                    events = parse(state, sse)
                    if events:
                        buffered += events
                        if any(e.type not in _PRELUDE for e in events):
                            return opened(
                                pending=sses,  # the chunk's events after this one
                                done=False,
                                credential_headers=creds.headers,
                            )
                if decoder.failure is not None:
                    raise decoder.failure
            for sse in decoder.end():
                buffered += parse(state, sse)
        except HTTPError as exc:
            raise map_httpx_error(exc) from exc
        buffered += protocol.finish(state)
        return opened(pending=[], done=True, credential_headers=creds.headers)
    except BaseException as exc:
        if isinstance(exc, APIError):
            _scrub(exc, creds.headers)
        timeout = watchdog.claim(exc)  # a first-event timeout is this attempt's failure
        await stack.aclose()
        if timeout is not None:
            raise timeout from None
        raise


async def stream_step(
    target: Target,
    call: CallOptions,
    connection: Connection,
    request: BuiltRequest | None = None,
) -> AsyncIterator[StreamEvent]:
    """Make one streamed model call; yield ``stream_start``, then the protocol's events.

    The call as the provider sees it: a model's middleware is applied above, by
    :func:`llmkit._model_call.stream_step`.

    Retries and fallbacks happen before anything is yielded: the first events are read inside
    the retry loop, and ``stream_start`` (naming the model that answered) comes once the first
    content event arrived. An error after that is raised as is, never retried.

    Args:
        request: the request already built from ``call`` (see :func:`build_stream_request`),
            or None to build it here.

    Raises:
        UnsupportedFeatureError: from request building.
        MissingCredentialError, KeychainError, TokenRefreshError: no usable credential.
        APIStatusError, APIConnectionError, StreamError: from the provider, labelled with the
            provider and model ids, after retries; ``attempts`` says how many requests.
        APITimeoutError: a subclass naming the limit that fired (connect, first event, idle,
            total).
    """
    if request is None:
        request = build_stream_request(target, call)
    key, hit = await _cached(target, request, connection)
    if hit is not None:
        for event in hit:
            yield event
        return
    cache = connection.cache
    timeouts = _timeouts(call, connection, target.provider)
    watchdog = Watchdog(timeouts)
    candidates: list[tuple[Target, BuiltRequest | None]] = [(target, request)]
    candidates += [(fallback, None) for fallback in connection.fallbacks]
    answering = target
    opened: _Opened | None = None
    record: list[StreamEvent] | None = [] if cache is not None else None
    try:
        first, attempts = await _first_answer(
            candidates,
            lambda candidate: build_stream_request(candidate, call),
            lambda candidate, built: _open_stream(
                candidate, built, call, connection, timeouts, watchdog
            ),
            connection,
            watchdog,
        )
        opened = first  # closed in ``finally``
        answering = opened.target
        protocol = answering.protocol
        watchdog.waiting = False
        start = StreamStartEvent(opened.request.warnings, answering.name, attempts)
        events = [start, *opened.buffered]
        if not opened.done:
            watchdog.streaming()
            watchdog.waiting = False
        for event in events:
            if record is not None:
                record.append(event)
            yield event
        if not opened.done:
            watchdog.resume()
            from llmkit.transport.http import HTTPError, map_httpx_error

            parse, state, decoder = protocol.parse_event, opened.state, opened.decoder
            feed, next_chunk = decoder.feed, opened.chunks.__anext__
            sses, ended = opened.pending, False
            # the hot path: per event, ``Watchdog.resume`` inlined (a timestamp, the task, a flag)
            clock, current = watchdog.clock, watchdog.current
            try:
                while True:
                    for sse in sses:
                        for event in parse(state, sse):
                            watchdog.waiting = False
                            if record is not None:
                                record.append(event)
                            yield event
                            watchdog.since = clock()
                            watchdog.task = current()
                            watchdog.waiting = True
                    if decoder.failure is not None:
                        raise decoder.failure
                    if ended:
                        break
                    try:
                        sses = feed(await next_chunk())
                    except StopAsyncIteration:
                        sses, ended = decoder.end(), True
            except HTTPError as exc:
                raise map_httpx_error(exc) from exc
            for event in protocol.finish(state):
                watchdog.waiting = False
                if record is not None:
                    record.append(event)
                yield event
        if cache is not None and key is not None and record is not None:
            await cache.aput(key, record)
    except asyncio.CancelledError as exc:
        error = watchdog.claim(exc)
        if error is None:
            raise
        _label(error, answering)
        raise error from None
    except APIError as exc:
        if opened is not None:
            _scrub(exc, opened.credential_headers)
        _label(exc, answering)
        raise
    finally:
        watchdog.close()
        if opened is not None:
            await opened.stack.aclose()


# ---------------------------------------------------------------------------- one JSON body
async def _generate_once(
    target: Target,
    request: BuiltRequest,
    call: CallOptions,
    connection: Connection,
    timeouts: Timeouts,
    watchdog: Watchdog,
) -> list[StreamEvent]:
    from llmkit.transport.http import post_json

    protocol, provider = target.protocol, target.provider
    try:
        async with AsyncExitStack() as stack:
            creds, options = await _start_attempt(
                stack, target, request, call, connection, timeouts, watchdog
            )
            body = await send_authorized(  # a 401 with an OAuth token: one refresh, one retry
                provider, creds, request, lambda req, auth: post_json(req, auth, **options)
            )
    except asyncio.CancelledError as exc:
        timeout = watchdog.claim(exc)  # a first-event timeout is this attempt's failure
        if timeout is None:
            raise
        raise timeout from None
    try:
        events = protocol.parse_response(body, provider)
    except APIError as exc:
        _scrub(exc, creds.headers)
        raise
    return [StreamStartEvent(request.warnings, target.name), *events]


async def _post_whole(
    request: BuiltRequest, auth: Mapping[str, str], options: _SendOptions
) -> tuple[bytes, httpx.Headers]:
    """Send and read the whole 2xx body (a connection lost mid-body fails the attempt)."""
    from llmkit.transport.http import HTTPError, map_httpx_error, open_response

    async with open_response(request, auth, **options) as response:
        try:
            return await response.aread(), response.headers
        except HTTPError as exc:
            raise map_httpx_error(exc) from exc


async def _send_once(
    target: Target,
    request: BuiltRequest,
    connection: Connection,
    timeouts: Timeouts,
    watchdog: Watchdog,
) -> tuple[bytes, httpx.Headers]:
    try:
        async with AsyncExitStack() as stack:
            creds, options = await _start_attempt(
                stack, target, request, None, connection, timeouts, watchdog
            )
            return await send_authorized(
                target.provider, creds, request, lambda req, auth: _post_whole(req, auth, options)
            )
    except asyncio.CancelledError as exc:
        timeout = watchdog.claim(exc)
        if timeout is None:
            raise
        raise timeout from None


@dataclass(frozen=True, slots=True)
class SentResponse:
    """The answer of :func:`send_request`.

    Attributes:
        body: the 2xx response body, read whole.
        headers: the response headers (case-insensitive; ``headers["content-type"]``).
        target: the candidate that answered (the target or one of the fallbacks).
        attempts: the requests sent, retries and fallbacks included.
    """

    body: bytes
    headers: Mapping[str, str]
    target: Target
    attempts: int


def _refuse_middleware(target: Target, connection: Connection) -> None:
    """Middleware wraps language-model calls: an embedding, image or audio request with a
    wrapped model would silently skip it, so it is refused."""
    for candidate in (target, *connection.fallbacks):
        if candidate.middleware:
            raise InvalidArgumentError(
                f"model {candidate.name!r} is wrapped with middleware, which wraps "
                "language-model calls (stream_text, generate_text, objects); pass the model "
                "itself (wrapped.model) for embeddings, images or audio"
            )


async def send_request(
    target: Target,
    build: Callable[[Target], BuiltRequest],
    connection: Connection,
    *,
    timeouts: Timeouts | None = None,
) -> SentResponse:
    """One non-streamed request that is not a chat call (embeddings, images, speech,
    transcription), through what every call gets: the credential lookup (and one OAuth refresh
    after a 401), the concurrency gate and rate limiter, retries and fallback models (each
    candidate's request built by ``build`` when its turn comes), and the time limits
    (``first_event`` covers the whole response).

    Args:
        target: the resolved model; its protocol's ``parse_error`` reads error bodies.
        build: the request for a candidate (``target`` first, then ``connection.fallbacks``).
        connection: the call's I/O settings.
        timeouts: the call's limits (else the connection's, the provider's, the defaults).

    Returns:
        A :class:`SentResponse`: the 2xx body (read whole inside the attempt, so a body cut
        mid-way is retried like any other failure), its headers, the target that answered,
        and the requests sent (retries and fallbacks included).

    Raises:
        APIStatusError, APIConnectionError, APITimeoutError: after retries, labelled with the
            provider and model ids; ``attempts`` says how many requests were sent.
        MissingCredentialError, KeychainError, TokenRefreshError: no usable credential.
        InvalidArgumentError: the model (or a fallback) is wrapped with middleware, which
            wraps language-model calls only.
    """
    _refuse_middleware(target, connection)
    limits = timeouts or connection.timeouts or target.provider.timeouts or DEFAULT_TIMEOUTS
    watchdog = Watchdog(limits)
    candidates: list[tuple[Target, BuiltRequest | None]] = [(target, None)]
    candidates += [(fallback, None) for fallback in connection.fallbacks]
    answering = target

    async def send(candidate: Target, built: BuiltRequest) -> tuple[bytes, httpx.Headers, Target]:
        nonlocal answering
        answering = candidate
        body, headers = await _send_once(candidate, built, connection, limits, watchdog)
        return body, headers, candidate

    try:
        (body, headers, answered), attempts = await _first_answer(
            candidates, build, send, connection, watchdog
        )
        return SentResponse(body, headers, answered, attempts)
    except asyncio.CancelledError as exc:
        error = watchdog.claim(exc)
        if error is None:
            raise
        _label(error, answering)
        raise error from None
    finally:
        watchdog.close()


class _Chunks:
    """The body of an opened response, chunk by network chunk, under the call's time limits:
    the first chunk within ``first_event`` of the send, then ``idle`` between chunks (the
    time the consumer holds a chunk does not count); httpx errors are mapped to llmkit's."""

    __slots__ = ("_chunks", "_read", "_watchdog")

    def __init__(self, chunks: AsyncIterator[bytes], watchdog: Watchdog) -> None:
        self._chunks = chunks
        self._watchdog = watchdog
        self._read = 0  # chunks read so far, counted up to 2

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        from llmkit.transport.http import HTTPError, map_httpx_error

        watchdog, read = self._watchdog, self._read
        if read == 0:  # still the first-event limit, counted from the send
            watchdog.task = watchdog.current()
            watchdog.waiting = True
        elif read == 1:
            watchdog.streaming()
        else:
            watchdog.resume()
        try:
            chunk = await self._chunks.__anext__()
        except HTTPError as exc:
            raise map_httpx_error(exc) from exc
        finally:
            watchdog.waiting = False
        self._read = min(read + 1, 2)
        return chunk


@dataclass(frozen=True, slots=True)
class OpenedResponse:
    """What :func:`open_request` yields.

    Attributes:
        response: the open 2xx ``httpx.Response`` (status and headers; read its body through
            ``chunks``).
        target: the candidate that answered (the target or one of the fallbacks).
        attempts: the requests sent, retries and fallbacks included.
        chunks: the body, network chunk by network chunk, with the idle limit between chunks;
            a lost connection raises APIConnectionError (never retried: the caller may have
            handed chunks on).
    """

    response: httpx.Response
    target: Target
    attempts: int
    chunks: AsyncIterator[bytes]


@asynccontextmanager
async def open_request(
    target: Target,
    build: Callable[[Target], BuiltRequest],
    connection: Connection,
    *,
    timeouts: Timeouts | None = None,
) -> AsyncIterator[OpenedResponse]:
    """The streaming counterpart of :func:`send_request`: send through the same credentials,
    concurrency gate, rate limiter, retries, fallback models and time limits until a 2xx
    response's headers arrive, then yield it open; everything is closed on exit.

    Retries and fallbacks happen only before the ``async with`` body runs, never after. An
    APIError raised in the body (by ``chunks`` or by the caller's parsing) is scrubbed of the
    request's credentials and labelled with the answering provider and model; a time limit
    that fires in the body is raised as its APITimeoutError.

    Args:
        target, build, connection, timeouts: as for :func:`send_request`.

    Yields:
        An :class:`OpenedResponse`: the response, the target that answered, the requests
        sent, and the body's ``chunks``.

    Raises:
        APIStatusError, APIConnectionError, APITimeoutError: after retries, labelled with the
            provider and model ids; ``attempts`` says how many requests were sent.
        MissingCredentialError, KeychainError, TokenRefreshError: no usable credential.
        InvalidArgumentError: the model (or a fallback) is wrapped with middleware, which
            wraps language-model calls only.
    """
    _refuse_middleware(target, connection)
    limits = timeouts or connection.timeouts or target.provider.timeouts or DEFAULT_TIMEOUTS
    watchdog = Watchdog(limits)
    candidates: list[tuple[Target, BuiltRequest | None]] = [(target, None)]
    candidates += [(fallback, None) for fallback in connection.fallbacks]
    answering = target
    stack: AsyncExitStack | None = None
    credential_headers: Mapping[str, str] = {}

    async def send(
        candidate: Target, built: BuiltRequest
    ) -> tuple[AsyncExitStack, httpx.Response, Credentials, Target]:
        nonlocal answering
        answering = candidate
        opened = await _open_once(candidate, built, None, connection, limits, watchdog)
        return (*opened, candidate)

    try:
        (stack, response, creds, answered), attempts = await _first_answer(
            candidates, build, send, connection, watchdog
        )
        answering, credential_headers = answered, creds.headers
        chunks = response.aiter_bytes()
        stack.push_async_callback(chunks.aclose)  # type: ignore[attr-defined]
        watchdog.waiting = False
        yield OpenedResponse(response, answered, attempts, _Chunks(chunks, watchdog))
    except asyncio.CancelledError as exc:
        error = watchdog.claim(exc)
        if error is None:
            raise
        _label(error, answering)
        raise error from None
    except APIError as exc:
        if credential_headers:
            _scrub(exc, credential_headers)
        _label(exc, answering)
        raise
    finally:
        watchdog.close()
        if stack is not None:
            await stack.aclose()


async def generate_step(
    target: Target, call: CallOptions, connection: Connection
) -> list[StreamEvent]:
    """Make one non-streamed model call; return ``stream_start`` and the protocol's events.

    Retries, fallbacks, timeouts (``first_event`` covers the whole response), rate limits and
    the cache apply as for :func:`stream_step`; a model's middleware is applied above, by
    :func:`llmkit._model_call.generate_step`.

    Raises:
        The errors of :func:`stream_step`, and InvalidResponseError for an unusable body.
    """
    protocol = target.protocol
    request = protocol.build_request(call, target.provider, target.model_id, stream=False)
    key, hit = await _cached(target, request, connection)
    if hit is not None:
        return list(hit)
    cache = connection.cache
    timeouts = _timeouts(call, connection, target.provider)
    watchdog = Watchdog(timeouts)
    candidates = [(target, request), *((f, None) for f in connection.fallbacks)]
    answering = target  # the candidate of the latest attempt, for a deadline's error

    async def send(candidate: Target, built: BuiltRequest) -> list[StreamEvent]:
        nonlocal answering
        answering = candidate
        return await _generate_once(candidate, built, call, connection, timeouts, watchdog)

    try:
        events, attempts = await _first_answer(
            candidates,
            lambda candidate: candidate.protocol.build_request(
                call, candidate.provider, candidate.model_id, stream=False
            ),
            send,
            connection,
            watchdog,
        )
        start = events[0]
        if isinstance(start, StreamStartEvent):
            events[0] = StreamStartEvent(start.warnings, start.model, attempts)
        if cache is not None and key is not None:
            await cache.aput(key, events)
        return events
    except asyncio.CancelledError as exc:
        error = watchdog.claim(exc)
        if error is None:
            raise
        _label(error, answering)
        raise error from None
    finally:
        watchdog.close()
