"""Every name in ``llmkit.__all__`` has an entry in the API reference (docs/reference/*.md): a
``::: llmkit...`` mkdocstrings entry for the object itself, or for a module that exports it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import llmkit

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference"
_ENTRY = re.compile(r"^:::\s+(llmkit[\w.]*)\s*$", re.M)


def _resolve(path: str) -> Any:
    """The object an entry names: a module, or an attribute of the longest importable module."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def documented() -> tuple[set[int], list[str]]:
    """The ids of every documented object (a module entry documents its public names), and the
    entries."""
    entries = [m for page in REFERENCE.glob("*.md") for m in _ENTRY.findall(page.read_text())]
    ids: set[int] = set()
    for entry in entries:
        obj = _resolve(entry)
        ids.add(id(obj))
        if hasattr(obj, "__path__") or type(obj).__name__ == "module":
            names = getattr(obj, "__all__", [n for n in vars(obj) if not n.startswith("_")])
            ids.update(id(getattr(obj, n)) for n in names if hasattr(obj, n))
    return ids, entries


def test_reference_entries_resolve() -> None:
    _, entries = documented()
    assert len(entries) > 20


def test_every_export_has_a_reference_entry() -> None:
    ids, _ = documented()
    missing = [
        name
        for name in llmkit.__all__
        if name != "registry" and id(getattr(llmkit, name)) not in ids
    ]
    assert not missing, f"no docs/reference entry for: {', '.join(sorted(missing))}"


def test_registry_is_documented() -> None:
    """``llmkit.registry`` is an instance: its class and the function that makes it are."""
    ids, _ = documented()
    assert id(llmkit.ProviderRegistry) in ids
