"""Tool approval: answering a ``tool_approval_request`` and resuming the loop from messages.

A call to a tool with ``needs_approval`` is not run: the loop yields a
:class:`~llmkit.ToolApprovalRequestEvent` and stops after the step. The step's assistant
message (in ``response_messages``) holds the call, with no result. The application answers
with :func:`approve` / :func:`deny` parts in a ``tool`` message appended after it, and calls
again with the whole conversation and the same tools; the loop then (see :func:`pending_answers`
and :func:`answered_messages`):

1. finds each answer whose call has no result yet in the conversation,
2. runs the approved calls (with the tool's own checks and timeout) and answers the denied ones
   with an error result naming the reason,
3. sends the conversation with each answer replaced by its call's result,
4. and yields those ``tool_execution_*`` / ``tool_result`` events before the first step's.

All the state is in the messages, so the answer may come from another process, days later
(the AI SDK's ``needsApproval`` / ``tool-approval-response`` works the same way).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmkit.errors import InvalidArgumentError
from llmkit.types.events import ToolApprovalRequestEvent, ToolCallEvent
from llmkit.types.messages import (
    AssistantMessage,
    Message,
    ToolApprovalResponsePart,
    ToolMessage,
    ToolResultPart,
)

if TYPE_CHECKING:
    from llmkit.types.events import ToolResultEvent

__all__ = ["Answer", "answered_messages", "approve", "deny", "pending_answers"]


def _call_id(request: ToolApprovalRequestEvent | ToolCallEvent | str) -> str:
    if isinstance(request, str):
        return request
    return request.tool_call_id


def approve(
    request: ToolApprovalRequestEvent | ToolCallEvent | str, reason: str | None = None
) -> ToolApprovalResponsePart:
    """Approve a tool call that waits for approval.

    Args:
        request: the ``tool_approval_request`` event (or its call, or the call's id).
        reason: why, if you want it on record.

    Returns:
        The part to put in a ``tool`` message after the step's messages, e.g.
        ``{"role": "tool", "content": [llmkit.approve(request)]}``.
    """
    return ToolApprovalResponsePart(tool_call_id=_call_id(request), approved=True, reason=reason)


def deny(
    request: ToolApprovalRequestEvent | ToolCallEvent | str, reason: str | None = None
) -> ToolApprovalResponsePart:
    """Refuse a tool call that waits for approval: the model gets an error result saying the
    user denied it (with ``reason``, if given), and the loop goes on.

    Args:
        request: the ``tool_approval_request`` event (or its call, or the call's id).
        reason: why (given to the model).

    Returns:
        The part to put in a ``tool`` message, as for :func:`approve`.
    """
    return ToolApprovalResponsePart(tool_call_id=_call_id(request), approved=False, reason=reason)


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to an approval request whose call has no result yet."""

    call: ToolCallEvent
    approved: bool
    reason: str | None


def pending_answers(messages: Sequence[Message]) -> list[Answer]:
    """The approval answers in ``messages`` whose calls have no result yet, in order.

    Raises:
        InvalidArgumentError: an answer names a call that no assistant message made.
    """
    calls: dict[str, ToolCallEvent] = {}
    answered: set[str] = set()
    answers: list[ToolApprovalResponsePart] = []
    for message in messages:
        if isinstance(message, AssistantMessage) and not isinstance(message.content, str):
            for part in message.content:
                if part.type == "tool_call":
                    args_json = json.dumps(part.args, ensure_ascii=False)
                    calls[part.tool_call_id] = ToolCallEvent(
                        part.tool_call_id, part.tool_name, part.args, args_json
                    )
        elif isinstance(message, ToolMessage):
            for item in message.content:
                if isinstance(item, ToolResultPart):
                    answered.add(item.tool_call_id)
                else:
                    answers.append(item)
    out: list[Answer] = []
    seen: set[str] = set()
    for answer in answers:
        call_id = answer.tool_call_id
        if call_id in answered or call_id in seen:
            continue
        call = calls.get(call_id)
        if call is None:
            raise InvalidArgumentError(
                f"messages: an approval answer names tool call {call_id!r}, but no assistant "
                "message made that call; keep the step's response messages in the conversation "
                "before the tool message with the answers"
            )
        seen.add(call_id)
        out.append(Answer(call, answer.approved, answer.reason))
    return out


def answered_messages(
    messages: Sequence[Message], results: Sequence[ToolResultEvent]
) -> list[Message]:
    """``messages`` with each approval answer replaced by its call's result (``results``),
    answers already settled dropped, and ``tool`` messages left empty removed."""
    by_id = {r.tool_call_id: r for r in results}
    out: list[Message] = []
    for message in messages:
        if not isinstance(message, ToolMessage) or all(
            isinstance(p, ToolResultPart) for p in message.content
        ):
            out.append(message)
            continue
        parts: list[ToolResultPart | ToolApprovalResponsePart] = []
        for part in message.content:
            if isinstance(part, ToolResultPart):
                parts.append(part)
                continue
            result = by_id.pop(part.tool_call_id, None)
            if result is not None:
                parts.append(
                    ToolResultPart(
                        tool_call_id=result.tool_call_id,
                        tool_name=result.tool_name,
                        result=result.result,  # JSON from the tool run
                        is_error=result.is_error,
                    )
                )
        if parts:
            out.append(message.model_copy(update={"content": parts}))
    return out
