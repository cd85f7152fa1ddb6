"""The cues of a whole transcript: each segment's cues, settled per channel, in time order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from captions_store.exports.lines import Cue, segment_cues, settle_cues
from captions_store.exports.pieces import TimedWord
from captions_store.records import TranscriptDoc, TranscriptLine

__all__ = ["TranscriptCue", "word_timings", "line_cues", "transcript_cues"]


@dataclass(frozen=True)
class TranscriptCue:
    line: TranscriptLine
    number: int  # 1, 2, ... within the segment
    cue: Cue

    @property
    def cue_id(self) -> str:
        return f"{self.line.segment_id}-{self.number}"


def _word(entry: Mapping[str, object]) -> TimedWord | None:
    text, start, end = entry.get("word"), entry.get("start"), entry.get("end")
    if not isinstance(text, str) or not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
        return None
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        return None
    return TimedWord(text, float(start), float(end))


def word_timings(line: TranscriptLine) -> tuple[TimedWord, ...]:
    """The line's word timings, or none at all if the text is a translation or any word is malformed."""
    if line.translated:
        return ()
    words = [_word(entry) for entry in line.words if isinstance(entry, Mapping)]
    if len(words) != len(line.words) or any(w is None for w in words):
        return ()
    return tuple(w for w in words if w is not None)


def line_cues(line: TranscriptLine) -> list[Cue]:
    if not line.text.strip():
        return []
    return segment_cues(line.text, lang=line.lang, start_s=line.start_s, end_s=line.end_s,
                        words=word_timings(line))


def transcript_cues(doc: TranscriptDoc) -> list[TranscriptCue]:
    """Every cue, ordered by start time; cues of one channel never overlap."""
    by_channel: dict[str, list[TranscriptCue]] = {}
    for line in sorted(doc.lines, key=lambda ln: ln.start_s):
        by_channel.setdefault(line.channel, []).extend(
            TranscriptCue(line, n, cue) for n, cue in enumerate(line_cues(line), 1))
    out: list[TranscriptCue] = []
    for items in by_channel.values():
        settled = settle_cues([item.cue for item in items])
        out.extend(TranscriptCue(item.line, item.number, cue) for item, cue in zip(items, settled))
    out.sort(key=lambda item: item.cue.start_s)
    return out
