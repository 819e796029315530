"""Traced embedding calls end to end (127.0.0.1): ``embed`` and ``embed_many`` (and their sync
forms) record one ``embeddings`` span per request, with the chat metrics; batches, agent_name,
provider errors, a failing batch, fallbacks, content capture and ``instrument()``."""

from __future__ import annotations

import base64
import struct

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from llmkit.embeddings import embed, embed_many, embed_many_sync, embed_sync
from llmkit.errors import AuthenticationError, EmbeddingBatchError, InvalidArgumentError
from llmkit.providers.registry import ProviderRegistry
from llmkit.telemetry import _semconv as sc
from llmkit.telemetry import instrument, uninstrument
from llmkit.testing import RecordedRequest, ReplayResponse, ReplayServer

from .conftest import Recorded, attrs
from .test_agent_run import parent_id, span_id

SECRET_TEXT = "my diary: the vault code is 4711"
"""An input text: never recorded, with or without record_content."""


def _vector(text: str, dimensions: int | None) -> list[float]:
    vector = [float(len(text)), 0.5, -0.25, 0.125]
    return vector[:dimensions] if dimensions is not None else vector


def handler(  # type: ignore[no-untyped-def]
    *, fail_on: str | None = None, status: int = 401, slow: bool = False
):
    """An OpenAI-compatible embeddings endpoint: one vector per input (4 numbers, or
    ``dimensions``), base64 when asked, ``model`` served as ``m-2025``, one token per input;
    ``status`` (401) for a batch holding ``fail_on`` (at once); the others slowly when ``slow``."""

    def handle(request: RecordedRequest) -> ReplayResponse:
        payload = request.json()
        assert isinstance(payload, dict)
        inputs: list[str] = payload["input"]
        if fail_on is not None and fail_on in inputs:
            return ReplayResponse.json(
                {"error": {"message": "refused", "type": "invalid_request_error"}}, status=status
            )
        data = []
        for i, text in enumerate(inputs):
            vector = _vector(text, payload.get("dimensions"))
            if payload.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                data.append({"index": i, "embedding": base64.b64encode(packed).decode()})
            else:
                data.append({"index": i, "embedding": vector})
        body = {
            "object": "list",
            "data": data,
            "model": "m-2025",
            "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
        }
        if slow:
            return ReplayResponse.json(body, chunking=8, delay=0.1)
        return ReplayResponse.json(body)

    return handle


def _registry(server: ReplayServer, provider_id: str = "rec") -> ProviderRegistry:
    return ProviderRegistry([server.provider(provider_id, "openai-chat")])


def _port(server: ReplayServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _input_tokens(span: ReadableSpan) -> int:
    count = attrs(span)[sc.USAGE_INPUT_TOKENS]
    assert isinstance(count, int)
    return count


def _base(port: int, operation: str = "embeddings") -> dict[str, object]:
    return {
        sc.OPERATION_NAME: operation,
        sc.PROVIDER_NAME: "rec",
        sc.REQUEST_MODEL: "m",
        sc.SERVER_ADDRESS: "127.0.0.1",
        sc.SERVER_PORT: port,
    }


async def test_embed_is_one_embeddings_span(otel: Recorded) -> None:
    app = otel.tracer_provider.get_tracer("app")
    with ReplayServer(handler=handler()) as server, app.start_as_current_span("app") as outer:
        result = await embed(
            model="rec:m", value="hello", registry=_registry(server), telemetry=otel.telemetry()
        )
        port = _port(server)
    assert list(result.embedding) == [5.0, 0.5, -0.25, 0.125]
    (span,) = [s for s in otel.spans() if s.name != "app"]
    assert span.name == "embeddings m"
    assert span.kind is SpanKind.CLIENT
    assert parent_id(span) == outer.get_span_context().span_id
    assert span.status.status_code is StatusCode.UNSET
    assert attrs(span) == {
        **_base(port),
        sc.RESPONSE_MODEL: "m-2025",
        sc.EMBEDDINGS_DIMENSION_COUNT: 4,
        sc.REQUEST_ENCODING_FORMATS: ("base64",),
        sc.USAGE_INPUT_TOKENS: 1,
    }
    (duration,) = otel.points(sc.OPERATION_DURATION)
    assert attrs(duration) == {**_base(port), sc.RESPONSE_MODEL: "m-2025"}
    assert duration.count == 1
    (tokens,) = otel.points(sc.TOKEN_USAGE)  # input only: an embedding has no output tokens
    assert attrs(tokens) == {**_base(port), sc.RESPONSE_MODEL: "m-2025", sc.TOKEN_TYPE: "input"}
    assert (tokens.count, tokens.sum) == (1, 1)
    assert otel.points(sc.TIME_TO_FIRST_CHUNK) == []


async def test_dimensions_and_encoding_asked_for(otel: Recorded) -> None:
    with ReplayServer(handler=handler()) as server:
        result = await embed(
            model="rec:m",
            value="hello",
            dimensions=2,
            encoding="float",
            registry=_registry(server),
            telemetry=otel.telemetry(),
        )
    assert list(result.embedding) == [5.0, 0.5]
    (span,) = otel.spans()
    assert attrs(span)[sc.EMBEDDINGS_DIMENSION_COUNT] == 2
    assert attrs(span)[sc.REQUEST_ENCODING_FORMATS] == ("float",)


async def test_embed_many_is_one_span_per_batch(otel: Recorded) -> None:
    app = otel.tracer_provider.get_tracer("app")
    values = [f"text {i}" for i in range(10)]
    with ReplayServer(handler=handler()) as server, app.start_as_current_span("app") as outer:
        result = await embed_many(
            model="rec:m",
            values=values,
            max_batch_size=3,
            max_parallel=4,
            registry=_registry(server),
            telemetry=otel.telemetry(function_id="index.build"),
        )
        port = _port(server)
    assert len(result.embeddings) == 10
    spans = [s for s in otel.spans() if s.name != "app"]
    assert [s.name for s in spans] == ["embeddings m"] * 4  # no outer span without agent_name
    for span in spans:  # siblings under the caller's span, whichever task sent them
        assert span.kind is SpanKind.CLIENT
        assert parent_id(span) == outer.get_span_context().span_id
        assert attrs(span)[sc.FUNCTION_ID] == "index.build"
        assert attrs(span)[sc.EMBEDDINGS_DIMENSION_COUNT] == 4
    assert sorted(_input_tokens(s) for s in spans) == [1, 3, 3, 3]
    (duration,) = otel.points(sc.OPERATION_DURATION)  # function_id is not a metric attribute
    assert attrs(duration) == {**_base(port), sc.RESPONSE_MODEL: "m-2025"}
    assert duration.count == 4
    (tokens,) = otel.points(sc.TOKEN_USAGE)
    assert (tokens.count, tokens.sum) == (4, 10)


async def test_an_empty_list_records_nothing(otel: Recorded) -> None:
    result = await embed_many(model="openai:m", values=[], telemetry=otel.telemetry())
    assert result.embeddings == []
    assert otel.spans() == []
    assert otel.points(sc.OPERATION_DURATION) == []


async def test_agent_name_wraps_the_requests_in_invoke_agent(otel: Recorded) -> None:
    app = otel.tracer_provider.get_tracer("app")
    values = [f"text {i}" for i in range(5)]
    with ReplayServer(handler=handler()) as server, app.start_as_current_span("app") as outer:
        await embed_many(
            model="rec:m",
            values=values,
            max_batch_size=2,
            registry=_registry(server),
            telemetry=otel.telemetry(agent_name="Indexer"),
        )
        port = _port(server)
    root = otel.span("invoke_agent Indexer")
    assert root.kind is SpanKind.INTERNAL
    assert parent_id(root) == outer.get_span_context().span_id
    assert attrs(root) == {
        **_base(port, "invoke_agent"),
        sc.AGENT_NAME: "Indexer",
        sc.USAGE_INPUT_TOKENS: 5,
    }
    requests = [s for s in otel.spans() if s.name == "embeddings m"]
    assert len(requests) == 3
    assert {parent_id(s) for s in requests} == {span_id(root)}
    durations = {attrs(p)[sc.OPERATION_NAME]: p for p in otel.points(sc.OPERATION_DURATION)}
    assert durations["embeddings"].count == 3
    assert attrs(durations["invoke_agent"]) == {
        **_base(port, "invoke_agent"),
        sc.RESPONSE_MODEL: "m-2025",
    }
    (tokens,) = otel.points(sc.TOKEN_USAGE)  # per request only: never counted twice
    assert tokens.sum == 5


async def test_a_provider_error_sets_error_status(otel: Recorded) -> None:
    with ReplayServer(handler=handler(fail_on="hello")) as server:
        port = _port(server)
        with pytest.raises(AuthenticationError):
            await embed(
                model="rec:m",
                value="hello",
                retry=0,
                registry=_registry(server),
                telemetry=otel.telemetry(agent_name="Indexer"),
            )
    request = otel.span("embeddings m")
    root = otel.span("invoke_agent Indexer")
    for span in (request, root):
        assert span.status.status_code is StatusCode.ERROR
        assert attrs(span)[sc.ERROR_TYPE] == "AuthenticationError"
        assert sc.USAGE_INPUT_TOKENS not in attrs(span)
    assert parent_id(request) == span_id(root)
    by_operation = {attrs(p)[sc.OPERATION_NAME]: p for p in otel.points(sc.OPERATION_DURATION)}
    assert attrs(by_operation["embeddings"]) == {
        **_base(port),
        sc.ERROR_TYPE: "AuthenticationError",
    }
    assert attrs(by_operation["invoke_agent"])[sc.ERROR_TYPE] == "AuthenticationError"
    assert otel.points(sc.TOKEN_USAGE) == []


async def test_a_failing_batch_cancels_its_siblings(otel: Recorded) -> None:
    """The failed batch's span is an error; the batches in flight, cancelled by llmkit, end
    with ``llmkit.stop_reason`` and no metric; the call's error is on ``invoke_agent``."""
    values = ["a0", "a1", "bad", "a3", "a4", "a5"]
    with (
        ReplayServer(handler=handler(fail_on="bad", slow=True)) as server,
        pytest.raises(EmbeddingBatchError),
    ):
        await embed_many(
            model="rec:m",
            values=values,
            max_batch_size=2,
            max_parallel=3,
            retry=0,
            registry=_registry(server),
            telemetry=otel.telemetry(agent_name="Indexer"),
        )
    root = otel.span("invoke_agent Indexer")
    assert root.status.status_code is StatusCode.ERROR
    assert attrs(root)[sc.ERROR_TYPE] == "EmbeddingBatchError"
    requests = [s for s in otel.spans() if s.name == "embeddings m"]
    assert len(requests) == 3
    assert {parent_id(s) for s in requests} == {span_id(root)}
    failed = [s for s in requests if s.status.status_code is StatusCode.ERROR]
    assert [attrs(s)[sc.ERROR_TYPE] for s in failed] == ["AuthenticationError"]
    stopped = [s for s in requests if s not in failed]
    for span in stopped:
        assert attrs(span)[sc.STOP_REASON] == "cancelled"
        assert span.status.status_code is StatusCode.UNSET
        assert sc.ERROR_TYPE not in attrs(span)
    by_operation = {attrs(p)[sc.OPERATION_NAME]: p for p in otel.points(sc.OPERATION_DURATION)}
    assert by_operation["embeddings"].count == 1  # the failed one only
    assert attrs(by_operation["embeddings"])[sc.ERROR_TYPE] == "AuthenticationError"


async def test_a_fallback_answer(otel: Recorded) -> None:
    with (
        ReplayServer(handler=handler(fail_on="hello", status=503)) as failing,
        ReplayServer(handler=handler()) as working,
    ):
        registry = ProviderRegistry(
            [failing.provider("rec", "openai-chat"), working.provider("backup", "openai-chat")]
        )
        await embed(
            model="rec:m",
            value="hello",
            retry=0,
            fallback_models=["backup:m2"],
            registry=registry,
            telemetry=otel.telemetry(),
        )
    (span,) = otel.spans()
    assert span.status.status_code is StatusCode.UNSET
    assert attrs(span)[sc.REQUEST_MODEL] == "m"
    assert attrs(span)[sc.ANSWERED_BY] == "backup:m2"
    assert attrs(span)[sc.ATTEMPTS] == 2


async def test_gemini_without_usage_or_encoding(otel: Recorded) -> None:
    """Attributes the answer does not give are left out, never 0."""

    def gemini(request: RecordedRequest) -> ReplayResponse:
        payload = request.json()
        assert isinstance(payload, dict)
        return ReplayResponse.json({"embeddings": [{"values": [1.0, 2.0]}]})

    with ReplayServer(handler=gemini) as server:
        provider = server.provider("google", "google-generative", base_url=f"{server.url}/v1beta")
        await embed_many(
            model="google:gemini-embedding-001",
            values=["hi"],
            registry=ProviderRegistry([provider]),
            telemetry=otel.telemetry(),
        )
        port = _port(server)
    (span,) = otel.spans()
    assert span.name == "embeddings gemini-embedding-001"
    assert attrs(span) == {
        sc.OPERATION_NAME: "embeddings",
        sc.PROVIDER_NAME: "gcp.gemini",
        sc.REQUEST_MODEL: "gemini-embedding-001",
        sc.SERVER_ADDRESS: "127.0.0.1",
        sc.SERVER_PORT: port,
        sc.EMBEDDINGS_DIMENSION_COUNT: 2,
    }
    assert otel.points(sc.TOKEN_USAGE) == []


async def test_the_texts_are_never_recorded(otel: Recorded) -> None:
    with ReplayServer(handler=handler()) as server:
        await embed(
            model="rec:m",
            value=SECRET_TEXT,
            registry=_registry(server),
            telemetry=otel.telemetry(record_content=True),
        )
    (span,) = otel.spans()
    assert sc.INPUT_MESSAGES not in attrs(span)
    assert "4711" not in otel.everything()


def test_the_sync_forms_nest_under_the_callers_span(otel: Recorded) -> None:
    app = otel.tracer_provider.get_tracer("app")
    with ReplayServer(handler=handler()) as server, app.start_as_current_span("script") as script:
        telemetry = otel.telemetry()
        embed_sync(model="rec:m", value="one", registry=_registry(server), telemetry=telemetry)
        embed_many_sync(
            model="rec:m", values=["two", "three"], registry=_registry(server), telemetry=telemetry
        )
    spans = [s for s in otel.spans() if s.name == "embeddings m"]
    assert len(spans) == 2
    for span in spans:  # the calls ran on llmkit's loop thread, under the caller's span
        assert parent_id(span) == script.get_span_context().span_id
    assert sorted(_input_tokens(s) for s in spans) == [1, 2]


async def test_instrument_traces_embeddings_unless_they_opt_out(otel: Recorded) -> None:
    try:
        instrument(otel.telemetry(function_id="everywhere"))
        with ReplayServer(handler=handler()) as server:
            registry = _registry(server)
            await embed(model="rec:m", value="traced", registry=registry)
            await embed_many(model="rec:m", values=["traced"], registry=registry)
            await embed(model="rec:m", value="untraced", registry=registry, telemetry=False)
    finally:
        uninstrument()
    spans = otel.spans()
    assert len(spans) == 2
    assert {attrs(s)[sc.FUNCTION_ID] for s in spans} == {"everywhere"}


async def test_a_wrong_telemetry_value_fails_before_any_request() -> None:
    with ReplayServer(handler=handler()) as server:
        with pytest.raises(InvalidArgumentError, match="telemetry="):
            await embed(
                model="rec:m",
                value="x",
                registry=_registry(server),
                telemetry="yes",  # type: ignore[arg-type]
            )
        assert server.requests == []


def test_embeddings_is_a_well_known_operation() -> None:
    from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as ga

    assert sc.EMBEDDINGS in {v.value for v in ga.GenAiOperationNameValues}
    assert sc.EMBEDDINGS_DIMENSION_COUNT == ga.GEN_AI_EMBEDDINGS_DIMENSION_COUNT
    assert sc.REQUEST_ENCODING_FORMATS == ga.GEN_AI_REQUEST_ENCODING_FORMATS
