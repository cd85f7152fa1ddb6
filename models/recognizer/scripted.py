"""A scripted decoder and VAD: the recogniser's two model seams, driven by a word script instead of models.

:class:`StreamingRecognizer` talks to Whisper only through ``encode``,
``language_probs`` and ``decode``, and to Silero only through ``feed``. The
doubles here answer those calls from a list of :class:`ScriptedWord` (what is
said, when, in which language), so the streaming logic — cuts at pauses and at
the maximum length, the forced prefix, rejections, language switches — is
tested in milliseconds with no model loaded. The real-model tests stay beside
them.

The audio carries its own clock: :func:`timeline_audio` writes each sample's
stream time into its value, so the decoder knows which stretch of the stream
it was handed (the recogniser must run with ``auto_gain=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from models.recognizer.decoder import SAMPLE_RATE_HZ, Encoded, Hypothesis, Word
from models.recognizer.vad import WINDOW_S, WINDOW_SAMPLES

__all__ = ["ScriptedWord", "Hallucination", "ScriptedDecoder", "ScriptedVad", "timeline_audio", "DecodeCall"]

_TICK = 1e-5  # sample value per millisecond of stream time


@dataclass(frozen=True)
class ScriptedWord:
    text: str
    start_s: float
    end_s: float
    language: str = "en"

    @property
    def middle_s(self) -> float:
        return (self.start_s + self.end_s) / 2


@dataclass(frozen=True)
class Hallucination:
    """Noise the VAD takes for speech, over which the decoder invents ``text`` with the given confidence."""

    start_s: float
    end_s: float
    text: str = "Thank you."
    no_speech_prob: float = 0.9
    avg_logprob: float = -1.2


@dataclass(frozen=True)
class DecodeCall:
    start_s: float
    end_s: float
    language: str
    prefix: str
    final: bool


def timeline_audio(duration_s: float, start_s: float = 0.0) -> np.ndarray:
    """Samples whose values encode their own stream time (1e-5 per millisecond)."""
    n = int(round(duration_s * SAMPLE_RATE_HZ))
    first = int(round(start_s * SAMPLE_RATE_HZ))
    ms = (np.arange(first, first + n) * 1000) // SAMPLE_RATE_HZ
    return (ms * _TICK).astype(np.float32)


def _stream_time(audio: np.ndarray) -> float:
    return round(float(audio[0]) / _TICK) / 1000 if len(audio) else 0.0


class ScriptedVad:
    """Speech probability 0.9 inside a word (or a hallucination span, 0.6), 0.05 elsewhere."""

    def __init__(self, words: Sequence[ScriptedWord], noise: Sequence[Hallucination] = ()) -> None:
        self._spans = [(w.start_s, w.end_s, 0.9) for w in words] + [(h.start_s, h.end_s, 0.6) for h in noise]
        self._pending = 0
        self._window = 0

    def feed(self, audio: np.ndarray) -> np.ndarray:
        self._pending += len(audio)
        n, self._pending = divmod(self._pending, WINDOW_SAMPLES)
        probs = []
        for _ in range(n):
            middle = (self._window + 0.5) * WINDOW_S
            self._window += 1
            probs.append(max([p for a, b, p in self._spans if a <= middle < b], default=0.05))
        return np.asarray(probs, dtype=np.float32)


@dataclass
class ScriptedDecoder:
    """Hears the scripted words that end inside the audio it is given; records every call."""

    words: Sequence[ScriptedWord]
    noise: Sequence[Hallucination] = ()
    multilingual: bool = True
    name: str = "scripted"
    calls: list[DecodeCall] = field(default_factory=list)

    def encode(self, audio: np.ndarray, *, window: str | None = None) -> Encoded:
        start_s = _stream_time(audio)
        duration_s = len(audio) / SAMPLE_RATE_HZ
        return Encoded(output=(start_s, start_s + duration_s), num_frames=int(duration_s * 100), duration_s=duration_s)

    def _heard(self, encoded: Encoded) -> list[ScriptedWord]:
        start_s, end_s = encoded.output
        return [w for w in self.words if start_s <= w.middle_s and w.end_s <= end_s + 1e-6]

    def language_probs(self, encoded: Encoded, allowed: Iterable[str]) -> dict[str, float]:
        heard = [w.language for w in self._heard(encoded)]
        spoken = max(set(heard), key=heard.count) if heard else "en"
        return {lang: (0.95 if lang == spoken else 0.01) for lang in allowed}

    def decode(self, encoded: Encoded, *, language: str, prefix: str = "", prompt: str = "", beam_size: int = 1,
               word_timestamps: bool = False, max_new_tokens: int | None = None) -> Hypothesis:
        start_s, end_s = encoded.output
        self.calls.append(DecodeCall(start_s, end_s, language, prefix.strip(), word_timestamps))
        noise = [h for h in self.noise if h.start_s < end_s and h.end_s > start_s]
        heard = self._heard(encoded)
        no_speech_prob, avg_logprob = 0.01, -0.2
        if noise and not heard:  # noise: the invented words spread over the noise heard so far
            h = noise[0]
            invented = h.text.split()
            step = (min(end_s, h.end_s) - max(start_s, h.start_s)) / len(invented)
            origin = max(start_s, h.start_s)
            heard = [ScriptedWord(t, origin + i * step, origin + (i + 1) * step, language)
                     for i, t in enumerate(invented)]
            no_speech_prob, avg_logprob = h.no_speech_prob, h.avg_logprob
        texts = [w.text for w in heard]
        forced = prefix.split()
        if texts[: len(forced)] != forced:  # the forced prefix is decoded as given, whatever was said
            texts = forced + texts[len(forced):]
        words = [Word(" " + t, round(max(0.0, w.start_s - start_s), 3), round(max(0.0, w.end_s - start_s), 3), 0.9)
                 for t, w in zip(texts, heard)] if word_timestamps else []
        text = " " + " ".join(texts) if texts else ""
        continuation = " " + " ".join(texts[len(forced):]) if texts[len(forced):] else ""
        return Hypothesis(text=text, language=language, tokens=list(range(len(texts))), avg_logprob=avg_logprob,
                          no_speech_prob=no_speech_prob, words=words, prefix_text=prefix.strip(), continuation=continuation)
