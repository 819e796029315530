"""Result types of the speech and transcription calls (plain frozen dataclasses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "AudioUsage",
    "GenerateSpeechResult",
    "Segment",
    "TranscriptionResult",
    "Word",
]


@dataclass(frozen=True, slots=True)
class AudioUsage:
    """What a speech or transcription call used, in the provider's terms, unified.

    OpenAI reports either ``{"type": "duration", "seconds": N}`` (whisper-1) or
    ``{"type": "tokens", "input_tokens", "output_tokens", "total_tokens",
    "input_token_details": {"audio_tokens", "text_tokens"}}`` (gpt-4o-*-transcribe); Mistral
    sends chat-style ``prompt_tokens`` / ``completion_tokens`` and ``prompt_audio_seconds``.

    Attributes:
        seconds: billed audio duration in seconds (duration-based usage), or None.
        input_tokens: input tokens (audio + text prompt), or None.
        output_tokens: output (text) tokens, or None.
        total_tokens: total tokens, or None.
        audio_tokens: input audio tokens, when reported, or None.
        raw: the provider's usage object as received.
    """

    seconds: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    audio_tokens: int | None = None
    raw: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GenerateSpeechResult:
    """The answer of :func:`~llmkit.audio.generate_speech`.

    Attributes:
        audio: the audio file's bytes (an MP3, WAV, ... as ``media_type`` says), decoded from
            base64 when the provider wraps it in JSON (Mistral's ``{"audio_data": ...}``).
        media_type: the audio's MIME type (``audio/mpeg``...), from the response Content-Type,
            else from the requested format, else sniffed from the bytes.
        usage: usage if the provider reported any (OpenAI's speech endpoint does not), or None.
        response: ``{"model": "provider:model", "attempts": int, "content_type": str | None}``.
    """

    audio: bytes
    media_type: str
    usage: AudioUsage | None
    response: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the transcript with its start and end in seconds from the audio's start.

    ``speaker`` is the diarizing models' speaker label (``"A"``, ``"speaker_1"``) or None."""

    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Word:
    """One word with its start and end in seconds (``timestamp_granularities=["word"]``)."""

    start: float
    end: float
    word: str


@dataclass(frozen=True, slots=True)
class TranscriptionResult:
    """The answer of :func:`~llmkit.audio.transcribe`.

    Attributes:
        text: the transcript; for ``response_format`` ``text``/``srt``/``vtt``, the body as is.
        segments: timed segments (verbose_json, diarized_json, Mistral), else empty.
        words: timed words (verbose_json with word granularity), else empty.
        language: the detected or given language (``"english"``, ``"en"``) or None.
        duration: the audio's length in seconds when the provider says it, or None.
        usage: the unified usage, or None when the provider reports none.
        response: ``{"model": "provider:model", "attempts": int, "body": <parsed JSON or None>}``.
    """

    text: str
    segments: tuple[Segment, ...] = ()
    words: tuple[Word, ...] = ()
    language: str | None = None
    duration: float | None = None
    usage: AudioUsage | None = None
    response: Mapping[str, object] = field(default_factory=dict)
