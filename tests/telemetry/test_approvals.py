"""Tool approval in a traced run (127.0.0.1): the request is an event of the run span, and the
approved call, run before the next request, is an ``execute_tool`` span of the resumed run."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from llmkit import approve, generate_text, tool
from llmkit.telemetry import _semconv as sc
from llmkit.testing import MockModel, MockTurn
from llmkit.types.messages import Message

from .conftest import Recorded, attrs
from .test_agent_run import parent_id, span_id


@tool
def balance() -> int:
    """The account balance, in cents."""
    return 1000


@tool(needs_approval=True)
def transfer(amount: int, to: str) -> str:
    """Send money."""
    return f"sent {amount} to {to}"


SCRIPT = [
    MockTurn(tool_calls=[("balance", {}), ("transfer", {"amount": 500, "to": "bob"})]),
    MockTurn(text="Done."),
]


async def test_an_approval_request_and_the_approved_run(otel: Recorded) -> None:
    telemetry = otel.telemetry(agent_name="Bank")
    with MockModel(SCRIPT) as mock:
        first = await generate_text(
            model=mock.model,
            prompt="Pay bob 500",
            tools=[balance, transfer],
            max_steps=5,
            telemetry=telemetry,
        )
        (request,) = first.approval_requests
        first_spans = otel.spans()
        otel.exporter.clear()
        stored: list[Any] = TypeAdapter(list[Message]).dump_python(
            list(first.response_messages), mode="json"
        )
        second = await generate_text(
            model=mock.model,
            messages=[
                {"role": "user", "content": "Pay bob 500"},
                *stored,
                {"role": "tool", "content": [approve(request)]},
            ],
            tools=[balance, transfer],
            max_steps=5,
            telemetry=telemetry,
        )
        assert second.text == "Done."

    # the first run: balance ran, transfer waits; the request is an event of the run
    names = sorted(s.name for s in first_spans)
    assert names == ["chat mock-model", "execute_tool balance", "invoke_agent Bank"]
    (root,) = [s for s in first_spans if s.name == "invoke_agent Bank"]
    (event,) = root.events
    assert event.name == "llmkit.tool_approval_request"
    assert dict(event.attributes or {}) == {
        sc.TOOL_NAME: "transfer",
        sc.TOOL_CALL_ID: request.tool_call_id,
    }
    assert attrs(root)[sc.RESPONSE_FINISH_REASONS] == ("tool_call",)

    # the resumed run: the approved call runs first, under the run span, before the request
    root2 = otel.span("invoke_agent Bank")
    run = otel.span("execute_tool transfer")
    chat = otel.span("chat mock-model")
    assert parent_id(run) == span_id(root2)
    assert parent_id(chat) == span_id(root2)
    assert attrs(run)[sc.TOOL_CALL_ID] == request.tool_call_id
    assert attrs(run)[sc.TOOL_DESCRIPTION] == "Send money."
    assert run.start_time is not None and chat.start_time is not None
    assert run.start_time <= chat.start_time
