"""Sans-IO speech and transcription protocols, and their registry.

A protocol builds the :class:`~llmkit.protocols.base.BuiltRequest` of one call and reads what
comes back (bytes, a JSON body, server-sent events); it never does I/O. The built-in ones are
``openai-speech`` and ``openai-transcription``; a provider's protocol for a kind is its
``ProviderConfig.kind_protocols["speech" | "transcription"]``, else the default this module names
for its chat protocol (:data:`DEFAULT_BY_CHAT_PROTOCOL`). A user adds one with
:func:`register_speech_protocol` / :func:`register_transcription_protocol`.

Sources:
    - OpenAI API reference, Audio: "Create speech" (``POST /v1/audio/speech``: ``model``,
      ``input`` up to 4096 characters, ``voice``, ``instructions``, ``response_format``
      mp3/opus/aac/flac/wav/pcm, ``speed`` 0.25-4.0, ``stream_format``) and "Create
      transcription" (``POST /v1/audio/transcriptions``, multipart/form-data: ``file``,
      ``model``, ``language`` ISO-639-1, ``prompt``, ``response_format``
      json/text/srt/verbose_json/vtt/diarized_json, ``temperature``,
      ``timestamp_granularities[]`` word/segment with verbose_json, ``stream``); the streamed
      form's events ``transcript.text.delta`` (``delta``), ``transcript.text.segment`` and
      ``transcript.text.done`` (``text``, ``usage``).
      https://platform.openai.com/docs/api-reference/audio
    - Groq API reference, "Audio" (``POST /openai/v1/audio/transcriptions``, same multipart
      fields and response formats json/text/verbose_json, no ``stream``;
      ``POST /openai/v1/audio/speech``, ``response_format`` wav by default).
      https://console.groq.com/docs/api-reference#audio
    - Mistral's ``/v1/audio/speech`` answers ``application/json`` ``{"audio_data": <base64>}``
      (seen in the recorded fixtures, see tests/fixtures/README.md).
"""

from __future__ import annotations

import abc
import base64
import binascii
import json
import mimetypes
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from llmkit.audio._types import AudioUsage, Segment, Word
from llmkit.errors import ConfigurationError, InvalidResponseError
from llmkit.protocols.base import BuiltRequest

if TYPE_CHECKING:
    from httpx_sse import ServerSentEvent

    from llmkit.providers.config import ProviderConfig

__all__ = [
    "DEFAULT_BY_CHAT_PROTOCOL",
    "PROVIDER_AUDIO",
    "AudioProviderData",
    "OpenAISpeechProtocol",
    "OpenAITranscriptionProtocol",
    "SpeechOptions",
    "SpeechProtocol",
    "TranscriptionOptions",
    "TranscriptionParsed",
    "TranscriptionProtocol",
    "TranscriptionState",
    "default_model",
    "get_speech_protocol",
    "get_transcription_protocol",
    "multipart_body",
    "parse_usage",
    "register_speech_protocol",
    "register_transcription_protocol",
    "speech_protocol_for",
    "transcription_protocol_for",
]

Kind = Literal["speech", "transcription"]


# ---------------------------------------------------------------------------- provider data
@dataclass(frozen=True, slots=True)
class AudioProviderData:
    """What a built-in provider's audio endpoints need beyond its config, as data.

    Attributes:
        speech_model: the default text-to-speech model, or None (no speech endpoint known).
        transcription_model: the default speech-to-text model, or None.
        speech_format: the ``response_format`` sent when the call names none (None: leave it
            to the provider, mp3 for OpenAI).
        transcription_stream: the transcription endpoint accepts ``stream=true``.
    """

    speech_model: str | None = None
    transcription_model: str | None = None
    speech_format: str | None = None
    transcription_stream: bool = True


PROVIDER_AUDIO: dict[str, AudioProviderData] = {
    # https://platform.openai.com/docs/models (gpt-4o-mini-tts, gpt-4o-mini-transcribe)
    "openai": AudioProviderData("gpt-4o-mini-tts", "gpt-4o-mini-transcribe"),
    # https://console.groq.com/docs/speech-to-text, /docs/text-to-speech: no streamed
    # transcription; TTS (Orpheus, formerly PlayAI) answers WAV at 48 kHz
    "groq": AudioProviderData(
        "canopylabs/orpheus-v1-english",
        "whisper-large-v3-turbo",
        speech_format="wav",
        transcription_stream=False,
    ),
    # https://docs.mistral.ai/capabilities/audio/ (voxtral)
    "mistral": AudioProviderData("voxtral-mini-tts-latest", "voxtral-mini-latest"),
}
"""Built-in providers' audio defaults and differences, by provider id. A provider's own
``default_models["speech" | "transcription"]`` wins over these."""


def default_model(provider: ProviderConfig, kind: Kind) -> str | None:
    """The model used for ``kind`` when the model string names only the provider: the
    provider's ``default_models[kind]``, else :data:`PROVIDER_AUDIO`, else None."""
    chosen = provider.default_models.get(kind)
    if chosen:
        return chosen
    data = PROVIDER_AUDIO.get(provider.id)
    if data is None:
        return None
    return data.speech_model if kind == "speech" else data.transcription_model


# ---------------------------------------------------------------------------- options
@dataclass(frozen=True, slots=True)
class SpeechOptions:
    """One speech call's settings (None: not sent, the provider's default applies).

    ``speed`` is a factor (OpenAI: 0.25-4.0); ``extra`` is merged into the JSON body last."""

    text: str
    voice: str
    format: str | None = None
    speed: float | None = None
    instructions: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TranscriptionOptions:
    """One transcription call's settings.

    Attributes:
        audio: the audio file's bytes.
        filename: the upload's file name (its extension tells the server the format).
        media_type: the upload's content type (``audio/mpeg``...).
        language: ISO-639-1 code of the spoken language, or None (detected).
        prompt: text to guide style or spelling, or None.
        response_format: ``json``, ``verbose_json``, ``text``, ``srt``, ``vtt`` or
            ``diarized_json`` (None: ``json``, or ``verbose_json`` when timestamps are asked).
        timestamps: ``timestamp_granularities[]`` values (``"word"``, ``"segment"``).
        temperature: sampling temperature 0-1, or None.
        stream: ask for server-sent events (``transcript.text.delta`` ...).
        extra: further form fields (a sequence value repeats the field).
    """

    audio: bytes
    filename: str = "audio.mp3"
    media_type: str = "application/octet-stream"
    language: str | None = None
    prompt: str | None = None
    response_format: str | None = None
    timestamps: tuple[str, ...] = ()
    temperature: float | None = None
    stream: bool = False
    extra: Mapping[str, object] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TranscriptionParsed:
    """A transcription answer as read by a protocol (the driver adds the response info)."""

    text: str
    segments: tuple[Segment, ...] = ()
    words: tuple[Word, ...] = ()
    language: str | None = None
    duration: float | None = None
    usage: AudioUsage | None = None
    body: object = None


@dataclass(slots=True)
class TranscriptionState:
    """What a streamed transcription has said so far."""

    deltas: list[str] = field(default_factory=list)
    text: str | None = None
    segments: list[Segment] = field(default_factory=list)
    usage: AudioUsage | None = None
    done: bool = False


# ---------------------------------------------------------------------------- helpers
def multipart_body(
    fields: Sequence[tuple[str, str]],
    file_field: str,
    filename: str,
    file_type: str,
    data: bytes,
    boundary: str | None = None,
) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body (RFC 7578): text fields in order, then one file.

    Returns:
        (body bytes, the ``content-type`` header value with its boundary).
    """
    boundary = boundary or "llmkit-" + binascii.hexlify(os.urandom(16)).decode()
    out: list[bytes] = []
    for name, value in fields:
        out.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{_quote(name)}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    out.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(filename)}"\r\nContent-Type: {file_type}\r\n\r\n'
        ).encode()
        + data
        + b"\r\n"
    )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_usage(raw: object) -> AudioUsage | None:
    """Unify a usage object: OpenAI duration (``seconds``) or tokens (``input_tokens``...,
    ``input_token_details.audio_tokens``), or Mistral chat-style (``prompt_tokens``,
    ``completion_tokens``, ``prompt_audio_seconds``, ``prompt_tokens_details.audio_tokens``).
    None for anything that is not an object."""
    if not isinstance(raw, Mapping):
        return None
    details = raw.get("input_token_details") or raw.get("prompt_tokens_details")
    audio = _int(details.get("audio_tokens")) if isinstance(details, Mapping) else None
    seconds = _num(raw.get("seconds"))
    if seconds is None:
        seconds = _num(raw.get("prompt_audio_seconds"))
    inputs = _int(raw.get("input_tokens"))
    outputs = _int(raw.get("output_tokens"))
    return AudioUsage(
        seconds=seconds,
        input_tokens=inputs if inputs is not None else _int(raw.get("prompt_tokens")),
        output_tokens=outputs if outputs is not None else _int(raw.get("completion_tokens")),
        total_tokens=_int(raw.get("total_tokens")),
        audio_tokens=audio,
        raw=dict(raw),
    )


_FORMAT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "mulaw": "audio/basic",
    "ogg": "audio/ogg",
}
"""Media type of each ``response_format`` (OpenAI's pcm is raw 24 kHz 16-bit LE mono)."""


def sniff_audio(data: bytes) -> str | None:
    """The media type of audio bytes by their magic number, or None."""
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"OggS":
        return "audio/ogg"
    if data[:4] == b"fLaC":
        return "audio/flac"
    return None


def _bad(message: str, body: bytes | str) -> InvalidResponseError:
    raw = body if isinstance(body, str) else body[:2000].decode("utf-8", "replace")
    return InvalidResponseError(message, raw=raw)


# ---------------------------------------------------------------------------- contracts
class SpeechProtocol(abc.ABC):
    """A text-to-speech wire protocol: request building and response reading, no I/O.

    Class attributes:
        name: the protocol id (``[a-z0-9][a-z0-9._-]*``) used in ``kind_protocols``.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def build_request(
        self, provider: ProviderConfig, model_id: str, options: SpeechOptions
    ) -> BuiltRequest:
        """The request for one speech call (without credentials)."""

    @abc.abstractmethod
    def parse_response(
        self, body: bytes, content_type: str | None, options: SpeechOptions
    ) -> tuple[bytes, str, AudioUsage | None]:
        """(audio bytes, media type, usage) from a 2xx body and its Content-Type.

        Raises:
            InvalidResponseError: the body holds no audio."""

    def streams_raw(self, content_type: str | None) -> bool:
        """A 2xx response with this Content-Type is the audio itself (stream its bytes as they
        arrive); False when it wraps the audio (JSON) and must be read whole."""
        return not (content_type or "").lower().startswith("application/json")


class TranscriptionProtocol(abc.ABC):
    """A speech-to-text wire protocol: request building and response reading, no I/O."""

    name: ClassVar[str]

    @abc.abstractmethod
    def build_request(
        self,
        provider: ProviderConfig,
        model_id: str,
        options: TranscriptionOptions,
        *,
        boundary: str | None = None,
    ) -> BuiltRequest:
        """The request for one transcription call (without credentials).

        Raises:
            UnsupportedFeatureError: a setting the provider cannot honour."""

    @abc.abstractmethod
    def parse_response(self, body: bytes, options: TranscriptionOptions) -> TranscriptionParsed:
        """Read a 2xx non-streamed body.

        Raises:
            InvalidResponseError: the body is not the expected format."""

    @abc.abstractmethod
    def parse_event(self, state: TranscriptionState, sse: ServerSentEvent) -> list[str]:
        """Read one server-sent event of a streamed transcription into ``state``; return the
        text deltas it carries (possibly none).

        Raises:
            StreamError: an in-band error event.
            InvalidResponseError: an unreadable event."""

    def finish(self, state: TranscriptionState) -> TranscriptionParsed:
        """The whole transcription once the stream ended: the ``done`` event's text, else the
        joined deltas."""
        text = state.text if state.text is not None else "".join(state.deltas)
        return TranscriptionParsed(text, segments=tuple(state.segments), usage=state.usage)


# ---------------------------------------------------------------------------- OpenAI
class OpenAISpeechProtocol(SpeechProtocol):
    """``POST {base_url}/audio/speech`` with a JSON body; the answer is the audio bytes
    (OpenAI, OpenRouter, Groq) or ``{"audio_data": <base64>}`` JSON (Mistral)."""

    name = "openai-speech"

    def build_request(
        self, provider: ProviderConfig, model_id: str, options: SpeechOptions
    ) -> BuiltRequest:
        body: dict[str, object] = {"model": model_id, "input": options.text, "voice": options.voice}
        fmt = options.format
        if fmt is None:
            data = PROVIDER_AUDIO.get(provider.id)
            fmt = data.speech_format if data is not None else None
        if fmt is not None:
            body["response_format"] = fmt
        if options.speed is not None:
            body["speed"] = options.speed
        if options.instructions is not None:
            body["instructions"] = options.instructions
        body.update(options.extra)
        headers = {"content-type": "application/json", **provider.headers, **options.headers}
        return BuiltRequest(
            url=provider.base_url.rstrip("/") + "/audio/speech",
            headers=headers,
            body=body,
            stream=False,
        )

    def parse_response(
        self, body: bytes, content_type: str | None, options: SpeechOptions
    ) -> tuple[bytes, str, AudioUsage | None]:
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype == "application/json" or (not ctype and body[:1] == b"{"):
            try:
                data = json.loads(body)
            except ValueError:
                raise _bad("speech: the JSON body is not valid JSON", body) from None
            encoded = data.get("audio_data") if isinstance(data, dict) else None
            if not isinstance(encoded, str):
                raise _bad("speech: a JSON body without audio_data", body)
            try:
                audio = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise _bad("speech: audio_data is not base64", body) from None
            usage = parse_usage(data.get("usage"))
            media = sniff_audio(audio) or _FORMAT_TYPES.get(options.format or "mp3", "audio/mpeg")
            return audio, media, usage
        if not body:
            raise _bad("speech: the response body is empty", body)
        found = ctype or _FORMAT_TYPES.get(options.format or "") or sniff_audio(body)
        return body, found or "application/octet-stream", None


class OpenAITranscriptionProtocol(TranscriptionProtocol):
    """``POST {base_url}/audio/transcriptions``, a multipart upload; JSON, text or SSE back."""

    name = "openai-transcription"

    def build_request(
        self,
        provider: ProviderConfig,
        model_id: str,
        options: TranscriptionOptions,
        *,
        boundary: str | None = None,
    ) -> BuiltRequest:
        if options.stream:
            data = PROVIDER_AUDIO.get(provider.id)
            if data is not None and not data.transcription_stream:
                from llmkit.errors import UnsupportedFeatureError

                raise UnsupportedFeatureError(
                    f"{provider.id} does not stream transcriptions; call transcribe() instead"
                )
        fields: list[tuple[str, str]] = [("model", model_id)]
        fmt = options.response_format
        if fmt is None:
            fmt = "verbose_json" if options.timestamps else "json"
        fields.append(("response_format", fmt))
        if options.language is not None:
            fields.append(("language", options.language))
        if options.prompt is not None:
            fields.append(("prompt", options.prompt))
        if options.temperature is not None:
            fields.append(("temperature", repr(float(options.temperature))))
        fields += [("timestamp_granularities[]", g) for g in options.timestamps]
        if options.stream:
            fields.append(("stream", "true"))
        for name, value in options.extra.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                text = json.dumps(v) if isinstance(v, (bool, dict)) else str(v)
                fields.append((name, text))
        content, ctype = multipart_body(
            fields, "file", options.filename, options.media_type, options.audio, boundary
        )
        headers = {"content-type": ctype, **provider.headers, **options.headers}
        if options.stream:
            headers["accept"] = "text/event-stream"
        return BuiltRequest(
            url=provider.base_url.rstrip("/") + "/audio/transcriptions",
            headers=headers,
            body={k: v for k, v in fields},
            stream=options.stream,
            content=content,
        )

    def parse_response(self, body: bytes, options: TranscriptionOptions) -> TranscriptionParsed:
        fmt = options.response_format or ("verbose_json" if options.timestamps else "json")
        if fmt in ("text", "srt", "vtt") or body[:1] not in (b"{", b" ", b"\n", b"\t"):
            try:
                return TranscriptionParsed(body.decode("utf-8"))
            except UnicodeDecodeError:
                raise _bad("transcription: a text body that is not UTF-8", body) from None
        try:
            data = json.loads(body)
        except ValueError:
            raise _bad("transcription: the body is not valid JSON", body) from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise _bad("transcription: no text in the response", body)
        return TranscriptionParsed(
            text=data["text"],
            segments=tuple(_segments(data.get("segments"))),
            words=tuple(_words(data.get("words"))),
            language=data["language"] if isinstance(data.get("language"), str) else None,
            duration=_num(data.get("duration")),
            usage=parse_usage(data.get("usage")),
            body=data,
        )

    def parse_event(self, state: TranscriptionState, sse: ServerSentEvent) -> list[str]:
        data = sse.data
        if data == "[DONE]" or not data.strip():
            state.done = state.done or data == "[DONE]"
            return []
        try:
            event = json.loads(data)
        except ValueError:
            raise _bad("transcription stream: an event that is not JSON", data) from None
        if not isinstance(event, dict):
            raise _bad("transcription stream: an event that is not an object", data)
        kind = event.get("type")
        if kind == "transcript.text.delta":
            delta = event.get("delta")
            if isinstance(delta, str) and delta:
                state.deltas.append(delta)
                return [delta]
            return []
        if kind == "transcript.text.segment":
            state.segments += _segments([event])
            return []
        if kind == "transcript.text.done":
            if isinstance(event.get("text"), str):
                state.text = event["text"]
            state.usage = parse_usage(event.get("usage"))
            return []
        if "error" in event or kind == "error":
            from llmkit.errors import StreamError

            error = event.get("error", event)
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise StreamError(f"transcription stream error: {message}")
        return []  # an event type this version does not know


def _segments(raw: object) -> list[Segment]:
    out: list[Segment] = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, dict):
            continue
        start, end, text = _num(item.get("start")), _num(item.get("end")), item.get("text")
        if start is None or end is None or not isinstance(text, str):
            continue
        speaker = item.get("speaker", item.get("speaker_id"))
        out.append(Segment(start, end, text, speaker if isinstance(speaker, str) else None))
    return out


def _words(raw: object) -> list[Word]:
    out: list[Word] = []
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, dict):
            start, end, word = _num(item.get("start")), _num(item.get("end")), item.get("word")
            if start is not None and end is not None and isinstance(word, str):
                out.append(Word(start, end, word))
    return out


def guess_media_type(filename: str) -> str:
    """The upload's content type from its file name (``application/octet-stream`` if unknown)."""
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


# ---------------------------------------------------------------------------- registry
DEFAULT_BY_CHAT_PROTOCOL: dict[str, dict[str, str]] = {
    "openai-chat": {"speech": "openai-speech", "transcription": "openai-transcription"},
    "openai-responses": {"speech": "openai-speech", "transcription": "openai-transcription"},
}
"""The speech and transcription protocol of a provider whose ``kind_protocols`` names none, by
its chat protocol (OpenAI-compatible providers serve ``/audio/*`` beside chat)."""

_speech: dict[str, SpeechProtocol] = {"openai-speech": OpenAISpeechProtocol()}
_transcription: dict[str, TranscriptionProtocol] = {
    "openai-transcription": OpenAITranscriptionProtocol()
}
_lock = threading.Lock()


def _check_name(instance: object) -> str:
    import re

    name = getattr(instance, "name", None)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ConfigurationError(
            f"{type(instance).__name__}.name must be a protocol name such as 'my-speech' "
            f"([a-z0-9][a-z0-9._-]*), not {name!r}"
        )
    return name


def register_speech_protocol(
    protocol: SpeechProtocol | type[SpeechProtocol],
) -> SpeechProtocol:
    """Make a speech protocol usable by name in ``kind_protocols={"speech": <name>}``;
    registering a name again replaces it.

    Raises:
        ConfigurationError: not a :class:`SpeechProtocol`, or a bad ``name``."""
    instance = protocol() if isinstance(protocol, type) else protocol
    if not isinstance(instance, SpeechProtocol):
        raise ConfigurationError(
            f"register_speech_protocol() takes a SpeechProtocol, not {type(instance).__name__}"
        )
    with _lock:
        _speech[_check_name(instance)] = instance
    return instance


def register_transcription_protocol(
    protocol: TranscriptionProtocol | type[TranscriptionProtocol],
) -> TranscriptionProtocol:
    """Make a transcription protocol usable by name in
    ``kind_protocols={"transcription": <name>}``; registering a name again replaces it.

    Raises:
        ConfigurationError: not a :class:`TranscriptionProtocol`, or a bad ``name``."""
    instance = protocol() if isinstance(protocol, type) else protocol
    if not isinstance(instance, TranscriptionProtocol):
        raise ConfigurationError(
            "register_transcription_protocol() takes a TranscriptionProtocol, not "
            f"{type(instance).__name__}"
        )
    with _lock:
        _transcription[_check_name(instance)] = instance
    return instance


def get_speech_protocol(name: str) -> SpeechProtocol:
    """The registered speech protocol ``name``.

    Raises:
        ConfigurationError: unknown name (the message lists the known ones)."""
    with _lock:
        found = _speech.get(name)
        known = sorted(_speech)
    if found is None:
        raise ConfigurationError(f"unknown speech protocol {name!r}; known: {', '.join(known)}")
    return found


def get_transcription_protocol(name: str) -> TranscriptionProtocol:
    """The registered transcription protocol ``name``.

    Raises:
        ConfigurationError: unknown name (the message lists the known ones)."""
    with _lock:
        found = _transcription.get(name)
        known = sorted(_transcription)
    if found is None:
        raise ConfigurationError(
            f"unknown transcription protocol {name!r}; known: {', '.join(known)}"
        )
    return found


def _protocol_name(provider: ProviderConfig, kind: Kind) -> str:
    name = provider.kind_protocols.get(kind) or DEFAULT_BY_CHAT_PROTOCOL.get(
        provider.protocol, {}
    ).get(kind)
    if name is None:
        raise ConfigurationError(
            f"provider {provider.id!r} (protocol {provider.protocol!r}) has no {kind} protocol; "
            f'set kind_protocols={{"{kind}": "<protocol>"}} in its config'
        )
    return name


def speech_protocol_for(provider: ProviderConfig) -> SpeechProtocol:
    """The provider's speech protocol (``kind_protocols["speech"]`` or the default for its chat
    protocol).

    Raises:
        ConfigurationError: the provider has none, or it is not registered."""
    return get_speech_protocol(_protocol_name(provider, "speech"))


def transcription_protocol_for(provider: ProviderConfig) -> TranscriptionProtocol:
    """The provider's transcription protocol (see :func:`speech_protocol_for`).

    Raises:
        ConfigurationError: the provider has none, or it is not registered."""
    return get_transcription_protocol(_protocol_name(provider, "transcription"))
