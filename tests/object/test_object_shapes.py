"""generate_object / stream_object with lists, choices and plain values, end to end over
loopback on every protocol with a structured-output strategy, in both modes: the wrapped schema
the model gets, the unwrapped typed value, partial values and the element stream."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from llmkit import (
    GenerateObjectResult,
    NoObjectGeneratedError,
    StreamObjectResult,
    generate_object,
    stream_object,
    stream_object_sync,
)
from llmkit._object_call import ObjectMode
from llmkit._output import Output, to_output
from llmkit.protocols.openai_chat.response_format import strict_json_schema
from llmkit.providers.config import ProtocolName
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import MockModel, MockTurn

from .test_partial_objects import grows


class Item(BaseModel):
    name: str
    qty: int


ITEMS = [{"name": "apples", "qty": 2}, {"name": "pears", "qty": 5}, {"name": "figs", "qty": 12}]
WRAPPED_ITEMS = {"elements": ITEMS}

CASES: list[tuple[ProtocolName, ObjectMode]] = [
    ("openai-chat", "json"),
    ("openai-chat", "tool"),
    ("anthropic-messages", "tool"),
    ("openai-responses", "json"),
    ("openai-responses", "tool"),
    ("google-generative", "json"),
    ("google-generative", "tool"),
]
IDS = [f"{p}-{m}" for p, m in CASES]


def _turn(mode: ObjectMode, wrapped: Mapping[str, object], name: str = "response") -> MockTurn:
    args = dict(wrapped)
    if mode == "json":
        return MockTurn(text=json.dumps(wrapped), piece=5)
    return MockTurn(tool_calls=[(name, args)], args_piece=5)


def _body(mock: MockModel, index: int) -> Any:
    """The JSON body of the ``index``-th request."""
    return mock.requests[index].json()


def _sent_schema(body: Any, protocol: ProtocolName, mode: ObjectMode) -> object:
    """The JSON Schema the request carried, wherever the protocol puts it."""
    if mode == "json":
        return {
            "openai-chat": lambda: body["response_format"]["json_schema"]["schema"],
            "openai-responses": lambda: body["text"]["format"]["schema"],
            "google-generative": lambda: body["generationConfig"]["responseJsonSchema"],
        }[protocol]()
    return {
        "openai-chat": lambda: body["tools"][0]["function"]["parameters"],
        "anthropic-messages": lambda: body["tools"][0]["input_schema"],
        "openai-responses": lambda: body["tools"][0]["parameters"],
        "google-generative": lambda: body["tools"][0]["functionDeclarations"][0][
            "parametersJsonSchema"
        ],
    }[protocol]()


def _expected_schema(output: Output[object], protocol: ProtocolName, mode: ObjectMode) -> object:
    if mode == "json" and protocol in ("openai-chat", "openai-responses"):
        return strict_json_schema(output.schema)  # OpenAI strict mode
    return output.schema


# ---------------------------------------------------------------------------- lists
@pytest.mark.parametrize(("protocol", "mode"), CASES, ids=IDS)
async def test_stream_a_list(protocol: ProtocolName, mode: ObjectMode) -> None:
    registry = ProviderRegistry()
    with MockModel(
        [_turn(mode, WRAPPED_ITEMS)] * 2, protocol=protocol, registry=registry, chunking=9
    ) as mock:
        result: StreamObjectResult[list[Item], list[object]] = stream_object(
            model=mock.model, schema=list[Item], mode=mode, prompt="Shopping?", registry=registry
        )
        partials = [p async for p in result.partial_object_stream]
        items = await result.object
        assert items == [Item(**i) for i in ITEMS]
        assert json.loads(await result.text) == WRAPPED_ITEMS
        body = _body(mock, 0)
        assert _sent_schema(body, protocol, mode) == _expected_schema(
            to_output(list[Item]), protocol, mode
        )
        # the element stream of the same call
        again = stream_object(
            model=mock.model, schema=list[Item], mode=mode, prompt="Shopping?", registry=registry
        )
        elements = [item async for item in again.element_stream]
        assert elements == items
    assert all(isinstance(p, list) for p in partials)  # unwrapped: never {"elements": ...}
    assert partials[-1] == ITEMS
    for before, after in itertools.pairwise(partials):
        assert grows(before, after), (before, after)
    if protocol != "google-generative" or mode == "json":  # Gemini sends arguments whole
        assert len(partials) > 3


async def test_list_schema_on_the_wire() -> None:
    """The exact wrapped schema OpenAI gets for ``list[Item]``, and the one Anthropic gets."""
    item = {
        "properties": {
            "name": {"title": "Name", "type": "string"},
            "qty": {"title": "Qty", "type": "integer"},
        },
        "required": ["name", "qty"],
        "title": "Item",
        "type": "object",
    }
    registry = ProviderRegistry()
    with MockModel([json.dumps(WRAPPED_ITEMS)], registry=registry) as mock:
        await stream_object(
            model=mock.model, schema=list[Item], prompt="x", registry=registry
        ).object
        assert _body(mock, 0)["response_format"] == {
            "type": "json_schema",
            "json_schema": {
                "name": "response",
                "schema": {
                    "type": "object",
                    "properties": {
                        "elements": {"items": {"$ref": "#/$defs/Item"}, "type": "array"}
                    },
                    "required": ["elements"],
                    "additionalProperties": False,
                    "$defs": {"Item": {**item, "additionalProperties": False}},
                },
                "strict": True,
            },
        }
    turn = _turn("tool", WRAPPED_ITEMS, "shopping")
    with MockModel([turn], protocol="anthropic-messages", registry=registry) as mock:
        await stream_object(
            model=mock.model,
            schema=Output.array(Item, name="shopping", description="What to buy"),
            prompt="x",
            registry=registry,
        ).object
        body = _body(mock, 0)
        assert body["tools"] == [
            {
                "name": "shopping",
                "description": "What to buy",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "elements": {"items": {"$ref": "#/$defs/Item"}, "type": "array"}
                    },
                    "required": ["elements"],
                    "additionalProperties": False,
                    "$defs": {"Item": item},
                },
            }
        ]
        assert body["tool_choice"] == {"type": "tool", "name": "shopping"}


async def test_elements_come_as_each_completes() -> None:
    """Each element is yielded once the next one starts, before the stream has finished."""
    registry = ProviderRegistry()
    with MockModel([_turn("json", WRAPPED_ITEMS)], registry=registry) as mock:
        result = stream_object(model=mock.model, schema=list[Item], prompt="x", registry=registry)
        seen: list[tuple[Item, bool, int]] = []
        async for item in result.element_stream:
            acc = result._acc
            seen.append((item, acc.finish is not None, len(acc.text)))
    assert [s[0] for s in seen] == [Item(**i) for i in ITEMS]
    assert not seen[0][1] and not seen[1][1]  # before the finish event
    assert seen[0][2] < seen[1][2] < len(json.dumps(WRAPPED_ITEMS))


async def test_element_stream_of_a_raw_array_schema_and_a_bare_list() -> None:
    """An ``Output.array`` of a JSON Schema gives plain values; a model that wrote the bare
    list (as in JSON-object mode) still gets its elements, at the end."""
    registry = ProviderRegistry()
    with MockModel(["[3, 1, 2]", '{"elements": [3, 1, 2]}'], registry=registry) as mock:
        output = Output.array({"type": "integer"})
        bare = stream_object(model=mock.model, schema=output, prompt="x", registry=registry)
        assert [n async for n in bare.element_stream] == [3, 1, 2]
        assert await bare.object == [3, 1, 2]
        wrapped = stream_object(model=mock.model, schema=output, prompt="x", registry=registry)
        assert [n async for n in wrapped.element_stream] == [3, 1, 2]


async def test_an_invalid_element_stops_the_element_stream() -> None:
    bad = {"elements": [ITEMS[0], {"name": "pears", "qty": "lots"}, ITEMS[2]]}
    registry = ProviderRegistry()
    with MockModel([_turn("json", bad)], registry=registry) as mock:
        result = stream_object(model=mock.model, schema=list[Item], prompt="x", registry=registry)
        got: list[Item] = []
        with pytest.raises(NoObjectGeneratedError, match="an element does not match: qty") as info:
            async for item in result.element_stream:
                got.append(item)
        await result.aclose()
    assert got == [Item(**ITEMS[0])]
    assert json.loads(info.value.text) == {"name": "pears", "qty": "lots"}


async def test_element_stream_is_for_lists() -> None:
    registry = ProviderRegistry()
    with MockModel(["{}"], registry=registry) as mock:
        result: Any = stream_object(model=mock.model, schema=int, prompt="x", registry=registry)
        with pytest.raises(TypeError, match="element_stream is for lists"):
            _ = result.element_stream
        assert mock.requests == []


# ---------------------------------------------------------------------------- choices, values
@pytest.mark.parametrize(("protocol", "mode"), CASES, ids=IDS)
async def test_stream_a_choice_gives_only_the_final_value(
    protocol: ProtocolName, mode: ObjectMode
) -> None:
    registry = ProviderRegistry()
    with MockModel(
        [_turn(mode, {"result": "negative"})], protocol=protocol, registry=registry
    ) as mock:
        result = stream_object(
            model=mock.model,
            schema=Literal["positive", "negative", "neutral"],
            mode=mode,
            prompt="Sentiment?",
            registry=registry,
        )
        partials = [p async for p in result.partial_object_stream]
        value: Literal["positive", "negative", "neutral"] = await result.object
        body = _body(mock, 0)
    assert partials == ["negative"]
    assert value == "negative"
    assert _sent_schema(body, protocol, mode) == _expected_schema(
        to_output(Literal["positive", "negative", "neutral"]), protocol, mode
    )


@pytest.mark.parametrize(("protocol", "mode"), CASES, ids=IDS)
async def test_generate_plain_values(protocol: ProtocolName, mode: ObjectMode) -> None:
    """``generate_object`` (a non-streamed request) with an ``int``, a choice, a union."""
    registry = ProviderRegistry()
    turns = [
        _turn(mode, {"value": 42}),
        _turn(mode, {"result": "neutral"}),
        _turn(mode, {"value": None}),
    ]
    with MockModel(turns, protocol=protocol, registry=registry) as mock:
        count = await generate_object(
            model=mock.model, schema=int, mode=mode, prompt="How many?", registry=registry
        )
        typed: int = count.object
        assert typed == 42
        assert json.loads(count.text) == {"value": 42}
        mood = await generate_object(
            model=mock.model,
            schema=Output.choice(["positive", "negative", "neutral"]),
            mode=mode,
            prompt="Sentiment?",
            registry=registry,
        )
        assert mood.object == "neutral"
        maybe: GenerateObjectResult[int | None] = await generate_object(
            model=mock.model, schema=int | None, mode=mode, prompt="Any?", registry=registry
        )
        assert maybe.object is None
        bodies = [_body(mock, i) for i in range(len(mock.requests))]
    assert all("stream" not in b or b["stream"] is False for b in bodies)
    assert _sent_schema(bodies[0], protocol, mode) == _expected_schema(
        to_output(int), protocol, mode
    )


async def test_stream_a_string_value_grows() -> None:
    registry = ProviderRegistry()
    with MockModel([_turn("json", {"value": "a short summary"})], registry=registry) as mock:
        result = stream_object(
            model=mock.model,
            schema=str,
            schema_name="summary",
            prompt="Summarise",
            registry=registry,
        )
        partials = [p async for p in result.partial_object_stream]
        assert await result.object == "a short summary"
        assert _body(mock, 0)["response_format"]["json_schema"]["name"] == "summary"
    assert partials[0] == "a sh" and partials[-1] == "a short summary"
    assert len(partials) > 3
    for before, after in itertools.pairwise(partials):
        assert isinstance(before, str) and isinstance(after, str) and after.startswith(before)


async def test_a_null_value_is_a_partial_too() -> None:
    registry = ProviderRegistry()
    with MockModel([_turn("json", {"value": None})], registry=registry) as mock:
        result = stream_object(model=mock.model, schema=int | None, prompt="x", registry=registry)
        assert [p async for p in result.partial_object_stream] == [None]


async def test_a_wrapped_value_that_does_not_match() -> None:
    registry = ProviderRegistry()
    with (
        MockModel(['{"result": "maybe"}'], registry=registry) as mock,
        pytest.raises(NoObjectGeneratedError, match="result: Input should be") as info,
    ):
        await generate_object(
            model=mock.model, schema=Literal["yes", "no"], prompt="x", registry=registry
        )
    assert info.value.text == '{"result": "maybe"}'
    assert info.value.finish_reason == "stop"
    assert info.value.usage is not None
    assert [e["loc"] for e in info.value.errors] == [("result",)]


async def test_schema_name_and_description_rename_an_output() -> None:
    registry = ProviderRegistry()
    with MockModel(['{"elements": ["a"]}'], registry=registry) as mock:
        output = Output.array(str, name="tags", description="Tags")
        result = await generate_object(
            model=mock.model,
            schema=output,
            schema_name="labels",
            prompt="x",
            registry=registry,
        )
        assert result.object == ["a"]
        sent = _body(mock, 0)["response_format"]["json_schema"]
        assert (sent["name"], sent["description"]) == ("labels", "Tags")
    assert output.name == "tags"  # the Output itself is unchanged


def test_sync_stream_of_a_list() -> None:
    registry = ProviderRegistry()
    with MockModel([_turn("json", WRAPPED_ITEMS)], registry=registry) as mock:
        result = stream_object_sync(
            model=mock.model, schema=list[Item], prompt="x", registry=registry
        )
        partials: list[object] = list(result.partial_object_stream)
        assert result.object == [Item(**i) for i in ITEMS]
    assert partials[-1] == ITEMS
