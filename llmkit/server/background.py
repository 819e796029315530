"""Run an ASGI app (the gateway) on uvicorn in a background thread: for tests, notebooks and
the docs' examples.

    with BackgroundServer(create_app(config)) as server:
        client = OpenAI(base_url=f"{server.url}/v1", api_key=key)
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

__all__ = ["BackgroundServer"]


class BackgroundServer:
    """An ASGI app served by uvicorn on ``host`` (127.0.0.1) and a free port, in a daemon
    thread with its own event loop.

    Args:
        app: the ASGI app (e.g. :func:`~llmkit.server.create_app`'s).
        host: the address to bind (loopback by default).
        port: the port (0: a free one, see :attr:`url`).
        start_timeout: seconds to wait for the server to listen before giving up.

    Raises:
        ImportError: uvicorn is not installed (``pip install "llmkit[server]"``).
        RuntimeError: (from :meth:`start`) the server did not start within ``start_timeout``.
    """

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 30.0
    ) -> None:
        import uvicorn

        self._config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self._start_timeout = start_timeout
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        """``http://<host>:<port>`` (the server must be started)."""
        if self._thread is None:
            raise RuntimeError("BackgroundServer is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        """Start serving; returns once the socket listens."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="gateway")
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the server stopped while starting (is the port in use?)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start within {self._start_timeout} s")
            time.sleep(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving (open connections are closed) and wait for the thread."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
