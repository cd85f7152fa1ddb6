"""Writes: sessions, the live writer's batches, and edits. Each runs inside the caller's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from captions_store.dialect_sql import insert_for
from captions_store.doc_keys import MAX_SEARCH_KEY, session_range
from captions_store.errors import Conflict, InvalidInput, NotFound
from captions_store.records import SegmentIn, SessionRecord, TranslationIn
from captions_store.search_index import SearchBackend, refresh_translation_docs, reindex_source, source_doc
from captions_store.tables import OutputRow, RevisionRow, SearchDocRow, SegmentRow, SessionRow, TranslationRow
from captions_store.timeutil import to_utc, utc_now
from captions_store.tokens_store import new_join_code

__all__ = ["insert_session", "write_batch", "edit_segment", "delete_session", "SESSION_STATUSES"]

SESSION_STATUSES = ("live", "ended", "interrupted")
_sessions = SessionRow.__table__
_segments = SegmentRow.__table__
_translations = TranslationRow.__table__
_revisions = RevisionRow.__table__
_docs = SearchDocRow.__table__
_CHUNK = 500
_KEY_PROBE = 4096


def _check_status(status: str) -> None:
    if status not in SESSION_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(SESSION_STATUSES)}, not {status!r}")


def insert_session(conn: Connection, record: SessionRecord) -> SessionRecord:
    if not record.id or not isinstance(record.id, str):
        raise InvalidInput("a session needs an id")
    _check_status(record.status)
    if conn.execute(select(_sessions.c.id).where(_sessions.c.id == record.id)).first() is not None:
        raise Conflict(f"session {record.id!r} exists")
    started_at = to_utc(record.started_at) or utc_now()
    join_code = record.join_code or new_join_code()
    conn.execute(insert(_sessions).values(
        id=record.id, title=record.title, room=record.room, status=record.status, started_at=started_at,
        ended_at=to_utc(record.ended_at), languages=list(record.languages), channels=list(record.channels),
        glossary=list(record.glossary), off_record=record.off_record, public=record.public, join_code=join_code,
        translation_languages=None if record.translation_languages is None else list(record.translation_languages),
        search_key=_free_search_key(conn, started_at)))
    return replace(record, started_at=started_at, ended_at=to_utc(record.ended_at), segment_count=0,
                   join_code=join_code)


def _free_search_key(conn: Connection, started_at: datetime) -> int:
    """The session's start in seconds, or the next second no other session has (keys are unique)."""
    key = min(max(int(started_at.timestamp()), 0), MAX_SEARCH_KEY)
    while key <= MAX_SEARCH_KEY:
        last = min(key + _KEY_PROBE, MAX_SEARCH_KEY)
        taken = set(conn.execute(select(_sessions.c.search_key).where(_sessions.c.search_key.between(key, last)))
                    .scalars())
        free = next((k for k in range(key, last + 1) if k not in taken), None)
        if free is not None:
            return free
        key = last + 1
    raise Conflict("no search key left for this start time")


def _in_chunks(conn: Connection, column, values: list[str], *columns):
    for i in range(0, len(values), _CHUNK):
        yield from conn.execute(select(*columns).where(column.in_(values[i:i + _CHUNK])))


def _check_segment(segment: SegmentIn) -> None:
    if not segment.id or not segment.session_id or not segment.lang or not isinstance(segment.text, str):
        raise InvalidInput(f"segment {segment.id!r} needs an id, a session, a language and text")


def write_batch(conn: Connection, backend: SearchBackend, segments: list[SegmentIn],
                translations: list[TranslationIn]) -> None:
    now = utc_now()
    unique_segments = list({s.id: s for s in reversed(segments)}.values())[::-1]  # first of each id
    if unique_segments:
        _write_segments(conn, backend, unique_segments, now)
    latest = {(t.segment_id, t.lang): t for t in translations}  # last of each (segment, lang)
    if latest:
        _write_translations(conn, backend, list(latest.values()), now)


def _write_segments(conn: Connection, backend: SearchBackend, segments: list[SegmentIn], now: datetime) -> None:
    for segment in segments:
        _check_segment(segment)
    session_ids = sorted({s.session_id for s in segments})
    keys = dict(_in_chunks(conn, _sessions.c.id, session_ids, _sessions.c.id, _sessions.c.search_key))
    missing = [s for s in session_ids if s not in keys]
    if missing:
        raise NotFound(f"no session {missing[0]!r}")
    ids = [s.id for s in segments]
    stored = {row[0] for row in _in_chunks(conn, _segments.c.id, ids, _segments.c.id)}
    new = [s for s in segments if s.id not in stored]
    if not new:
        return
    docs = [source_doc(backend, search_key=keys[s.session_id], segment_id=s.id, session_id=s.session_id,
                       seq=s.seq, lang=s.lang, text_=s.text) for s in new]
    conn.execute(insert(_segments), [
        {"id": s.id, "session_id": s.session_id, "seq": s.seq, "channel": s.channel, "start_s": s.start_s,
         "end_s": s.end_s, "lang": s.lang, "text": s.text, "words": list(s.words), "speaker": s.speaker,
         "revision": 0, "created_at": now, "updated_at": now} for s in new])
    conn.execute(insert(_docs), docs)


def _write_translations(conn: Connection, backend: SearchBackend, translations: list[TranslationIn],
                        now: datetime) -> None:
    segment_ids = sorted({t.segment_id for t in translations})
    known = {row[0] for row in _in_chunks(conn, _segments.c.id, segment_ids, _segments.c.id)}
    missing = [s for s in segment_ids if s not in known]
    if missing:
        raise NotFound(f"translation of unknown segment {missing[0]!r}")
    for t in translations:
        if not t.lang or not isinstance(t.text, str):
            raise InvalidInput(f"translation of {t.segment_id!r} needs a language and text")
    statement = insert_for(conn, _translations)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["segment_id", "lang"],
        set_={"text": excluded.text, "engine": excluded.engine, "model_version": excluded.model_version,
              "source_revision": excluded.source_revision, "created_at": excluded.created_at,
              "seq": func.coalesce(excluded.seq, _translations.c.seq)},
        where=_translations.c.source_revision <= excluded.source_revision)  # a late old translation loses
    conn.execute(statement, [
        {"segment_id": t.segment_id, "lang": t.lang, "text": t.text, "engine": t.engine,
         "model_version": t.model_version, "source_revision": t.source_revision, "created_at": now, "seq": t.seq}
        for t in translations])
    refresh_translation_docs(conn, backend, {(t.segment_id, t.lang) for t in translations})


def edit_segment(conn: Connection, backend: SearchBackend, segment_id: str, *, editor: str, text_: str | None,
                 speaker: str | None) -> bool:
    """A new revision; False when the edit changes nothing. ``speaker=""`` clears the speaker."""
    row = conn.execute(select(_segments).where(_segments.c.id == segment_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"no segment {segment_id!r}")
    if text_ is not None and not text_.strip():
        raise InvalidInput("an edit cannot leave a segment without text")
    new_text = row.text if text_ is None else text_.strip()
    new_speaker = row.speaker if speaker is None else (speaker.strip() or None)
    if new_text == row.text and new_speaker == row.speaker:
        return False
    number = row.revision + 1
    now = utc_now()
    conn.execute(insert(_revisions).values(
        segment_id=segment_id, number=number, editor=editor, at=now, text_before=row.text, text_after=new_text,
        speaker_before=row.speaker, speaker_after=new_speaker))
    changes = {"text": new_text, "speaker": new_speaker, "revision": number, "updated_at": now}
    if new_text != row.text:
        changes["words"] = []  # the recogniser's word timings belonged to the old text
    conn.execute(update(_segments).where(_segments.c.id == segment_id).values(**changes))
    if new_text != row.text:
        reindex_source(conn, backend, segment_id, row.lang, new_text)
    else:  # the speaker changed, the words did not: current translations stay current
        conn.execute(update(_translations).where(_translations.c.segment_id == segment_id,
                                                 _translations.c.source_revision >= row.revision)
                     .values(source_revision=number))
    langs = conn.execute(select(_translations.c.lang).where(_translations.c.segment_id == segment_id)).scalars()
    refresh_translation_docs(conn, backend, {(segment_id, lang) for lang in langs})
    return True


def delete_session(conn: Connection, session_id: str) -> None:
    key = conn.execute(select(_sessions.c.search_key).where(_sessions.c.id == session_id)).scalar()
    if key is None:
        raise NotFound(f"no session {session_id!r}")
    lo, hi = session_range(key)
    conn.execute(delete(_docs).where(_docs.c.id.between(lo, hi)))  # on SQLite, triggers empty the FTS rows
    of_session = select(_segments.c.id).where(_segments.c.session_id == session_id)
    conn.execute(delete(_revisions).where(_revisions.c.segment_id.in_(of_session)))
    conn.execute(delete(_translations).where(_translations.c.segment_id.in_(of_session)))
    conn.execute(delete(_segments).where(_segments.c.session_id == session_id))
    conn.execute(delete(OutputRow.__table__).where(OutputRow.__table__.c.session_id == session_id))
    conn.execute(delete(_sessions).where(_sessions.c.id == session_id))
