"""The speech and transcription calls: resolve the model, build the request with the provider's
audio protocol, send it through the driver (credentials, concurrency gate, rate limits, retries,
fallback models, time limits) and read the answer.

Whole answers (speech, transcriptions) go through :func:`llmkit._driver.send_request`, which
reads the body inside the attempt (a body cut mid-way is retried) and returns its Content-Type.
Streamed speech and transcriptions open the response with :func:`llmkit._driver.open_request`:
retries and fallbacks happen until the response arrives, never after.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union

from llmkit._driver import (
    Connection,
    Target,
    _label,
    make_connection,
    open_request,
    resolve_target,
    send_request,
)
from llmkit.audio._types import GenerateSpeechResult, TranscriptionResult
from llmkit.audio.protocols import (
    SpeechOptions,
    TranscriptionOptions,
    TranscriptionParsed,
    TranscriptionState,
    default_model,
    guess_media_type,
    sniff_audio,
    speech_protocol_for,
    transcription_protocol_for,
)
from llmkit.errors import APIError, ConfigurationError, InvalidArgumentError
from llmkit.reliability.deadline import Timeouts

if TYPE_CHECKING:
    import httpx

    from llmkit.auth.secret import Secret
    from llmkit.protocols.base import BuiltRequest
    from llmkit.providers.inline import ModelLike
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.reliability.ratelimit import RateLimit
    from llmkit.reliability.retry import RetryPolicy

__all__ = [
    "AudioInput",
    "generate_speech",
    "generate_speech_sync",
    "stream_speech",
    "stream_speech_sync",
    "stream_transcription",
    "stream_transcription_sync",
    "transcribe",
    "transcribe_sync",
]

AudioInput = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]
"""Audio to transcribe: its bytes, a file path, or a binary file object (read to the end)."""


# ---------------------------------------------------------------------------- resolving
def _resolve(model: ModelLike, registry: ProviderRegistry | None, kind: str) -> Target:
    """``"provider:model"`` as for text; ``"provider"`` alone means the provider's default
    model for ``kind`` (its ``default_models[kind]``, else the built-in table)."""
    if isinstance(model, str):
        provider_id, _, model_id = model.partition(":")
        if not model_id:
            from llmkit.providers import default_registry

            provider = (registry or default_registry()).get(provider_id)
            chosen = default_model(provider, kind)  # type: ignore[arg-type]
            if chosen is None:
                raise ConfigurationError(
                    f"no model id in {model!r} and provider {provider_id!r} names no default "
                    f"{kind} model; write it as '{provider_id}:<model id>'"
                )
            model = f"{provider_id}:{chosen}"
    return resolve_target(model, registry)


def _connection(kind: str, registry: ProviderRegistry | None, **kw: Any) -> Connection:
    fallbacks: Sequence[ModelLike] = kw.pop("fallback_models", None) or ()
    connection = make_connection(registry=registry, **kw)
    if fallbacks:
        resolved = tuple(_resolve(m, registry, kind) for m in fallbacks)
        connection = dataclasses.replace(connection, fallbacks=resolved)
    return connection


# ---------------------------------------------------------------------------- speech
def _speech_options(
    text: str,
    voice: str,
    format: str | None,
    speed: float | None,
    instructions: str | None,
    provider_options: Mapping[str, object] | None,
    headers: Mapping[str, str] | None,
) -> SpeechOptions:
    if not isinstance(text, str) or not text:
        raise InvalidArgumentError("text must be a non-empty string: the words to speak")
    if not isinstance(voice, str) or not voice:
        raise InvalidArgumentError('voice must name a voice, e.g. voice="alloy"')
    if speed is not None and not speed > 0:
        raise InvalidArgumentError(
            f"speed must be a positive factor (OpenAI: 0.25-4.0), not {speed}"
        )
    return SpeechOptions(
        text, voice, format, speed, instructions, dict(provider_options or {}), dict(headers or {})
    )


async def generate_speech(
    *,
    model: ModelLike,
    text: str,
    voice: str,
    format: str | None = None,
    speed: float | None = None,
    instructions: str | None = None,
    provider_options: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
    api_key: str | Secret | None = None,
    http_client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
    registry: ProviderRegistry | None = None,
) -> GenerateSpeechResult:
    """Turn text into speech: one ``POST /audio/speech`` (OpenAI "Create speech").

    Args:
        model: ``"provider:model"`` (``"openai:gpt-4o-mini-tts"``), ``"provider"`` alone for its
            default speech model, or an inline :class:`~llmkit.Model`.
        text: the words to speak (OpenAI: at most 4096 characters).
        voice: the voice (``"alloy"``, ``"af_bella"``...).
        format: ``response_format`` (``mp3``, ``opus``, ``aac``, ``flac``, ``wav``, ``pcm``);
            None: the provider's default (mp3 for OpenAI, wav for Groq).
        speed: a speed factor (OpenAI: 0.25-4.0), or None.
        instructions: how to speak (tone, accent; gpt-4o-mini-tts), or None.
        provider_options: further JSON body fields, merged last.
        headers: further request headers.
        api_key, http_client, retry, timeouts, rate_limit, fallback_models, registry: as for
            :func:`llmkit.stream_text`; ``timeouts.first_event`` covers the whole body.

    Returns:
        :class:`GenerateSpeechResult`: ``audio`` bytes and their ``media_type``.

    Raises:
        InvalidArgumentError: empty text or voice, a non-positive speed.
        ConfigurationError, NoSuchProviderError: the model or the provider's speech protocol.
        APIStatusError, APIConnectionError, APITimeoutError: after retries and fallbacks.
        InvalidResponseError: a 2xx body with no audio.
    """
    options = _speech_options(text, voice, format, speed, instructions, provider_options, headers)
    target = _resolve(model, registry, "speech")
    connection = _connection(
        "speech", registry, api_key=api_key, http_client=http_client, retry=retry,
        timeouts=timeouts, rate_limit=rate_limit, fallback_models=fallback_models,
    )  # fmt: skip

    def build(candidate: Target) -> BuiltRequest:
        protocol = speech_protocol_for(candidate.provider)
        return protocol.build_request(candidate.provider, candidate.model_id, options)

    sent = await send_request(target, build, connection)
    answered, content_type = sent.target, sent.headers.get("content-type")
    protocol = speech_protocol_for(answered.provider)
    try:
        audio, media, usage = protocol.parse_response(sent.body, content_type, options)
    except APIError as exc:
        _label(exc, answered)
        raise
    info = {"model": answered.name, "attempts": sent.attempts, "content_type": content_type}
    return GenerateSpeechResult(audio, media, usage, info)


async def stream_speech(
    *,
    model: ModelLike,
    text: str,
    voice: str,
    format: str | None = None,
    speed: float | None = None,
    instructions: str | None = None,
    provider_options: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
    api_key: str | Secret | None = None,
    http_client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
    registry: ProviderRegistry | None = None,
) -> AsyncIterator[bytes]:
    """Speech as it arrives: an async iterator of audio byte chunks (network-sized).

    Takes the arguments of :func:`generate_speech`. Retries and fallbacks happen before the
    first chunk is yielded, never after; ``timeouts.idle`` limits the wait between chunks. A
    provider that wraps its audio in JSON (Mistral) is read whole, decoded, and yielded as one
    chunk. Closing the iterator early closes the HTTP response.

    Raises:
        LLMKitError: the errors of :func:`generate_speech` (InvalidArgumentError,
            ConfigurationError, APIStatusError, APIConnectionError, APITimeoutError,
            InvalidResponseError).
    """
    options = _speech_options(text, voice, format, speed, instructions, provider_options, headers)
    target = _resolve(model, registry, "speech")
    connection = _connection(
        "speech", registry, api_key=api_key, http_client=http_client, retry=retry,
        timeouts=timeouts, rate_limit=rate_limit, fallback_models=fallback_models,
    )  # fmt: skip

    def build(candidate: Target) -> BuiltRequest:
        protocol = speech_protocol_for(candidate.provider)
        return protocol.build_request(candidate.provider, candidate.model_id, options)

    async with open_request(target, build, connection) as opened:
        protocol = speech_protocol_for(opened.target.provider)
        content_type = opened.response.headers.get("content-type")
        if protocol.streams_raw(content_type):
            async for chunk in opened.chunks:
                yield chunk
        else:
            body = b"".join([chunk async for chunk in opened.chunks])
            audio, _media, _usage = protocol.parse_response(body, content_type, options)
            yield audio


# ---------------------------------------------------------------------------- transcription
def _read_audio(audio: AudioInput, filename: str | None) -> tuple[bytes, str]:
    if isinstance(audio, (bytes, bytearray, memoryview)):
        data = bytes(audio)
        if filename is None:
            sniffed = sniff_audio(data)
            ext = {"audio/mpeg": "mp3", "audio/wav": "wav", "audio/ogg": "ogg"}.get(
                sniffed or "", "flac" if sniffed == "audio/flac" else "mp3"
            )
            filename = f"audio.{ext}"
        return data, filename
    if isinstance(audio, (str, os.PathLike)):
        path = Path(audio)
        try:
            return path.read_bytes(), filename or path.name
        except OSError as exc:
            raise InvalidArgumentError(f"cannot read audio file {str(path)!r}: {exc}") from None
    read = getattr(audio, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, str) or not isinstance(data, (bytes, bytearray)):
            raise InvalidArgumentError("audio file objects must be opened in binary mode ('rb')")
        name = getattr(audio, "name", None)
        return bytes(data), filename or (
            os.path.basename(name) if isinstance(name, str) else "audio.mp3"
        )
    raise InvalidArgumentError(
        f"audio must be bytes, a file path or a binary file object, not {type(audio).__name__}"
    )


def _transcription_options(
    audio: AudioInput,
    filename: str | None,
    language: str | None,
    prompt: str | None,
    timestamps: Sequence[str] | str | None,
    response_format: str | None,
    temperature: float | None,
    stream: bool,
    provider_options: Mapping[str, object] | None,
    headers: Mapping[str, str] | None,
) -> TranscriptionOptions:
    data, name = _read_audio(audio, filename)
    if not data:
        raise InvalidArgumentError("audio is empty: nothing to transcribe")
    if isinstance(timestamps, str):
        timestamps = (timestamps,)
    grains = tuple(timestamps or ())
    bad = [g for g in grains if g not in ("word", "segment")]
    if bad:
        raise InvalidArgumentError(f'timestamps are "word" and/or "segment", not {bad}')
    return TranscriptionOptions(
        audio=data,
        filename=name,
        media_type=guess_media_type(name),
        language=language,
        prompt=prompt,
        response_format=response_format,
        timestamps=grains,
        temperature=temperature,
        stream=stream,
        extra=dict(provider_options or {}),
        headers=dict(headers or {}),
    )


def _result(parsed: TranscriptionParsed, target: Target, attempts: int) -> TranscriptionResult:
    info = {"model": target.name, "attempts": attempts, "body": parsed.body}
    return TranscriptionResult(
        parsed.text,
        parsed.segments,
        parsed.words,
        parsed.language,
        parsed.duration,
        parsed.usage,
        info,
    )


async def transcribe(
    *,
    model: ModelLike,
    audio: AudioInput,
    language: str | None = None,
    prompt: str | None = None,
    timestamps: Sequence[str] | str | None = None,
    response_format: str | None = None,
    temperature: float | None = None,
    filename: str | None = None,
    stream: bool = False,
    provider_options: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
    api_key: str | Secret | None = None,
    http_client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
    registry: ProviderRegistry | None = None,
) -> TranscriptionResult:
    """Turn speech into text: one multipart ``POST /audio/transcriptions`` (OpenAI "Create
    transcription"; Groq's compatible endpoint).

    Args:
        model: ``"provider:model"`` (``"openai:whisper-1"``), ``"provider"`` alone for its
            default transcription model, or an inline :class:`~llmkit.Model`.
        audio: the audio's bytes, a file path, or a binary file object (OpenAI: at most 25 MB;
            mp3, mp4, mpeg, mpga, m4a, wav, webm...).
        language: ISO-639-1 code of the spoken language (``"en"``), or None to detect it.
        prompt: text to guide the style or spelling, or None.
        timestamps: ``"word"`` and/or ``"segment"`` (sends ``timestamp_granularities[]`` and,
            unless ``response_format`` says otherwise, ``verbose_json``).
        response_format: ``json`` (default), ``verbose_json``, ``text``, ``srt``, ``vtt``,
            ``diarized_json``; for text formats ``result.text`` is the body as is.
        temperature: sampling temperature 0-1, or None.
        filename: the upload's file name (default: the path's name, the file object's
            ``name``, or ``audio.<sniffed extension>``); its extension tells the format.
        stream: read the answer as server-sent events (``transcript.text.delta``...,
            gpt-4o-*-transcribe); the result is the same.
        provider_options: further form fields (a list value repeats the field).
        headers: further request headers.
        api_key, http_client, retry, timeouts, rate_limit, fallback_models, registry: as for
            :func:`llmkit.stream_text`.

    Returns:
        :class:`TranscriptionResult`: text, segments and words (seconds), language, duration
        (seconds) and usage.

    Raises:
        InvalidArgumentError: unreadable or empty audio, a bad ``timestamps`` value.
        UnsupportedFeatureError: ``stream=True`` with a provider that does not stream (Groq).
        ConfigurationError, NoSuchProviderError: the model or the provider's protocol.
        APIStatusError, APIConnectionError, APITimeoutError: after retries and fallbacks.
        InvalidResponseError: a 2xx body that is not a transcription; StreamError: an in-band
            error event.
    """
    options = _transcription_options(
        audio, filename, language, prompt, timestamps, response_format, temperature, stream,
        provider_options, headers,
    )  # fmt: skip
    target = _resolve(model, registry, "transcription")
    connection = _connection(
        "transcription", registry, api_key=api_key, http_client=http_client, retry=retry,
        timeouts=timeouts, rate_limit=rate_limit, fallback_models=fallback_models,
    )  # fmt: skip

    def build(candidate: Target) -> BuiltRequest:
        protocol = transcription_protocol_for(candidate.provider)
        return protocol.build_request(candidate.provider, candidate.model_id, options)

    if stream:
        state_box: list[TranscriptionResult] = []
        async for _delta in _stream_transcript(target, build, connection, state_box):
            pass
        return state_box[0]
    sent = await send_request(target, build, connection, timeouts=timeouts)
    protocol = transcription_protocol_for(sent.target.provider)
    try:
        parsed = protocol.parse_response(sent.body, options)
    except APIError as exc:
        _label(exc, sent.target)
        raise
    return _result(parsed, sent.target, sent.attempts)


async def _stream_transcript(
    target: Target,
    build: Callable[[Target], BuiltRequest],
    connection: Connection,
    out: list[TranscriptionResult],
) -> AsyncGenerator[str, None]:
    from llmkit.transport.sse import SSEDecoder

    async with open_request(target, build, connection) as opened:
        protocol = transcription_protocol_for(opened.target.provider)
        decoder = SSEDecoder()
        state = TranscriptionState()
        async for chunk in opened.chunks:
            for sse in decoder.feed(chunk):
                for delta in protocol.parse_event(state, sse):
                    yield delta
            if decoder.failure is not None:
                raise decoder.failure
        for sse in decoder.end():
            for delta in protocol.parse_event(state, sse):
                yield delta
        out.append(_result(protocol.finish(state), opened.target, opened.attempts))


async def stream_transcription(
    *,
    model: ModelLike,
    audio: AudioInput,
    language: str | None = None,
    prompt: str | None = None,
    response_format: str | None = None,
    temperature: float | None = None,
    filename: str | None = None,
    provider_options: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
    api_key: str | Secret | None = None,
    http_client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
    registry: ProviderRegistry | None = None,
) -> AsyncIterator[str]:
    """The transcript as it arrives: an async iterator of text deltas
    (``transcript.text.delta`` events of a ``stream=true`` transcription).

    Takes the arguments of :func:`transcribe` (without ``timestamps``). For the whole result
    (text, usage) call ``transcribe(..., stream=True)``.

    Raises:
        LLMKitError: the errors of :func:`transcribe` (InvalidArgumentError, ConfigurationError,
            APIStatusError, APIConnectionError, APITimeoutError, InvalidResponseError,
            StreamError).
    """
    options = _transcription_options(
        audio, filename, language, prompt, None, response_format, temperature, True,
        provider_options, headers,
    )  # fmt: skip
    target = _resolve(model, registry, "transcription")
    connection = _connection(
        "transcription", registry, api_key=api_key, http_client=http_client, retry=retry,
        timeouts=timeouts, rate_limit=rate_limit, fallback_models=fallback_models,
    )  # fmt: skip

    def build(candidate: Target) -> BuiltRequest:
        protocol = transcription_protocol_for(candidate.provider)
        return protocol.build_request(candidate.provider, candidate.model_id, options)

    out: list[TranscriptionResult] = []
    deltas = _stream_transcript(target, build, connection, out)
    try:
        async for delta in deltas:
            yield delta
    finally:
        await deltas.aclose()


# ---------------------------------------------------------------------------- sync forms
def generate_speech_sync(**kwargs: Any) -> GenerateSpeechResult:
    """:func:`generate_speech`, blocking (runs on llmkit's private event loop)."""
    from llmkit._sync import run_sync

    return run_sync(generate_speech(**kwargs))


def transcribe_sync(**kwargs: Any) -> TranscriptionResult:
    """:func:`transcribe`, blocking (runs on llmkit's private event loop)."""
    from llmkit._sync import run_sync

    return run_sync(transcribe(**kwargs))


def stream_speech_sync(**kwargs: Any) -> Iterator[bytes]:
    """:func:`stream_speech` as a blocking iterator of audio chunks; leaving the loop early
    closes the response."""
    from llmkit._sync import SyncIterator

    return SyncIterator(stream_speech(**kwargs))


def stream_transcription_sync(**kwargs: Any) -> Iterator[str]:
    """:func:`stream_transcription` as a blocking iterator of text deltas."""
    from llmkit._sync import SyncIterator

    return SyncIterator(stream_transcription(**kwargs))
