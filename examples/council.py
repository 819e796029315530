"""An "LLM council": several models answer in parallel, each ranks the anonymised answers, and a
chairman model writes the final answer; the total usage of every call is added up.

Run from the repository root (no network, no API key needed)::

    python examples/council.py

What it shows: three council members and a chairman are :class:`llmkit.testing.MockModel`
servers on 127.0.0.1, two speaking the OpenAI chat protocol and two the Anthropic Messages
protocol, with scripted answers. The code is the same for real providers: replace the model
strings (``"openai:gpt-4.1"``, ``"anthropic:claude-sonnet-4-5"``...).

1. Every member answers the question; the calls run concurrently (``asyncio.gather`` over
   ``generate_text``).
2. Every member ranks all the answers, shown as "Response A/B/C" with no model names, and ends
   with a ``FINAL RANKING:`` list; the rankings are parsed and averaged.
3. The chairman gets the answers and the aggregate ranking and streams the synthesis.
"""

from __future__ import annotations

import asyncio
import re
import string
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmkit import GenerateTextResult, Usage, generate_text, stream_text
from llmkit.providers.config import ProtocolName
from llmkit.testing import MockModel, MockTurn

QUESTION = "Should a small team write its own HTTP retry logic or use a library?"

# Scripted answers: (member, protocol, answer, ranking of the anonymised answers).
MEMBERS: list[tuple[str, ProtocolName, str, str]] = [
    (
        "member-a",
        "openai-chat",
        "Use a library: retries need backoff, jitter and Retry-After handling.",
        "Response B explains the trade-offs best; Response A is right but brief.\n"
        "FINAL RANKING:\n1. Response B\n2. Response A\n3. Response C",
    ),
    (
        "member-b",
        "anthropic-messages",
        "Use a maintained library (tenacity, urllib3 Retry) and configure it per endpoint; "
        "only retry idempotent requests.",
        "FINAL RANKING:\n1. Response B\n2. Response C\n3. Response A",
    ),
    (
        "member-c",
        "openai-chat",
        "Write a small wrapper yourself; libraries are overkill.",
        "Response A and B agree.\nFINAL RANKING:\n1. Response A\n2. Response B\n3. Response C",
    ),
]
CHAIRMAN = (
    "The council recommends a maintained retry library, configured per endpoint, retrying only "
    "idempotent requests with exponential backoff, jitter and Retry-After support."
)

RANKING = re.compile(r"Response ([A-Z])")


def ranking_prompt(question: str, answers: Sequence[str]) -> str:
    shown = "\n\n".join(
        f"Response {label}:\n{answer}"
        for label, answer in zip(string.ascii_uppercase, answers, strict=False)
    )
    return (
        f"Question: {question}\n\nHere are anonymised answers from several assistants.\n\n"
        f"{shown}\n\nEvaluate each one, then end with 'FINAL RANKING:' followed by a numbered "
        "list of the responses, best first."
    )


def parse_ranking(text: str) -> list[str]:
    """The labels after ``FINAL RANKING:``, best first."""
    _, _, tail = text.partition("FINAL RANKING:")
    return RANKING.findall(tail)


def aggregate(rankings: Sequence[Sequence[str]], labels: Sequence[str]) -> list[tuple[str, float]]:
    """(label, average position from 1), best first; an unranked label counts as last."""
    positions: dict[str, list[int]] = {label: [] for label in labels}
    for ranking in rankings:
        for label in labels:
            positions[label].append(ranking.index(label) + 1 if label in ranking else len(labels))
    averages = [(label, sum(p) / len(p)) for label, p in positions.items()]
    return sorted(averages, key=lambda item: item[1])


def total_usage(results: Sequence[GenerateTextResult], *more: Usage) -> Usage:
    total = Usage()
    for usage in [*(r.usage for r in results), *more]:
        total = total + usage
    return total


async def main() -> None:
    with ExitStack() as stack:
        members = [
            stack.enter_context(
                MockModel(
                    [MockTurn(text=answer, input_tokens=40), MockTurn(text=rank, input_tokens=220)],
                    protocol=protocol,
                    provider_id=name,
                )
            )
            for name, protocol, answer, rank in MEMBERS
        ]
        chair = stack.enter_context(
            MockModel(
                [MockTurn(text=CHAIRMAN, input_tokens=400, output_tokens=45)],
                protocol="anthropic-messages",
                provider_id="chairman",
            )
        )

        # 1. everyone answers, in parallel
        answers = await asyncio.gather(
            *(generate_text(model=m.model, prompt=QUESTION) for m in members)
        )
        labels = list(string.ascii_uppercase[: len(answers)])
        for label, member, answer in zip(labels, members, answers, strict=True):
            print(f"[{member.provider_id} = Response {label}] {answer.text}")

        # 2. everyone ranks the anonymised answers, in parallel
        prompt = ranking_prompt(QUESTION, [a.text for a in answers])
        reviews = await asyncio.gather(
            *(generate_text(model=m.model, prompt=prompt) for m in members)
        )
        rankings = [parse_ranking(r.text) for r in reviews]
        for member, ranking in zip(members, rankings, strict=True):
            print(f"[{member.provider_id} ranks] {' > '.join(ranking)}")
        board = aggregate(rankings, labels)
        print("aggregate ranking: " + ", ".join(f"{label} ({avg:.2f})" for label, avg in board))
        sent = members[0].requests[1].body.decode()
        print("model names in the ranking prompt:", any(m.provider_id in sent for m in members))

        # 3. the chairman synthesises (streamed)
        summary = "\n".join(f"Response {label}: average rank {avg:.2f}" for label, avg in board)
        chairman = stream_text(
            model=chair.model,
            system="You are the chairman of a council of assistants.",
            prompt=f"{prompt}\n\nPeer ranking:\n{summary}\n\nWrite the council's final answer.",
        )
        print("chairman: ", end="")
        async for piece in chairman.text_stream:
            print(piece, end="", flush=True)
        print()

        usage = total_usage([*answers, *reviews], await chairman.usage)
        calls = sum(len(m.requests) for m in [*members, chair])
        print(
            f"total usage over {calls} calls: {usage.input_tokens} input, "
            f"{usage.output_tokens} output tokens"
        )


if __name__ == "__main__":
    asyncio.run(main())
