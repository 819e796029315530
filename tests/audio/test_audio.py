"""Speech and transcription (issue 10 part 3): every recorded body through its protocol
(sans-IO) and through the public calls over a loopback ReplayServer, async and sync, checked
against the manifest's expected values; the multipart upload as the server received it; the
streamed CRLF transcript; error bodies."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from httpx_sse import ServerSentEvent

from llmkit.audio import (
    GenerateSpeechResult,
    Segment,
    TranscriptionResult,
    generate_speech,
    generate_speech_sync,
    stream_speech,
    stream_speech_sync,
    stream_transcription,
    stream_transcription_sync,
    transcribe,
    transcribe_sync,
)
from llmkit.audio.protocols import (
    OpenAISpeechProtocol,
    OpenAITranscriptionProtocol,
    SpeechOptions,
    TranscriptionOptions,
    TranscriptionState,
    get_speech_protocol,
    register_speech_protocol,
    speech_protocol_for,
    transcription_protocol_for,
)
from llmkit.errors import (
    ConfigurationError,
    InvalidArgumentError,
    InvalidResponseError,
    NotFoundError,
    StreamError,
    UnsupportedFeatureError,
)
from llmkit.providers.config import ProviderConfig
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing import ReplayResponse, ReplayServer
from llmkit.testing.replay import RecordedRequest, random_chunks
from llmkit.transport.sse import SSEDecoder

HERE = Path(__file__).parent
FIXTURES = HERE.parent / "fixtures"
MANIFEST: list[dict[str, Any]] = json.loads((HERE / "MANIFEST.audio.json").read_text())["files"]
SPEECH = [e for e in MANIFEST if e["protocol"] == "openai-speech"]
TRANSCRIPTIONS = [e for e in MANIFEST if e["protocol"] == "openai-transcriptions"]
AUDIO = (FIXTURES / SPEECH[0]["file"]).read_bytes()  # a real MP3 to upload
ERROR_404 = FIXTURES / "json/openai-openai-chat-error-404-model-not-found.json"


def _id(entry: dict[str, Any]) -> str:
    return Path(entry["file"]).stem


def _body(entry: dict[str, Any]) -> bytes:
    path: Path = FIXTURES / entry["file"]
    return path.read_bytes()


def _response(entry: dict[str, Any], **kwargs: Any) -> ReplayResponse:
    return ReplayResponse(
        _body(entry), content_type=entry["content_type"] or "application/octet-stream", **kwargs
    )


def _registry(server: ReplayServer, provider_id: str = "openai", **fields: Any) -> ProviderRegistry:
    return ProviderRegistry([server.provider(provider_id, "openai-chat", **fields)])


def _form(request: RecordedRequest) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The multipart body as an independent parser (the stdlib email package) reads it:
    (text fields, {"name", "filename", "content_type", "data"} of the file part)."""
    ctype = request.headers.get("content-type") or request.headers.get("Content-Type")
    assert ctype is not None and ctype.startswith("multipart/form-data; boundary=")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + request.body
    )
    assert message.is_multipart()
    fields: dict[str, list[str]] = {}
    file: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if filename is not None:
            file = {
                "name": name,
                "filename": filename,
                "content_type": part.get_content_type(),
                "data": data,
            }
        else:
            fields.setdefault(str(name), []).append(data.decode())
    return fields, file


def _check_transcription(result: TranscriptionResult, entry: dict[str, Any]) -> None:
    expected = entry["expected"]
    assert result.text == expected["text"]
    assert len(result.segments) == (expected["segments"] or 0)
    assert len(result.words) == (expected["words"] or 0)
    if expected["usage"] is None:
        assert result.usage is None
    else:
        assert result.usage is not None
        assert dict(result.usage.raw) == expected["usage"]


# ---------------------------------------------------------------------------- fixtures intact
@pytest.mark.parametrize("entry", MANIFEST, ids=_id)
def test_fixture_bytes_unchanged(entry: dict[str, Any]) -> None:
    data = _body(entry)
    assert len(data) == entry["bytes"]
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_manifest_counts() -> None:
    assert len(SPEECH) == 3 and len(TRANSCRIPTIONS) == 8


# ---------------------------------------------------------------------------- speech, sans-IO
def _speech_options(entry: dict[str, Any]) -> SpeechOptions:
    req = entry["request"]
    return SpeechOptions("Hello", req["voice"], format=req.get("response_format"))


@pytest.mark.parametrize("entry", SPEECH, ids=_id)
def test_speech_protocol_reads_recorded_body(entry: dict[str, Any]) -> None:
    audio, media, usage = OpenAISpeechProtocol().parse_response(
        _body(entry), entry["content_type"], _speech_options(entry)
    )
    assert len(audio) == entry["expected"]["bytes"]
    assert media == "audio/mpeg"  # the JSON-wrapped one holds an MP3 too (ID3 tag)
    assert usage is None
    if entry["kind"] == "binary":
        assert audio == _body(entry)
        assert entry["expected"]["content_type"] == "audio/mpeg"
    else:
        assert audio[:3] == b"ID3"


def test_speech_request_body() -> None:
    provider = ProviderConfig(id="openai", protocol="openai-chat", base_url="https://x.test/v1/")
    options = SpeechOptions("Hi", "alloy", "opus", 1.5, "calm", {"stream_format": "audio"})
    built = OpenAISpeechProtocol().build_request(provider, "gpt-4o-mini-tts", options)
    assert built.url == "https://x.test/v1/audio/speech"
    assert built.body == {
        "model": "gpt-4o-mini-tts",
        "input": "Hi",
        "voice": "alloy",
        "response_format": "opus",
        "speed": 1.5,
        "instructions": "calm",
        "stream_format": "audio",
    }
    groq = ProviderConfig(id="groq", protocol="openai-chat", base_url="https://g.test/openai/v1")
    built = OpenAISpeechProtocol().build_request(groq, "playai-tts", SpeechOptions("Hi", "Fritz"))
    assert built.body["response_format"] == "wav"  # Groq's quirk, as data


def test_speech_json_without_audio_is_invalid() -> None:
    with pytest.raises(InvalidResponseError):
        OpenAISpeechProtocol().parse_response(
            b'{"nothing": 1}', "application/json", SpeechOptions("a", "b")
        )


# ---------------------------------------------------------------------------- speech, e2e
@pytest.mark.parametrize("entry", SPEECH, ids=_id)
async def test_generate_speech_end_to_end(entry: dict[str, Any]) -> None:
    req = entry["request"]
    with ReplayServer([_response(entry, chunking=random_chunks(7, 4096))]) as server:
        result = await generate_speech(
            model=f"openai:{req['model']}",
            text="Hello from llmkit",
            voice=req["voice"],
            format=req.get("response_format"),
            speed=1.25,
            instructions="cheerful",
            registry=_registry(server),
        )
    assert isinstance(result, GenerateSpeechResult)
    assert len(result.audio) == entry["expected"]["bytes"]
    assert result.media_type == "audio/mpeg"
    assert result.response["content_type"] == entry["content_type"]
    assert result.response["model"] == f"openai:{req['model']}"
    (sent,) = server.requests
    assert sent.path == "/v1/audio/speech"
    body = sent.json()
    assert isinstance(body, dict)
    assert body["model"] == req["model"] and body["voice"] == req["voice"]
    assert body["input"] == "Hello from llmkit"
    assert body["speed"] == 1.25 and body["instructions"] == "cheerful"


@pytest.mark.parametrize("entry", SPEECH, ids=_id)
def test_generate_speech_sync(entry: dict[str, Any]) -> None:
    with ReplayServer([_response(entry)]) as server:
        result = generate_speech_sync(
            model="openai:" + entry["request"]["model"],
            text="Hi",
            voice="alloy",
            registry=_registry(server),
        )
    assert len(result.audio) == entry["expected"]["bytes"]


async def test_stream_speech_yields_the_bytes_as_they_arrive() -> None:
    entry = SPEECH[0]
    with ReplayServer([_response(entry, chunking=4096)]) as server:
        chunks = [
            c
            async for c in stream_speech(
                model="openai:gpt-4o-mini-tts", text="Hi", voice="alloy", registry=_registry(server)
            )
        ]
    assert b"".join(chunks) == _body(entry)
    assert len(chunks) > 1


def test_stream_speech_sync_json_wrapped() -> None:
    entry = next(e for e in SPEECH if e["kind"] == "json")
    with ReplayServer([_response(entry, chunking=1000)]) as server:
        chunks = list(
            stream_speech_sync(
                model="mistral:voxtral-mini-tts-latest",
                text="Hi",
                voice="en_paul_neutral",
                registry=_registry(server, "mistral"),
            )
        )
    assert len(b"".join(chunks)) == entry["expected"]["bytes"]


async def test_speech_default_model_and_error_body() -> None:
    error = ReplayResponse(ERROR_404.read_bytes(), status=404, content_type="application/json")
    with ReplayServer([error]) as server, pytest.raises(NotFoundError) as info:
        await generate_speech(
            model="openai", text="Hi", voice="alloy", registry=_registry(server), retry=0
        )
    assert info.value.provider_id == "openai"
    assert info.value.model_id == "gpt-4o-mini-tts"  # the built-in default speech model
    assert server.requests[0].json()["model"] == "gpt-4o-mini-tts"  # type: ignore[index]


async def test_speech_fallback_model_after_a_retryable_error() -> None:
    entry = SPEECH[0]
    busy = ReplayResponse.json({"error": {"message": "busy", "type": "server_error"}}, status=503)
    with ReplayServer([busy, _response(entry)]) as server:
        result = await generate_speech(
            model="openai:tts-a",
            text="Hi",
            voice="alloy",
            registry=_registry(server),
            retry=0,
            fallback_models=["openai:tts-b"],
        )
    assert result.response["model"] == "openai:tts-b"
    assert result.response["attempts"] == 2
    assert [r.json()["model"] for r in server.requests] == ["tts-a", "tts-b"]  # type: ignore[index]


async def test_speech_invalid_arguments() -> None:
    with pytest.raises(InvalidArgumentError):
        await generate_speech(model="openai:x", text="", voice="alloy")
    with pytest.raises(InvalidArgumentError):
        await generate_speech(model="openai:x", text="hi", voice="alloy", speed=0)


# ------------------------------------------------------------------------ transcription, sans-IO
def _sse_parse(entry: dict[str, Any], seed: int) -> tuple[TranscriptionResult, list[str]]:
    protocol = OpenAITranscriptionProtocol()
    decoder, state, deltas = SSEDecoder(), TranscriptionState(), []
    for chunk in random_chunks(seed, 16)(_body(entry)):
        for sse in decoder.feed(chunk):
            deltas += protocol.parse_event(state, sse)
    for sse in decoder.end():
        deltas += protocol.parse_event(state, sse)
    assert state.done  # data: [DONE]
    parsed = protocol.finish(state)
    result = TranscriptionResult(parsed.text, parsed.segments, parsed.words, usage=parsed.usage)
    return result, deltas


@pytest.mark.parametrize("entry", TRANSCRIPTIONS, ids=_id)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_transcription_protocol_reads_recorded_body(entry: dict[str, Any], seed: int) -> None:
    protocol = OpenAITranscriptionProtocol()
    if entry["kind"] == "sse":
        result, deltas = _sse_parse(entry, seed)
        assert "".join(deltas) == entry["stream_stats"].get("delta_text", "")
    else:
        fmt = entry["request"].get("response_format")
        parsed = protocol.parse_response(
            _body(entry), TranscriptionOptions(b"x", response_format=fmt)
        )
        result = TranscriptionResult(
            parsed.text, parsed.segments, parsed.words, parsed.language, parsed.duration,
            parsed.usage,
        )  # fmt: skip
    _check_transcription(result, entry)


def test_transcription_details_from_the_recordings() -> None:
    protocol = OpenAITranscriptionProtocol()
    by_name = {_id(e): e for e in TRANSCRIPTIONS}
    diarized = protocol.parse_response(
        _body(by_name["openai-openai-transcriptions-gpt4o-diarize-segments"]),
        TranscriptionOptions(b"x", response_format="diarized_json"),
    )
    assert diarized.duration == 3.7
    assert diarized.segments == (
        Segment(
            0.0, 3.1499999999999995,
            " Ruby is a programming language designed for developer happiness.", "A",
        ),
    )  # fmt: skip
    assert diarized.usage is not None and diarized.usage.audio_tokens == 37
    assert diarized.usage.input_tokens == 37 and diarized.usage.output_tokens == 144
    whisper = protocol.parse_response(
        _body(by_name["openai-openai-transcriptions-whisper1-usage-duration"]),
        TranscriptionOptions(b"x"),
    )
    assert whisper.usage is not None and whisper.usage.seconds == 4.0
    assert whisper.usage.input_tokens is None
    mistral = protocol.parse_response(
        _body(by_name["mistral-openai-transcriptions-voxtral-segments-speakers"]),
        TranscriptionOptions(b"x"),
    )
    assert mistral.language is None
    assert mistral.segments[0].speaker == "speaker_1" and mistral.segments[0].start == 0.1
    assert mistral.usage is not None and mistral.usage.seconds == 3.0
    assert mistral.usage.input_tokens == 5 and mistral.usage.audio_tokens == 375


def test_verbose_json_words_and_segments() -> None:
    """verbose_json per the OpenAI reference (no recording holds one): words and segments in
    seconds, language, duration."""
    body = json.dumps(
        {
            "task": "transcribe",
            "language": "english",
            "duration": 8.47,
            "text": "The beach was a popular spot.",
            "words": [
                {"word": "The", "start": 0.0, "end": 0.24},
                {"word": "beach", "start": 0.24, "end": 0.6},
            ],
            "segments": [
                {"id": 0, "start": 0.0, "end": 3.32, "text": " The beach was a popular spot."}
            ],
            "usage": {"type": "duration", "seconds": 9},
        }
    ).encode()
    parsed = OpenAITranscriptionProtocol().parse_response(
        body, TranscriptionOptions(b"x", timestamps=("word", "segment"))
    )
    assert parsed.language == "english" and parsed.duration == 8.47
    assert [(w.word, w.start, w.end) for w in parsed.words] == [
        ("The", 0.0, 0.24),
        ("beach", 0.24, 0.6),
    ]
    assert parsed.segments[0].end == 3.32


def test_transcription_multipart_request() -> None:
    provider = ProviderConfig(id="openai", protocol="openai-chat", base_url="https://x.test/v1")
    options = TranscriptionOptions(
        b"\xff\xf3abc", "a.mp3", "audio/mpeg", "en", 'say "hi"', None, ("word", "segment"), 0.2
    )
    built = OpenAITranscriptionProtocol().build_request(provider, "whisper-1", options)
    assert built.url == "https://x.test/v1/audio/transcriptions"
    assert built.content is not None
    fields, file = _form(RecordedRequest("POST", "/", dict(built.headers), built.content))
    assert fields == {
        "model": ["whisper-1"],
        "response_format": ["verbose_json"],
        "language": ["en"],
        "prompt": ['say "hi"'],
        "temperature": ["0.2"],
        "timestamp_granularities[]": ["word", "segment"],
    }
    assert file == {
        "name": "file",
        "filename": "a.mp3",
        "content_type": "audio/mpeg",
        "data": b"\xff\xf3abc",
    }


def test_transcription_in_band_error_event() -> None:
    state = TranscriptionState()
    sse = ServerSentEvent(data='{"type": "error", "error": {"message": "audio too short"}}')
    with pytest.raises(StreamError, match="audio too short"):
        OpenAITranscriptionProtocol().parse_event(state, sse)


def test_transcription_invalid_json_body() -> None:
    with pytest.raises(InvalidResponseError):
        OpenAITranscriptionProtocol().parse_response(b'{"no_text": 1}', TranscriptionOptions(b"x"))


def test_groq_does_not_stream_transcriptions() -> None:
    groq = ProviderConfig(id="groq", protocol="openai-chat", base_url="https://g.test/openai/v1")
    with pytest.raises(UnsupportedFeatureError):
        OpenAITranscriptionProtocol().build_request(
            groq, "whisper-large-v3-turbo", TranscriptionOptions(b"x", stream=True)
        )


# ------------------------------------------------------------------------ transcription, e2e
def _call_args(entry: dict[str, Any], server: ReplayServer) -> dict[str, Any]:
    req = entry["request"]
    return {
        "model": f"{entry['provider']}:{req['model']}",
        "audio": AUDIO,
        "language": req.get("language"),
        "response_format": req.get("response_format"),
        "registry": _registry(server, entry["provider"]),
    }


def _check_upload(server: ReplayServer, entry: dict[str, Any], *, stream: bool) -> None:
    (sent,) = server.requests
    assert sent.path == "/v1/audio/transcriptions"
    fields, file = _form(sent)
    req = entry["request"]
    assert fields["model"] == [req["model"]]
    assert fields["response_format"] == [req.get("response_format") or "json"]
    if "language" in req:
        assert fields["language"] == [req["language"]]
    assert fields.get("stream") == (["true"] if stream else None)
    assert file["data"] == AUDIO
    assert file["filename"] == "audio.mp3" and file["content_type"] == "audio/mpeg"


@pytest.mark.parametrize("entry", TRANSCRIPTIONS, ids=_id)
async def test_transcribe_end_to_end(entry: dict[str, Any]) -> None:
    stream = entry["kind"] == "sse"
    with ReplayServer([_response(entry, chunking=random_chunks(5, 32))]) as server:
        result = await transcribe(**_call_args(entry, server), stream=stream)
    _check_transcription(result, entry)
    _check_upload(server, entry, stream=stream)


@pytest.mark.parametrize("entry", TRANSCRIPTIONS, ids=_id)
def test_transcribe_sync(entry: dict[str, Any]) -> None:
    stream = entry["kind"] == "sse"
    with ReplayServer([_response(entry)]) as server:
        result = transcribe_sync(**_call_args(entry, server), stream=stream)
    _check_transcription(result, entry)
    _check_upload(server, entry, stream=stream)


async def test_stream_transcription_crlf_deltas() -> None:
    entry = next(e for e in TRANSCRIPTIONS if "stream-deltas" in e["file"])
    assert b"\r\n\r\n" in _body(entry)
    with ReplayServer([_response(entry, chunking=random_chunks(11, 8))]) as server:
        deltas = [d async for d in stream_transcription(**_call_args(entry, server))]
    assert len(deltas) == entry["stream_stats"]["event_types"]["transcript.text.delta"]
    assert "".join(deltas) == entry["stream_stats"]["delta_text"]
    with ReplayServer([_response(entry, chunking=3)]) as server:
        assert (
            "".join(stream_transcription_sync(**_call_args(entry, server)))
            == (entry["expected"]["text"])
        )


@pytest.mark.parametrize("form", ["path", "file"])
async def test_transcribe_from_path_and_file(form: str, tmp_path: Path) -> None:
    entry = TRANSCRIPTIONS[0]
    path = tmp_path / "talk.wav"
    path.write_bytes(AUDIO)
    with ReplayServer([_response(entry)]) as server, path.open("rb") as handle:
        audio = path if form == "path" else handle
        args = {**_call_args(entry, server), "audio": audio}
        await transcribe(**args, timestamps="word", prompt="Ruby")
    fields, file = _form(server.requests[0])
    assert file["filename"] == "talk.wav" and file["data"] == AUDIO
    assert file["content_type"] in ("audio/wav", "audio/x-wav")
    assert fields["timestamp_granularities[]"] == ["word"]
    assert fields["prompt"] == ["Ruby"]


async def test_transcribe_default_model_error_body_and_bad_input() -> None:
    error = ReplayResponse(ERROR_404.read_bytes(), status=404, content_type="application/json")
    with ReplayServer([error]) as server, pytest.raises(NotFoundError) as info:
        await transcribe(model="openai", audio=AUDIO, registry=_registry(server), retry=0)
    assert info.value.model_id == "gpt-4o-mini-transcribe"
    assert info.value.status_code == 404
    with pytest.raises(InvalidArgumentError):
        await transcribe(model="openai:whisper-1", audio=b"")
    with pytest.raises(InvalidArgumentError):
        await transcribe(model="openai:whisper-1", audio=io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        await transcribe(model="openai:whisper-1", audio=AUDIO, timestamps="char")


async def test_transcribe_200_with_garbage_is_invalid_response() -> None:
    bad = ReplayResponse(b'{"oops": true}', content_type="application/json")
    with ReplayServer([bad]) as server, pytest.raises(InvalidResponseError) as info:
        await transcribe(model="openai:whisper-1", audio=AUDIO, registry=_registry(server))
    assert info.value.provider_id == "openai"


async def test_provider_default_models_win() -> None:
    entry = TRANSCRIPTIONS[0]
    with ReplayServer([_response(entry)]) as server:
        registry = _registry(server, "local", default_models={"transcription": "my-whisper"})
        await transcribe(model="local", audio=AUDIO, registry=registry)
    fields, _ = _form(server.requests[0])
    assert fields["model"] == ["my-whisper"]


def test_no_default_model_is_a_configuration_error() -> None:
    registry = ProviderRegistry(
        [ProviderConfig(id="x", protocol="openai-chat", base_url="https://x.test/v1")]
    )
    with pytest.raises(ConfigurationError, match="default transcription model"):
        transcribe_sync(model="x", audio=AUDIO, registry=registry)


# ---------------------------------------------------------------------------- registry
def test_protocol_registry() -> None:
    openai = ProviderConfig(id="o", protocol="openai-chat", base_url="https://x.test/v1")
    assert speech_protocol_for(openai).name == "openai-speech"
    assert transcription_protocol_for(openai).name == "openai-transcription"
    anthropic = ProviderConfig(id="a", protocol="anthropic-messages", base_url="https://x.test")
    with pytest.raises(ConfigurationError, match="no speech protocol"):
        speech_protocol_for(anthropic)

    class Loud(OpenAISpeechProtocol):
        name = "loud-speech"

    register_speech_protocol(Loud)
    assert get_speech_protocol("loud-speech").name == "loud-speech"
    custom = ProviderConfig(
        id="c",
        protocol="anthropic-messages",
        base_url="https://x.test",
        kind_protocols={"speech": "loud-speech"},
    )
    assert isinstance(speech_protocol_for(custom), Loud)
    with pytest.raises(ConfigurationError, match="unknown speech protocol"):
        get_speech_protocol("nope")
    with pytest.raises(ConfigurationError):
        register_speech_protocol(object())  # type: ignore[arg-type]


def test_import_llmkit_does_not_import_audio() -> None:
    code = "import sys, llmkit; print('llmkit.audio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------- dropped bodies
def _no_wait_retry(retries: int) -> Any:
    from llmkit.reliability.retry import RetryPolicy

    async def sleep(_delay: float) -> None:
        return None

    return RetryPolicy(max_retries=retries, initial_delay=0, jitter=0, sleep=sleep)


async def test_generate_speech_retries_a_body_cut_mid_way() -> None:
    entry = SPEECH[0]
    data = _body(entry)
    cut = ReplayResponse(data, content_type="audio/mpeg", chunking=4096, close_after=10_000)
    with ReplayServer([cut, _response(entry)]) as server:
        result = await generate_speech(
            model="openai:gpt-4o-mini-tts",
            text="Hi",
            voice="alloy",
            registry=_registry(server),
            retry=_no_wait_retry(1),
        )
    assert result.audio == data
    assert result.response["attempts"] == 2
    assert len(server.requests) == 2


async def test_stream_speech_is_not_retried_after_the_first_chunk() -> None:
    from llmkit.errors import APIConnectionError

    entry = SPEECH[0]
    data = _body(entry)
    cut = ReplayResponse(data, content_type="audio/mpeg", chunking=4096, close_after=10_000)
    received = bytearray()
    server = ReplayServer([cut, _response(entry)])
    with server, pytest.raises(APIConnectionError) as info:
        async for chunk in stream_speech(
            model="openai:gpt-4o-mini-tts",
            text="Hi",
            voice="alloy",
            registry=_registry(server),
            retry=_no_wait_retry(1),
        ):
            received += chunk
    assert len(server.requests) == 1  # the audio already handed on is never sent twice
    assert 0 < len(received) <= 10_000 and data.startswith(bytes(received))
    assert info.value.provider_id == "openai"
