"""Reads for live-session recovery: stored caption events after a ``seq``, and how far a session got."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from captions_store.errors import NotFound
from captions_store.records import CaptionRecord, ChannelProgress, SessionProgress
from captions_store.rows import segment_record, translation_record
from captions_store.tables import SegmentRow, SessionRow, TranslationRow

__all__ = ["captions_after", "session_progress"]

_segments = SegmentRow.__table__
_translations = TranslationRow.__table__
_sessions = SessionRow.__table__


def _require_session(conn: Connection, session_id: str) -> None:
    if conn.execute(select(_sessions.c.id).where(_sessions.c.id == session_id)).first() is None:
        raise NotFound(f"no session {session_id!r}")


def captions_after(conn: Connection, session_id: str, seq: int, *, before: int | None, limit: int) -> list[CaptionRecord]:
    """Segments and translations published with ``seq < event seq < before``, in seq order, as they read now."""
    _require_session(conn, session_id)
    upper = before if before is not None else 2 ** 62
    segment_seqs = select(_segments.c.seq.label("seq"), _segments.c.id.label("segment_id"),
                          _segments.c.lang.label("lang"), _segments.c.seq.label("is_source")).where(
        _segments.c.session_id == session_id, _segments.c.seq > seq, _segments.c.seq < upper)
    translation_seqs = select(_translations.c.seq, _translations.c.segment_id, _translations.c.lang,
                              (_translations.c.seq * 0 - 1).label("is_source")).join(
        _segments, _segments.c.id == _translations.c.segment_id).where(
        _segments.c.session_id == session_id, _translations.c.seq > seq, _translations.c.seq < upper)
    union = segment_seqs.union_all(translation_seqs).subquery()
    events = conn.execute(select(union).order_by(union.c.seq).limit(max(0, limit))).all()
    ids = sorted({row.segment_id for row in events})
    segments = {row.id: row for row in conn.execute(select(_segments).where(_segments.c.id.in_(ids)))} if ids else {}
    translations: dict[str, dict] = {}
    if ids:
        for row in conn.execute(select(_translations).where(_translations.c.segment_id.in_(ids))):
            translations.setdefault(row.segment_id, {})[row.lang] = translation_record(row)
    out = []
    for row in events:
        segment = segment_record(segments[row.segment_id], translations.get(row.segment_id))
        lang = None if row.is_source >= 0 else row.lang
        if lang is None or lang in segment.translations:
            out.append(CaptionRecord(seq=row.seq, segment=segment, lang=lang))
    return out


def session_progress(conn: Connection, session_id: str) -> SessionProgress:
    _require_session(conn, session_id)
    last_segment = conn.execute(select(func.max(_segments.c.seq)).where(_segments.c.session_id == session_id)).scalar()
    last_translation = conn.execute(select(func.max(_translations.c.seq)).join(
        _segments, _segments.c.id == _translations.c.segment_id).where(_segments.c.session_id == session_id)).scalar()
    channels: dict[str, ChannelProgress] = {}
    rows = conn.execute(select(_segments.c.channel, _segments.c.id, _segments.c.end_s)
                        .where(_segments.c.session_id == session_id))
    for channel, segment_id, end_s in rows:
        number = int(segment_id.rsplit(".", 1)[-1]) if segment_id.rsplit(".", 1)[-1].isdigit() else 0
        known = channels.get(channel, ChannelProgress(0, 0.0))
        channels[channel] = ChannelProgress(max(known.segments, number), max(known.end_s, end_s))
    return SessionProgress(last_seq=max(last_segment or 0, last_translation or 0), channels=channels)
