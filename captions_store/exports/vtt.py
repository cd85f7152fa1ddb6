"""WebVTT: a ``WEBVTT`` header, a NOTE naming the session, cues with ids and voice tags.

Cue ids are the segment id with the cue's number in the segment
(``s1.floor.12-2``). A cue of a line with a speaker opens with a voice span
(``<v Ambassador Ito>``). ``&``, ``<`` and ``>`` in cue text and speaker
names are written as character references, so no caption text can pass for
markup; control characters and bidi overrides are dropped. A line shown
untranslated (no translation exists yet) is preceded by a NOTE saying so.
"""

from __future__ import annotations

from typing import Sequence

from captions_store.exports.cues import transcript_cues
from captions_store.exports.lines import Cue
from captions_store.exports.meta import language_label, session_date, untranslated_note
from captions_store.exports.timecode import timestamp
from captions_store.records import TranscriptDoc
from captions_store.text_rules import without_controls

__all__ = ["escape", "cue_block", "to_vtt", "export_vtt"]


def escape(text: str) -> str:
    """Character references for markup; control and bidi-override characters dropped."""
    return without_controls(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _note(*lines: str) -> str:
    """A NOTE block; a line break or ``-->`` in the text would end it early, so neither is kept."""
    body = (" ".join(without_controls(line).split()).replace("-->", "->") for line in lines)
    return "NOTE\n" + "\n".join(line for line in body if line)


def cue_block(cue: Cue, *, cue_id: str | None = None, voice: str | None = None) -> str:
    text = "\n".join(escape(line) for line in cue.lines)
    if voice:
        text = f"<v {escape(' '.join(voice.split()))}>{text}"
    head = f"{' '.join(cue_id.split()).replace('-->', '->')}\n" if cue_id else ""
    return f"{head}{timestamp(cue.start_s, '.')} --> {timestamp(cue.end_s, '.')}\n{text}"


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = [cue_block(c) for c in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + ("\n" if blocks else "")


def export_vtt(doc: TranscriptDoc) -> str:
    session = doc.session
    blocks = [_note(session.title, f"{session_date(doc)}" + (f", {session.room}" if session.room else ""),
                    f"language: {language_label(doc)}")]
    for item in transcript_cues(doc):
        if item.number == 1 and not item.line.available:
            blocks.append(_note(f"{item.line.segment_id}: {untranslated_note(item.line)}"))
        blocks.append(cue_block(item.cue, cue_id=item.cue_id, voice=item.line.speaker))
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"
