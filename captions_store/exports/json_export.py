"""The transcript as JSON, in a documented shape that only grows (``version`` changes if it ever must break).

::

    {
      "format": "floorcast.transcript", "version": 1,
      "lang": "fr" | null,                 # null: every segment as spoken
      "session": {"id", "title", "room", "status", "started_at", "ended_at",   # datetimes ISO 8601
                  "languages": [...], "channels": [{"name", "language"}...],
                  "glossary": [{"term", "renderings": {lang: text}}...], "off_record", "segment_count"},
      "lines": [{"segment_id", "channel", "start_s", "end_s",   # seconds on the session timeline
                 "lang", "source_lang", "text", "speaker",
                 "translated",            # text is a translation of the source
                 "available",             # false: no translation yet, text is the source
                 "revision",              # 0 as recognised, +1 per edit
                 "words": [{"word", "start_s", "end_s", "probability"}...]}...]   # source text only
    }

:func:`json_schema` gives the JSON Schema of this shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from captions_store.exports.cues import word_timings
from captions_store.records import SessionRecord, TranscriptDoc, TranscriptLine

__all__ = ["WordOut", "SessionOut", "LineOut", "TranscriptExport", "transcript_model", "export_json", "json_schema"]


class WordOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    word: str  # as recognised, leading space included
    start_s: float
    end_s: float
    probability: float | None = None


class SessionOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    room: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    languages: list[str]
    channels: list[dict[str, Any]]
    glossary: list[dict[str, Any]]
    off_record: bool
    segment_count: int


class LineOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    segment_id: str
    channel: str
    start_s: float
    end_s: float
    lang: str
    source_lang: str
    text: str
    speaker: str | None
    translated: bool
    available: bool
    revision: int
    words: list[WordOut]


class TranscriptExport(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: Literal["floorcast.transcript"] = "floorcast.transcript"
    version: Literal[1] = 1
    lang: str | None
    session: SessionOut
    lines: list[LineOut]


def _session(session: SessionRecord) -> SessionOut:
    return SessionOut(id=session.id, title=session.title, room=session.room, status=session.status,
                      started_at=session.started_at, ended_at=session.ended_at,
                      languages=list(session.languages), channels=[dict(c) for c in session.channels],
                      glossary=[dict(g) for g in session.glossary], off_record=session.off_record,
                      segment_count=session.segment_count)


def _probability(entry: object) -> float | None:
    value = entry.get("probability") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _line(line: TranscriptLine) -> LineOut:
    timings = word_timings(line)
    words = [WordOut(word=w.text, start_s=w.start_s, end_s=w.end_s, probability=_probability(entry))
             for w, entry in zip(timings, line.words)]
    return LineOut(segment_id=line.segment_id, channel=line.channel, start_s=line.start_s, end_s=line.end_s,
                   lang=line.lang, source_lang=line.source_lang, text=line.text, speaker=line.speaker,
                   translated=line.translated, available=line.available, revision=line.revision, words=words)


def transcript_model(doc: TranscriptDoc) -> TranscriptExport:
    return TranscriptExport(lang=doc.lang, session=_session(doc.session), lines=[_line(ln) for ln in doc.lines])


def export_json(doc: TranscriptDoc) -> str:
    return transcript_model(doc).model_dump_json(indent=2) + "\n"


def json_schema() -> dict[str, Any]:
    return TranscriptExport.model_json_schema()
