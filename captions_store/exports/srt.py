"""SubRip (SRT): numbered cues, ``HH:MM:SS,mmm`` times, plain text lines.

SRT has no escaping and no speaker markup, so cue text is written as it is.
"""

from __future__ import annotations

from typing import Sequence

from captions_store.exports.cues import transcript_cues
from captions_store.exports.lines import Cue
from captions_store.exports.timecode import timestamp
from captions_store.records import TranscriptDoc

__all__ = ["to_srt", "export_srt"]


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [f"{n}\n{timestamp(c.start_s)} --> {timestamp(c.end_s)}\n{c.text}" for n, c in enumerate(cues, 1)]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def export_srt(doc: TranscriptDoc) -> str:
    return to_srt([item.cue for item in transcript_cues(doc)])
