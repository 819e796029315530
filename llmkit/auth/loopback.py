"""The loopback redirect listener of a native-app OAuth login (RFC 8252 §7.3).

Listens on ``127.0.0.1`` (the IP literal, not ``localhost``, RFC 8252 §8.3) on an ephemeral
port, answers the one redirect to ``redirect_path`` with a small page, and hands its query
parameters to the login. Any other path gets a 404 and is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from llmkit.auth.secret import MaskedStr

__all__ = ["LoopbackRedirect"]

_MAX_HEAD = 16 * 1024  # bytes of request line + headers read
_PAGE = (
    "<!doctype html><meta charset=utf-8><title>llmkit</title>"
    "<p>{message}</p><p>You can close this window.</p>"
)


class LoopbackRedirect:
    """An async context manager: ``uri`` while open, ``await result()`` for the parameters.

    Args:
        path: the redirect path (``/callback``).
        host: the loopback address to bind.
    """

    def __init__(self, path: str = "/callback", host: str = "127.0.0.1") -> None:
        self.path = path if path.startswith("/") else "/" + path
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None
        self._future: asyncio.Future[dict[str, str]] | None = None

    @property
    def uri(self) -> str:
        """``http://127.0.0.1:<port><path>``."""
        return f"http://{self.host}:{self.port}{self.path}"

    async def __aenter__(self) -> LoopbackRedirect:
        self._future = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        if self._future is not None and not self._future.done():
            self._future.cancel()

    async def result(self) -> dict[str, str]:
        """The redirect's query parameters (first value of each)."""
        assert self._future is not None, "use LoopbackRedirect as an async context manager"
        return await asyncio.shield(self._future)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            writer.close()
            return
        status, message = 404, "Not found."
        try:
            line = head[:_MAX_HEAD].split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _ = line.split(" ", 2)
            parts = urlsplit(target)
            if method == "GET" and parts.path == self.path:
                params: dict[str, str] = {
                    k: MaskedStr(v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                }
                if self._future is not None and not self._future.done():
                    self._future.set_result(params)
                    status = 200
                    message = (
                        f"Login failed: {html.escape(params['error'])}."
                        if "error" in params
                        else "Login complete: return to the application."
                    )
                else:
                    status, message = 409, "This login has already finished."
        except ValueError:
            status, message = 400, "Bad request."
        body = _PAGE.format(message=message).encode()
        writer.write(
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n"
            "Cache-Control: no-store\r\n\r\n".encode()
            + body
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
