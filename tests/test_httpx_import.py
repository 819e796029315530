"""llmkit imports httpx without its command-line client (click, rich, pygments), and leaves
httpx usable: its ``main`` still runs the real command, and a process that imported httpx
first keeps httpx as it was. Each case in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_transport_imports_httpx_without_its_cli() -> None:
    _run(
        """
        import sys
        import llmkit.transport
        import httpx

        assert "httpx._main" not in sys.modules  # not imported, and not left blocked
        for cli_dependency in ("click", "rich", "pygments"):
            assert cli_dependency not in sys.modules, cli_dependency
        assert httpx.main.__module__ == "llmkit.transport._httpx_import"
        try:  # not left blocked: it imports, or fails only for want of httpx[cli]
            import httpx._main
        except ImportError as exc:
            assert "halted" not in str(exc), exc
            assert exc.name in ("click", "rich", "pygments"), exc
        else:
            assert callable(httpx._main.main)
        """
    )


def test_httpx_imported_first_is_left_as_it_is() -> None:
    _run(
        """
        import httpx
        main = httpx.main
        import llmkit.transport

        assert httpx.main is main
        """
    )
