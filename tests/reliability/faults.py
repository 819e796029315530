"""A fault-injection HTTP server on 127.0.0.1 over raw sockets.

Each request is answered by the next :class:`Fault` of a script (the last one repeats). A fault
can reset the connection before the headers, send a status and headers, send the body in pieces
with delays, then end the body cleanly, cut it (close without the chunked terminator) or reset
it. Every response says ``connection: close``, so a connection that stays open after a call is
one the client failed to close: :attr:`FaultServer.open_connections` counts handlers whose
connection is still open (each waits for the client's EOF after answering).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Fault:
    """One scripted response.

    Attributes:
        status: HTTP status; None resets the connection before any byte of a response.
        headers: extra response headers.
        content_type: the ``content-type`` header.
        pieces: body pieces, each sent in its own write (chunked encoding).
        delay: seconds to sleep before each piece after the first.
        end: ``ok`` (chunked terminator), ``cut`` (close mid-body) or ``reset`` (RST mid-body).
        trickle: after the pieces, send these bytes one at a time every ``delay`` seconds until
            the client goes away (slow loris), or repeat them forever (keep-alive comments).
    """

    status: int | None = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/event-stream"
    pieces: Sequence[bytes] = ()
    delay: float = 0.0
    end: Literal["ok", "cut", "reset"] = "ok"
    trickle: bytes = b""
    trickle_mode: Literal["bytes", "repeat"] = "bytes"


def reset_socket(conn: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0)."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        conn.close()


class FaultServer:
    """Serves a script of :class:`Fault` responses on ``http://127.0.0.1:<port>``.

    Attributes:
        hits: requests received.
        paths: the request paths, in order.
        headers: each request's headers (lower-case names), in order.
    """

    def __init__(self, script: Iterable[Fault]) -> None:
        self.script = list(script)
        self.hits = 0
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.active = 0
        self.peak_active = 0  # most responses being sent at once (request read to last byte)
        self._open = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(256)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    @property
    def open_connections(self) -> int:
        with self._lock:
            return self._open

    def wait_closed(self, seconds: float = 3.0) -> int:
        """Wait until no connection is open (or ``seconds`` pass); return how many are."""
        deadline = time.monotonic() + seconds
        while self.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open_connections

    async def until_closed(self, seconds: float = 3.0) -> int:
        """:meth:`wait_closed` without blocking the event loop (the client may close
        its side in a task that needs the loop to run, e.g. a generator finalizer)."""
        import asyncio

        deadline = time.monotonic() + seconds
        while self.open_connections and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return self.open_connections

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()

    def _accept(self) -> None:
        self._sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._open += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> Fault | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            rest += chunk
        with self._lock:
            index = min(self.hits, len(self.script) - 1)
            self.hits += 1
            self.paths.append(head.split(b" ")[1].decode())
            lines = head.decode("latin-1").split("\r\n")[1:]
            pairs = (line.partition(":") for line in lines)
            self.headers.append({k.strip().lower(): v.strip() for k, _, v in pairs})
        return self.script[index]

    def _serve(self, conn: socket.socket) -> None:
        try:
            fault = self._read_request(conn)
            if fault is None:
                conn.close()
                return
            with self._lock:
                self.active += 1
                self.peak_active = max(self.peak_active, self.active)
            try:
                self._respond(conn, fault)
            finally:
                with self._lock:
                    self.active -= 1
        except OSError:
            conn.close()
        finally:
            with self._lock:
                self._open -= 1

    def _respond(self, conn: socket.socket, fault: Fault) -> None:
        if fault.status is None:
            reset_socket(conn)
            return
        head = [f"HTTP/1.1 {fault.status} X", f"content-type: {fault.content_type}"]
        head += [f"{k}: {v}" for k, v in fault.headers.items()]
        head += ["transfer-encoding: chunked", "connection: close", "", ""]
        conn.sendall("\r\n".join(head).encode())
        for i, piece in enumerate(fault.pieces):
            if i and fault.delay:
                time.sleep(fault.delay)
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        if fault.trickle:
            self._trickle(conn, fault)
            return
        if fault.end == "reset":
            reset_socket(conn)
            return
        # the response is done before its last bytes go out: once the client has them it may
        # start its next request, which must not find this one still counted (on a busy
        # machine this thread can be descheduled between the write and the decrement)
        with self._lock:
            self.active -= 1
        if fault.end == "ok":
            conn.sendall(b"0\r\n\r\n")
        conn.shutdown(socket.SHUT_WR)
        try:
            self._drain(conn)
        finally:
            with self._lock:
                self.active += 1

    def _trickle(self, conn: socket.socket, fault: Fault) -> None:
        """Send bytes slowly until the client closes (then the write or the read fails)."""
        units = list(fault.trickle) if fault.trickle_mode == "bytes" else None
        i = 0
        conn.settimeout(fault.delay or 0.05)
        while not self._stop.is_set():
            data = bytes([units[i % len(units)]]) if units is not None else fault.trickle
            i += 1
            conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            try:
                if conn.recv(1) == b"":
                    break  # the client closed its side
            except TimeoutError:
                continue
        conn.close()

    def _drain(self, conn: socket.socket) -> None:
        """Wait for the client to close its side (at most 5 s), then close."""
        conn.settimeout(5.0)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        conn.close()
