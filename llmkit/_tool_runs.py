"""The tool loop's decisions about one tool call: repair it, ask for its approval, and run the
approved calls of a resumed conversation (see :mod:`llmkit._approvals`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from llmkit._hooks import maybe_await
from llmkit.errors import ConfigurationError
from llmkit.tools._execute import argument_problem, denied_result
from llmkit.types.events import (
    StreamEvent,
    ToolCallEvent,
    ToolExecutionEndEvent,
    ToolExecutionStartEvent,
    ToolResultEvent,
)
from llmkit.types.messages import Message, ToolMessage, ToolResultPart

if TYPE_CHECKING:
    from llmkit._hooks import ToolCallRepair
    from llmkit.tools._tool import Tool
    from llmkit.types.options import CallOptions

__all__ = ["answer_approvals", "has_answers", "needs_approval", "repaired_call"]

ToolRunner = Callable[
    [ToolCallEvent, Mapping[str, "Tool"]],
    Awaitable[tuple[ToolExecutionEndEvent, ToolResultEvent]],
]


async def repaired_call(
    call: ToolCallEvent, tools: Mapping[str, Tool], repair: ToolCallRepair
) -> ToolCallEvent:
    """``call``, or the fix ``repair`` gives for a call that names no tool or has arguments
    that do not parse or validate (the fix keeps the call's id).

    Raises:
        ConfigurationError: ``repair`` returned something other than a ``ToolCallEvent`` or
            None.
    """
    problem = argument_problem(call, tools)
    if problem is None:
        return call
    from llmkit._hooks import ToolCallRepairInfo

    fixed = await maybe_await(repair(ToolCallRepairInfo(call, problem[0], problem[1], tools)))
    if fixed is None:
        return call
    if not isinstance(fixed, ToolCallEvent):
        raise ConfigurationError(
            "repair_tool_call must return an llmkit.ToolCallEvent (e.g. "
            "dataclasses.replace(info.call, args=..., args_json=..., args_error=None)) or "
            f"None, not {type(fixed).__name__}"
        )
    if fixed.tool_call_id != call.tool_call_id:
        fixed = replace(fixed, tool_call_id=call.tool_call_id)
    return fixed


async def needs_approval(tool: Tool, call: ToolCallEvent) -> bool:
    """The call waits for the application's approval (``Tool.needs_approval``)."""
    needs = tool.needs_approval
    if needs is True or needs is False:
        return needs
    return bool(await maybe_await(needs(call.args)))


def has_answers(messages: Sequence[Message]) -> bool:
    """Some ``tool`` message holds an answer to an approval request."""
    return any(
        isinstance(m, ToolMessage) and any(not isinstance(p, ToolResultPart) for p in m.content)
        for m in messages
    )


async def answer_approvals(
    call: CallOptions, tools: Mapping[str, Tool], run: ToolRunner
) -> tuple[CallOptions, list[StreamEvent], list[ToolMessage]]:
    """Run the approved calls among the conversation's approval answers (concurrently) and
    answer the denied ones.

    Returns:
        The call with each answer replaced by its call's result; the events to yield
        (``tool_execution_start``/``_end`` and ``tool_result`` per approved call, a
        ``tool_result`` per denied one); and the ``tool`` message of the results, for the
        response messages (empty when nothing was pending).

    Raises:
        InvalidArgumentError: an answer names a call no assistant message made.
    """
    from llmkit._approvals import answered_messages, pending_answers

    answers = pending_answers(call.messages)
    events: list[StreamEvent] = []
    runs: list[asyncio.Future[tuple[ToolExecutionEndEvent, ToolResultEvent]]] = []
    denied: list[ToolResultEvent] = []
    for answer in answers:
        if answer.approved:
            c = answer.call
            events.append(ToolExecutionStartEvent(c.tool_call_id, c.tool_name, c.args))
            runs.append(asyncio.ensure_future(run(c, tools)))
        else:
            denied.append(denied_result(answer.call, answer.reason))
    try:
        ran = await asyncio.gather(*runs)
    finally:
        for task in runs:
            task.cancel()
    for end, result in ran:
        events += (end, result)
    events += denied
    order = {a.call.tool_call_id: n for n, a in enumerate(answers)}
    results = sorted([*(r for _, r in ran), *denied], key=lambda r: order[r.tool_call_id])
    messages = answered_messages(call.messages, results)
    call = call.model_copy(update={"messages": messages})
    if not results:
        return call, events, []
    parts = [
        ToolResultPart(
            tool_call_id=r.tool_call_id,
            tool_name=r.tool_name,
            result=r.result,  # JSON from the tool run
            is_error=r.is_error,
        )
        for r in results
    ]
    return call, events, [ToolMessage(content=parts)]
