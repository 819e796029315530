"""Import httpx without its command-line client.

``import httpx`` also runs ``from httpx._main import main`` (its ``httpx`` command), which
imports ``click``, ``rich`` and ``pygments`` whenever they are installed (they often are, for
other tools): about a third of httpx's import time, measured with ``python -X importtime -c
"import httpx"``, paid by llmkit's first call although llmkit never runs that command.
httpx guards that import with ``except ImportError`` and then defines a stand-in ``main``
(httpx/__init__.py), so this module makes that one import fail while httpx itself is being
imported, restores ``sys.modules`` at once, and gives ``httpx.main`` back as a function that
imports the real command when it is run. Nothing else of httpx changes, and a process that
imported httpx before llmkit is left as it is.
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["import_httpx"]

_CLI = "httpx._main"


def _cli_main() -> None:
    """httpx's command-line client, imported when it is run."""
    from httpx._main import main

    main()


def import_httpx() -> ModuleType:
    """The ``httpx`` module, imported without its command-line client if not imported yet."""
    loaded = sys.modules.get("httpx")
    if loaded is not None:
        return loaded
    blocked = _CLI not in sys.modules
    if blocked:
        sys.modules[_CLI] = None  # type: ignore[assignment]  # "import halted": ImportError
    try:
        import httpx
    finally:
        if blocked and sys.modules.get(_CLI, ...) is None:
            del sys.modules[_CLI]
    if blocked:
        httpx.main = _cli_main  # type: ignore[assignment]  # replaces httpx's stand-in
    return httpx
