"""Reads: sessions, segments with their translations, revisions, transcripts."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from captions_store.errors import NotFound
from captions_store.records import (RevisionRecord, SegmentRecord, SessionRecord, TranscriptDoc, TranscriptLine,
                                    TranslationRecord)
from captions_store.rows import revision_record, segment_record, session_record, translation_record
from captions_store.tables import RevisionRow, SegmentRow, SessionRow, TranslationRow

__all__ = ["get_session", "list_sessions", "get_segment", "segments_after", "revisions", "stale_translations",
           "transcript"]

_sessions = SessionRow.__table__
_segments = SegmentRow.__table__
_translations = TranslationRow.__table__
_revisions = RevisionRow.__table__


def _counts(conn: Connection, session_ids: list[str]) -> dict[str, int]:
    if not session_ids:
        return {}
    rows = conn.execute(select(_segments.c.session_id, func.count()).where(_segments.c.session_id.in_(session_ids))
                        .group_by(_segments.c.session_id))
    return {session_id: count for session_id, count in rows}


def get_session(conn: Connection, session_id: str) -> SessionRecord:
    row = conn.execute(select(_sessions).where(_sessions.c.id == session_id)).first()
    if row is None:
        raise NotFound(f"no session {session_id!r}")
    return session_record(row, _counts(conn, [session_id]).get(session_id, 0))


def list_sessions(conn: Connection, *, limit: int, offset: int, status: str | None) -> list[SessionRecord]:
    query = select(_sessions).order_by(_sessions.c.started_at.desc(), _sessions.c.id)
    if status is not None:
        query = query.where(_sessions.c.status == status)
    rows = conn.execute(query.limit(max(0, limit)).offset(max(0, offset))).all()
    counts = _counts(conn, [row.id for row in rows])
    return [session_record(row, counts.get(row.id, 0)) for row in rows]


def _translations_of(conn: Connection, segment_ids: list[str]) -> dict[str, dict[str, TranslationRecord]]:
    out: dict[str, dict[str, TranslationRecord]] = {}
    for i in range(0, len(segment_ids), 500):
        rows = conn.execute(select(_translations).where(_translations.c.segment_id.in_(segment_ids[i:i + 500])))
        for row in rows:
            out.setdefault(row.segment_id, {})[row.lang] = translation_record(row)
    return out


def get_segment(conn: Connection, segment_id: str) -> SegmentRecord:
    row = conn.execute(select(_segments).where(_segments.c.id == segment_id)).first()
    if row is None:
        raise NotFound(f"no segment {segment_id!r}")
    return segment_record(row, _translations_of(conn, [segment_id]).get(segment_id))


def _require_session(conn: Connection, session_id: str):
    row = conn.execute(select(_sessions).where(_sessions.c.id == session_id)).first()
    if row is None:
        raise NotFound(f"no session {session_id!r}")
    return row


def segments_after(conn: Connection, session_id: str, seq: int, *, limit: int) -> list[SegmentRecord]:
    _require_session(conn, session_id)
    rows = conn.execute(select(_segments).where(_segments.c.session_id == session_id, _segments.c.seq > seq)
                        .order_by(_segments.c.seq).limit(max(0, limit))).all()
    translations = _translations_of(conn, [row.id for row in rows])
    return [segment_record(row, translations.get(row.id)) for row in rows]


def revisions(conn: Connection, segment_id: str) -> list[RevisionRecord]:
    if conn.execute(select(_segments.c.id).where(_segments.c.id == segment_id)).first() is None:
        raise NotFound(f"no segment {segment_id!r}")
    rows = conn.execute(select(_revisions).where(_revisions.c.segment_id == segment_id).order_by(_revisions.c.number))
    return [revision_record(row) for row in rows]


def stale_translations(conn: Connection, segment_id: str) -> list[str]:
    revision = conn.execute(select(_segments.c.revision).where(_segments.c.id == segment_id)).scalar()
    if revision is None:
        raise NotFound(f"no segment {segment_id!r}")
    return sorted(conn.execute(select(_translations.c.lang).where(_translations.c.segment_id == segment_id,
                                                                  _translations.c.source_revision < revision))
                  .scalars())


def transcript(conn: Connection, session_id: str, *, lang: str | None, channels: list[str] | None) -> TranscriptDoc:
    """Lines in seq order. With ``lang``: the source where it was spoken in ``lang``, else the current
    translation (``translated``), else the source with ``available=False``. A stale translation (made
    from an earlier revision of the segment) is not current: the line falls back to the edited source."""
    session_row = _require_session(conn, session_id)
    query = select(_segments).where(_segments.c.session_id == session_id).order_by(_segments.c.seq)
    if channels is not None:
        query = query.where(_segments.c.channel.in_(list(channels)))
    rows = conn.execute(query).all()
    wanted: dict[str, tuple[str, int]] = {}
    if lang is not None:
        tr = conn.execute(select(_translations.c.segment_id, _translations.c.text, _translations.c.source_revision)
                          .join(_segments, _segments.c.id == _translations.c.segment_id)
                          .where(_segments.c.session_id == session_id, _translations.c.lang == lang))
        wanted = {row.segment_id: (row.text, row.source_revision) for row in tr}
    lines = tuple(_line(row, lang, wanted.get(row.id)) for row in rows)
    return TranscriptDoc(session=session_record(session_row, len(rows) if channels is None else
                                                _counts(conn, [session_id]).get(session_id, 0)),
                         lang=lang, lines=lines)


def _line(row, lang: str | None, translation: tuple[str, int] | None) -> TranscriptLine:
    source = dict(segment_id=row.id, channel=row.channel, start_s=row.start_s, end_s=row.end_s,
                  source_lang=row.lang, speaker=row.speaker, revision=row.revision)
    if lang is None or lang == row.lang:
        return TranscriptLine(**source, lang=row.lang, text=row.text, translated=False, available=True,
                              words=tuple(row.words or ()))
    if translation is not None and translation[1] >= row.revision:
        return TranscriptLine(**source, lang=lang, text=translation[0], translated=True, available=True)
    return TranscriptLine(**source, lang=row.lang, text=row.text, translated=False, available=False,
                          words=tuple(row.words or ()))
