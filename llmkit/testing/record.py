"""Record live provider responses into a fixture file that :class:`ReplayServer` plays back.

    async with record_or_replay("tests/fixtures/weather.json", model="openai:gpt-4o") as tape:
        result = stream_text(model=tape.model, prompt="Weather in Paris?",
                             http_client=tape.http_client)
        assert "Paris" in await result.text

The first run (no file yet) sends the requests to the provider through a recording
``httpx.AsyncClient`` and writes every HTTP exchange to the file; later runs serve the file from
a loopback :class:`~llmkit.testing.replay.ReplayServer`, with no network and no key.
``LLMKIT_RECORD=all`` records again; ``LLMKIT_RECORD=none`` never records (CI).

What a fixture keeps of each exchange: the method, the URL path (no host; credential query
parameters dropped), the status, the response headers (hop-by-hop, cookie and credential headers
dropped), the response body bytes as received (UTF-8 text, else base64) and, for reference, the
request body. Request headers are not kept. Every credential value the request carried (header or
query parameter) and every well-known key shape is replaced by ``***`` wherever it appears.

The file format is described in :mod:`llmkit.testing.fixture`.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn

import httpx

from llmkit.auth.redact import credential_values, redact_error_body
from llmkit.errors import InvalidArgumentError
from llmkit.testing.fixture import (
    Fixture,
    RecordedExchange,
    fixture_error,
)
from llmkit.testing.replay import Chunking, replay_model

if TYPE_CHECKING:
    from llmkit.providers.inline import Model
    from llmkit.providers.registry import ProviderRegistry

__all__ = [
    "RECORD_ENV",
    "Recorder",
    "Tape",
    "record_or_replay",
    "record_responses",
]

RECORD_ENV = "LLMKIT_RECORD"
"""The environment variable that sets :func:`record_or_replay`'s mode when ``mode`` is not given:
``once`` (default: record when the file is missing), ``all`` (record again) or ``none``
(never record: replay, and a missing file is an error)."""

RecordMode = Literal["once", "all", "none"]

_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie"}
)
_SECRET_PARAMS = frozenset(
    {
        *("key", "api_key", "apikey", "api-key", "token", "access_token", "refresh_token"),
        *("id_token", "client_secret", "password", "sig", "signature"),
    }
)
_DROPPED_RESPONSE_HEADERS = frozenset(
    {
        # hop-by-hop, or no longer true of a body served again in other chunks
        *("connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer"),
        *("upgrade", "proxy-authenticate", "proxy-connection", "date", "server"),
        # credentials and the account's identity
        *("set-cookie", "set-cookie2", "cookie", "authorization", "proxy-authorization"),
        *("x-api-key", "api-key", "x-goog-api-key", "openai-organization", "openai-project"),
        "anthropic-organization-id",
    }
)


# ---------------------------------------------------------------------------- recording
@dataclass
class _Pending:
    """An exchange whose body is still arriving."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    request_body: object
    secrets: list[str]
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False
    error: str | None = None

    def exchange(self) -> RecordedExchange:
        """The exchange as received so far, every credential value replaced by ``***``."""
        error = self.error
        if error is not None:
            error = redact_error_body(error.encode(), self.secrets).decode()
        return RecordedExchange(
            method=self.method,
            path=self.path,
            status=self.status,
            headers=self.headers,
            body=redact_error_body(b"".join(self.chunks), self.secrets),
            request_body=self.request_body,
            complete=self.complete,
            error=error,
        )


class _Tee(httpx.AsyncByteStream):
    """A response stream that keeps a copy of every chunk the reader takes (an iterator
    object, not an async generator: a reader that stops early leaves nothing to finalize)."""

    def __init__(self, inner: httpx.AsyncByteStream, pending: _Pending) -> None:
        self._inner = inner
        self._chunks: AsyncIterator[bytes] | None = None
        self._pending = pending

    def __aiter__(self) -> _Tee:
        self._chunks = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        if self._chunks is None:
            self._chunks = self._inner.__aiter__()
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._pending.complete = True
            raise
        except Exception as exc:
            self._pending.error = f"{type(exc).__name__}: {exc}"
            raise
        self._pending.chunks.append(bytes(chunk))
        return chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _is_secret_header(name: str) -> bool:
    return name in _SECRET_HEADERS or any(w in name for w in ("key", "token", "secret", "auth"))


def _request_secrets(request: httpx.Request) -> list[str]:
    """Every credential value a request carries: credential headers, query parameters, URL
    user info (values under 8 characters are not searched for, as in error bodies)."""
    names = {name.lower() for name in request.headers if _is_secret_header(name.lower())}
    found = set(credential_values(dict(request.headers), names))
    for name, value in request.url.params.multi_items():
        if name.lower() in _SECRET_PARAMS and len(value) >= 8:
            found.add(value)
    for part in (request.url.username, request.url.password):
        if len(part) >= 8:
            found.add(part)
    return sorted(found, key=len, reverse=True)


def _without_secret_params(url: httpx.URL) -> str:
    """The path and query of ``url``, credential parameters left out."""
    kept: list[tuple[str, str | int | float | bool | None]] = [
        (k, v) for k, v in url.params.multi_items() if k.lower() not in _SECRET_PARAMS
    ]
    query = str(httpx.QueryParams(kept))
    return url.path + (f"?{query}" if query else "")


def _kept_headers(headers: httpx.Headers, secrets: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in headers.multi_items():
        name = raw_name.lower()
        if name in _DROPPED_RESPONSE_HEADERS:
            continue
        value = raw_value
        if name == "location":  # where a redirect pointed, without host or credentials
            value = _without_secret_params(httpx.URL(value))
        value = redact_error_body(value.encode(), secrets).decode()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _request_body(request: httpx.Request, secrets: list[str]) -> object:
    try:
        content = request.content
    except httpx.RequestNotRead:
        return None
    if not content:
        return None
    content = redact_error_body(content, secrets)
    try:
        return json.loads(content)
    except ValueError:
        return content


def _describe(model: str | Model, registry: ProviderRegistry | None) -> tuple[str, str]:
    """``("provider:model", protocol)`` of a model string or inline model."""
    from llmkit.providers.inline import Model

    if isinstance(model, Model):
        return model.name, model.provider.protocol
    from llmkit.providers import default_registry

    config, model_id = (registry or default_registry()).resolve(model)
    return f"{config.id}:{model_id}", config.protocol


class Recorder:
    """Records every HTTP exchange of an ``httpx.AsyncClient`` into a fixture file.

    Use it with ``async with``; pass :attr:`http_client` as ``http_client=`` to the llmkit
    calls (``stream_text``, ``generate_text``, ``embed``...). On leaving the block without an
    exception the file is written (replaced); after an exception it is not, so a failed
    recording is not kept. The ``*_sync`` calls take no ``http_client``: record with the async
    calls (the fixture then replays under either).

    Requests are sent with ``Accept-Encoding: identity``, so bodies are recorded as plain text.

    Args:
        path: the fixture file to write.
        model: the model being recorded (``"openai:gpt-4o"`` or an inline ``Model``), stored
            in the file so :func:`replay_model` needs no ``model=``; optional.
        http_client: a client of yours to record (its own transport, proxies and timeouts
            kept; not closed here); by default a new client with llmkit's timeouts, closed on
            leaving the block.
        registry: where a model string's provider is looked up (default ``llmkit.registry``).

    Attributes:
        path: the fixture file.
        http_client: the client to pass as ``http_client=``.

    Raises:
        NoSuchProviderError: ``model`` names an unknown provider.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        model: str | Model | None = None,
        http_client: httpx.AsyncClient | None = None,
        registry: ProviderRegistry | None = None,
    ) -> None:
        from llmkit.transport.http import DEFAULT_TIMEOUT

        self.path = Path(path)
        described = _describe(model, registry) if model is not None else None
        self._model: str | None = described[0] if described else None
        self._protocol: str | None = described[1] if described else None
        self._owns_client = http_client is None
        self.http_client = http_client or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT, follow_redirects=False
        )
        self._pending: list[_Pending] = []

    async def _on_request(self, request: httpx.Request) -> None:
        request.headers["accept-encoding"] = "identity"

    async def _on_response(self, response: httpx.Response) -> None:
        request = response.request
        secrets = _request_secrets(request)
        pending = _Pending(
            method=request.method,
            path=_without_secret_params(request.url),
            status=response.status_code,
            headers=_kept_headers(response.headers, secrets),
            request_body=_request_body(request, secrets),
            secrets=secrets,
        )
        self._pending.append(pending)
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _Tee(response.stream, pending)

    @property
    def exchanges(self) -> list[RecordedExchange]:
        """The exchanges recorded so far, credentials already removed."""
        return [p.exchange() for p in self._pending]

    def fixture(self) -> Fixture:
        """What the file will hold."""
        return Fixture(tuple(self.exchanges), self._model, self._protocol)

    def _detach(self) -> None:
        hooks = self.http_client.event_hooks
        hooks["request"].remove(self._on_request)
        hooks["response"].remove(self._on_response)

    async def __aenter__(self) -> Recorder:
        hooks = self.http_client.event_hooks
        hooks["request"].append(self._on_request)
        hooks["response"].append(self._on_response)
        return self

    def __enter__(self) -> NoReturn:
        raise TypeError(
            "a Recorder records an httpx.AsyncClient: use `async with record_responses(...)`"
        )

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self._detach()
        if self._owns_client:
            await self.http_client.aclose()
        if exc_type is None:
            self.fixture().save(self.path)


def record_responses(
    path: str | Path,
    *,
    model: str | Model | None = None,
    http_client: httpx.AsyncClient | None = None,
    registry: ProviderRegistry | None = None,
) -> Recorder:
    """Record the HTTP exchanges of a block into ``path``:
    ``async with record_responses(path) as rec: ... http_client=rec.http_client``.

    Takes the arguments of :class:`Recorder` (see there for what is kept and when the file is
    written).
    """
    return Recorder(path, model=model, http_client=http_client, registry=registry)


# ---------------------------------------------------------------------------- record or replay
@dataclass(frozen=True)
class Tape:
    """What :func:`record_or_replay` yields.

    Attributes:
        mode: ``record`` (talking to the provider) or ``replay`` (serving the file).
        path: the fixture file.
        model: the model to pass as ``model=``: the one given when recording, a model on the
            replay server when replaying.
        http_client: the client to pass as ``http_client=``: the recording client, or when
            replaying the ``http_client`` given (None: llmkit's shared client).
        recorder: the :class:`Recorder` when recording, else None.
    """

    mode: Literal["record", "replay"]
    path: Path
    model: str | Model
    http_client: httpx.AsyncClient | None
    recorder: Recorder | None = None


def _record_mode(mode: RecordMode | None) -> RecordMode:
    value = mode if mode is not None else (os.environ.get(RECORD_ENV) or "once")
    if value not in ("once", "all", "none"):
        source = "mode=" if mode is not None else f"${RECORD_ENV}"
        raise InvalidArgumentError(
            f"{source} is {value!r}: use 'once' (record when the file is missing), 'all' "
            "(record again) or 'none' (never record)",
            problems=[f"{source}: {value!r} is not once, all or none"],
        )
    return value  # type: ignore[return-value]


@asynccontextmanager
async def record_or_replay(
    path: str | Path,
    *,
    model: str | Model,
    mode: RecordMode | None = None,
    chunking: Chunking = None,
    http_client: httpx.AsyncClient | None = None,
    registry: ProviderRegistry | None = None,
) -> AsyncIterator[Tape]:
    """Record the block's responses into ``path`` when it is missing, else replay them (VCR's
    "once" mode): ``async with record_or_replay(path, model=...) as tape:`` and pass
    ``model=tape.model, http_client=tape.http_client`` to the calls.

    Args:
        path: the fixture file.
        model: the model to record (``"openai:gpt-4o"`` or an inline ``Model``).
        mode: ``once`` (record if the file is missing), ``all`` (always record, replacing the
            file) or ``none`` (always replay; CI); default from ``$LLMKIT_RECORD``, else
            ``once``.
        chunking: when replaying, how each body is cut into network writes.
        http_client: your own client (recorded when recording, used as is when replaying).
        registry: where a model string's provider is looked up (default ``llmkit.registry``).

    Raises:
        InvalidArgumentError: an unknown mode; ``none`` and no file; a corrupt file.
        NoSuchProviderError: the model's provider is unknown.
    """
    chosen = _record_mode(mode)
    path = Path(path)
    if chosen == "none" and not path.exists():
        raise fixture_error(
            path,
            f"does not exist and recording is off ({RECORD_ENV}=none or mode='none'); record "
            f"it once with {RECORD_ENV} unset (or =once) and the provider's key",
        )
    if chosen == "all" or not path.exists():
        async with Recorder(
            path, model=model, http_client=http_client, registry=registry
        ) as recorder:
            yield Tape("record", path, model, recorder.http_client, recorder)
        return
    with replay_model(path, model=model, chunking=chunking, registry=registry) as replayed:
        yield Tape("replay", path, replayed, http_client)
