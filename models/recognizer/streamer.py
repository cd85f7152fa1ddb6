"""The VAD-driven streaming recogniser of one audio channel.

It owns the channel's audio buffer and applies the pure policy
(:mod:`models.recognizer.policy`): decode only inside utterances; partial
decodes of the open utterance at a load-adaptive cadence, each continuing the
committed (stable) text as a forced prefix; one final decode with word
timestamps when the speaker pauses or the utterance reaches its maximum
length. Synchronous and single-threaded: :mod:`models.recognizer.worker` runs
it off the event loop.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from models.recognizer.context import SpokenContext
from models.recognizer.decoder import SAMPLE_RATE_HZ, Hypothesis, WhisperDecoder, Word
from models.recognizer.events import RecognizedCaption, FinalCaption, PartialCaption, RecognizerStats
from models.recognizer.gain import AutoGain
from models.recognizer.guards import reject_reason, truncate_loops, truncate_restart
from models.recognizer.language import choose_language
from models.recognizer.policy import (
    Cadence,
    Segmenter,
    SegmenterConfig,
    Stabilizer,
    UtteranceEnd,
    UtteranceStart,
    choose_cut,
    ends_sentence,
    join_text,
    join_units,
    UNSPACED_LANGUAGES,
    normalize_unit,
    repeated_head,
    split_units,
)
from models.recognizer.vad import WINDOW_S, StreamingVad

__all__ = ["RecognizerConfig", "StreamingRecognizer", "Rejection"]


@dataclass(frozen=True)
class Rejection:
    """An utterance dropped as a hallucination: where, why, and what the decoder had said."""

    start_s: float
    end_s: float
    reason: str
    text: str


@dataclass(frozen=True)
class RecognizerConfig:
    allowed_languages: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")
    fixed_language: str | None = None  # an interpretation booth knows its language
    prompt: str = ""  # glossary terms that bias recognition
    lid_threshold: float = 0.5
    lid_stickiness: float = 3.0  # odds boost of the previous utterance's language
    lid_min_switch_s: float = 2.0  # shorter audio never switches away from the previous language
    partials: bool = True
    partial_interval_s: float = 0.7
    load_factor: float = 2.5
    final_beam_size: int = 5
    partial_beam_size: int = 2
    partial_max_new_tokens: int = 48  # bounds what a looping partial costs (~0.5 s with beam 2)
    agreement: int = 2
    holdback_units: int = 1
    commit_min_logprob: float = -0.8  # a partial this unsure may show text but not commit it
    context_words: int = 0  # words of the session's recent finals (same language) given to the decoder as prompt
    auto_gain: bool = True
    segmenter: SegmenterConfig = field(default_factory=SegmenterConfig)


class StreamingRecognizer:
    def __init__(self, decoder: WhisperDecoder, config: RecognizerConfig | None = None, *,
                 vad: StreamingVad | None = None) -> None:
        self.decoder = decoder
        self.config = config or RecognizerConfig()
        self.stats = RecognizerStats()
        self._vad = vad or StreamingVad()
        self._gain = AutoGain() if self.config.auto_gain else None
        self._segmenter = Segmenter(self.config.segmenter)
        self._cadence = Cadence(self.config.partial_interval_s, self.config.load_factor)
        self._stabilizer = Stabilizer(agreement=self.config.agreement, holdback_units=self.config.holdback_units)
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start_s = 0.0
        self._now_s = 0.0
        self._vad_s = 0.0
        self._segment_count = 0
        self._segment_no: int | None = None
        self._utt_language: str | None = None
        self._utt_language_prob = 1.0
        self._utt_allowed_mass = 1.0  # detector probability of the allowed languages together
        self._last_language: str | None = self.config.fixed_language
        self._speech_windows = 0
        self._windows = 0
        self._last_partial_text = ""
        self._context = SpokenContext(max_units=self.config.context_words)
        self._looped = False  # the open utterance's decodes were cut for looping: do not feed them back
        self._cut_tail: list[str] = []  # the last words before a long utterance's cut, not to be repeated after it
        self._dropped_head = 0  # words the latest decode repeated from before the cut (dropped)
        self.rejections: deque[Rejection] = deque(maxlen=100)  # the latest dropped utterances, for operators

    # -- public ------------------------------------------------------------
    @property
    def now_s(self) -> float:
        return self._now_s

    @property
    def segments_done(self) -> int:
        """Segment numbers used so far (a channel that reconnects numbers its next segments after them)."""
        return self._segment_count

    def feed(self, audio: np.ndarray, *, more_pending: bool = False) -> list[RecognizedCaption]:
        """Add 16 kHz mono float32 samples; return the captions they produced.

        ``more_pending`` says more audio is already queued: the partial decode
        is skipped (the machine is behind), finals never are.
        """
        audio = np.asarray(audio, dtype=np.float32)
        if self._gain is not None:
            audio = self._gain.process(audio)
        self._buffer = np.concatenate([self._buffer, audio])
        self._now_s += len(audio) / SAMPLE_RATE_HZ
        self.stats.audio_s = self._now_s
        events: list[RecognizedCaption] = []
        for prob in self._vad.feed(audio):
            start, self._vad_s = self._vad_s, self._vad_s + WINDOW_S
            if self._segmenter.in_utterance:
                self._windows += 1
                self._speech_windows += prob >= self._segmenter.config.offset
            for boundary in self._segmenter.push(start, self._vad_s, float(prob)):
                if isinstance(boundary, UtteranceStart):
                    self._begin_utterance()
                    self._windows, self._speech_windows = 1, 1
                elif isinstance(boundary, UtteranceEnd):
                    events.extend(self._final(boundary.end_s))
        if self._segmenter.too_long(self._now_s):
            events.extend(self._cut_long_utterance())
        if self._segmenter.in_utterance and self.config.partials:
            utt_s = self._now_s - self._segmenter.utterance_start_s
            if self._cadence.due(self._now_s, utt_s):
                if more_pending:
                    self.stats.partials_skipped += 1
                else:
                    events.extend(self._partial())
        if not self._segmenter.in_utterance:
            self._trim(self._now_s - self._segmenter.config.pre_roll_s - 0.1)
        return events

    def flush(self) -> list[RecognizedCaption]:
        """End of stream: finalise whatever utterance is open."""
        end_s = self._segmenter.close()
        if end_s is None:
            return []
        return self._final(min(end_s, self._now_s))

    # -- utterance life cycle ------------------------------------------------
    def _begin_utterance(self) -> None:
        self._segment_no = None
        self._utt_language = self.config.fixed_language
        self._utt_language_prob = 1.0
        self._utt_allowed_mass = 1.0  # detector probability of the allowed languages together
        self._stabilizer.reset(self._utt_language or self._last_language or "en")
        self._cadence.reset()
        self._last_partial_text = ""

    def _segment(self) -> int:
        if self._segment_no is None:
            self._segment_count += 1
            self._segment_no = self._segment_count
        return self._segment_no

    def _audio(self, start_s: float, end_s: float) -> np.ndarray:
        a = max(0, int(round((start_s - self._buffer_start_s) * SAMPLE_RATE_HZ)))
        b = max(a, int(round((end_s - self._buffer_start_s) * SAMPLE_RATE_HZ)))
        return self._buffer[a:b]

    def _trim(self, keep_from_s: float) -> None:
        drop = int((keep_from_s - self._buffer_start_s) * SAMPLE_RATE_HZ)
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._buffer_start_s += drop / SAMPLE_RATE_HZ

    def _speech_ratio(self) -> float:
        return self._speech_windows / self._windows if self._windows else 0.0

    def _language_for(self, encoded) -> str:
        """Language of the open utterance; re-detected until some text is committed."""
        if self.config.fixed_language:
            return self.config.fixed_language
        if not self.decoder.multilingual:
            return "en"
        if self._utt_language is None or not self._stabilizer.committed:
            if self._last_language and encoded.duration_s < self.config.lid_min_switch_s:
                # a second of audio ("ask not") is too little to tell a language switch from noise
                self._utt_language, self._utt_language_prob = self._last_language, 1.0
                self._utt_allowed_mass = 1.0
                self._stabilizer.language = self._last_language
                return self._last_language
            probs = self.decoder.language_probs(encoded, self.config.allowed_languages)
            choice = choose_language(probs, previous=self._last_language, threshold=self.config.lid_threshold,
                                     stickiness=self.config.lid_stickiness)
            self._utt_language, self._utt_language_prob = choice.language, choice.probability
            self._utt_allowed_mass = min(1.0, sum(probs.values()))
            self._stabilizer.language = choice.language
        return self._utt_language

    def _decode(self, start_s: float, end_s: float, *, final: bool) -> tuple[Hypothesis, float]:
        """Decode the buffer between two stream times; returns the hypothesis and its cost in seconds."""
        t0 = time.perf_counter()
        audio = self._audio(start_s, end_s)
        encoded = self.decoder.encode(audio)
        language = self._language_for(encoded)
        hyp = self.decoder.decode(
            encoded, language=language, prefix=self._stabilizer.committed, prompt=self._prompt(language),
            beam_size=self.config.final_beam_size if final else self.config.partial_beam_size, word_timestamps=final,
            max_new_tokens=None if final else self.config.partial_max_new_tokens,
        )
        cost = time.perf_counter() - t0
        self.stats.busy_s += cost
        return hyp, cost

    def _prompt(self, language: str) -> str:
        context = self._context.prompt(language) if self.config.context_words else ""
        return " ".join(p for p in (self.config.prompt, context) if p)

    def _clean_tail(self, hyp: Hypothesis) -> str:
        """The continuation with decoder loops cut, looking across the committed prefix too."""
        head = split_units(self._stabilizer.committed, hyp.language)
        tail = split_units(hyp.continuation, hyp.language)
        # (words are units only where spaces divide them: the aligned words can then be dropped alongside)
        repeats = self._cut_tail and not head and hyp.language not in UNSPACED_LANGUAGES
        self._dropped_head = repeated_head(self._cut_tail, tail) if repeats else 0
        tail = tail[self._dropped_head:]
        kept = max(len(truncate_restart(truncate_loops(head + tail))), len(head))
        self._looped = self._looped or kept < len(head) + len(tail)
        return join_units(tail[:kept - len(head)], hyp.language)

    def _reject(self, text: str, hyp: Hypothesis, *, final: bool, start_s: float = 0.0, end_s: float = 0.0) -> str | None:
        """Why to drop this hypothesis; a dropped final (a whole utterance) is counted with its reason."""
        reason = reject_reason(text, no_speech_prob=hyp.no_speech_prob, avg_logprob=hyp.avg_logprob,
                               speech_ratio=self._speech_ratio(), final=final)
        if reason and final:
            self.stats.rejected += 1
            self.stats.rejected_reasons[reason] = self.stats.rejected_reasons.get(reason, 0) + 1
            self.rejections.append(Rejection(round(start_s, 3), round(end_s, 3), reason, text[:200]))
        return reason

    def _partial(self) -> list[RecognizedCaption]:
        start_s = self._segmenter.utterance_start_s
        hyp, cost = self._decode(start_s, self._now_s, final=False)
        self.stats.partial_decodes += 1
        self._cadence.record(self._now_s, cost)
        tail = self._clean_tail(hyp)
        if not self._stabilizer.committed and self._reject(tail, hyp, final=False):
            return []
        may_commit = hyp.avg_logprob >= self.config.commit_min_logprob
        text, stable = self._stabilizer.update(tail, may_commit=may_commit)
        self._segmenter.sentence_closed = ends_sentence(text)
        if not text or text == self._last_partial_text:
            return []
        self._last_partial_text = text
        return [PartialCaption(self._segment(), hyp.language, text, stable, round(start_s, 3), round(self._now_s, 3))]

    def _final_from_words(self, start_s: float, end_s: float, language: str, words: list[Word]) -> FinalCaption:
        shifted = tuple(Word(w.text.strip(), round(start_s + w.start_s, 3), round(start_s + w.end_s, 3), w.probability)
                        for w in words)
        text = "".join(w.text for w in words).strip()
        if not text.startswith(self._stabilizer.committed):  # never break the stable promise
            text = join_text(self._stabilizer.committed, text[len(self._stabilizer.committed):], language)
        self.stats.finals += 1
        if self._looped:
            self._context.reset()
        else:
            self._context.add(text, language)
        self._looped = False
        self._last_language = language if self.decoder.multilingual else self._last_language
        return FinalCaption(self._segment(), language, text, round(start_s, 3), round(end_s, 3), shifted,
                            round(self._utt_language_prob, 3), round(self._utt_allowed_mass, 3),
                            audio=self._audio(start_s, end_s).copy())

    def _final(self, end_s: float) -> list[RecognizedCaption]:
        start_s = self._segmenter.utterance_start_s
        hyp, _ = self._decode(start_s, end_s, final=True)
        tail = self._clean_tail(hyp)
        full = join_text(self._stabilizer.committed, tail, hyp.language)
        events: list[RecognizedCaption] = []
        if not self._stabilizer.committed and self._reject(full, hyp, final=True, start_s=start_s, end_s=end_s):
            if self._segment_no is not None:  # viewers saw a partial: close it empty
                events.append(FinalCaption(self._segment_no, hyp.language, "", round(start_s, 3), round(end_s, 3)))
        else:
            words = _words_covering(hyp.words[self._dropped_head:], full)
            events.append(self._final_from_words(start_s, end_s, hyp.language, words))
        self._cut_tail = []
        self._trim(end_s - self._segmenter.config.pre_roll_s)
        self._segment_no = None
        self._stabilizer.reset()
        return events

    def _cut_long_utterance(self) -> list[RecognizedCaption]:
        start_s = self._segmenter.utterance_start_s
        hyp, _ = self._decode(start_s, self._now_s, final=True)
        tail = self._clean_tail(hyp)
        words = _words_covering(hyp.words[self._dropped_head:], join_text(self._stabilizer.committed, tail, hyp.language))
        committed = _count_words_covering(words, self._stabilizer.committed)
        length = self._now_s - start_s
        keep = choose_cut(words, committed, lambda a, b: self._energy(start_s + a, start_s + b),
                          earliest_s=max(length / 2, length - 6.0), latest_s=length - 0.5)
        keep = max(keep, 1) if words else 0
        cut_rel = (words[keep - 1].end_s + words[keep].start_s) / 2 if 0 < keep < len(words) else (
            words[keep - 1].end_s if keep else length - 0.5)
        cut_s = start_s + cut_rel
        events: list[RecognizedCaption] = []
        if keep:
            events.append(self._final_from_words(start_s, cut_s, hyp.language, words[:keep]))
            self._cut_tail = [w.text for w in words[max(0, keep - 5):keep]]
        language = hyp.language
        self._segment_no = None
        self._stabilizer.reset(language)
        self._cadence.reset()
        self._last_partial_text = ""
        self._segmenter.continue_from(cut_s)
        self._trim(cut_s)
        return events

    def _energy(self, start_s: float, end_s: float) -> float:
        audio = self._audio(start_s, end_s)
        return float(np.sqrt(np.mean(audio * audio))) if len(audio) else 0.0


def _words_covering(words: list[Word], text: str) -> list[Word]:
    """The aligned words that make up ``text`` (drops words cut away by loop truncation)."""
    target = len(normalize_unit(text.replace(" ", "")))
    out, seen = [], 0
    for w in words:
        if seen >= target:
            break
        out.append(w)
        seen += len(normalize_unit(w.text))
    return out


def _count_words_covering(words: list[Word], text: str) -> int:
    return len(_words_covering(words, text)) if text else 0
