"""What every export says about its session: title, date, language, direction, file name."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import datetime, timezone

from captions_store.exports.pieces import base_language
from captions_store.records import TranscriptDoc, TranscriptLine

__all__ = ["RTL_LANGUAGES", "is_rtl", "format_datetime", "session_date", "main_language", "language_label",
           "untranslated_note", "file_stem"]

TITLE_CHARS = 60

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


def _slug(text: str, *, ascii_only: bool) -> str:
    """Words of ``text`` joined by ``-``, lower case: letters and digits of any script, or of ASCII only."""
    if ascii_only:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
        return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", text).casefold()).strip("-")


def file_stem(doc: TranscriptDoc, *, ascii_only: bool = False) -> str:
    """``<title>-<YYYY-MM-DD>-<lang>`` (``-original`` when every segment is as spoken), safe in a file name.

    The title's words are kept in their own script (``جلسة-عامة-2025-03-04-ar``) and cut at
    :data:`TITLE_CHARS`; ``ascii_only`` gives the name for a Content-Disposition's plain ``filename=``
    (``filename*`` carries the UTF-8 one). A title with no letter or digit left gives the session id. The
    date is the session's start (UTC); a session never started has none.
    """
    session = doc.session
    title = (_slug(session.title, ascii_only=ascii_only)[:TITLE_CHARS].strip("-")
             or re.sub(r"[^A-Za-z0-9-]+", "-", session.id).strip("-") or "transcript")
    date = session.started_at.astimezone(timezone.utc).strftime("%Y-%m-%d") if session.started_at else None
    return "-".join(part for part in (title, date, doc.lang or "original") if part)
