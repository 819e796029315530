"""A loopback HTTP server that plays recorded response bytes, in configurable network chunks.

Use it to test code built on llmkit without a network::

    with ReplayServer.from_file("tests/fixtures/sse/x.sse", chunking=7) as server:
        registry.register(server.provider("replay", "openai-chat"))
        async for event in stream_text(model="replay:any", prompt="hi"):
            ...

It binds 127.0.0.1 only, on an ephemeral port, and serves each request with the next scripted
response (the last one repeats). Every request is recorded in :attr:`ReplayServer.requests`.

A fixture file written by :mod:`llmkit.testing.record` plays with
:meth:`ReplayServer.from_fixture`, or as a ready model with :func:`replay_model`::

    with replay_model("tests/fixtures/weather.json") as model:
        result = await generate_text(model=model, prompt="Weather in Paris?")
"""

from __future__ import annotations

import collections
import itertools
import json
import random
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from llmkit.providers.config import ProtocolName, ProviderConfig
    from llmkit.providers.inline import Model
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.testing.fixture import Fixture

__all__ = [
    "Chunking",
    "RecordedRequest",
    "ReplayResponse",
    "ReplayServer",
    "random_chunks",
    "replay_model",
    "split_chunks",
]

Chunking = int | Sequence[int] | Callable[[bytes], Iterable[bytes]] | None
"""How a body is cut into network writes: None (one write), an int (fixed size in bytes), a
sequence of cut positions (byte offsets), or a function returning the pieces."""


def random_chunks(seed: int, max_size: int = 64) -> Callable[[bytes], list[bytes]]:
    """A chunking that cuts at random positions (1..``max_size`` bytes apart), reproducibly."""

    def cut(data: bytes) -> list[bytes]:
        rng = random.Random(seed)
        out, i = [], 0
        while i < len(data):
            n = rng.randint(1, max_size)
            out.append(data[i : i + n])
            i += n
        return out

    return cut


def split_chunks(data: bytes, chunking: Chunking) -> list[bytes]:
    """Cut ``data`` per a :data:`Chunking` (pieces joined give ``data`` back)."""
    if chunking is None or not data:
        return [data] if data else []
    if isinstance(chunking, int):
        if chunking < 1:
            raise ValueError("chunk size must be >= 1 byte")
        return [data[i : i + chunking] for i in range(0, len(data), chunking)]
    if callable(chunking):
        return [bytes(p) for p in chunking(data) if p]
    points = sorted({p for p in chunking if 0 < p < len(data)})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class ReplayResponse:
    """One scripted response.

    Attributes:
        body: the bytes to send (e.g. a recorded SSE stream).
        status: the HTTP status code.
        content_type: the ``Content-Type`` header.
        headers: further response headers.
        chunking: how to cut the body into writes (:data:`Chunking`).
        delay: seconds to sleep before each write after the first.
        close_after: stop after this many bytes and drop the connection (a cut stream).
    """

    body: bytes
    status: int = 200
    content_type: str = "text/event-stream; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    chunking: Chunking = None
    delay: float = 0.0
    close_after: int | None = None

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: object) -> ReplayResponse:
        """A response whose body is a file's bytes; ``.json`` files get ``application/json``."""
        path = Path(path)
        if path.suffix == ".json":
            kwargs.setdefault("content_type", "application/json")
        return cls(path.read_bytes(), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def json(cls, obj: object, status: int = 200, **kwargs: object) -> ReplayResponse:
        """A JSON response."""
        return cls(
            json.dumps(obj).encode(),
            status=status,
            content_type="application/json",
            **kwargs,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received (``body`` in bytes; ``json()`` parses it)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> object:
        """The body parsed as JSON."""
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        request = RecordedRequest(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        response = owner._next(request)
        self.send_response(response.status)
        self.send_header("content-type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        body_out = response.body
        cut = response.close_after is not None
        if cut:
            body_out = body_out[: response.close_after]
        try:
            for i, piece in enumerate(split_chunks(body_out, response.chunking)):
                if i and response.delay:
                    time.sleep(response.delay)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            if cut:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            owner._note_disconnect()
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # listen backlog: hundreds of clients may connect at once
    owner: ReplayServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that closes its connection (it stopped reading early) is normal: count it
        instead of printing socketserver's traceback; anything else is still printed."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            self.owner._note_disconnect()
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class ReplayServer:
    """Serves scripted responses on ``http://127.0.0.1:<ephemeral port>``.

    Args:
        responses: responses served in order; the last one repeats.
        handler: instead of a script, a function from the recorded request to a response.

    Attributes:
        requests: every request received, in order.
        disconnects: how many times a client closed the connection mid-response.
    """

    def __init__(
        self,
        responses: Iterable[ReplayResponse] = (),
        *,
        handler: Callable[[RecordedRequest], ReplayResponse] | None = None,
    ) -> None:
        self._script: collections.deque[ReplayResponse] = collections.deque(responses)
        self._last: ReplayResponse | None = None
        self._handler = handler
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: object) -> ReplayServer:
        """A server that answers every request with one file's bytes (see
        :meth:`ReplayResponse.from_file` for ``kwargs``)."""
        return cls([ReplayResponse.from_file(path, **kwargs)])

    @classmethod
    def from_fixture(cls, path: str | Path, *, chunking: Chunking = None) -> ReplayServer:
        """A server that plays a recorded fixture file (:mod:`llmkit.testing.record`), each
        body cut per ``chunking``: see :meth:`~llmkit.testing.fixture.Fixture.handler` for
        which recorded response answers which request.

        Raises:
            InvalidArgumentError: the file is missing, corrupt or of an unknown format.
        """
        from llmkit.testing.fixture import Fixture

        return cls(handler=Fixture.load(path).handler(chunking, source=str(path)))

    def add(self, response: ReplayResponse) -> None:
        """Append a response to the script."""
        with self._lock:
            self._script.append(response)

    def _next(self, request: RecordedRequest) -> ReplayResponse:
        with self._lock:
            self.requests.append(request)
            if self._handler is not None:
                return self._handler(request)
            if self._script:
                self._last = self._script.popleft()
            if self._last is None:
                return ReplayResponse.json(
                    {"error": {"message": "ReplayServer has no scripted response"}}, status=500
                )
            return self._last

    def _note_disconnect(self) -> None:
        with self._lock:
            self.disconnects += 1

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (the server must be started)."""
        if self._server is None:
            raise RuntimeError("ReplayServer is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def provider(
        self, provider_id: str, protocol: ProtocolName, **fields: object
    ) -> ProviderConfig:
        """A :class:`~llmkit.providers.config.ProviderConfig` pointing at this server
        (``base_url`` = ``<url>/v1``, no credential needed unless ``fields`` say otherwise)."""
        from llmkit.providers.config import ProviderConfig

        values: dict[str, object] = {
            "id": provider_id,
            "protocol": protocol,
            "base_url": f"{self.url}/v1",
            "api_key_required": False,
            "default_model": "replay",
        }
        values.update(fields)
        return ProviderConfig.model_validate(values)

    def start(self) -> ReplayServer:
        """Bind 127.0.0.1 on an ephemeral port and serve in a daemon thread."""
        if self._server is None:
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.owner = self
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ---------------------------------------------------------------------------- fixtures
def _replay_config(
    fixture: Fixture, path: Path, model: str | Model | None, registry: ProviderRegistry | None
) -> tuple[ProviderConfig, str]:
    from llmkit.errors import NoSuchProviderError
    from llmkit.providers import default_registry
    from llmkit.providers.config import ProviderConfig
    from llmkit.providers.inline import Model
    from llmkit.testing.fixture import fixture_error

    target = model if model is not None else fixture.model
    if target is None:
        raise fixture_error(
            path, "names no model (recorded without model=): pass model='provider:model'"
        )
    if isinstance(target, Model):
        return target.provider, target.id
    try:
        return (registry or default_registry()).resolve(target)
    except NoSuchProviderError:
        if fixture.protocol is None:
            raise
        provider_id, _, model_id = target.partition(":")
        base = "http://127.0.0.1/v1"  # replaced below; the path shape is unknown
        config = ProviderConfig(id=provider_id, protocol=fixture.protocol, base_url=base)
        return config, model_id or "replay"


@contextmanager
def replay_model(
    path: str | Path,
    *,
    model: str | Model | None = None,
    chunking: Chunking = None,
    registry: ProviderRegistry | None = None,
) -> Iterator[Model]:
    """Serve a fixture from a loopback :class:`~llmkit.testing.replay.ReplayServer` and yield a
    model that talks to it: ``with replay_model(path) as model: stream_text(model=model, ...)``.

    The model is an inline :class:`~llmkit.Model` (nothing is registered): the recorded
    provider's configuration (id, protocol, quirks) with the server as ``base_url`` (keeping
    the base URL's path) and no credential, so the events equal the recorded call's, the
    ``stream_start`` model included. Each request gets the recorded response of the same
    request, else the next one in recorded order (see
    :meth:`~llmkit.testing.fixture.Fixture.handler`); a request past the last gets an HTTP 400
    saying so.

    Args:
        path: the fixture file.
        model: the model recorded (default: the one stored in the file); its provider is
            looked up in ``registry``, or built from the file's protocol if unknown there.
        chunking: how each body is cut into network writes (:data:`Chunking`).
        registry: where a model string's provider is looked up (default ``llmkit.registry``).

    Raises:
        InvalidArgumentError: the file is missing, corrupt, of an unknown format, or names no
            model and none was given.
        NoSuchProviderError: the model's provider is unknown and the file names no protocol.
    """
    from llmkit.providers.inline import Model
    from llmkit.providers.registry import overlay_provider
    from llmkit.testing.fixture import Fixture

    path = Path(path)
    fixture = Fixture.load(path)
    config, model_id = _replay_config(fixture, path, model, registry)
    server = ReplayServer(handler=fixture.handler(chunking, source=str(path)))
    with server:
        prefix = urlsplit(config.base_url).path.rstrip("/")
        replay = overlay_provider(
            config,
            {
                "base_url": f"{server.url}{prefix}",
                "api_key_required": False,
                "api_key_env": None,
                "api_key_env_fallbacks": (),
                "auth": "none",
                "supports_oauth": False,
                "oauth": None,
            },
        )
        yield Model(replay, model_id)
