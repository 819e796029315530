"""Speech and transcription: :func:`generate_speech` / :func:`stream_speech` (text to audio
bytes) and :func:`transcribe` / :func:`stream_transcription` (audio to text with timed segments
and words), with ``*_sync`` forms, over sans-IO protocols registered by endpoint kind
(:mod:`llmkit.audio.protocols`). ``import llmkit`` does not import this package.
"""

from __future__ import annotations

from llmkit.audio._api import (
    AudioInput,
    generate_speech,
    generate_speech_sync,
    stream_speech,
    stream_speech_sync,
    stream_transcription,
    stream_transcription_sync,
    transcribe,
    transcribe_sync,
)
from llmkit.audio._types import (
    AudioUsage,
    GenerateSpeechResult,
    Segment,
    TranscriptionResult,
    Word,
)
from llmkit.audio.protocols import (
    OpenAISpeechProtocol,
    OpenAITranscriptionProtocol,
    SpeechProtocol,
    TranscriptionProtocol,
    register_speech_protocol,
    register_transcription_protocol,
)

__all__ = [
    "AudioInput",
    "AudioUsage",
    "GenerateSpeechResult",
    "OpenAISpeechProtocol",
    "OpenAITranscriptionProtocol",
    "Segment",
    "SpeechProtocol",
    "TranscriptionProtocol",
    "TranscriptionResult",
    "Word",
    "generate_speech",
    "generate_speech_sync",
    "register_speech_protocol",
    "register_transcription_protocol",
    "stream_speech",
    "stream_speech_sync",
    "stream_transcription",
    "stream_transcription_sync",
    "transcribe",
    "transcribe_sync",
]
