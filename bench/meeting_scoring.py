"""Scoring live captions of a meeting-like passage against its references.

Two WERs per passage. The *passage* WER aligns everything said (the references
joined in order) with everything captioned (the finals joined in time order),
as long-form recognition is usually scored: a caption that runs on across a
speaker turn costs nothing extra. The *clip-attributed* WER first assigns each
final to the clip whose time range holds its midpoint and aligns clip by clip,
so a final straddling two clips counts its words as deletions in one and
insertions in the other; it is the stricter figure, kept beside the first. Per
clip the reference is aligned with the hypothesis (jiwer) and the deletions
among the reference's first five words count as *words lost at utterance
starts*. A rejection whose time span overlaps a clip is a *rejection with
reference words* (the target is zero of those).
"""

from __future__ import annotations

from dataclasses import dataclass

import jiwer

from bench.common import normalize
from bench.meeting_passages import Passage

__all__ = ["TimedText", "PassageScore", "score_passage", "pooled_wer", "passage_wer", "START_WORDS"]

START_WORDS = 5


@dataclass(frozen=True)
class TimedText:
    start_s: float
    end_s: float
    text: str


@dataclass
class PassageScore:
    name: str
    ref_words: int
    wer: float
    start_words_lost: int
    clips_with_start_lost: int
    rejections_on_speech: int
    refs: list[str]
    hyps: list[str]
    passage_errors: int = 0  # substitutions + deletions + insertions, everything joined


def _passage_errors(refs: list[str], hyps: list[str]) -> int:
    ref = " ".join(x for x in map(normalize, refs) if x)
    hyp = " ".join(x for x in map(normalize, hyps) if x)
    if not hyp:
        return len(ref.split())
    out = jiwer.process_words(ref, hyp)
    return out.substitutions + out.deletions + out.insertions


def _by_clip(passage: Passage, finals: list[TimedText]) -> list[str]:
    out = []
    bounds = [(p.start_s, p.end_s) for p in passage.placed]
    for i, (a, b) in enumerate(bounds):
        lo = (bounds[i - 1][1] + a) / 2 if i else 0.0
        hi = (b + bounds[i + 1][0]) / 2 if i + 1 < len(bounds) else float("inf")
        inside = [f for f in finals if f.text and lo <= (f.start_s + f.end_s) / 2 < hi]
        out.append(" ".join(f.text for f in sorted(inside, key=lambda f: f.start_s)))
    return out


def _start_deletions(ref: str, hyp: str) -> int:
    ref_n, hyp_n = normalize(ref), normalize(hyp)
    if not ref_n:
        return 0
    if not hyp_n:
        return min(START_WORDS, len(ref_n.split()))
    out = jiwer.process_words(ref_n, hyp_n)
    lost = 0
    for chunk in out.alignments[0]:
        if chunk.ref_start_idx >= START_WORDS:
            break
        if chunk.type == "delete":
            lost += min(chunk.ref_end_idx, START_WORDS) - chunk.ref_start_idx
    return lost


def score_passage(passage: Passage, finals: list[TimedText], rejections: list[TimedText] = ()) -> PassageScore:
    refs = [p.clip.reference for p in passage.placed]
    hyps = _by_clip(passage, finals)
    lost = [_start_deletions(r, h) for r, h in zip(refs, hyps)]
    on_speech = sum(1 for r in rejections if any(r.start_s < p.end_s and r.end_s > p.start_s for p in passage.placed))
    return PassageScore(passage.name, sum(len(normalize(r).split()) for r in refs), wer(refs, hyps), sum(lost),
                        sum(1 for n in lost if n), on_speech, refs, hyps, _passage_errors(refs, hyps))


def wer(refs: list[str], hyps: list[str]) -> float:
    return float(jiwer.wer([normalize(r) for r in refs], [normalize(h) or "<empty>" for h in hyps]))


def passage_wer(scores: list[PassageScore]) -> float:
    """Pooled passage WER: each passage aligned as one text, errors summed over reference words."""
    words = sum(s.ref_words for s in scores)
    return sum(s.passage_errors for s in scores) / words if words else float("nan")


def pooled_wer(scores: list[PassageScore]) -> float:
    return wer([r for s in scores for r in s.refs], [h for s in scores for h in s.hyps])
