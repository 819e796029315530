"""From a pydantic ``ValidationError`` to readable lines, and did-you-mean for names.

Every boundary where user input is validated (call options, messages, tool definitions,
provider configs) turns pydantic's report into one line per problem, ``field: what is wrong;
what to do``, with no pydantic URL, no union branch names and no secret values.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Collection, Iterable, Mapping

from pydantic import BaseModel, ValidationError

__all__ = ["did_you_mean", "explain", "field_names", "problem_lines"]

_TYPE_NAMES = frozenset(
    {"str", "int", "float", "bool", "bytes", "none", "list", "dict", "tuple", "set"}
)
"""Union branch labels pydantic puts into an error location (``content.str``)."""

_TAGS = frozenset(
    {"system", "user", "assistant", "tool"}
    | {"text", "image", "file", "reasoning", "tool_call", "tool_result"}
)
"""Discriminator values (message roles, content part types) that pydantic puts into a location
right after a list index (``messages.0.user.content``)."""

_ROLE_ALIASES = {
    "human": "user",
    "ai": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "function": "tool",
    "developer": "system",
}
"""Roles other libraries use, and the llmkit role that means the same."""

_SECRET_WORDS = frozenset(
    {"header", "headers", "key", "secret", "token", "password", "authorization", "cookie"}
)
"""A location with one of these words (split at ``.``, ``_``, ``-``, ``[``) never shows its
input value: it may be a credential."""


_OWN_WORDS = frozenset(
    {"missing", "extra_forbidden", "value_error", "assertion_error"}
    | {"union_tag_invalid", "union_tag_not_found"}
)
"""Error types whose line :func:`_problem` words itself (with the fix); the others get the
input value and the boundary's fix."""


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (``difflib`` ratio at least 0.6), or None."""
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def field_names(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str]]:
    """Every field name, and every model class name, of ``model`` and the models in its
    fields (recursively): the candidates for an unknown field's did-you-mean, and the class
    names pydantic uses as union branch labels in a location."""
    fields: set[str] = set()
    classes: set[str] = set()
    stack: list[object] = [model]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, type) and issubclass(item, BaseModel):
            classes.add(item.__name__)
            for name, info in item.model_fields.items():
                fields.add(name)
                stack.append(info.annotation)
            continue
        stack.extend(typing.get_args(item))
        origin = typing.get_origin(item)
        if origin is not None and origin is not types.UnionType:
            stack.append(origin)
    return frozenset(fields), frozenset(classes)


def _where(loc: tuple[int | str, ...], classes: Collection[str]) -> str:
    out = ""
    after_index = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            after_index = True
            continue
        label = (
            "[" in part
            or part in _TYPE_NAMES
            or part in classes
            or (after_index and part in _TAGS)
            or part.startswith(("function-", "literal", "is-instance"))
        )
        after_index = False
        if not label:
            out += f".{part}" if out else part
    return out


def _shown(value: object, where: str) -> str:
    """`` (got ...)`` for a short scalar input outside any credential-like field; else ''."""
    if _SECRET_WORDS.intersection(re.split(r"[._\-\[\]]+", where.lower())):
        return ""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return f" (got {value!r})"
    if isinstance(value, str) and len(value) <= 40:
        return f" (got {value!r})"
    return ""


def _problem(error: Mapping[str, object], known_fields: Collection[str]) -> str:
    kind = str(error["type"])
    message = str(error["msg"])
    ctx = error.get("ctx")
    context: Mapping[str, object] = ctx if isinstance(ctx, Mapping) else {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        loc = error["loc"]
        name = str(loc[-1]) if isinstance(loc, tuple) and loc else ""
        guess = did_you_mean(name, known_fields)
        return "is not a known field" + (f"; did you mean {guess!r}?" if guess else "")
    if kind == "union_tag_invalid":
        tag = str(context.get("tag", ""))
        key = str(context.get("discriminator", "")).strip("'")
        expected = context.get("expected_tags", "")
        text = f"unknown {key} {tag!r}; use one of {expected}"
        alias = _ROLE_ALIASES.get(tag.lower()) if key == "role" else None
        if alias is None and key == "role":
            alias = did_you_mean(tag.lower(), ("system", "user", "assistant", "tool"))
        return text + (f" (did you mean {alias!r}?)" if alias else "")
    if kind == "union_tag_not_found":
        key = str(context.get("discriminator", "")).strip("'")
        return f"needs a {key!r} key"
    if kind in ("value_error", "assertion_error"):
        cause = context.get("error")
        if isinstance(cause, BaseException):
            return str(cause)
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("model_attributes_type", "model_type", "dict_type"):
        return "should be a dict (or an llmkit model)"
    message = message.replace("Input should", "should").replace("String should", "should")
    if kind == "literal_error" and isinstance(error.get("input"), str):
        guess = did_you_mean(str(error["input"]), re.findall(r"'([^']*)'", str(context)))
        if guess:
            message += f" (did you mean {guess!r}?)"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        message = message.replace("greater than or equal to", "at least").replace(
            "less than or equal to", "at most"
        )
    return message


def problem_lines(
    exc: ValidationError,
    *,
    model: type[BaseModel] | None = None,
    fixes: Mapping[str, str] | None = None,
    prefix: str = "",
) -> list[str]:
    """One readable line per problem in ``exc``: ``field: what is wrong (got ...); fix``.

    Args:
        exc: the pydantic error.
        model: the model validated (its field names feed did-you-mean for unknown fields, its
            class names are dropped from locations); default: none.
        fixes: what to do, by the last field name of a location (``{"temperature": "use a
            value from 0 to 2"}``); appended after ``; ``.
        prefix: put before every location (``messages``).
    """
    known, classes = field_names(model) if model is not None else (frozenset(), frozenset())
    fixes = fixes or {}
    by_where: dict[str, list[str]] = {}
    inputs: dict[str, str] = {}
    generic: set[str] = set()
    deep: list[str] = []
    for error in exc.errors(include_url=False):
        cause = (error.get("ctx") or {}).get("error")
        loc = tuple(error["loc"])
        where = _where(loc, classes)
        if prefix:
            where = f"{prefix}{'' if where.startswith('[') or not where else '.'}{where}"
        if isinstance(cause, ValidationError):  # a nested model validated inside a validator
            deep.extend(problem_lines(cause, fixes=fixes, prefix=where))
            continue
        by_where.setdefault(where, []).append(_problem(error, known))
        if error["type"] not in _OWN_WORDS:
            inputs.setdefault(where, _shown(error.get("input"), where))
            generic.add(where)
    lines: list[str] = []
    for where, texts in by_where.items():
        # a type mismatch on one union branch is noise beside a problem deeper in another
        if all(t.startswith("should be a valid") for t in texts) and any(
            other != where and other.startswith(where) for other in by_where
        ):
            continue
        text = _join(texts)
        guess = re.search(r" \(did you mean [^)]*\)$", text)
        if guess:  # the value given, then the guess
            text = text[: guess.start()] + inputs.get(where, "") + guess.group()
        else:
            text += inputs.get(where, "")
        last = where.rsplit(".", 1)[-1].split("[", 1)[0]
        fix = fixes.get(last) if where in generic else None
        if fix:
            text += f"; {fix}"
        lines.append(f"{where}: {text}" if where else text)
    return lines + deep


def _join(texts: list[str]) -> str:
    unique = list(dict.fromkeys(texts))
    if len(unique) > 1 and all(t.startswith("should be ") for t in unique):
        return "should be " + " or ".join(t.removeprefix("should be ") for t in unique)
    return "; ".join(unique)


def explain(title: str, lines: list[str]) -> str:
    """``title: line`` for one problem; ``title:`` and an indented line per problem for more."""
    if len(lines) == 1:
        return f"{title}: {lines[0]}"
    return title + ":" + "".join(f"\n  - {line}" for line in lines)
