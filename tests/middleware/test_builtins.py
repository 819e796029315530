"""default_settings, simulate_streaming and logging_middleware, through MockModel on loopback."""

from __future__ import annotations

import logging

import pytest

from llmkit import generate_text, stream_text
from llmkit.errors import InvalidArgumentError, OverloadedError
from llmkit.middleware import (
    default_settings,
    extract_reasoning,
    logging_middleware,
    simulate_streaming,
    wrap_model,
)
from llmkit.testing import MockModel, MockTurn, ReplayResponse, ReplayServer
from llmkit.types.options import CallOptions

from ._events import check_contract


def test_default_settings_fill_only_what_the_call_leaves_unset() -> None:
    defaults = default_settings(
        temperature=0.6,
        max_output_tokens=100,
        system="Be brief.",
        provider_options={"openai": {"service_tier": "flex", "metadata": {"a": "1", "b": "2"}}},
        headers={"X-Team": "blue", "X-Trace": "t1"},
    )
    call = CallOptions.model_validate(
        {
            "prompt": "hi",
            "temperature": 0.0,  # set: wins even though it is falsy
            "provider_options": {"openai": {"metadata": {"b": "call"}}},
            "headers": {"x-trace": "mine"},
        }
    )
    out = defaults.transform_options(call, kind="stream", model="m:m")
    assert out.temperature == 0.0
    assert out.max_output_tokens == 100
    assert out.system == "Be brief."
    assert out.provider_options == {
        "openai": {"service_tier": "flex", "metadata": {"a": "1", "b": "call"}}
    }
    assert out.headers == {"X-Team": "blue", "x-trace": "mine"}
    assert out.messages == call.messages
    # nothing to fill: the same object
    plain = default_settings(temperature=0.6)
    given = CallOptions.model_validate({"prompt": "hi", "temperature": 1.0})
    assert plain.transform_options(given, kind="generate", model="m:m") is given


def test_default_settings_are_validated_at_once() -> None:
    with pytest.raises(InvalidArgumentError, match="temperature") as caught:
        default_settings(temperature=5)
    assert caught.value.problems and "from 0 to 2" in caught.value.problems[0]


def test_default_settings_repr_shows_no_header_value() -> None:
    text = repr(default_settings(headers={"Authorization": "Bearer sk-secret"}, seed=1))
    assert "sk-secret" not in text
    assert text == "default_settings(headers=[Authorization], seed=1)"


async def test_default_settings_reach_the_request_body() -> None:
    with MockModel(["ok"]) as mock:
        model = wrap_model(mock.model, default_settings(temperature=0.6, seed=7))
        await generate_text(model=model, prompt="hi", temperature=0.1)
        sent = mock.requests[0].json()
    assert isinstance(sent, dict)
    assert (sent["temperature"], sent["seed"]) == (0.1, 7)


async def test_simulate_streaming_sends_a_non_streamed_request() -> None:
    turn = MockTurn(text="Hello there", reasoning="Greet.", piece=2)
    with MockModel([turn]) as mock:
        result = stream_text(model=wrap_model(mock.model, simulate_streaming()), prompt="hi")
        events = [event async for event in result]
        assert await result.text == "Hello there"
        assert await result.reasoning_text == "Greet."
        assert "stream" not in mock.requests[0].json()  # type: ignore[operator]
    check_contract([e for e in events if e.type != "step_finish"])
    deltas = [e for e in events if e.type == "text_delta"]
    assert len(deltas) == 1  # one delta per block: the whole text at once


async def test_simulated_stream_then_extracted_reasoning() -> None:
    """simulate_streaming outside extract_reasoning: the inner layer's wrap_generate runs."""
    with MockModel(["<think>why</think>because"]) as mock:
        model = wrap_model(mock.model, [simulate_streaming(), extract_reasoning()])
        result = stream_text(model=model, prompt="hi")
        assert (await result.reasoning_text, await result.text) == ("why", "because")


def _records(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [r.__dict__["llmkit_call"] for r in caplog.records if hasattr(r, "llmkit_call")]


async def test_logging_middleware_logs_each_call_without_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="llmkit.calls")
    with MockModel([MockTurn(text="secret answer", input_tokens=12, output_tokens=5)]) as mock:
        model = wrap_model(mock.model, logging_middleware())
        await stream_text(
            model=model,
            prompt="my private question",
            system="private system prompt",
            temperature=0.5,
            headers={"X-Api-Token": "tok-123"},
            provider_options={"openai": {"user": "u-private"}},
        ).text
        await generate_text(model=model, prompt="again")
    first, second = _records(caplog)
    assert first["kind"] == "stream" and second["kind"] == "generate"
    assert first["model"] == first["answered_by"] == "mock:mock-model"
    assert first["outcome"] == "ok" and first["finish_reason"] == "stop"
    assert first["usage"] == {
        "input_tokens": 12,
        "output_tokens": 5,
        "reasoning_tokens": None,
        "cache_read_tokens": None,
        "total_tokens": 17,
    }
    assert isinstance(first["duration"], float)
    assert first["options"] == {
        "messages": 1,
        "temperature": 0.5,
        "provider_options": ["openai"],
        "headers": ["X-Api-Token"],
        "system": "<21 characters>",
    }
    logged = caplog.text + repr(_records(caplog))
    for private in ("my private question", "private system", "secret answer", "tok-123", "u-priv"):
        assert private not in logged
    assert "stream mock:mock-model ok in " in caplog.text


async def test_logging_middleware_with_content(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="app.llm")
    with MockModel(["the answer"]) as mock:
        model = wrap_model(mock.model, logging_middleware("app.llm", logging.DEBUG, content=True))
        await stream_text(model=model, prompt="the question").text
    (record,) = _records(caplog)
    assert record["text"] == "the answer"
    assert record["options"]["message_list"][0]["content"] == "the question"  # type: ignore[index]
    assert caplog.records[-1].levelno == logging.DEBUG


async def test_logging_middleware_logs_a_failure_and_an_early_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="llmkit.calls")
    down = ReplayServer([ReplayResponse.json({"error": {"message": "busy"}}, status=503)])
    import llmkit

    with down, MockModel([MockTurn(text="long " * 100, piece=5)]) as mock:
        registry = llmkit.ProviderRegistry([down.provider("down", "openai-chat")])
        failing = wrap_model("down:m", logging_middleware())
        with pytest.raises(OverloadedError):
            await stream_text(model=failing, prompt="hi", registry=registry, retry=0).text
        result = stream_text(model=wrap_model(mock.model, logging_middleware()), prompt="hi")
        async for _ in result:
            break
    failed, closed = _records(caplog)
    assert (failed["outcome"], failed["error"], failed["status_code"]) == (
        "error",
        "OverloadedError",
        503,
    )
    calls = [r for r in caplog.records if r.name == "llmkit.calls"]  # not httpx's own log
    assert calls[0].levelno == logging.WARNING
    assert closed["outcome"] == "closed"
