"""Table rows <-> boundary records (:mod:`captions_store.records`)."""

from __future__ import annotations

from sqlalchemy import Row

from captions_store.records import RevisionRecord, SegmentRecord, SessionRecord, TokenRecord, TranslationRecord
from captions_store.timeutil import from_db

__all__ = ["session_record", "segment_record", "translation_record", "revision_record", "token_record"]


def session_record(row: Row, segment_count: int = 0) -> SessionRecord:
    m = row._mapping
    return SessionRecord(id=m["id"], title=m["title"], room=m["room"], status=m["status"],
                         started_at=from_db(m["started_at"]), ended_at=from_db(m["ended_at"]),
                         languages=tuple(m["languages"] or ()), channels=tuple(m["channels"] or ()),
                         glossary=tuple(m["glossary"] or ()), off_record=bool(m["off_record"]),
                         segment_count=segment_count, public=bool(m.get("public", False)),
                         join_code=m.get("join_code") or "",
                         translation_languages=None if m.get("translation_languages") is None
                         else tuple(m["translation_languages"]))


def translation_record(row: Row) -> TranslationRecord:
    m = row._mapping
    return TranslationRecord(segment_id=m["segment_id"], lang=m["lang"], text=m["text"], engine=m["engine"],
                             model_version=m["model_version"], source_revision=m["source_revision"],
                             created_at=from_db(m["created_at"]), seq=m.get("seq"))


def segment_record(row: Row, translations: dict[str, TranslationRecord] | None = None) -> SegmentRecord:
    m = row._mapping
    return SegmentRecord(id=m["id"], session_id=m["session_id"], seq=m["seq"], channel=m["channel"],
                         start_s=m["start_s"], end_s=m["end_s"], lang=m["lang"], text=m["text"],
                         words=tuple(m["words"] or ()), speaker=m["speaker"], revision=m["revision"],
                         created_at=from_db(m["created_at"]), updated_at=from_db(m["updated_at"]),
                         translations=dict(translations or {}))


def revision_record(row: Row) -> RevisionRecord:
    m = row._mapping
    return RevisionRecord(segment_id=m["segment_id"], number=m["number"], editor=m["editor"], at=from_db(m["at"]),
                          text_before=m["text_before"], text_after=m["text_after"],
                          speaker_before=m["speaker_before"], speaker_after=m["speaker_after"])


def token_record(row: Row) -> TokenRecord:
    m = row._mapping
    return TokenRecord(id=m["id"], role=m["role"], session_id=m["session_id"], label=m["label"],
                       created_at=from_db(m["created_at"]), expires_at=from_db(m["expires_at"]),
                       revoked_at=from_db(m["revoked_at"]), last_used_at=from_db(m["last_used_at"]))
