"""Resume a tool loop in a fresh process: the conversation (with the approval answers) and the
provider come in as JSON on stdin; the result goes out as JSON on stdout.

Run by tests/agents/test_approval.py; nothing of the first process is shared but the messages.
"""

from __future__ import annotations

import asyncio
import json
import sys

from llmkit import ProviderConfig, generate_text, tool
from llmkit.providers.registry import ProviderRegistry

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


async def main() -> None:
    request = json.load(sys.stdin)
    registry = ProviderRegistry()
    registry.register(ProviderConfig.model_validate(request["provider"]))
    result = await generate_text(
        model="mock:mock-model",
        messages=request["messages"],
        tools=[balance, transfer],
        max_steps=5,
        registry=registry,
    )
    json.dump(
        {
            "text": result.text,
            "ran": RAN,
            "events": [e.type for e in result.events],
            "results": [
                [r.tool_name, r.result, r.is_error] for s in result.steps for r in s.tool_results
            ],
        },
        sys.stdout,
    )


asyncio.run(main())
