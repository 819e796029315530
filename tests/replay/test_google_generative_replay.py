"""google-generative round trips: a recorded Gemini step (hidden reasoning carried by a
thoughtSignature, function calls, thought summaries, signed text) is step 1, and the request
llmkit sends next is checked field by field. Gemini requires every thoughtSignature back on the
part it came with ("Thought signatures"; a function call of the current turn without its
signature is a 400), so the expected signatures are read straight from the recorded bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import fixture_util

from llmkit import stream_text, tool
from llmkit.protocols.google_generative.fake import google_generative_sse
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockTurn, ReplayResponse, ReplayServer
from llmkit.tools import Tool


def fixture(name: str) -> ReplayResponse:
    return ReplayResponse.from_file(fixture_util.FIXTURES / "sse/google" / name, chunking=37)


def recorded_parts(name: str) -> list[dict[str, Any]]:
    """The parts of a recorded stream, in order, exactly as recorded."""
    raw = (fixture_util.FIXTURES / "sse/google" / name).read_bytes()
    return [
        part
        for sse in fixture_util.decode_sse(raw)
        for part in json.loads(sse.data)["candidates"][0]["content"]["parts"]
    ]


def follow_up(text: str) -> ReplayResponse:
    return ReplayResponse(google_generative_sse(MockTurn(text=text)))


@tool
def get_country() -> str:
    """The user's country."""
    return "Ireland"


class FavoriteColor(Tool):
    """The recorded tool takes ``_person`` (a name pydantic models cannot have)."""

    @property
    def executable(self) -> bool:
        return True

    async def execute(self, args: Mapping[str, object]) -> object:
        return {"Joe": "blue", "Hadley": "green"}.get(str(args.get("_person")), "grey")


favorite_color = FavoriteColor(
    name="favorite_color",
    parameters={"type": "object", "properties": {"_person": {"type": "string"}}},
)


async def test_signed_call_with_hidden_reasoning_goes_back_byte_exact() -> None:
    name = "gemini-google-generative-3pro-function-call-signature.sse"
    call_part, empty = recorded_parts(name)
    assert "thoughtSignature" in call_part and empty == {"text": ""}
    with ReplayServer([fixture(name), follow_up("Ireland.")]) as server:
        registry = ProviderRegistry([server.provider("gem", "google-generative")])
        result = stream_text(
            model="gem:gemini-3-pro-preview",
            prompt="Where am I?",
            tools=[get_country],
            reasoning={"effort": "high"},
            max_steps=2,
            registry=registry,
        )
        assert await result.text == "Ireland."
        calls = (await result.steps)[0].tool_calls
        first, second = (r.json() for r in server.requests)
        assert server.requests[1].path.endswith(":streamGenerateContent?alt=sse")
    assert isinstance(first, dict) and isinstance(second, dict)
    assert first["generationConfig"] == {
        "thinkingConfig": {"includeThoughts": True, "thinkingLevel": "high"}
    }
    (call,) = calls
    assert call.tool_call_id.startswith("call_")  # Gemini 3 pro sent no id: generated
    assert second["contents"] == [
        {"role": "user", "parts": [{"text": "Where am I?"}]},
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {"id": call.tool_call_id, "name": "get_country", "args": {}},
                    "thoughtSignature": call_part["thoughtSignature"],
                }
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": call.tool_call_id,
                        "name": "get_country",
                        "response": {"output": "Ireland"},
                    }
                }
            ],
        },
    ]


async def test_parallel_calls_keep_ids_and_the_single_signature_on_the_first() -> None:
    name = "gemini-google-generative-35flash-parallel-function-calls.sse"
    parts = recorded_parts(name)
    joe, hadley = parts[0], parts[1]
    with ReplayServer([fixture(name), follow_up("Blue and green.")]) as server:
        registry = ProviderRegistry([server.provider("gem", "google-generative")])
        result = stream_text(
            model="gem:gemini-3.5-flash",
            prompt="Favourite colours of Joe and Hadley?",
            tools=[favorite_color],
            max_steps=2,
            registry=registry,
        )
        assert await result.text == "Blue and green."
        second = server.requests[1].json()
    assert isinstance(second, dict)
    model, results = second["contents"][1:]
    assert model == {
        "role": "model",
        "parts": [
            {"functionCall": joe["functionCall"], "thoughtSignature": joe["thoughtSignature"]},
            {"functionCall": hadley["functionCall"]},
        ],
    }
    assert results == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "id": call["functionCall"]["id"],
                    "name": "favorite_color",
                    "response": {"output": colour},
                }
            }
            for call, colour in ((joe, "blue"), (hadley, "green"))
        ],
    }


async def test_thought_summaries_and_signed_text_replay_on_their_parts() -> None:
    name = "gemini-google-generative-25pro-thinking-many-chunks.sse"
    parts = recorded_parts(name)
    signed = next(p for p in parts if "thoughtSignature" in p)
    later = parts[parts.index(signed) + 1 :]
    with ReplayServer([fixture(name), follow_up("Yes.")]) as server:
        registry = ProviderRegistry([server.provider("gem", "google-generative")])
        first = stream_text(
            model="gem:gemini-2.5-pro",
            prompt="How do I cross the street?",
            reasoning={"budget_tokens": 1024},
            registry=registry,
        )
        history: list[Any] = [{"role": "user", "content": "How do I cross the street?"}]
        history += await first.response_messages
        history.append({"role": "user", "content": "Is that safe?"})
        second = stream_text(model="gem:gemini-2.5-pro", messages=history, registry=registry)
        assert await second.text == "Yes."
        assert await second.warnings == ()
        body = server.requests[1].json()
    assert isinstance(body, dict)
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            # the unsigned thought summary is not sent back (Gemini reads nothing from it); the
            # signed text part goes back alone, with its signature; the unsigned rest follows
            {"text": signed["text"], "thoughtSignature": signed["thoughtSignature"]},
            {"text": "".join(p["text"] for p in later)},
        ],
    }
    assert body["contents"][2] == {"role": "user", "parts": [{"text": "Is that safe?"}]}


async def test_a_signed_empty_trailing_part_goes_back() -> None:
    name = "gemini-google-generative-35flash-text-trailing-signature.sse"
    text, trailing = recorded_parts(name)
    assert trailing["text"] == "" and "thoughtSignature" in trailing
    with ReplayServer([fixture(name), follow_up("3.")]) as server:
        registry = ProviderRegistry([server.provider("gem", "google-generative")])
        first = stream_text(model="gem:gemini-3.5-flash", prompt="1+1?", registry=registry)
        history: list[Any] = [{"role": "user", "content": "1+1?"}, *await first.response_messages]
        history.append({"role": "user", "content": "Plus one?"})
        second = stream_text(model="gem:gemini-3.5-flash", messages=history, registry=registry)
        assert await second.text == "3."
        body = server.requests[1].json()
    assert isinstance(body, dict)
    assert body["contents"][1] == {"role": "model", "parts": [text, trailing]}


async def test_visible_thoughts_with_a_signature_go_back_as_a_thought_part() -> None:
    stream = b"".join(
        b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n"
        for chunk in [
            {"candidates": [{"content": {"parts": [{"text": "plan", "thought": True}]}}]},
            {
                "candidates": [
                    {
                        "content": {
                            "parts": [
                                {"text": " more", "thought": True, "thoughtSignature": "VEg="},
                                {"functionCall": {"name": "get_country", "args": {}}},
                            ]
                        },
                        "finishReason": "STOP",
                    }
                ]
            },
        ]
    )
    with ReplayServer([ReplayResponse(stream), follow_up("Done.")]) as server:
        registry = ProviderRegistry([server.provider("gem", "google-generative")])
        result = stream_text(
            model="gem:g", prompt="Go", tools=[get_country], max_steps=2, registry=registry
        )
        assert await result.text == "Done."
        assert (await result.steps)[0].reasoning_text == "plan more"
        body = server.requests[1].json()
    assert isinstance(body, dict)
    parts = body["contents"][1]["parts"]
    assert parts[0] == {"text": " more", "thought": True, "thoughtSignature": "VEg="}
    assert parts[1]["functionCall"]["name"] == "get_country"
    # Gemini made this call (the turn has a signature): no placeholder is added
    assert "thoughtSignature" not in parts[1]
