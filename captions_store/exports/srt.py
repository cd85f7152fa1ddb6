"""SubRip (SRT): numbered cues, ``HH:MM:SS,mmm`` times, plain text lines.

SRT has no escaping, and players render the HTML-like tags (``<font>``, ``<i>``) and ``{\\an8}``
overrides some writers put in it, so cue text is written plain (:func:`plain_caption`): no tags, no
control characters, no ``-->`` inside a line.
"""

from __future__ import annotations

from typing import Sequence

from captions_store.exports.cues import transcript_cues
from captions_store.exports.lines import Cue
from captions_store.exports.timecode import timestamp
from captions_store.records import TranscriptDoc
from captions_store.text_rules import plain_caption

__all__ = ["to_srt", "export_srt"]


def _plain(text: str) -> str:
    lines = (" ".join(plain_caption(line).split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line) or "…"


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [f"{n}\n{timestamp(c.start_s)} --> {timestamp(c.end_s)}\n{_plain(c.text)}"
              for n, c in enumerate(cues, 1)]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def export_srt(doc: TranscriptDoc) -> str:
    return to_srt([item.cue for item in transcript_cues(doc)])
