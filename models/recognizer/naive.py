"""Baseline for comparison: re-decode a growing buffer every second, LocalAgreement-2.

This is the policy of whisper_streaming's online processor, kept here so the
benchmark can run it through the same server and protocol as the VAD policy:
every ``interval_s`` of new audio the whole buffer is decoded (padded 30 s
window, beam 5, word timestamps); words on which two consecutive decodes agree
are committed; a segment is finalised at a committed sentence end (or when the
buffer reaches ``max_buffer_s``) and the buffer is trimmed there.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from models.recognizer.decoder import SAMPLE_RATE_HZ, WhisperDecoder
from models.recognizer.events import RecognizedCaption, FinalCaption, PartialCaption, RecognizerStats
from models.recognizer.language import choose_language
from models.recognizer.policy import normalize_unit
from models.recognizer.streamer import RecognizerConfig

__all__ = ["NaiveRecognizer"]

_SENTENCE_END = re.compile(r"[.?!。？！]$")


@dataclass(frozen=True)
class _TimedWord:
    text: str
    start_s: float
    end_s: float
    probability: float


class NaiveRecognizer:
    def __init__(self, decoder: WhisperDecoder, config: RecognizerConfig | None = None, *,
                 interval_s: float = 1.0, max_buffer_s: float = 25.0, beam_size: int = 5) -> None:
        self.decoder = decoder
        self.config = config or RecognizerConfig()
        self.stats = RecognizerStats()
        self.interval_s = interval_s
        self.max_buffer_s = max_buffer_s
        self.beam_size = beam_size
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start_s = 0.0
        self._now_s = 0.0
        self._last_decode_s = 0.0
        self._language: str | None = self.config.fixed_language
        self._segment_words: list[_TimedWord] = []  # committed, not yet finalised
        self._previous: list[_TimedWord] = []  # uncommitted words of the previous decode
        self._segment_count = 0

    @property
    def now_s(self) -> float:
        return self._now_s

    @property
    def segments_done(self) -> int:
        """Segment numbers used so far (a channel that reconnects numbers its next segments after them)."""
        return self._segment_count

    def feed(self, audio: np.ndarray, *, more_pending: bool = False) -> list[RecognizedCaption]:
        self._buffer = np.concatenate([self._buffer, np.asarray(audio, dtype=np.float32)])
        self._now_s += len(audio) / SAMPLE_RATE_HZ
        self.stats.audio_s = self._now_s
        if self._now_s - self._last_decode_s < self.interval_s:
            return []
        self._last_decode_s = self._now_s
        return self._step(final=False)

    def flush(self) -> list[RecognizedCaption]:
        return self._step(final=True)

    def _decode(self) -> list[_TimedWord]:
        t0 = time.perf_counter()
        encoded = self.decoder.encode(self._buffer, window="full")
        if self._language is None:
            if self.decoder.multilingual:
                probs = self.decoder.language_probs(encoded, self.config.allowed_languages)
                self._language = choose_language(probs, previous=None).language
            else:
                self._language = "en"
        hyp = self.decoder.decode(encoded, language=self._language, beam_size=self.beam_size, word_timestamps=True)
        self.stats.busy_s += time.perf_counter() - t0
        self.stats.partial_decodes += 1
        base = self._buffer_start_s
        return [_TimedWord(w.text.strip(), base + w.start_s, base + w.end_s, w.probability) for w in hyp.words]

    def _step(self, *, final: bool) -> list[RecognizedCaption]:
        if len(self._buffer) < SAMPLE_RATE_HZ // 2 and not self._segment_words:
            return []
        words = self._decode() if len(self._buffer) >= SAMPLE_RATE_HZ // 4 else []
        committed_end = self._segment_words[-1].end_s if self._segment_words else self._buffer_start_s
        new = [w for w in words if w.start_s >= committed_end - 0.1]
        if final:
            agreed = len(new)
        else:
            agreed = 0
            while (agreed < min(len(new), len(self._previous))
                   and normalize_unit(new[agreed].text) == normalize_unit(self._previous[agreed].text)):
                agreed += 1
        events: list[RecognizedCaption] = []
        for word in new[:agreed]:
            self._segment_words.append(word)
            if _SENTENCE_END.search(word.text) or final and word is new[agreed - 1]:
                events.append(self._final())
        self._previous = new[agreed:]
        if not final and self._now_s - self._buffer_start_s > self.max_buffer_s and self._segment_words:
            events.append(self._final())
        if not final and (self._segment_words or self._previous):
            text = " ".join(w.text for w in self._segment_words + self._previous)
            stable = len(" ".join(w.text for w in self._segment_words))
            start = (self._segment_words or self._previous)[0].start_s
            events.append(PartialCaption(self._segment_no(), self._language or "en", text, stable,
                                         round(start, 3), round(self._now_s, 3)))
        return events

    def _segment_no(self) -> int:
        return self._segment_count + 1

    def _final(self) -> FinalCaption:
        from models.recognizer.decoder import Word

        words = self._segment_words
        self._segment_count += 1
        event = FinalCaption(self._segment_count, self._language or "en", " ".join(w.text for w in words),
                             round(words[0].start_s, 3), round(words[-1].end_s, 3),
                             tuple(Word(w.text, round(w.start_s, 3), round(w.end_s, 3), w.probability) for w in words))
        self.stats.finals += 1
        cut = words[-1].end_s
        drop = int((cut - self._buffer_start_s) * SAMPLE_RATE_HZ)
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._buffer_start_s += drop / SAMPLE_RATE_HZ
        self._segment_words = []
        return event
