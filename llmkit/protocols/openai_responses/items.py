"""Output items of a Responses answer: announced (``response.output_item.added``), closed
(``response.output_item.done``), and the text, reasoning and tool blocks they open; hosted tool
items become provider-executed tool calls with their results, citations become sources. See
:mod:`.wire` for the mapping table."""

from __future__ import annotations

import json
from typing import Any

from llmkit.protocols.openai_responses.state import (
    METADATA_KEY,
    OpenAIResponsesState,
    OutputItem,
    as_str,
)
from llmkit.types.events import (
    ReasoningDeltaEvent,
    SourceEvent,
    StreamEvent,
    TextDeltaEvent,
    ToolResultEvent,
)

__all__ = [
    "add_source",
    "close_text",
    "item_added",
    "item_done",
    "item_for",
    "open_text",
    "start_reasoning",
]

_HOSTED_ARGS: dict[str, tuple[str, ...]] = {
    "web_search_call": ("action",),
    "code_interpreter_call": ("code", "container_id"),
    "file_search_call": ("queries",),
    "image_generation_call": (),
    "tool_search_call": ("arguments",),
    "computer_call": ("action",),
    "local_shell_call": ("action",),
    "shell_call": ("action",),
}
"""Per hosted tool item type, the fields that are the call's arguments (the rest of the item,
but ``id``, ``type`` and ``status``-like bookkeeping, is its result). A type not listed takes
no argument fields."""

_SKIP_RESULT = frozenset({"id", "type", "call_id"})


def item_for(
    state: OpenAIResponsesState, event: dict[str, Any], kind: str
) -> tuple[OutputItem, bool]:
    """The item a delta event belongs to (created when it was never announced), and whether it
    was created now."""
    item_id = event.get("item_id")
    if type(item_id) is not str:
        index = event.get("output_index")
        found = state.by_index.get(index) if type(index) is int else None
        item_id = found if found is not None else f"item_{index}"
    item = state.items.get(item_id)
    if item is None:
        item = state.items[item_id] = OutputItem(item_id, kind, False)
        return item, True
    if item.done:
        raise ValueError(f"a delta for output item {item_id!r} arrived after the item was done")
    return item, False


def _item_added(state: OpenAIResponsesState, item: dict[str, Any], index: object) -> OutputItem:
    kind = as_str(item.get("type"), "output item type")
    given = item.get("id")
    real = isinstance(given, str) and bool(given)
    if isinstance(given, str) and given:
        item_id = given
    else:
        item_id = f"item_{index}" if type(index) is int else f"item_{len(state.items)}"
    existing = state.items.get(item_id)
    if existing is not None:
        if existing.done:
            raise ValueError(f"output item {item_id!r} was announced again after it was done")
        return existing
    entry = state.items[item_id] = OutputItem(item_id, kind, real)
    if type(index) is int:
        state.by_index[index] = item_id
    return entry


def start_reasoning(state: OpenAIResponsesState, item: OutputItem, out: list[StreamEvent]) -> str:
    if item.block is None:
        item.block = item.id
        state.blocks.start_reasoning(item.id, out)
    return item.block


def _start_tool(
    state: OpenAIResponsesState, item: OutputItem, source: dict[str, Any], out: list[StreamEvent]
) -> None:
    """Open the tool block of a function call or a hosted tool item (once)."""
    if item.block is not None:
        return
    kind = item.kind
    if kind == "function_call":
        call_id = source.get("call_id")
        block_id: str = call_id if type(call_id) is str and call_id else item.id
        name = as_str(source.get("name"), "function_call name")
        executed = False
    else:
        block_id = item.id
        given = source.get("name") if kind == "mcp_call" else kind.removesuffix("_call")
        name = as_str(given or "mcp", f"{kind} name")
        executed = True
    if state.blocks.is_open(block_id):
        raise ValueError(f"tool call id {block_id!r} is used by two output items")
    item.block = block_id
    item.name = name
    state.blocks.start_tool(block_id, name, out, executed)


def _close_texts(state: OpenAIResponsesState, item: OutputItem, out: list[StreamEvent]) -> None:
    for block_id in item.texts.values():
        close_text(state, item, block_id, out)
    item.texts.clear()


def close_text(
    state: OpenAIResponsesState, item: OutputItem, block_id: str, out: list[StreamEvent]
) -> None:
    if state.text_block == block_id:
        state.text_item = state.text_index = None
        state.text_block = ""
    if state.blocks.is_open(block_id):
        data: dict[str, object] = {"item_id": item.id} if item.real_id else {}
        if isinstance(item.phase, str):
            data["phase"] = item.phase
        state.blocks.end(block_id, out, provider_metadata={METADATA_KEY: data} if data else None)


def open_text(
    state: OpenAIResponsesState, item: OutputItem, index: object, out: list[StreamEvent]
) -> str:
    content_index = index if type(index) is int else 0
    block_id = item.texts.get(content_index)
    if block_id is None:
        block_id = item.id if content_index == 0 else f"{item.id}:{content_index}"
        if state.blocks.is_open(block_id):
            raise ValueError(f"text block {block_id!r} is already open for another item")
        item.texts[content_index] = block_id
        state.blocks.start_text(block_id, out)
    state.text_item, state.text_index, state.text_block = item.id, index, block_id
    return block_id


def add_source(state: OpenAIResponsesState, annotation: object, out: list[StreamEvent]) -> None:
    if not isinstance(annotation, dict):
        return
    kind = annotation.get("type")
    url, title = annotation.get("url"), annotation.get("title") or annotation.get("filename")
    if kind == "url_citation" or (kind == "url" and isinstance(url, str)):
        source_type = "url"
    elif kind in ("file_citation", "container_file_citation", "file_path"):
        source_type = "document"
        title = title or annotation.get("file_id")
    else:
        return
    state.sources += 1
    out.append(
        SourceEvent(
            f"src_{state.sources}",
            source_type,  # type: ignore[arg-type]
            url if isinstance(url, str) else None,
            title if isinstance(title, str) else None,
        )
    )


def _texts(parts: object, kind: str) -> list[str] | None:
    """The ``text`` of each ``kind`` part of a reasoning item's ``summary`` / ``content``."""
    if not isinstance(parts, list):
        return None
    return [
        p["text"]
        for p in parts
        if isinstance(p, dict) and p.get("type") == kind and isinstance(p.get("text"), str)
    ]


def _reasoning_done(
    state: OpenAIResponsesState, item: OutputItem, done: dict[str, Any], out: list[StreamEvent]
) -> None:
    block_id = start_reasoning(state, item, out)
    summary = _texts(done.get("summary"), "summary_text")
    content = _texts(done.get("content"), "reasoning_text")
    if not item.streamed:
        text = "".join(summary or ()) + "".join(content or ())
        if text:
            out.append(ReasoningDeltaEvent(block_id, text))
    data: dict[str, object] = {}
    if item.real_id:
        data["item_id"] = item.id
    encrypted = done.get("encrypted_content")
    if isinstance(encrypted, str) and encrypted:
        data["encrypted_content"] = encrypted
    if summary:
        data["summary"] = summary
    if content:
        data["content"] = content
    state.blocks.end(block_id, out, provider_metadata={METADATA_KEY: data} if data else None)


def _hosted_done(
    state: OpenAIResponsesState, item: OutputItem, done: dict[str, Any], out: list[StreamEvent]
) -> None:
    """Arguments (when not streamed), ``tool_call`` and ``tool_result`` of a hosted tool."""
    _start_tool(state, item, done, out)
    block_id = item.block
    assert block_id is not None
    kind = item.kind
    if kind == "mcp_call":
        if not item.streamed:
            args = done.get("arguments")
            if isinstance(args, str):
                state.blocks.tool_delta(block_id, args, out)
        error = done.get("error")
        result: object = error if error is not None else done.get("output")
        state.blocks.end(block_id, out)
        out.append(ToolResultEvent(block_id, item.name, result, error is not None, True))
        return
    fields = _HOSTED_ARGS.get(kind, ())
    args_obj: object
    if fields == ("action",) or fields == ("arguments",):
        args_obj = done.get(fields[0])
        if not isinstance(args_obj, dict):
            args_obj = {}
    else:
        args_obj = {name: done[name] for name in fields if name in done}
    state.blocks.tool_delta(block_id, json.dumps(args_obj, ensure_ascii=False), out)
    state.blocks.end(block_id, out)
    result_obj = {k: v for k, v in done.items() if k not in _SKIP_RESULT and (k not in fields)}
    status = done.get("status")
    failed = status in ("failed", "incomplete")
    out.append(ToolResultEvent(block_id, item.name, result_obj, failed, True))
    action = done.get("action")
    if isinstance(action, dict) and isinstance(action.get("sources"), list):
        for source in action["sources"]:
            add_source(state, source, out)


def item_done(
    state: OpenAIResponsesState, done: dict[str, Any], index: object, out: list[StreamEvent]
) -> None:
    """``response.output_item.done`` (or one item of a non-streamed body)."""
    item_id = done.get("id")
    if not (type(item_id) is str and item_id):
        found = state.by_index.get(index) if type(index) is int else None
        item_id = found if found is not None else None
    item = state.items.get(item_id) if item_id is not None else None
    if item is None:
        item = _item_added(state, done, index)
    if item.done:
        raise ValueError(f"output item {item.id!r} was done twice")
    if state.delta_item is item:
        state.delta_item = None
    kind = item.kind
    if kind == "message":
        if isinstance(done.get("phase"), str):
            item.phase = done["phase"]
        content = done.get("content")
        if not item.streamed and isinstance(content, list):
            for position, part in enumerate(content):
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "output_text":
                    text = as_str(part.get("text"), "output_text text")
                    block_id = open_text(state, item, position, out)
                    if text:
                        out.append(TextDeltaEvent(block_id, text))
                    for annotation in part.get("annotations") or ():
                        add_source(state, annotation, out)
                elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                    state.refusal.append(part["refusal"])
        _close_texts(state, item, out)
    elif kind == "reasoning":
        _reasoning_done(state, item, done, out)
    elif kind == "function_call":
        _start_tool(state, item, done, out)
        assert item.block is not None
        if not item.streamed:
            args = done.get("arguments")
            if args is not None:
                state.blocks.tool_delta(
                    item.block, args if type(args) is str else json.dumps(args), out
                )
        state.client_calls += 1
        data = {METADATA_KEY: {"item_id": item.id}} if item.real_id else None
        state.blocks.end(item.block, out, provider_metadata=data)
    elif kind.endswith("_call"):
        _hosted_done(state, item, done, out)
    item.done = True


def item_added(
    state: OpenAIResponsesState, added: dict[str, Any], index: object, out: list[StreamEvent]
) -> None:
    """``response.output_item.added``: remember the item; open reasoning and tool blocks."""
    item = _item_added(state, added, index)
    kind = item.kind
    if kind == "message":
        item.phase = added.get("phase")
    elif kind == "reasoning":
        start_reasoning(state, item, out)
    elif kind == "function_call" or kind.endswith("_call"):
        _start_tool(state, item, added, out)
        args = added.get("arguments")
        if kind in ("function_call", "mcp_call") and isinstance(args, str) and args:
            item.streamed = True
            state.blocks.tool_delta(item.block or "", args, out)
