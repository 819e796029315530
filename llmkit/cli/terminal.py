"""Terminal helpers for the CLI: ANSI styles and the status line (a spinner on standard error
while a model has not answered yet, retries included).

Nothing here is shown unless the stream is a terminal: pipes and files get plain text and no
status line at all. ``NO_COLOR`` (any value) turns styles off; ``TERM=dumb`` turns the
spinner and styles off. Plain ANSI codes, no third-party import.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from types import TracebackType
from typing import TextIO

__all__ = ["StatusLine", "Style", "is_terminal"]


def is_terminal(stream: TextIO) -> bool:
    """True when ``stream`` is an interactive terminal that understands ANSI codes."""
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


class Style:
    """ANSI styling for one stream; a no-op unless it is a terminal and ``NO_COLOR`` is unset."""

    def __init__(self, stream: TextIO) -> None:
        self.enabled = is_terminal(stream) and "NO_COLOR" not in os.environ

    def __call__(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled and text else text

    def dim(self, text: str) -> str:
        """Faint italic (reasoning, usage lines)."""
        return self("2;3", text)


def _frames(stream: TextIO) -> str:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏" if encoding == "utf8" else "|/-\\"


class _RetryHandler(logging.Handler):
    def __init__(self, status: StatusLine) -> None:
        super().__init__(logging.INFO)
        self.status = status

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "llmkit_retry", None)
        if isinstance(info, dict):
            self.status.retrying(str(info.get("reason")), float(info.get("delay") or 0.0))


class StatusLine:
    """``⠋ waiting for provider:model… 1.2 s`` on ``stream`` until :meth:`stop`, redrawn every
    0.1 s by a task of the running loop; the retries the driver logs on ``llmkit.retry`` show
    as ``(retrying after 429 in 2 s)``. Does nothing when ``stream`` is not a terminal.

    Use as ``async with StatusLine(err, "provider:model") as status: ...`` and call
    :meth:`stop` before writing anything else to the terminal.
    """

    def __init__(self, stream: TextIO, model: str, *, enabled: bool | None = None) -> None:
        self.stream = stream
        self.model = model
        self.enabled = is_terminal(stream) if enabled is None else enabled
        self.note = ""
        self._frames = _frames(stream)
        self._task: asyncio.Task[None] | None = None
        self._handler: _RetryHandler | None = None
        self._level = logging.NOTSET
        self._shown = False
        self._started = 0.0

    async def __aenter__(self) -> StatusLine:
        self._started = time.monotonic()
        if self.enabled:
            logger = logging.getLogger("llmkit.retry")
            self._handler = _RetryHandler(self)
            self._level = logger.level
            logger.addHandler(self._handler)
            logger.setLevel(logging.INFO)
            self._task = asyncio.get_running_loop().create_task(self._spin())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def retrying(self, reason: str, delay: float) -> None:
        """Show a retry: the driver waits ``delay`` seconds after ``reason`` (status or error)."""
        self.note = f"retrying after {reason} in {delay:.0f} s"
        self._draw(time.monotonic())

    def stop(self) -> None:
        """Erase the line and stop redrawing (idempotent)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._handler is not None:
            logger = logging.getLogger("llmkit.retry")
            logger.removeHandler(self._handler)
            logger.setLevel(self._level)
            self._handler = None
        if self._shown:
            self._shown = False
            try:
                self.stream.write("\r\033[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass

    async def _spin(self) -> None:
        while True:
            self._draw(time.monotonic())
            await asyncio.sleep(0.1)

    def _draw(self, now: float) -> None:
        if not self.enabled or self._task is None:
            return
        elapsed = now - self._started
        frame = self._frames[int(elapsed * 10) % len(self._frames)]
        note = f" ({self.note})" if self.note else ""
        text = f"{frame} waiting for {self.model}… {elapsed:.1f} s{note}"
        width = shutil.get_terminal_size((80, 24)).columns - 1
        try:
            self.stream.write(f"\r{text[:width]}\033[K")
            self.stream.flush()
        except (OSError, ValueError):
            return
        self._shown = True
