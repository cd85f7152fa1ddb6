"""The transcript as a Word document (python-docx).

Title, then date, room and language; then the speaker turns: consecutive
lines of one speaker on one channel form a turn, a "Heading 2" with the
speaker's name over one paragraph holding the lines, each after its
``[HH:MM:SS]``. Lines without a speaker get a paragraph each and no heading.
A line shown untranslated is followed by an italic ``(untranslated, en)``.

The document's language is set in the style defaults (``w:lang``, under the
attribute Word reads for that script) and in the core properties; each text
run carries its own language too, which matters when segments are shown as
spoken in several. python-docx has no API for right-to-left text, so for
Arabic, Hebrew, Persian... the paragraph gets ``w:bidi`` (right-to-left
paragraph: starts at the right margin, runs ordered right to left) and its
runs of right-to-left or neutral text (a timestamp) ``w:rtl``, written with
python-docx's oxml helpers.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import groupby

import docx
from docx.document import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from captions_store.exports.meta import (is_rtl, language_label, main_language, session_date,
                                         untranslated_note)
from captions_store.exports.pieces import base_language
from captions_store.exports.timecode import clock
from captions_store.records import TranscriptDoc, TranscriptLine

__all__ = ["SpeakerTurn", "speaker_turns", "export_docx"]

_EAST_ASIAN = frozenset({"zh", "yue", "ja", "ko"})
# children of w:pPr that must follow w:bidi (ECMA-376 CT_PPrBase sequence)
_AFTER_BIDI = ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
               "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
               "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
# children of w:rPr that must follow w:lang
_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_GREY = RGBColor(0x59, 0x59, 0x59)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class SpeakerTurn:
    speaker: str | None
    lines: tuple[TranscriptLine, ...]


def speaker_turns(lines: tuple[TranscriptLine, ...]) -> list[SpeakerTurn]:
    """Consecutive lines of one named speaker, channel and writing direction; an unnamed line is a turn alone."""
    turns: list[SpeakerTurn] = []
    spoken = [line for line in lines if line.text.strip()]
    for (speaker, _, _), group in groupby(spoken, key=lambda ln: (ln.speaker, ln.channel, is_rtl(ln.lang))):
        members = tuple(group)
        if speaker:
            turns.append(SpeakerTurn(speaker, members))
        else:
            turns.extend(SpeakerTurn(None, (line,)) for line in members)
    return turns


def _lang_attribute(lang: str) -> str:
    if is_rtl(lang):
        return "w:bidi"
    return "w:eastAsia" if base_language(lang) in _EAST_ASIAN else "w:val"


def _set_run_language(run: Run, lang: str | None) -> None:
    if not lang:
        return
    r_pr = run._r.get_or_add_rPr()
    element = r_pr.find(qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        r_pr.insert_element_before(element, *_AFTER_LANG)
    element.set(qn(_lang_attribute(lang)), lang)


def _reads_right_to_left(text: str) -> bool:
    """Right-to-left letters in it, or no left-to-right ones (a timestamp takes its paragraph's direction)."""
    classes = {unicodedata.bidirectional(ch) for ch in text}
    return bool(classes & {"R", "AL"}) or "L" not in classes


def _set_right_to_left(paragraph: Paragraph) -> None:
    """A right-to-left paragraph; its runs of right-to-left or neutral text marked right-to-left too."""
    p_pr = paragraph._p.get_or_add_pPr()
    if p_pr.find(qn("w:bidi")) is None:
        p_pr.insert_element_before(OxmlElement("w:bidi"), *_AFTER_BIDI)
    for run in paragraph.runs:
        if _reads_right_to_left(run.text):
            run._r.get_or_add_rPr().get_or_add_rtl()


def _set_document_language(document: Document, lang: str | None) -> None:
    if not lang:
        return
    document.core_properties.language = lang
    defaults = document.styles.element.find(qn("w:docDefaults"))
    element = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}") if defaults is not None else None
    if element is not None:
        element.set(qn(_lang_attribute(lang)), lang)


def _utc(at: datetime) -> datetime:
    """python-docx writes core dates as UTC without converting them."""
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo is not None else at


def _plain(text: str) -> str:
    """One line of text, without the control characters XML cannot hold."""
    return _NOT_XML.sub("", " ".join(text.split()))


def _text_run(paragraph: Paragraph, text: str, lang: str | None) -> Run:
    run = paragraph.add_run(_plain(text))
    _set_run_language(run, lang)
    return run


def _add_turn(document: Document, turn: SpeakerTurn) -> None:
    rtl = is_rtl(turn.lines[0].lang)
    if turn.speaker:
        heading = document.add_heading(level=2)
        _text_run(heading, turn.speaker, None)
        if rtl:
            _set_right_to_left(heading)
    body = document.add_paragraph()
    for n, line in enumerate(turn.lines):
        stamp = body.add_run(("" if n == 0 else " ") + f"[{clock(line.start_s)}] ")
        stamp.font.size, stamp.font.color.rgb = Pt(9), _GREY
        _text_run(body, line.text, line.lang)
        if not line.available:
            note = body.add_run(f" ({untranslated_note(line)})")
            note.italic = True
    if rtl:
        _set_right_to_left(body)


def export_docx(doc: TranscriptDoc) -> bytes:
    document = docx.Document()
    lang = main_language(doc)
    session = doc.session
    title = _plain(session.title) or session.id
    _set_document_language(document, lang)
    core = document.core_properties
    core.title, core.subject = title, f"Transcript, {language_label(doc)}"
    core.author = core.last_modified_by = "floorcast"
    core.comments = f"session {session.id}"
    if session.started_at is not None:  # the template's own dates otherwise
        core.created = core.modified = _utc(session.started_at)
    if session.ended_at is not None:
        core.modified = _utc(session.ended_at)
    front = [document.add_heading(title, level=0)]
    for label, value in (("Date", session_date(doc)), ("Room", session.room), ("Language", language_label(doc))):
        if value:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(_plain(value))
            front.append(paragraph)
    if is_rtl(lang):
        for paragraph in front:
            _set_right_to_left(paragraph)
    for turn in speaker_turns(doc.lines):
        _add_turn(document, turn)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
