"""A user-style script that stops a stream early in one of several ways (run in a subprocess by
``test_clean_stop.py``; its stderr must stay empty).

Usage: ``python stop_script.py PATTERN PROTOCOL``. Prints one JSON line: whether ``abort`` was set
before control returned (and its reason), whether the shared client's pool had an open
connection at that moment, how many times ``on_finish`` ran, and how many disconnects the
loopback server saw.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from llmkit import FinishInfo, ProviderConfig, ProviderRegistry, stream_text, tool
from llmkit.testing.mock import MockTurn, anthropic_messages_sse, openai_chat_sse
from llmkit.testing.replay import ReplayResponse, ReplayServer
from llmkit.transport.http import connections_open

PATTERN, PROTOCOL = sys.argv[1], sys.argv[2]
encode = openai_chat_sse if PROTOCOL == "openai-chat" else anthropic_messages_sse

finished: list[FinishInfo] = []
tool_state = {"started": False, "cancelled": False}
tool_started = asyncio.Event()
report: dict[str, Any] = {}
kept: list[Any] = []


@tool
async def wait_forever(city: str) -> str:
    """A tool that runs until it is cancelled."""
    tool_state["started"] = True
    tool_started.set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        tool_state["cancelled"] = True
        raise
    return city


def events_of(body: bytes) -> list[int]:
    """Cut positions after each SSE event, so each event is one write."""
    cuts, at = [], 0
    for event in body.split(b"\n\n")[:-1]:
        at += len(event) + 2
        cuts.append(at)
    return cuts


def pool_open() -> int:
    """Connections the shared client's pool holds (0 once closed)."""
    return connections_open()


def snapshot(result: Any) -> None:
    """What holds the moment control returns to the user, before anything is awaited."""
    abort = result.abort
    report["abort"] = abort.reason if abort is not None else None
    report["pool_open"] = pool_open()
    report["on_finish_at_return"] = len(finished)


async def run(server: ReplayServer) -> Any:
    registry = ProviderRegistry(
        [ProviderConfig.model_validate({**server.provider("p", PROTOCOL).model_dump()})]
    )
    tools = [wait_forever] if PATTERN.startswith("tool") else None
    result = stream_text(
        model="p:m",
        prompt="hi",
        registry=registry,
        tools=tools,
        max_steps=3,
        on_finish=finished.append,
    )
    if PATTERN == "break":
        async for event in result:
            if event.type == "text_delta":
                break
        snapshot(result)
    elif PATTERN == "async_with_break":
        async with result:
            async for event in result:
                if event.type == "text_delta":
                    break
        snapshot(result)
    elif PATTERN == "break_aclose":
        async for event in result:
            if event.type == "text_delta":
                break
        await result.aclose()
        snapshot(result)
    elif PATTERN == "aclose":
        events = result.__aiter__()
        while (await events.__anext__()).type != "text_delta":
            pass
        await result.aclose()
        snapshot(result)
        del events
    elif PATTERN == "raise_in_body":
        try:
            async for event in result:
                if event.type == "text_delta":
                    raise KeyError("the user's own error")
        except KeyError:
            snapshot(result)
    elif PATTERN == "text_stream_break":
        async for _piece in result.text_stream:
            break
        snapshot(result)
    elif PATTERN in ("cancel", "tool_cancel"):
        seen = asyncio.Event()

        async def consume() -> None:
            async for event in result:
                if event.type == ("text_delta" if PATTERN == "cancel" else "tool_call"):
                    seen.set()

        task = asyncio.ensure_future(consume())
        await seen.wait()
        if PATTERN == "tool_cancel":
            await tool_started.wait()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            snapshot(result)
    elif PATTERN == "timeout":
        events = result.__aiter__()
        while (await events.__anext__()).type != "text_delta":
            pass
        try:  # asyncio.timeout on 3.11+ cancels the same way
            await asyncio.wait_for(_rest(events), 0.3)
        except asyncio.TimeoutError:
            snapshot(result)
    elif PATTERN == "tool_break":
        async for event in result:
            if event.type == "tool_call":
                await tool_started.wait()
                break
        snapshot(result)
    elif PATTERN == "exit_unclosed":
        # keep the iterator alive past the loop's end: closed when the loop shuts down
        events = result.__aiter__()
        while (await events.__anext__()).type != "text_delta":
            pass
        report["abort"] = "exit"
        kept.append(events)
    else:
        raise SystemExit(f"unknown pattern {PATTERN}")
    return None


async def _rest(events: Any) -> None:
    async for _event in events:
        pass


def main() -> None:
    turn = MockTurn(text="hello world " * 40, piece=3)
    if PATTERN.startswith("tool"):
        turn = MockTurn(text="calling", tool_calls=[("wait_forever", {"city": "Paris"})])
    body = encode(turn)
    # slow enough that every stop lands mid-stream; the last write never comes before it
    response = ReplayResponse(body, chunking=events_of(body), delay=0.05)
    with ReplayServer([response]) as server:
        asyncio.run(run(server))
        report["on_finish"] = len(finished)
        report["aborted"] = [info.aborted for info in finished]
        report["tool"] = tool_state
        deadline = time.monotonic() + 20
        while not server.disconnects and time.monotonic() < deadline:
            time.sleep(0.02)
        report["disconnects"] = server.disconnects
    print(json.dumps(report))


if __name__ == "__main__":
    main()
