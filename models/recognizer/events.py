"""What a recogniser emits: partial and final captions of one channel, in stream seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.recognizer.decoder import Word

__all__ = ["PartialCaption", "FinalCaption", "RecognizedCaption", "RecognizerStats"]


@dataclass(frozen=True)
class PartialCaption:
    segment_no: int
    language: str
    text: str
    stable: int  # leading characters of ``text`` that will not change
    start_s: float
    end_s: float


@dataclass(frozen=True)
class FinalCaption:
    segment_no: int
    language: str
    text: str  # empty when a segment shown as partial turned out to be noise
    start_s: float
    end_s: float
    words: tuple[Word, ...] = ()
    language_probability: float = 1.0
    allowed_language_mass: float = 1.0  # what the language detector gave the allowed languages together (low:
    #                                    another language is spoken); 1.0 when not detected (booth, English-only model)
    audio: np.ndarray | None = field(default=None, compare=False, repr=False)  # the utterance's 16 kHz samples
    #                                    (for a second decode: speech translation), or None


RecognizedCaption = PartialCaption | FinalCaption


@dataclass
class RecognizerStats:
    audio_s: float = 0.0
    busy_s: float = 0.0
    partial_decodes: int = 0
    partials_skipped: int = 0
    finals: int = 0
    rejected: int = 0
    rejected_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def busy_per_audio_s(self) -> float:
        return self.busy_s / self.audio_s if self.audio_s else 0.0
