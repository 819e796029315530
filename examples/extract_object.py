"""A typed extraction with ``stream_object``: partial objects as the JSON forms, then a
validated pydantic object.

Run from the repository root (no network, no API key needed)::

    python examples/extract_object.py

What it shows:

1. OpenAI chat (a scripted stream from :class:`llmkit.testing.MockModel` on 127.0.0.1): llmkit
   sends the model's JSON Schema as ``response_format`` (``json_schema``, ``strict: true``);
   the answer streams as JSON text, printed as partial objects, then validated as a
   ``Contact``.
2. Anthropic Messages: the same call becomes one forced tool whose ``input_schema`` is the
   schema; the object is the tool call's input.
3. A real recorded gpt-4o stream (``tests/fixtures/sse/``) that answered through a forced tool,
   replayed with ``mode="tool"``.
4. An answer that does not match the schema raises ``NoObjectGeneratedError`` with the raw
   text and the validation errors.

``generate_object`` takes the same arguments without streaming:
``(await generate_object(model=..., schema=Contact, prompt=...)).object``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from pydantic import BaseModel, Field

# Lets the example run from a checkout without `pip install -e .`; not needed in your code.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmkit import NoObjectGeneratedError, registry, stream_object
from llmkit.testing import MockModel, MockTurn, ReplayServer

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests/fixtures/sse/openai-openai-chat-gpt4o-forced-tool-finish-stop.sse"

EMAIL = """Hi! I'm Grace Hopper from the Naval Computing Lab. Let's talk about compilers
and COBOL next week. You can reach me at grace@example.org."""


class Contact(BaseModel):
    """A person to get back to."""

    name: str
    email: str
    company: str | None = Field(description="Organisation, if named")
    topics: list[str] = Field(description="What they want to discuss")


class Author(BaseModel):
    first_name: str
    last_name: str


class Book(BaseModel):
    title: str
    author: Author
    rating: int


ANSWER = {
    "name": "Grace Hopper",
    "email": "grace@example.org",
    "company": "Naval Computing Lab",
    "topics": ["compilers", "COBOL"],
}


async def openai_chat() -> None:
    print("== 1. OpenAI chat: response_format json_schema")
    with MockModel([MockTurn(text=json.dumps(ANSWER), piece=6)], provider_id="demo-openai") as mock:
        result = stream_object(
            model=mock.model,
            schema=Contact,
            system="Extract the contact details.",
            prompt=EMAIL,
        )
        async for partial in result.partial_object_stream:
            print("partial:", partial)
        contact = await result.object  # a Contact (type checkers know it too)
        print("object:", repr(contact))
        print("usage:", (await result.usage).total_tokens, "tokens")
        body = mock.requests[0].json()
        assert isinstance(body, dict)
        spec = body["response_format"]
        print(f"response_format: {spec['type']} strict={spec['json_schema']['strict']}")
        print("required:", spec["json_schema"]["schema"]["required"])


async def anthropic_messages() -> None:
    print("\n== 2. Anthropic: a forced tool call")
    turn = MockTurn(tool_calls=[("Contact", ANSWER)], args_piece=12)
    with MockModel([turn], protocol="anthropic-messages", provider_id="demo-anthropic") as mock:
        result = stream_object(model=mock.model, schema=Contact, prompt=EMAIL)
        partials = [p async for p in result.partial_object_stream]
        print(f"{len(partials)} partials, last: {partials[-1]}")
        print("object:", repr(await result.object))
        body = mock.requests[0].json()
        assert isinstance(body, dict)
        print("tools:", [tool["name"] for tool in body["tools"]])
        print("tool_choice:", body["tool_choice"])


async def recorded() -> None:
    print("\n== 3. A recorded gpt-4o stream, replayed in 40-byte network chunks")
    with ReplayServer.from_file(RECORDED, chunking=40) as server:
        registry.register(server.provider("recorded", "openai-chat"))
        result = stream_object(
            model="recorded:gpt-4o",
            schema=Book,
            mode="tool",
            schema_name="__mirascope_formatted_output_tool__",  # the tool name of the recording
            prompt="Recommend a book.",
        )
        async for partial in result.partial_object_stream:
            print("partial:", json.dumps(partial))
        book = await result.object
        print("object:", book.model_dump_json())
        registry.unregister("recorded")


async def invalid() -> None:
    print("\n== 4. Output that does not match the schema")
    with MockModel(['{"name": "Grace Hopper", "topics": "COBOL"}'], provider_id="demo-bad") as mock:
        try:
            await extract(mock.model)
        except NoObjectGeneratedError as exc:
            print("NoObjectGeneratedError:", exc)
            print("raw text:", exc.text)
            for error in exc.errors:
                print("  error:", error["loc"], error["type"])


async def extract(model: str) -> Contact:
    result = stream_object(model=model, schema=Contact, prompt=EMAIL)
    return await result.object  # raises NoObjectGeneratedError


async def main() -> None:
    await openai_chat()
    await anthropic_messages()
    await recorded()
    await invalid()


if __name__ == "__main__":
    asyncio.run(main())
