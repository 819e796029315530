"""google-generative, sans-IO: every recorded Gemini stream and body through the protocol, checked
against the manifest (mapped to llmkit's terms in tests/expected.py) and against what the recorded
bytes say about signatures, ids, sources and built-in tools; plus the documented shapes no
recording has (SAFETY, MALFORMED_FUNCTION_CALL, a blocked prompt, an in-band error)."""

from __future__ import annotations

import json
from typing import Any

import fixture_util
import pytest
from expected import actual_summary, check_conformance, expected_summary
from httpx_sse import ServerSentEvent

from llmkit.errors import InvalidResponseError, OverloadedError, RateLimitError, StreamError
from llmkit.protocols import get_protocol, run_sse
from llmkit.providers.config import ProviderConfig
from llmkit.types.events import StreamEvent

PROTOCOL = get_protocol("google-generative")
PROVIDER = ProviderConfig(
    id="gem", protocol="google-generative", base_url="https://generativelanguage.example/v1beta"
)
SSE = fixture_util.entries("google-generative", "sse")
JSON = fixture_util.entries("google-generative", "json")


def stream(entry: dict[str, Any]) -> list[StreamEvent]:
    return run_sse(PROTOCOL, PROVIDER, fixture_util.decode_sse(fixture_util.body(entry)))


def chunks(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The recorded GenerateContentResponse objects (a body is one)."""
    raw = fixture_util.body(entry)
    if entry["kind"] == "json":
        return [json.loads(raw)]
    return [json.loads(sse.data) for sse in fixture_util.decode_sse(raw)]


def recorded_parts(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        part
        for chunk in chunks(entry)
        for candidate in chunk.get("candidates", [])
        if candidate.get("index", 0) == 0
        for part in candidate.get("content", {}).get("parts", [])
    ]


def events_of(entry: dict[str, Any]) -> list[StreamEvent]:
    if entry["kind"] == "json":
        return PROTOCOL.parse_response(fixture_util.body(entry), PROVIDER)
    return stream(entry)


OK = [*SSE, *(e for e in JSON if e["http_status"] == 200)]


def test_inventory() -> None:
    assert len(SSE) == 22
    assert len(OK) == 32


@pytest.mark.parametrize("entry", OK, ids=fixture_util.fixture_id)
def test_matches_the_manifest(entry: dict[str, Any]) -> None:
    events = events_of(entry)
    check_conformance(events)
    assert actual_summary(events) == expected_summary(entry)


@pytest.mark.parametrize("entry", OK, ids=fixture_util.fixture_id)
def test_every_signature_is_kept_on_its_part(entry: dict[str, Any]) -> None:
    """Each recorded thoughtSignature appears once, byte for byte, on the event of the part it
    came with (a text block, a reasoning block, or a call)."""
    expected: list[tuple[str, str]] = []
    for part in recorded_parts(entry):
        signature = part.get("thoughtSignature")
        if signature is None:
            continue
        if "functionCall" in part or "executableCode" in part or "toolCall" in part:
            expected.append(("tool_call", signature))
        elif "toolResponse" in part or "codeExecutionResult" in part:
            continue  # results are not replayed: see the module doc of .parts
        else:
            expected.append(("reasoning_end" if part.get("thought") else "text_end", signature))
    kept = [
        (e.type, e.provider_metadata["google"]["thoughtSignature"])
        for e in events_of(entry)
        if e.type in ("text_end", "reasoning_end", "tool_call")
        and e.provider_metadata
        and "thoughtSignature" in e.provider_metadata.get("google", {})
    ]
    assert kept == expected
    stats = entry.get("stream_stats") or {}
    assert len([s for s in expected]) + _result_signatures(entry) == stats.get(
        "thought_signatures", 0
    )


def _result_signatures(entry: dict[str, Any]) -> int:
    return sum(
        1
        for p in recorded_parts(entry)
        if "thoughtSignature" in p and ("toolResponse" in p or "codeExecutionResult" in p)
    )


def test_a_signed_empty_trailing_part_is_its_own_text_block() -> None:
    (entry,) = [e for e in SSE if "35flash-text-trailing-signature" in e["file"]]
    events = stream(entry)
    ends = [e for e in events if e.type == "text_end"]
    assert len(ends) == 2
    assert ends[0].provider_metadata is None  # "2", unsigned
    assert ends[1].provider_metadata is not None  # the empty part with the signature
    deltas = [e for e in events if e.type == "text_delta"]
    assert [(d.id, d.delta) for d in deltas] == [(ends[0].id, "2")]


def test_function_call_ids_are_gemini_s_or_generated() -> None:
    by_file = {fixture_util.fixture_id(e): e for e in SSE}
    with_ids = stream(by_file["gemini-google-generative-35flash-parallel-function-calls"])
    calls = [e for e in with_ids if e.type == "tool_call"]
    assert [c.tool_call_id for c in calls] == ["0b3pdf3o", "brynwdxm"]
    # the signature came on the first call only, and stays there
    assert calls[0].provider_metadata is not None and calls[1].provider_metadata is None
    without = stream(by_file["gemini-google-generative-20flash-parallel-function-calls"])
    response_id = chunks(by_file["gemini-google-generative-20flash-parallel-function-calls"])[0][
        "responseId"
    ]
    ids = [e.tool_call_id for e in without if e.type == "tool_call"]
    assert ids == [f"call_{response_id}_0", f"call_{response_id}_1"]
    # whole calls: start, one delta (the args), end, tool_call, in that order
    kinds = [e.type for e in without if e.type.startswith("tool")]
    assert kinds == ["tool_input_start", "tool_input_delta", "tool_input_end", "tool_call"] * 2


def test_code_execution_is_provider_executed() -> None:
    (entry,) = [e for e in SSE if "code-execution" in e["file"]]
    events = stream(entry)
    (call,) = [e for e in events if e.type == "tool_call"]
    (result,) = [e for e in events if e.type == "tool_result"]
    server = entry["expected"]["server_tool_calls"][0]
    assert (call.tool_call_id, call.tool_name, dict(call.args)) == (
        server["id"],
        server["name"],
        server["arguments"],
    )
    assert call.provider_executed and result.provider_executed
    assert result.tool_call_id == call.tool_call_id and not result.is_error
    assert result.result == {"outcome": "OUTCOME_OK", "output": "-428330955.97745\n"}
    assert actual_summary(events)["tool_calls"] == []  # not a client call


def test_built_in_search_parts_and_grounding_sources() -> None:
    (entry,) = [e for e in SSE if "search-tool-call-parts" in e["file"]]
    events = stream(entry)
    (call,) = [e for e in events if e.type == "tool_call"]
    assert (call.tool_name, call.provider_executed) == ("GOOGLE_SEARCH_WEB", True)
    (result,) = [e for e in events if e.type == "tool_result"]
    assert result.tool_call_id == call.tool_call_id and result.tool_name == "GOOGLE_SEARCH_WEB"
    grounding = chunks(entry)[-1]["candidates"][0]["groundingMetadata"]
    uris = [c["web"]["uri"] for c in grounding["groundingChunks"]]
    sources = [e for e in events if e.type == "source"]
    assert [s.url for s in sources] == list(dict.fromkeys(uris))
    assert sources[0].title == grounding["groundingChunks"][0]["web"]["title"]
    finish = events[-1]
    assert finish.type == "finish"
    assert finish.provider_metadata["google"]["groundingMetadata"] == grounding  # type: ignore[index]


@pytest.mark.parametrize(
    "entry", [e for e in OK if "grounding-metadata" in e["features"]], ids=fixture_util.fixture_id
)
def test_grounding_chunks_become_sources(entry: dict[str, Any]) -> None:
    uris = [
        chunk[kind]["uri"]
        for c in chunks(entry)
        for cand in c.get("candidates", [])
        for chunk in cand.get("groundingMetadata", {}).get("groundingChunks", [])
        for kind in ("web", "retrievedContext")
        if kind in chunk
    ]
    assert uris
    assert [e.url for e in events_of(entry) if e.type == "source"] == list(dict.fromkeys(uris))


def test_cached_content_tokens_are_inside_input() -> None:
    (entry,) = [e for e in JSON if "cached-content-tokens" in e["file"]]
    usage = PROTOCOL.parse_response(fixture_util.body(entry), PROVIDER)[-1].usage  # type: ignore[union-attr]
    raw = entry["expected"]["usage"]
    assert usage.input_tokens == raw["promptTokenCount"] == 3797
    assert usage.cache_read_tokens == raw["cachedContentTokenCount"] == 3055
    assert usage.output_tokens == raw["candidatesTokenCount"] + raw["thoughtsTokenCount"]
    assert usage.reasoning_tokens == raw["thoughtsTokenCount"]
    assert usage.total_tokens == raw["totalTokenCount"]
    assert usage.cache_write_tokens is None


def test_a_missing_count_stays_none() -> None:
    (entry,) = [e for e in JSON if "20flash-empty-text-after-tool" in e["file"]]
    usage = PROTOCOL.parse_response(fixture_util.body(entry), PROVIDER)[-1].usage  # type: ignore[union-attr]
    assert (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens) == (171, None, None)


def test_the_last_usage_metadata_wins_whole() -> None:
    (entry,) = [e for e in SSE if "search-tool-call-parts" in e["file"]]
    usage = stream(entry)[-1].usage  # type: ignore[union-attr]
    # the last chunk has no candidatesTokenCount: output is the thoughts alone, not an
    # earlier chunk's candidates count
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (87, 78, 165)


def test_vertex_create_time_and_model() -> None:
    (entry,) = [e for e in SSE if e["provider"] == "vertex"]
    meta = stream(entry)[0]
    assert meta.type == "response_metadata"
    assert meta.model_id == "gemini-3-flash-preview"
    assert meta.created is not None and meta.created.isoformat().startswith("2026-03-21T18:11:55")


# ---------------------------------------------------------------------------- documented shapes
def sse(*objects: object) -> list[ServerSentEvent]:
    return [ServerSentEvent(data=json.dumps(o)) for o in objects]


def chunk(parts: list[dict[str, Any]], **candidate: Any) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"parts": parts, "role": "model"}, **candidate}],
        "responseId": "r1",
        "modelVersion": "gemini-x",
    }


@pytest.mark.parametrize(
    ("raw", "unified"),
    [
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("MAX_TOKENS", "length"),
        ("LANGUAGE", "other"),
        ("SOMETHING_NEW", "other"),
    ],
)
def test_finish_reasons(raw: str, unified: str) -> None:
    events = run_sse(PROTOCOL, PROVIDER, sse(chunk([{"text": "x"}], finishReason=raw)))
    finish = events[-1]
    assert finish.type == "finish"
    assert (finish.finish_reason, finish.raw_finish_reason) == (unified, raw)


def test_stop_with_calls_is_tool_calls_but_max_tokens_stays_length() -> None:
    call = {"functionCall": {"name": "f", "args": {"a": 1}}}
    stop = run_sse(PROTOCOL, PROVIDER, sse(chunk([call], finishReason="STOP")))[-1]
    length = run_sse(PROTOCOL, PROVIDER, sse(chunk([call], finishReason="MAX_TOKENS")))[-1]
    assert stop.finish_reason == "tool_calls"  # type: ignore[union-attr]
    assert length.finish_reason == "length"  # type: ignore[union-attr]


def test_a_blocked_prompt_is_a_content_filter_finish() -> None:
    body = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": "gemini-x",
    }
    for events in (
        run_sse(PROTOCOL, PROVIDER, sse(body)),
        PROTOCOL.parse_response(json.dumps(body).encode(), PROVIDER),
    ):
        check_conformance(events)
        finish = events[-1]
        assert finish.type == "finish"
        assert (finish.finish_reason, finish.raw_finish_reason) == (
            "content_filter",
            "PROHIBITED_CONTENT",
        )
        assert finish.usage.input_tokens == 12 and finish.usage.output_tokens is None
        assert finish.provider_metadata == {"google": {"promptFeedback": body["promptFeedback"]}}


def test_a_stream_without_finish_reason_is_truncated() -> None:
    with pytest.raises(StreamError, match="truncated"):
        run_sse(PROTOCOL, PROVIDER, sse(chunk([{"text": "Hel"}])))


def test_an_in_band_error_is_typed() -> None:
    error = {
        "error": {
            "code": 429,
            "message": "Quota exceeded.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}],
        }
    }
    state = PROTOCOL.new_state(PROVIDER)
    assert PROTOCOL.parse_event(state, sse(chunk([{"text": "Hi"}]))[0])
    with pytest.raises(StreamError) as info:
        PROTOCOL.parse_event(state, sse(error)[0])
    assert isinstance(info.value, RateLimitError)
    assert "Quota exceeded." in str(info.value) and info.value.error_type == "RESOURCE_EXHAUSTED"


def test_a_signed_thought_keeps_its_signature_and_consecutive_thoughts_merge() -> None:
    events = run_sse(
        PROTOCOL,
        PROVIDER,
        sse(
            chunk([{"text": "a", "thought": True}]),
            chunk([{"text": "b", "thought": True}]),
            chunk([{"text": "c", "thought": True, "thoughtSignature": "c2ln"}]),
            chunk([{"text": "Answer"}], finishReason="STOP"),
        ),
    )
    check_conformance(events)
    ends = [e for e in events if e.type == "reasoning_end"]
    assert [e.provider_metadata for e in ends] == [
        {"google": {"thought": True}},
        {"google": {"thought": True, "thoughtSignature": "c2ln"}},
    ]
    assert [e.signature for e in ends] == [None, None]  # never an Anthropic signature
    deltas = [(e.id, e.delta) for e in events if e.type == "reasoning_delta"]
    assert deltas == [(ends[0].id, "a"), (ends[0].id, "b"), (ends[1].id, "c")]


@pytest.mark.parametrize(
    "bad",
    [
        chunk([{"text": 5}]),
        chunk([{"functionCall": {"name": 3}}]),
        chunk([{"functionCall": {"name": "f", "args": [1]}}]),
        chunk([{"text": "x", "thoughtSignature": 1}]),
        {"candidates": {"0": {}}},
        chunk([], finishReason=7),
        [1, 2],
    ],
)
def test_unusable_shapes_are_invalid_response_errors(bad: object) -> None:
    with pytest.raises(InvalidResponseError):
        run_sse(PROTOCOL, PROVIDER, sse(bad))


def test_non_streamed_error_body_with_200_raises_its_class() -> None:
    body = json.dumps({"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}})
    with pytest.raises(OverloadedError) as info:
        PROTOCOL.parse_response(body.encode(), PROVIDER)
    assert (info.value.status_code, info.value.message) == (503, "busy")
    with pytest.raises(InvalidResponseError):
        PROTOCOL.parse_response(b'{"something": 1}', PROVIDER)
