"""A griffe extension used only by the docs build (see ``mkdocs.yml``); it changes nothing in the
package, only the docstring text mkdocstrings renders.

1. llmkit's Google-style docstrings use a few Sphinx roles (``:class:`~llmkit.x.Y```,
   ``:func:`f```...), which Markdown would show literally. Each becomes inline code with the
   role's target (only the last dotted name when the target starts with ``~``).
2. Some ``Args:`` / ``Attributes:`` / ``Raises:`` entries document several names at once
   (``top_p, top_k: sampling settings``), which the Google parser cannot split. Each such entry is
   repeated once per name; a ``Raises:`` line that only lists exception names gets one entry per
   name with no description.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|data|mod|meth|attr|exc|obj|const):`(~?)([^`]+)`")
_SECTION = re.compile(
    r"^(\s*)(Args|Arguments|Parameters|Other Parameters|Attributes|Raises|Exceptions):\s*$"
)
_MULTI = re.compile(r"^(\s*)([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*:(.*)$")
_NAMES_ONLY = re.compile(r"^(\s*)([A-Z]\w*(?:\s*,\s*[A-Z]\w*)*)\s*[,.]?\s*$")


def _replace_role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    target = target.lstrip("!")
    if tilde:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _split_multi_name_entries(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    section_indent: int | None = None
    raises = False
    i = 0
    while i < len(lines):
        line = lines[i]
        header = _SECTION.match(line)
        if header:
            section_indent = len(header.group(1))
            raises = header.group(2) in ("Raises", "Exceptions")
            out.append(line)
            i += 1
            continue
        if section_indent is not None and (not line.strip() or _indent(line) <= section_indent):
            section_indent = None
        names_only = _NAMES_ONLY.match(line) if section_indent is not None and raises else None
        if names_only is not None:
            indent, names = names_only.groups()
            out.extend(f"{indent}{n.strip()}:" for n in names.split(",") if n.strip())
            i += 1
            continue
        multi = _MULTI.match(line) if section_indent is not None else None
        if multi is None:
            out.append(line)
            i += 1
            continue
        indent, names, first = multi.groups()
        body = [first.strip()] if first.strip() else []
        i += 1
        while i < len(lines) and lines[i].strip() and _indent(lines[i]) > len(indent):
            body.append(lines[i].strip())
            i += 1
        for name in (n.strip() for n in names.split(",")):
            out.append(f"{indent}{name}: {body[0] if body else ''}")
            out.extend(f"{indent}    {rest}" for rest in body[1:])
    return "\n".join(out)


class RstRoles(griffe.Extension):
    """Rewrite Sphinx roles as inline code and split multi-name parameter entries."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is None:
            return
        value = docstring.value
        if ":`" in value:
            value = _ROLE.sub(_replace_role, value)
        if "," in value:
            value = _split_multi_name_entries(value)
        docstring.value = value
