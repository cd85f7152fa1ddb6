"""A readable plain-text transcript.

A header (title, date, room, language), a blank line, then a line per
segment: ``[HH:MM:SS] Speaker: text``. The channel is named after the time
when the transcript has more than one; a segment with no translation yet is
marked ``(untranslated, en)`` and shown as spoken. Text is written plain
(:func:`plain_caption`): no markup tags, control characters or ``-->``.
"""

from __future__ import annotations

from captions_store.exports.meta import language_label, session_date, untranslated_note
from captions_store.exports.timecode import clock
from captions_store.records import TranscriptDoc, TranscriptLine
from captions_store.text_rules import plain_caption

__all__ = ["export_txt"]


def _one_line(text: str) -> str:
    return " ".join(plain_caption(text).split())


def _line(line: TranscriptLine, *, with_channel: bool) -> str:
    parts = [f"[{clock(line.start_s)}]"]
    if with_channel:
        parts.append(f"[{line.channel}]")
    if line.speaker:
        parts.append(f"{_one_line(line.speaker)}:")
    if not line.available:
        parts.append(f"({untranslated_note(line)})")
    parts.append(_one_line(line.text))
    return " ".join(parts)


def export_txt(doc: TranscriptDoc) -> str:
    session = doc.session
    header = [_one_line(session.title) or session.id, f"Date: {session_date(doc)}"]
    if session.room:
        header.append(f"Room: {_one_line(session.room)}")
    header.append(f"Language: {language_label(doc)}")
    with_channel = len({line.channel for line in doc.lines}) > 1
    body = [_line(line, with_channel=with_channel) for line in doc.lines if line.text.strip()]
    return "\n".join(header) + "\n\n" + "".join(f"{text}\n" for text in body)
