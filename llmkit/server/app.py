"""The gateway's ASGI app (Starlette): one route per served protocol, the normal llmkit call
path behind each.

Per request: the gateway key is checked (401), the body is read up to ``max_body_bytes``
(413), the endpoint's codec parses it (400 naming the field), the model (an alias or
``"provider:model"``) is checked against the key (403) and resolved (404), the key's rate limit
is taken (429), then :func:`~llmkit._driver.stream_step` or
:func:`~llmkit._driver.generate_step` calls the upstream with the parsed call options: the
registry, the provider's credentials, retries, timeouts, rate limits and fallbacks apply as for
any llmkit call. There is no tool loop here: tool definitions go upstream as sent and tool calls
come back to the client. The events are encoded with the same codec.

An upstream failure before the first byte is answered with the codec's error body and status
(:mod:`llmkit.server.errors` has the rules); after it, with the codec's in-band error, and the
stream ends. When the client disconnects, the upstream stream is closed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from llmkit.errors import ConfigurationError, LLMKitError
from llmkit.protocols.serving import RequestFieldError, ServedRequest, ServingCodec, get_codec
from llmkit.server.config import GatewayConfig, GatewayConfigError
from llmkit.server.errors import client_error, gateway_error
from llmkit.server.keys import GatewayKey, KeysFile

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.types import Receive, Scope, Send

    from llmkit._driver import Connection, Target
    from llmkit.errors import APIStatusError
    from llmkit.middleware import Middleware as LanguageModelMiddleware
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.reliability.ratelimit import Limiter
    from llmkit.types.events import StreamEvent

__all__ = ["UI_MESSAGE_STREAM", "create_app"]

log = logging.getLogger("llmkit.gateway")
"""One INFO record per request (method, path, model, key id, status); upstream failures at
WARNING, redacted. Never a key or a credential."""

UI_MESSAGE_STREAM = "ui-message-stream"
"""The codec name of ``POST /api/chat`` (``llmkit.server.ui_message_stream.Codec``)."""

_ROUTES = (
    ("/v1/chat/completions", "openai-chat"),
    ("/v1/messages", "anthropic-messages"),
    ("/v1/responses", "openai-responses"),
    ("/api/chat", UI_MESSAGE_STREAM),
)
_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie"}
)
_GATEWAY_LIMITER = "llmkit-gateway"


def _load_codec(name: str) -> ServingCodec:
    if name == UI_MESSAGE_STREAM:
        module = importlib.import_module("llmkit.server.ui_message_stream")
        codec: ServingCodec = module.Codec()
        return codec
    return get_codec(name)


def presented_keys(headers: Mapping[str, str]) -> list[str]:
    """The keys a request presents: ``Authorization: Bearer <key>`` and ``x-api-key``."""
    found = []
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        found.append(auth[7:].strip())
    api_key = headers.get("x-api-key", "").strip()
    if api_key:
        found.append(api_key)
    return found


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, cap: int) -> bytes:
    """The request body, or :class:`_BodyTooLarge` past ``cap`` bytes (checked against the
    ``content-length`` header first, then while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise _BodyTooLarge
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _BodyTooLarge
        parts.append(chunk)
    return b"".join(parts)


@dataclass(frozen=True)
class _Endpoint:
    path: str
    protocol: str
    codec: ServingCodec | None
    problem: str = ""  # why the codec is missing


class _Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        registry: ProviderRegistry | None,
        keys: KeysFile,
        codecs: Mapping[str, ServingCodec],
        middleware: tuple[LanguageModelMiddleware, ...] = (),
    ) -> None:
        self.config = config
        self.registry = registry
        self.keys = keys
        self.middleware = middleware
        self.endpoints: dict[str, _Endpoint] = {}
        for path, protocol in _ROUTES:
            codec = codecs.get(protocol)
            problem = ""
            if codec is None:
                try:
                    codec = _load_codec(protocol)
                except (ImportError, KeyError) as exc:
                    problem = f"the {protocol} codec is not available: {exc}"
            self.endpoints[path] = _Endpoint(path, protocol, codec, problem)

    # ------------------------------------------------------------------ responses
    def _error(
        self, endpoint: _Endpoint, error: LLMKitError | RequestFieldError, extra: str = ""
    ) -> Response:
        from starlette.responses import JSONResponse, Response

        assert endpoint.codec is not None
        status, body = endpoint.codec.encode_error(error)
        headers = {}
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            headers["retry-after"] = str(max(1, round(retry_after)))
        if status == 401:
            headers["www-authenticate"] = "Bearer"
        if not body:
            return JSONResponse({"error": str(error)}, status_code=status, headers=headers)
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    def _authenticate(self, headers: Mapping[str, str]) -> GatewayKey | APIStatusError | None:
        """The caller's key record; None when no key is configured (open gateway); an error
        for a missing or unknown key."""
        records = self.keys.keys()
        if not records:
            return None
        presented = presented_keys(headers)
        if not presented:
            return gateway_error(
                401,
                "missing gateway key: send it as 'Authorization: Bearer <key>' or 'x-api-key'",
                error_type="authentication_error",
            )
        for key in presented:
            record = self.keys.find(key)
            if record is not None:
                return record
        return gateway_error(
            401, "invalid gateway key (revoked or mistyped)", error_type="authentication_error"
        )

    def _targets(self, model: str) -> tuple[Target, tuple[Target, ...]]:
        from llmkit._driver import resolve_target

        targets = [resolve_target(name, self.registry) for name in self.config.candidates(model)]
        if self.middleware:  # the gateway's middleware wraps every model it serves
            targets = [replace(t, middleware=(*self.middleware, *t.middleware)) for t in targets]
        return targets[0], tuple(targets[1:])

    async def _take_turn(
        self, key: GatewayKey | None, served: ServedRequest, body: bytes
    ) -> Limiter | APIStatusError | None:
        """Wait (at most ``rate_limit_wait`` s) for a turn under the key's rate limit."""
        if key is None or key.rate_limit is None:
            return None
        from llmkit.reliability.ratelimit import get_limiter

        limit = key.rate_limit.model_copy(update={"per_model": True})
        limiter = get_limiter(limit, _GATEWAY_LIMITER, key.id)
        tokens = len(body) // 4 + (served.call.max_output_tokens or 0)
        try:
            await asyncio.wait_for(
                limiter.acquire(tokens if limit.tokens_per_minute else 0),
                timeout=max(self.config.rate_limit_wait, 0.01),
            )
        except asyncio.TimeoutError:
            rpm = limit.requests_per_minute
            return gateway_error(
                429,
                f"gateway key {key.id} is over its rate limit; retry later",
                error_type="rate_limit_error",
                retry_after=limit.period / rpm if rpm else limit.period,
            )
        return limiter

    # ------------------------------------------------------------------ the handler
    async def handle(self, request: Request) -> Response:
        endpoint = self.endpoints[request.url.path]
        if endpoint.codec is None:
            from starlette.responses import JSONResponse

            return JSONResponse({"error": {"message": endpoint.problem}}, status_code=501)
        key = self._authenticate(request.headers)
        if isinstance(key, LLMKitError):
            return self._logged(request, endpoint, "-", None, self._error(endpoint, key))
        try:
            body = await _read_body(request, self.config.max_body_bytes)
        except _BodyTooLarge:
            error = gateway_error(
                413,
                f"request body over {self.config.max_body_bytes} bytes (the gateway's "
                "max_body_bytes)",
                error_type="request_too_large",
            )
            return self._logged(request, endpoint, "-", key, self._error(endpoint, error))
        try:
            served = endpoint.codec.parse_request(body)
            if not served.model:
                if endpoint.protocol != UI_MESSAGE_STREAM or not self.config.default_model:
                    raise RequestFieldError("model", "name a model (an alias or provider:model)")
                served = replace(served, model=self.config.default_model)
        except RequestFieldError as exc:
            return self._logged(request, endpoint, "-", key, self._error(endpoint, exc))
        model = served.model
        if key is not None and not key.allows(model):
            error = gateway_error(
                403,
                f"gateway key {key.id} may not use model {model!r}",
                error_type="permission_error",
            )
            return self._logged(request, endpoint, model, key, self._error(endpoint, error))
        try:
            target, fallbacks = self._targets(model)
        except ConfigurationError:
            error = gateway_error(
                404,
                f"unknown model {model!r}: send one of the gateway's aliases or models "
                "(GET /v1/models) or 'provider:model'",
                error_type="not_found_error",
            )
            return self._logged(request, endpoint, model, key, self._error(endpoint, error))
        turn = await self._take_turn(key, served, body)
        if isinstance(turn, LLMKitError):
            return self._logged(request, endpoint, model, key, self._error(endpoint, turn))
        release: Callable[[], None] = turn.release if turn is not None else _nothing
        from llmkit._driver import Connection

        call = served.call
        if call.headers and any(h.lower() in _CREDENTIAL_HEADERS for h in call.headers):
            kept = call.headers.items()
            headers = {k: v for k, v in kept if k.lower() not in _CREDENTIAL_HEADERS}
            call = call.model_copy(update={"headers": headers})
        connection = Connection(fallbacks=fallbacks)
        try:
            if served.stream:
                response = await self._stream(endpoint, served, target, call, connection, release)
            else:
                response = await self._generate(endpoint, served, target, call, connection)
                release()
        except BaseException:
            release()
            raise
        return self._logged(request, endpoint, model, key, response)

    async def _generate(
        self,
        endpoint: _Endpoint,
        served: ServedRequest,
        target: Target,
        call: Any,
        connection: Connection,
    ) -> Response:
        from starlette.responses import Response

        from llmkit._model_call import generate_step

        assert endpoint.codec is not None
        try:
            events = await generate_step(target, call, connection)
        except LLMKitError as exc:
            return self._upstream_error(endpoint, exc)
        body = endpoint.codec.encode_response(events, served.model)
        return Response(body, media_type="application/json")

    async def _stream(
        self,
        endpoint: _Endpoint,
        served: ServedRequest,
        target: Target,
        call: Any,
        connection: Connection,
        release: Callable[[], None],
    ) -> Response:
        from llmkit._model_call import stream_step

        codec = endpoint.codec
        assert codec is not None
        # an async generator (closed explicitly: ``aclose``), declared as an iterator
        events = cast("AsyncGenerator[StreamEvent, None]", stream_step(target, call, connection))
        try:
            first: StreamEvent | None = await events.__anext__()
        except StopAsyncIteration:
            first = None
        except LLMKitError as exc:
            await events.aclose()
            release()
            return self._upstream_error(endpoint, exc)
        except BaseException:
            await events.aclose()
            raise
        encoder = codec.stream_encoder(served.model, **served.stream_options)

        async def body() -> AsyncIterator[bytes]:
            try:
                try:
                    if first is not None:
                        chunk = encoder.encode(first)
                        if chunk:
                            yield chunk
                    async for event in events:
                        chunk = encoder.encode(event)
                        if chunk:
                            yield chunk
                except LLMKitError as exc:
                    error = client_error(exc)
                    log.warning("upstream failed mid-stream: %s", error)
                    yield encoder.error(error)
                    return
                tail = encoder.end()
                if tail:
                    yield tail
            finally:
                await cleanup()

        closed = False

        async def cleanup() -> None:
            """Close the upstream stream and give back the key's slot, once (from the body's
            end, or from the response's end when the body never started)."""
            nonlocal closed
            if closed:
                return
            closed = True
            try:
                await events.aclose()
            finally:
                release()

        response = _closing_stream_response()(
            body(), media_type=encoder.content_type, headers=encoder.headers()
        )
        response.background = _cleanup_task(cleanup)
        return response

    def _upstream_error(self, endpoint: _Endpoint, exc: LLMKitError) -> Response:
        error = client_error(exc)
        log.warning("upstream failed: %s", error)
        return self._error(endpoint, error)

    def _logged(
        self,
        request: Request,
        endpoint: _Endpoint,
        model: str,
        key: GatewayKey | LLMKitError | None,
        response: Response,
    ) -> Response:
        if log.isEnabledFor(logging.INFO):
            key_id = key.id if isinstance(key, GatewayKey) else "-"
            log.info(
                "%s %s model=%s key=%s status=%d",
                request.method,
                endpoint.path,
                model,
                key_id,
                response.status_code,
            )
        return response

    async def models(self, request: Request) -> Response:
        """``GET /v1/models``: the aliases, the configured models and the registry's known
        models, in the OpenAI list shape (with the Anthropic fields too)."""
        from starlette.responses import JSONResponse

        key = self._authenticate(request.headers)
        if isinstance(key, LLMKitError):
            openai = self.endpoints["/v1/chat/completions"]
            if openai.codec is not None:
                return self._error(openai, key)
            return JSONResponse({"error": {"message": key.message}}, status_code=401)
        names: dict[str, str] = {}
        for alias in self.config.aliases:
            names.setdefault(alias, "llmkit-gateway")
        for model in self.config.models:
            names.setdefault(model, model.partition(":")[0])
        from llmkit.providers import default_registry

        for provider in (self.registry or default_registry()).list():
            for model_id in provider.models:
                names.setdefault(f"{provider.id}:{model_id}", provider.id)
        data = [
            {
                "id": name,
                "object": "model",
                "type": "model",
                "display_name": name,
                "created": 0,
                "created_at": "1970-01-01T00:00:00Z",
                "owned_by": owner,
            }
            for name, owner in names.items()
            if key is None or key.allows(name)
        ]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )


def _nothing() -> None:
    pass


def _closing_stream_response() -> type[StreamingResponse]:
    """A ``StreamingResponse`` whose body iterator is always closed when the response ends,
    shielded from cancellation: on a client disconnect Starlette cancels the response while the
    body may be suspended at a ``yield``, and only closing it closes the upstream stream at once
    (instead of whenever the generator is collected)."""
    import anyio
    from starlette.responses import StreamingResponse

    class ClosingStreamingResponse(StreamingResponse):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await super().__call__(scope, receive, send)
            finally:
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    close = getattr(self.body_iterator, "aclose", None)
                    if close is not None:
                        await close()
                    if self.background is not None:  # the upstream, if the body never ran
                        await self.background()

    return ClosingStreamingResponse


def _cleanup_task(cleanup: Callable[[], Awaitable[None]]) -> BackgroundTask:
    from starlette.background import BackgroundTask

    return BackgroundTask(cleanup)


def create_app(
    config: GatewayConfig | None = None,
    *,
    registry: ProviderRegistry | None = None,
    keys: KeysFile | None = None,
    codecs: Mapping[str, ServingCodec] | None = None,
    middleware: Sequence[LanguageModelMiddleware] = (),
) -> Starlette:
    """The gateway as a Starlette app.

    Routes: ``POST /v1/chat/completions`` (openai-chat), ``POST /v1/messages``
    (anthropic-messages), ``POST /api/chat`` (AI SDK UI message stream), ``GET /v1/models``.

    Args:
        config: aliases, default model, keys file, body cap (default: ``GatewayConfig()``).
        registry: the providers the models resolve in (default: ``llmkit.registry``).
        keys: the gateway keys (default: ``KeysFile(config.keys_path())``); with no key in
            it, every request is accepted.
        codecs: codecs by protocol name (``"openai-chat"``, ``"anthropic-messages"``,
            :data:`UI_MESSAGE_STREAM`) instead of the built-in ones (tests, custom codecs).
        middleware: ``llmkit.middleware.Middleware`` applied to every model call the gateway
            makes, outermost first (e.g. ``extract_reasoning()`` for a backend that writes
            ``<think>`` tags); it runs outside the middleware of a wrapped model.

    Raises:
        ImportError: starlette is not installed (``pip install "llmkit[server]"``).
        GatewayConfigError: an alias names an unknown provider (``key`` = ``aliases.<name>``).
    """
    try:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.routing import Route
    except ImportError as exc:  # pragma: no cover - the extra is installed in tests
        raise ImportError(
            'the gateway needs starlette and uvicorn: pip install "llmkit[server]"'
        ) from exc
    # loaded now, not on the first retry: a gateway out of file descriptors under load could
    # not import it then, and answered with a bare 500 (bench/bench_gateway.py)
    import tenacity  # noqa: F401

    from llmkit._driver import resolve_target
    from llmkit.auth.redact import install_log_redaction

    config = config or GatewayConfig()
    for alias, models in config.aliases.items():
        for model in models:
            try:
                resolve_target(model, registry)
            except ConfigurationError as exc:
                raise GatewayConfigError(
                    f"gateway config: aliases.{alias}: {exc}", key=f"aliases.{alias}"
                ) from None
    install_log_redaction()
    gateway = _Gateway(
        config, registry, keys or KeysFile(config.keys_path()), codecs or {}, tuple(middleware)
    )
    routes = [Route(path, gateway.handle, methods=["POST"]) for path, _ in _ROUTES]
    routes.append(Route("/v1/models", gateway.models, methods=["GET"]))
    asgi_middleware = []
    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        asgi_middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
            )
        )
    app = Starlette(routes=routes, middleware=asgi_middleware)
    app.state.gateway = gateway
    return app
