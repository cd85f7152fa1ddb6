"""What every export says about its session: title, date, language, direction, file name."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from captions_store.exports.pieces import base_language
from captions_store.records import TranscriptDoc, TranscriptLine

__all__ = ["RTL_LANGUAGES", "is_rtl", "format_datetime", "session_date", "main_language", "language_label",
           "untranslated_note", "file_stem"]

RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "ps", "yi", "sd", "ug", "dv", "ckb"})


def is_rtl(lang: str | None) -> bool:
    return base_language(lang) in RTL_LANGUAGES


def format_datetime(at: datetime) -> str:
    """``2025-03-04 10:00 UTC``; a naive datetime is written without a zone."""
    zone = at.tzname()
    return at.strftime("%Y-%m-%d %H:%M") + (f" {zone}" if zone else "")


def session_date(doc: TranscriptDoc) -> str:
    started = doc.session.started_at
    return format_datetime(started) if started is not None else "not started"


def main_language(doc: TranscriptDoc) -> str | None:
    """The language asked for, else the one most of the transcript was spoken in."""
    if doc.lang:
        return doc.lang
    counts = Counter(line.lang for line in doc.lines if line.lang)
    return counts.most_common(1)[0][0] if counts else None


def language_label(doc: TranscriptDoc) -> str:
    if doc.lang:
        return doc.lang
    spoken = sorted({line.lang for line in doc.lines if line.lang})
    return "as spoken" + (f" ({', '.join(spoken)})" if spoken else "")


def untranslated_note(line: TranscriptLine) -> str:
    return f"untranslated, {line.source_lang}"


def file_stem(doc: TranscriptDoc) -> str:
    """``<session-id>-<lang>`` (``-original`` when every segment is as spoken), safe in a file name."""
    stem = f"{doc.session.id}-{doc.lang or 'original'}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "transcript"
