"""HTTP bodies of the record routes: segments, revisions, search hits.

Routes return these, never store records or tables (the store's dataclasses
carry datetimes and internal fields; these carry what a client may rely on).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from captions_store.records import RevisionRecord, SearchHit, SearchPage, SegmentRecord
from service.protocol import FreeText, OneLine

__all__ = ["SegmentEdit", "TranslationPublic", "SegmentPublic", "RevisionPublic", "SearchHitPublic",
           "SearchPagePublic"]


class SegmentEdit(BaseModel):
    """``PATCH /v1/segments/{id}``: a correction of the source text and/or the speaker label."""

    model_config = ConfigDict(extra="forbid")
    text: FreeText | None = Field(None, max_length=5000)
    speaker: OneLine | None = Field(None, max_length=120, description="'' clears the label")
    editor: OneLine = Field("staff", min_length=1, max_length=120, description="Who made the change, for the history")


class TranslationPublic(BaseModel):
    lang: str
    text: str
    engine: str
    model_version: str
    source_revision: int
    stale: bool = Field(description="Translates an older revision of the source text")


class SegmentPublic(BaseModel):
    id: str
    session_id: str
    seq: int
    channel: str
    start: float
    end: float
    lang: str
    text: str
    speaker: str | None
    revision: int
    updated_at: datetime
    words: list[dict]
    translations: list[TranslationPublic]

    @classmethod
    def of(cls, record: SegmentRecord) -> "SegmentPublic":
        return cls(id=record.id, session_id=record.session_id, seq=record.seq, channel=record.channel,
                   start=record.start_s, end=record.end_s, lang=record.lang, text=record.text,
                   speaker=record.speaker, revision=record.revision, updated_at=record.updated_at,
                   words=list(record.words),
                   translations=[TranslationPublic(lang=t.lang, text=t.text, engine=t.engine,
                                                   model_version=t.model_version,
                                                   source_revision=t.source_revision,
                                                   stale=t.source_revision < record.revision)
                                 for t in record.translations.values()])


class RevisionPublic(BaseModel):
    segment_id: str
    number: int
    editor: str
    at: datetime
    text_before: str
    text_after: str
    speaker_before: str | None
    speaker_after: str | None

    @classmethod
    def of(cls, record: RevisionRecord) -> "RevisionPublic":
        return cls(**{name: getattr(record, name) for name in cls.model_fields})


class SearchHitPublic(BaseModel):
    segment_id: str
    session_id: str
    session_title: str
    session_started_at: datetime | None
    channel: str
    lang: str
    start: float
    end: float
    speaker: str | None
    text: str
    snippet: str = Field(description="HTML-escaped text with <mark>…</mark> around the matched words")
    url: str = Field(description="Where the staff page shows this moment")

    @classmethod
    def of(cls, hit: SearchHit) -> "SearchHitPublic":
        return cls(segment_id=hit.segment_id, session_id=hit.session_id, session_title=hit.session_title,
                   session_started_at=hit.session_started_at, channel=hit.channel, lang=hit.lang,
                   start=hit.start_s, end=hit.end_s, speaker=hit.speaker, text=hit.text, snippet=hit.snippet,
                   url=f"/staff/sessions/{hit.session_id}?lang={hit.lang}&t={hit.start_s:.1f}#{hit.segment_id}")


class SearchPagePublic(BaseModel):
    hits: list[SearchHitPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")

    @classmethod
    def of(cls, page: SearchPage) -> "SearchPagePublic":
        return cls(hits=[SearchHitPublic.of(h) for h in page.hits], next_cursor=page.next_cursor)
