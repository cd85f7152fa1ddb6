"""One-shot offline transcription of a file with faster-whisper, and its output formats.

Audio is decoded by ffmpeg (:mod:`service.terminal.audio_source`), so anything
``floorcast stream`` accepts can be transcribed too. The model is resolved like
the server's (:func:`models.provisioning.resolve_model`) and loaded on the CPU
with int8 weights; decoding uses beam search 5, Silero VAD and, when the output
needs them, word timestamps.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Callable

import numpy as np

from captions_store.exports import Cue, TimedWord, segment_cues, settle_cues, to_srt, to_vtt
from models.provisioning import ModelUnavailable, ResolvedModel, resolve_model
from service.terminal.audio_source import SAMPLE_RATE_HZ
from service.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from faster_whisper import WhisperModel

__all__ = ["OutputFormat", "FORMATS", "TranscribedWord", "Segment", "Transcript", "load_model", "transcribe", "render"]


class OutputFormat(StrEnum):
    txt = "txt"
    json = "json"
    srt = "srt"
    vtt = "vtt"


FORMATS = tuple(f.value for f in OutputFormat)


@dataclass(frozen=True)
class TranscribedWord:
    word: str  # as Whisper spells it, leading space included
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[TranscribedWord, ...] = ()


@dataclass
class Transcript:
    language: str
    duration: float
    segments: list[Segment] = field(default_factory=list)


def load_model(spec: str, settings: Settings) -> tuple["WhisperModel", ResolvedModel]:
    """Resolve ``spec`` (auto, a catalog name, a CTranslate2 dir) and load it for the CPU."""
    from models.recognizer.loading import load_whisper

    resolved = resolve_model(spec, settings.data_dir.resolve(), verify=settings.verify_models)
    if resolved.source == "hub" and ("/" in spec or spec.startswith(".")):
        raise ModelUnavailable(f"{spec}: no such model directory")
    try:
        model = load_whisper(resolved.path, cpu_threads=settings.cpu_threads, local_files_only=resolved.source != "hub")
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelUnavailable(f"cannot load model {resolved.name} from {resolved.path}: {exc}") from exc
    return model, resolved


def transcribe(model: "WhisperModel", audio: np.ndarray, *, language: str | None = None,
               word_timestamps: bool = True, on_progress: Callable[[float], None] | None = None,
               beam_size: int = 5) -> Transcript:
    """Transcribe 16 kHz mono float32 samples; ``on_progress(seconds_done)`` after each segment."""
    if language is not None and language not in model.supported_languages:
        only = "English only" if not model.model.is_multilingual else f"{len(model.supported_languages)} languages"
        raise ModelUnavailable(f"the model cannot transcribe language {language!r} ({only})")
    pieces, info = model.transcribe(audio, language=language, beam_size=beam_size,
                                    word_timestamps=word_timestamps, vad_filter=True)
    out = Transcript(language=info.language, duration=round(len(audio) / SAMPLE_RATE_HZ, 3))
    for piece in pieces:
        words = tuple(TranscribedWord(w.word, round(w.start, 3), round(w.end, 3), round(w.probability, 4))
                      for w in piece.words or ())
        out.segments.append(Segment(round(piece.start, 3), round(piece.end, 3), piece.text.strip(), words))
        if on_progress is not None:
            on_progress(min(piece.end, out.duration))
    if on_progress is not None:
        on_progress(out.duration)
    return out


def _json(transcript: Transcript) -> str:
    data = asdict(transcript)
    for segment in data["segments"]:
        segment["words"] = [{**w, "word": w["word"].strip()} for w in segment["words"]]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _cues(transcript: Transcript) -> list[Cue]:
    cues = [cue for s in transcript.segments if s.text
            for cue in segment_cues(s.text, lang=transcript.language, start_s=s.start, end_s=s.end,
                                    words=[TimedWord(w.word, w.start, w.end) for w in s.words])]
    return settle_cues(cues)


def render(transcript: Transcript, fmt: str) -> str:
    """The transcript as ``txt`` (a line per segment), ``json``, ``srt`` or ``vtt``."""
    if fmt == "txt":
        return "".join(s.text + "\n" for s in transcript.segments if s.text)
    if fmt == "json":
        return _json(transcript)
    if fmt == "srt":
        return to_srt(_cues(transcript))
    if fmt == "vtt":
        return to_vtt(_cues(transcript))
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
