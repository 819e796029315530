"""Unified :class:`~llmkit.types.options.JsonSchemaFormat` → OpenAI chat ``response_format``.

Sources: OpenAI API reference, Chat Completions, create, ``response_format``
(``{"type": "json_schema", "json_schema": {"name", "description", "schema", "strict"}}`` or
``{"type": "json_object"}``), and the OpenAI "Structured Outputs" guide, "Supported schemas":
with ``strict: true`` every object must set ``additionalProperties: false`` and list every
property in ``required`` (optional values are expressed as a union with ``null``).

Providers whose ``quirks.json_output`` is ``json_object`` (DeepSeek API docs, "JSON Output";
Moonshot Kimi API docs, "JSON Mode"; Zhipu GLM) accept only ``{"type": "json_object"}``: the
schema then travels in the system prompt (those APIs require the prompt to describe the JSON
they should produce).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from llmkit.protocols.openai_chat.quirks import OpenAIChatQuirks as Quirks
from llmkit.types.options import JsonSchemaFormat

__all__ = ["prepare_response_format", "schema_instruction", "strict_json_schema"]

_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains")


def _resolve(root: Mapping[str, object], ref: str) -> Mapping[str, object] | None:
    """A local ``#/...`` JSON pointer inside ``root``, or None."""
    if not ref.startswith("#/"):
        return None
    node: object = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Mapping) else None


def _strict(node: object, root: Mapping[str, object]) -> object:
    if isinstance(node, list):
        return [_strict(item, root) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, object] = dict(node)
    ref = out.get("$ref")
    if isinstance(ref, str) and len(out) > 1:
        # OpenAI strict mode rejects keywords beside "$ref" (pydantic puts a field's
        # description there): inline the definition, the sibling keywords win.
        target = _resolve(root, ref)
        if target is not None:
            siblings = {k: v for k, v in out.items() if k != "$ref"}
            out = {**target, **siblings}
    out.pop("default", None)  # every property is required below, so defaults never apply
    for key in _SCHEMA_MAPS:
        value = out.get(key)
        if isinstance(value, Mapping):
            out[key] = {name: _strict(sub, root) for name, sub in value.items()}
    for key in _SCHEMA_LISTS:
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [_strict(sub, root) for sub in value]
    for key in _SCHEMA_VALUES:
        value = out.get(key)
        if isinstance(value, Mapping):
            out[key] = _strict(value, root)
    all_of = out.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], Mapping):
        single = out.pop("allOf")[0]  # type: ignore[index]
        out = {**single, **out}
    properties = out.get("properties")
    if out.get("type") == "object" or isinstance(properties, Mapping):
        out.setdefault("additionalProperties", False)
        if isinstance(properties, Mapping):
            out["required"] = list(properties)
    return out


def strict_json_schema(schema: Mapping[str, object]) -> dict[str, object]:
    """Adapt a JSON Schema to OpenAI's strict Structured Outputs subset (a new dict).

    - every object gets ``additionalProperties: false`` (unless it sets it) and lists every
      property in ``required``;
    - ``default`` keywords are dropped (all properties are required, so they never apply);
    - a ``$ref`` with sibling keywords is inlined (its local definition merged under the
      siblings), and a single-element ``allOf`` is merged into its parent;
    - ``properties``, ``$defs``/``definitions``, ``items``, ``anyOf``/``oneOf``/``allOf`` and
      other subschemas are processed recursively.

    A value the original schema allowed to be omitted must now be present; a pydantic model
    still validates it (a field ``x: int | None = None`` becomes a required ``anyOf`` with
    ``null``). Keywords OpenAI does not support are left as they are (OpenAI answers 400).
    """
    result = _strict(schema, schema)
    assert isinstance(result, dict)
    return result


def schema_instruction(fmt: JsonSchemaFormat) -> str:
    """The system prompt text that carries the schema in ``json_object`` mode."""
    parts = []
    if fmt.description:
        parts.append(fmt.description)
    parts.append("JSON schema:")
    parts.append(json.dumps(fmt.json_schema, ensure_ascii=False, separators=(",", ":")))
    parts.append("You MUST answer with a JSON object that matches the JSON schema above.")
    return "\n".join(parts)


def prepare_response_format(
    fmt: JsonSchemaFormat | None, quirks: Quirks, system: str | None
) -> tuple[dict[str, object] | None, str | None]:
    """The ``response_format`` field (None: omit it) and the system prompt to send.

    Args:
        fmt: the requested JSON Schema format, or None.
        quirks: the provider's quirks (``json_output`` picks the mode).
        system: the call's system prompt.

    Returns:
        ``(response_format, system)``: in ``json_schema`` mode,
        ``{"type": "json_schema", "json_schema": {"name", "description"?, "schema",
        "strict"}}`` with the schema passed through :func:`strict_json_schema` when strict, and
        the system prompt unchanged; in ``json_object`` mode, ``{"type": "json_object"}`` and
        the system prompt followed by :func:`schema_instruction`.
    """
    if fmt is None:
        return None, system
    if quirks.json_output == "json_object":
        instruction = schema_instruction(fmt)
        return {"type": "json_object"}, f"{system}\n\n{instruction}" if system else instruction
    spec: dict[str, object] = {"name": fmt.name}
    if fmt.description is not None:
        spec["description"] = fmt.description
    spec["schema"] = strict_json_schema(fmt.json_schema) if fmt.strict else fmt.json_schema
    spec["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": spec}, system
