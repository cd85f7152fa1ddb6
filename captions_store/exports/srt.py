"""SubRip (SRT): numbered cues, ``HH:MM:SS,mmm`` times, plain text lines.

SRT has no escaping, and players render the HTML-like tags (``<font>``, ``<i>``) and ``{\\an8}``
overrides some writers put in it, so cue text is written plain (:func:`plain_caption`): no tags, no
control characters, no ``-->`` inside a line.

SRT has no voice spans either: where a named speaker begins (on a channel), the cue opens with a
name line, ``>> The Chair:``, the broadcast captioner's mark of a new speaker.
"""

from __future__ import annotations

from dataclasses import replace
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


def _with_name(cue: Cue, speaker: str) -> Cue:
    name = " ".join(plain_caption(speaker).split())
    return replace(cue, lines=(f">> {name}:", *cue.lines)) if name else cue


def export_srt(doc: TranscriptDoc) -> str:
    cues: list[Cue] = []
    speaking: dict[str, str | None] = {}  # channel -> the speaker of its latest line
    for item in transcript_cues(doc):
        speaker, channel = item.line.speaker, item.line.channel
        opens_turn = item.number == 1 and bool(speaker) and speaking.get(channel) != speaker
        if item.number == 1:
            speaking[channel] = speaker
        cues.append(_with_name(item.cue, speaker) if opens_turn and speaker else item.cue)
    return to_srt(cues)
