"""The streaming policy, kept pure: voice probabilities and decoder text in, decisions out.

Nothing here touches audio samples, models, clocks or sockets, so every rule is
unit-tested with scripted inputs:

* :class:`Segmenter` turns 32 ms speech probabilities into utterance starts and
  ends (hysteresis: onset/offset thresholds, minimum speech, minimum pause).
* :class:`Stabilizer` applies LocalAgreement-2 to consecutive hypotheses of the
  open utterance: units (words, or characters for scripts written without
  spaces) on which two decodes agree, less a hold-back, become committed; the
  committed text is then forced as the decoder prefix, so it never changes.
* :class:`Cadence` decides when a partial decode is worth its cost: never more
  often than ``interval_s`` of audio, and never more than ``1/load_factor`` of
  the time busy with partials, so a slow machine skips partials, not finals.
* :func:`choose_cut` picks where to close an utterance that reached the
  maximum length: the quietest gap between words after the committed text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Sequence

__all__ = [
    "SegmenterConfig",
    "Segmenter",
    "UtteranceStart",
    "UtteranceEnd",
    "Stabilizer",
    "Cadence",
    "choose_cut",
    "split_units",
    "join_units",
    "normalize_unit",
    "repeated_head",
    "join_text",
    "UNSPACED_LANGUAGES",
    "SENTENCE_END",
    "ends_sentence",
]

#: Languages written without spaces between words: agreement is per character.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})


@dataclass(frozen=True)
class SegmenterConfig:
    onset: float = 0.4  # a soft word opening ("ask …") scores 0.4–0.5 on Silero: 0.5 lost it
    offset: float = 0.3
    min_speech_s: float = 0.1
    min_silence_s: float = 0.5  # ends an utterance whose words so far end a sentence
    mid_sentence_silence_s: float = 1.0  # a pause inside a sentence ("ask not … what your country") is a breath
    #: an utterance with less speech than this ("ask not" …) is a fragment: only a long pause ends it, so it
    #: is decoded with the words that follow instead of alone
    short_utterance_s: float = 1.5
    short_utterance_silence_s: float = 1.6
    pre_roll_s: float = 0.4
    post_roll_s: float = 0.25
    max_utterance_s: float = 15.0


@dataclass(frozen=True)
class UtteranceStart:
    start_s: float


@dataclass(frozen=True)
class UtteranceEnd:
    end_s: float


class Segmenter:
    """Hysteresis over speech probabilities, one call per VAD window."""

    def __init__(self, config: SegmenterConfig | None = None) -> None:
        self.config = config or SegmenterConfig()
        self.in_utterance = False
        self.utterance_start_s = 0.0
        self._speech_run_start: float | None = None
        self._last_speech_end_s = 0.0
        self._silence_start_s: float | None = None
        self._last_end_s = 0.0
        #: whether the open utterance's latest hypothesis ends a sentence (the streamer says so after each
        #: partial); until a hypothesis is seen, the short pause ends it
        self.sentence_closed = True

    @property
    def silence_needed_s(self) -> float:
        cfg = self.config
        needed = cfg.min_silence_s if self.sentence_closed else max(cfg.min_silence_s, cfg.mid_sentence_silence_s)
        if self._last_speech_end_s - self.utterance_start_s < cfg.short_utterance_s:
            needed = max(needed, cfg.short_utterance_silence_s)
        return needed

    def push(self, start_s: float, end_s: float, prob: float) -> list[UtteranceStart | UtteranceEnd]:
        cfg = self.config
        events: list[UtteranceStart | UtteranceEnd] = []
        if not self.in_utterance:
            if prob >= cfg.onset:
                if self._speech_run_start is None:
                    self._speech_run_start = start_s
                if end_s - self._speech_run_start >= cfg.min_speech_s:
                    self.in_utterance = True
                    # the pre-roll never reaches back into the previous utterance: no word twice
                    self.utterance_start_s = max(self._last_end_s, self._speech_run_start - cfg.pre_roll_s)
                    self._last_speech_end_s = end_s
                    self._silence_start_s = None
                    self.sentence_closed = True
                    events.append(UtteranceStart(self.utterance_start_s))
            else:
                self._speech_run_start = None
            return events
        if prob >= cfg.offset:
            self._last_speech_end_s = end_s
            self._silence_start_s = None
        elif self._silence_start_s is None:
            self._silence_start_s = start_s
        if self._silence_start_s is not None and end_s - self._silence_start_s >= self.silence_needed_s:
            self._last_end_s = min(end_s, self._last_speech_end_s + cfg.post_roll_s)
            events.append(UtteranceEnd(self._last_end_s))
            self.in_utterance = False
            self._speech_run_start = None
            self._silence_start_s = None
        return events

    def too_long(self, now_s: float) -> bool:
        return self.in_utterance and now_s - self.utterance_start_s >= self.config.max_utterance_s

    def continue_from(self, start_s: float) -> None:
        """The utterance was cut at ``start_s`` and goes on from there."""
        self.utterance_start_s = start_s
        self._last_end_s = start_s

    def close(self) -> float | None:
        """End of stream: the open utterance ends at the last speech heard."""
        if not self.in_utterance:
            return None
        self.in_utterance = False
        self._last_end_s = self._last_speech_end_s + self.config.post_roll_s
        return self._last_end_s


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


SENTENCE_END = (".", "?", "!", "。", "？", "！", "؟", "…")


def ends_sentence(text: str) -> bool:
    """Whether a hypothesis ends with sentence-final punctuation (quotes and brackets aside)."""
    return text.rstrip().rstrip("\"'”»)]").endswith(SENTENCE_END)


def normalize_unit(unit: str) -> str:
    text = unicodedata.normalize("NFKC", unit).casefold()
    return _PUNCT.sub("", text)


def repeated_head(previous: Sequence[str], units: Sequence[str], *, max_units: int = 5) -> int:
    """How many leading ``units`` repeat the last units of ``previous`` (a cut's last words heard twice).

    A long utterance is cut between two words whose aligned times are only approximate, so the audio
    after the cut can still hold the last word before it; the continuation's decode then starts with
    it again ("… ask what" / "what you can do …"). Longest n-gram first, as LocalAgreement does.
    """
    prev = [normalize_unit(u) for u in previous]
    head = [normalize_unit(u) for u in units]
    for n in range(min(max_units, len(prev), len(head)), 0, -1):
        if prev[-n:] == head[:n] and all(prev[-n:]):
            return n
    return 0


def split_units(text: str, language: str) -> list[str]:
    """Words, or characters (punctuation kept with the preceding one) for unspaced scripts."""
    if language not in UNSPACED_LANGUAGES:
        return text.split()
    units: list[str] = []
    for ch in text.strip():
        if ch.isspace():
            if units and not units[-1].endswith(" "):
                units[-1] += " "
            continue
        if units and not normalize_unit(ch):
            units[-1] += ch
        else:
            units.append(ch)
    return units


def join_units(units: Sequence[str], language: str) -> str:
    if language in UNSPACED_LANGUAGES:
        return "".join(units).strip()
    return " ".join(units)


def join_text(head: str, tail: str, language: str) -> str:
    head, tail = head.strip(), tail.strip()
    if not head or not tail:
        return head or tail
    if language in UNSPACED_LANGUAGES:
        return head + tail
    return f"{head} {tail}"


@dataclass
class Stabilizer:
    """LocalAgreement-n over the uncommitted tails of successive hypotheses.

    A unit is committed once ``agreement`` consecutive decodes agree on it (and
    on everything before it), except the last ``holdback_units`` of the newest
    decode, which may still be a word cut in half by the end of the audio.
    """

    language: str = "en"
    agreement: int = 2
    holdback_units: int = 1
    committed: str = ""
    committed_units: int = 0
    _history: list[list[str]] = field(default_factory=list, repr=False)

    def update(self, tail_text: str, *, may_commit: bool = True) -> tuple[str, int]:
        """Feed the text a decode produced after the committed prefix.

        Returns the partial caption (committed text + the rest of this tail)
        and how many of its leading characters are committed.
        """
        tail = split_units(tail_text, self.language)
        agreed = 0
        if may_commit and len(self._history) >= self.agreement - 1:
            others = self._history[-(self.agreement - 1):] if self.agreement > 1 else []
            limit = min([len(tail) - self.holdback_units] + [len(o) for o in others])
            key = [normalize_unit(u) for u in tail]
            while agreed < limit and all(normalize_unit(o[agreed]) == key[agreed] for o in others):
                agreed += 1
        if agreed:
            self.committed = join_text(self.committed, join_units(tail[:agreed], self.language), self.language)
            self.committed_units += agreed
        self._history = [h[agreed:] for h in self._history[-(self.agreement - 2):]] if self.agreement > 2 else []
        self._history.append(tail[agreed:])
        text = join_text(self.committed, join_units(tail[agreed:], self.language), self.language)
        return text, len(self.committed)

    def reset(self, language: str | None = None) -> None:
        if language:
            self.language = language
        self.committed = ""
        self.committed_units = 0
        self._history = []


@dataclass
class Cadence:
    """When to spend a partial decode: at most every ``interval_s``, at most 1/``load_factor`` busy."""

    interval_s: float = 0.7
    load_factor: float = 2.5
    min_audio_s: float = 0.6
    last_audio_s: float = field(default=-1e9)
    last_cost_s: float = 0.0

    def due(self, now_audio_s: float, utterance_audio_s: float) -> bool:
        if utterance_audio_s < self.min_audio_s:
            return False
        wait = max(self.interval_s, self.load_factor * self.last_cost_s)
        return now_audio_s - self.last_audio_s >= wait

    def record(self, now_audio_s: float, cost_s: float) -> None:
        self.last_audio_s = now_audio_s
        self.last_cost_s = cost_s

    def reset(self) -> None:
        self.last_audio_s = -1e9


@dataclass(frozen=True)
class _Timed:
    start_s: float
    end_s: float


def choose_cut(words: Sequence[_Timed], committed_words: int, energy: Callable[[float, float], float],
               earliest_s: float, latest_s: float) -> int:
    """Number of words to keep in the final of an over-long utterance.

    Candidates are the gaps after word ``i`` (``i >= committed_words``) whose
    boundary lies in ``[earliest_s, latest_s]``; the quietest gap wins (ties go
    to the later gap). Falls back to every word that ends before ``latest_s``.
    """
    best: tuple[float, int] | None = None
    for i in range(max(committed_words, 1), len(words)):
        boundary = (words[i - 1].end_s + words[i].start_s) / 2
        if not earliest_s <= boundary <= latest_s:
            continue
        score = energy(words[i - 1].end_s, max(words[i].start_s, words[i - 1].end_s + 0.02))
        if best is None or score <= best[0]:
            best = (score, i)
    if best is not None:
        return best[1]
    keep = sum(1 for w in words if w.end_s <= latest_s)
    return max(keep, min(committed_words, len(words)))
