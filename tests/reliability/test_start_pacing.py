"""Request starts are spread over event-loop turns (llmkit.transport.pacing): a burst of
thousands cannot run as one turn that starves the connect timers. Counted in loop turns, never
in time."""

from __future__ import annotations

import asyncio

from llmkit.transport.pacing import STARTS_PER_TURN, StartPacer, start_pacer


async def _turns_until(tasks: list[asyncio.Task[int]]) -> int:
    turns = 0
    while not all(t.done() for t in tasks):
        turns += 1
        await asyncio.sleep(0)
    return turns


async def test_a_burst_starts_per_turn_in_order() -> None:
    pacer = StartPacer(asyncio.get_running_loop(), per_turn=10)
    order: list[int] = []
    turn = 0

    async def start(i: int) -> int:
        await pacer.wait()
        order.append(i)
        return turn

    async def count_turns() -> None:
        nonlocal turn
        while len(order) < 100:
            await asyncio.sleep(0)
            turn += 1

    counter = asyncio.ensure_future(count_turns())
    started = await asyncio.gather(*(start(i) for i in range(100)))
    await counter
    assert order == list(range(100))  # first come, first served
    per_turn: dict[int, int] = {}
    for t in started:
        per_turn[t] = per_turn.get(t, 0) + 1
    assert max(per_turn.values()) <= 10
    assert len(per_turn) >= 10  # the burst took at least 10 turns


async def test_a_lone_request_starts_at_once() -> None:
    pacer = StartPacer(asyncio.get_running_loop())
    task = asyncio.ensure_future(pacer.wait())
    await asyncio.sleep(0)
    assert task.done()


async def test_a_cancelled_waiter_gives_its_place_to_the_next() -> None:
    pacer = StartPacer(asyncio.get_running_loop(), per_turn=1)
    await pacer.wait()  # this turn's place
    second = asyncio.ensure_future(pacer.wait())
    third = asyncio.ensure_future(pacer.wait())
    await asyncio.sleep(0)
    second.cancel()
    turns = await _turns_until([third])  # type: ignore[list-item]
    assert third.done() and not third.cancelled()
    assert turns <= 3


async def test_the_loop_has_one_pacer_with_the_default_width() -> None:
    assert start_pacer() is start_pacer()
    assert start_pacer().per_turn == STARTS_PER_TURN
