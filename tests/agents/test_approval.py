"""Tool approval end to end over loopback (MockModel), on both built-in chat protocols: a call
to a tool with ``needs_approval`` stops the loop with a ``tool_approval_request``; answering
with ``approve`` / ``deny`` in the next call's messages (also from a fresh process that has only
the stored messages) runs or refuses it and the loop goes on.

Expected request bodies follow the provider API references: OpenAI Chat Completions (one
``role: tool`` message per result after the assistant's ``tool_calls``), Anthropic Messages
("Tool use": every ``tool_result`` of a turn in the next user message).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from expected import check_conformance
from pydantic import TypeAdapter

import llmkit
from llmkit import approve, deny, generate_text, stream_text, tool
from llmkit.errors import InvalidArgumentError
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn
from llmkit.types.events import ToolApprovalRequestEvent
from llmkit.types.messages import Message

PROTOCOLS = ["openai-chat", "anthropic-messages"]
RAN: list[dict[str, object]] = []


@tool
def balance() -> int:
    """The account balance, in cents."""
    return 1000


@tool(needs_approval=lambda args: int(str(args["amount"])) > 100)
def transfer(amount: int, to: str) -> str:
    """Send money."""
    RAN.append({"amount": amount, "to": to})
    return f"sent {amount} to {to}"


SCRIPT = [
    MockTurn(
        text="Checking.",
        tool_calls=[("balance", {}), ("transfer", {"amount": 500, "to": "bob"})],
    ),
    MockTurn(text="Done."),
]


@pytest.fixture
def registry() -> ProviderRegistry:
    RAN.clear()
    return ProviderRegistry()


def _conversation(messages: list[Any]) -> list[dict[str, Any]]:
    """Messages as the JSON an application would store."""
    dumped = TypeAdapter(list[Message]).dump_python(messages, mode="json")
    return [{"role": "user", "content": "Pay bob 500"}, *dumped]


def _tool_results(protocol: str, body: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(call id, content, is_error) of the tool results at the end of a request body."""
    if protocol == "openai-chat":
        return [
            (m["tool_call_id"], m["content"], False)
            for m in body["messages"]
            if m["role"] == "tool"
        ]
    last = body["messages"][-1]
    assert last["role"] == "user"
    return [(b["tool_use_id"], b["content"], b.get("is_error", False)) for b in last["content"]]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_tool_that_needs_approval_stops_the_loop(
    registry: ProviderRegistry, protocol: Any
) -> None:
    with MockModel(SCRIPT, protocol=protocol, registry=registry) as mock:
        result = stream_text(
            model=mock.model,
            prompt="Pay bob 500",
            tools=[balance, transfer],
            max_steps=5,
            registry=registry,
        )
        events = [event async for event in result]
        assert len(mock.requests) == 1  # stopped after the step: the model was not asked again
    check_conformance(events)
    (request,) = await result.approval_requests
    assert isinstance(request, ToolApprovalRequestEvent)
    assert (request.tool_name, dict(request.args)) == ("transfer", {"amount": 500, "to": "bob"})
    call_event = next(e for e in events if e.type == "tool_call" and e.tool_name == "transfer")
    assert events[events.index(call_event) + 1] == request  # right after its tool_call
    assert RAN == []  # not run
    assert await result.finish_reason == "tool_calls"
    assistant, results = await result.response_messages
    assert [p.type for p in assistant.content] == ["text", "tool_call", "tool_call"]  # type: ignore[union-attr]
    assert [(r.tool_name, r.result) for r in results.content] == [("balance", 1000)]  # type: ignore[union-attr]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("approved", [True, False])
async def test_resuming_with_an_answer_runs_or_refuses_the_call(
    registry: ProviderRegistry, protocol: Any, approved: bool
) -> None:
    with MockModel(SCRIPT, protocol=protocol, registry=registry) as mock:
        first = await generate_text(
            model=mock.model,
            prompt="Pay bob 500",
            tools=[balance, transfer],
            max_steps=5,
            registry=registry,
        )
        (request,) = first.approval_requests
        answer = approve(request) if approved else deny(request, "too much")
        messages = [
            *_conversation(list(first.response_messages)),
            {"role": "tool", "content": [answer]},
        ]
        second = await generate_text(
            model=mock.model,
            messages=messages,
            tools=[balance, transfer],
            max_steps=5,
            registry=registry,
        )
        sent = mock.requests[1].json()
    assert isinstance(sent, dict)
    call_id = request.tool_call_id
    if approved:
        assert RAN == [{"amount": 500, "to": "bob"}]
        expected = (call_id, "sent 500 to bob", False)
        types = [e.type for e in second.events]
        # the approved run's events come first, right after stream_start
        assert types[:4] == [
            "stream_start",
            "tool_execution_start",
            "tool_execution_end",
            "tool_result",
        ]
    else:
        assert RAN == []
        denial = "Error: the user denied running tool 'transfer': too much. Do not retry it."
        expected = (call_id, denial, protocol == "anthropic-messages")
        assert [e.type for e in second.events][:2] == ["stream_start", "tool_result"]
    check_conformance(list(second.events))
    balance_id = first.steps[0].tool_calls[0].tool_call_id
    assert _tool_results(protocol, sent) == [(balance_id, "1000", False), expected]
    assert second.text == "Done."
    # the results message is the first response message: storing messages + response
    # messages gives a conversation whose answer is settled (a third call runs nothing again)
    results = second.response_messages[0]
    assert results.role == "tool"
    assert [p.tool_call_id for p in results.content] == [call_id]
    again = [
        *messages,
        *_conversation(list(second.response_messages))[1:],
        {"role": "user", "content": "Thanks"},
    ]
    with MockModel(["You're welcome."], protocol=protocol, registry=registry) as mock:
        third = await generate_text(
            model=mock.model, messages=again, tools=[balance, transfer], registry=registry
        )
        third_sent = mock.requests[0].json()
    assert isinstance(third_sent, dict)
    assert len(RAN) == (1 if approved else 0)  # not run again
    assert third.text == "You're welcome."
    assert _result_count(third_sent, call_id) == 1  # the settled answer is sent once


def _result_count(body: dict[str, Any], call_id: str) -> int:
    """How many tool results for ``call_id`` a request body holds (either protocol)."""
    count = 0
    for message in body["messages"]:
        if message.get("tool_call_id") == call_id:
            count += 1
        if isinstance(message.get("content"), list):
            count += sum(1 for b in message["content"] if b.get("tool_use_id") == call_id)
    return count


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_resuming_from_a_fresh_process(
    registry: ProviderRegistry, protocol: Any, tmp_path: Path
) -> None:
    with MockModel(SCRIPT, protocol=protocol, registry=registry) as mock:
        first = llmkit.generate_text_sync(
            model=mock.model,
            prompt="Pay bob 500",
            tools=[balance, transfer],
            max_steps=5,
            registry=registry,
        )
        (request,) = first.approval_requests
        stored = json.dumps(
            {
                "provider": mock.server.provider("mock", protocol).model_dump(mode="json"),
                "messages": [
                    *_conversation(list(first.response_messages)),
                    {
                        "role": "tool",
                        "content": [approve(request).model_dump(mode="json")],
                    },
                ],
            }
        )
        script = Path(__file__).with_name("resume_script.py")
        done = subprocess.run(
            [sys.executable, str(script)],
            input=stored,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        sent = mock.requests[1].json()
    assert isinstance(sent, dict)
    report = json.loads(done.stdout)
    assert report["ran"] == [{"amount": 500, "to": "bob"}]
    assert report["text"] == "Done."
    assert report["events"][:4] == [
        "stream_start",
        "tool_execution_start",
        "tool_execution_end",
        "tool_result",
    ]
    assert _tool_results(protocol, sent)[-1] == (request.tool_call_id, "sent 500 to bob", False)
    assert RAN == []  # nothing ran in this process


async def test_an_answer_to_an_unknown_call_says_what_to_keep(registry: ProviderRegistry) -> None:
    with (
        MockModel(["x"], registry=registry) as mock,
        pytest.raises(InvalidArgumentError, match="keep the step's response messages"),
    ):
        await generate_text(
            model=mock.model,
            messages=[
                {"role": "user", "content": "hi"},
                {"role": "tool", "content": [approve("call_nope")]},
            ],
            tools=[transfer],
            registry=registry,
        )


async def test_a_small_transfer_needs_no_approval(registry: ProviderRegistry) -> None:
    script: list[MockTurn | str] = [
        MockTurn(tool_calls=[("transfer", {"amount": 5, "to": "amy"})]),
        "ok",
    ]
    with MockModel(script, registry=registry) as mock:
        result = await generate_text(
            model=mock.model, prompt="pay", tools=[transfer], max_steps=3, registry=registry
        )
    assert result.approval_requests == ()
    assert RAN == [{"amount": 5, "to": "amy"}]
    assert result.text == "ok"


def test_approval_parts_are_never_sent_to_a_provider() -> None:
    from llmkit.protocols import get_protocol
    from llmkit.providers import default_registry
    from llmkit.types.options import CallOptions

    call = CallOptions.model_validate(
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_call", "tool_call_id": "c1", "tool_name": "t", "args": {}}
                    ],
                },
                {
                    "role": "tool",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_call_id": "c1",
                            "tool_name": "t",
                            "result": 1,
                        },
                        {"type": "tool_approval_response", "tool_call_id": "c1", "approved": True},
                    ],
                },
            ]
        }
    )
    provider = default_registry().get("openai")
    body = get_protocol("openai-chat").build_request(call, provider, "m", stream=False).body
    messages = body["messages"]
    assert isinstance(messages, list)
    assert messages[-1] == {"role": "tool", "tool_call_id": "c1", "content": "1"}
    assert "approval" not in json.dumps(body)
