"""The captions store: the only module callers use to read and write the record.

CONTRACT (implemented by the store work; the service codes against it).
Every method is synchronous and thread-safe: it opens its own database session
and commits before returning. The live pipeline calls ``write_batch`` from a
writer thread; HTTP routes call the rest through ``asyncio.to_thread``.

Errors: :class:`StoreError` subclasses, translated once here from SQLAlchemy's
(see :mod:`captions_store.errors` for the tree).

Transcripts never present a stale translation (one made from an earlier
revision of its segment) as current: such a line shows the edited source text
with ``available=False``, and search does not find the stale translation
until a translation of the new text is written.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from captions_store import outputs_store, reads, replay, tokens_store, writes
from captions_store.engine import WRITE, make_engine, migrate
from captions_store.errors import Conflict, InvalidInput, NotFound, QueryError, StoreError, translate_errors
from captions_store.records import (CaptionRecord, IssuedToken, OutputProgress, OutputRecord, RevisionRecord,
                                    SearchPage, SegmentIn, SegmentRecord, SessionAccess, SessionProgress,
                                    SessionRecord, TokenRecord, TranscriptDoc, TranslationIn)
from captions_store.search import search as run_search
from captions_store.search_postgres import PostgresSearch
from captions_store.search_sqlite import SqliteSearch
from captions_store.tables import SessionRow
from captions_store.timeutil import to_utc

__all__ = ["Store", "StoreError", "NotFound", "QueryError", "Conflict", "InvalidInput"]

_sessions = SessionRow.__table__
_KEY_RACE_ATTEMPTS = 5


class Store:
    def __init__(self, engine: Engine) -> None:
        """Use :meth:`open`; this wraps an engine whose schema is already at head."""
        self._engine = engine
        self._writer = engine.execution_options(**WRITE)
        self._search = PostgresSearch() if engine.dialect.name == "postgresql" else SqliteSearch()

    @classmethod
    @translate_errors
    def open(cls, url: str | None, data_dir: Path) -> "Store":
        """``url`` None: SQLite file ``data_dir/floorcast.db`` (WAL). Runs alembic migrations to head."""
        engine = make_engine(url, Path(data_dir))
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    # sessions
    @translate_errors
    def create_session(self, record: SessionRecord) -> SessionRecord:
        attempts = 0
        while True:
            attempts += 1
            try:
                with self._write() as conn:
                    return writes.insert_session(conn, record)
            except IntegrityError:  # on PostgreSQL, a session created at the same second took the search key
                if attempts >= _KEY_RACE_ATTEMPTS:
                    raise

    @translate_errors
    def update_session(self, session_id: str, *, status: str | None = None, ended_at: datetime | None = None,
                       off_record: bool | None = None, title: str | None = None) -> SessionRecord:
        changes: dict = {}
        if status is not None:
            if status not in writes.SESSION_STATUSES:
                raise InvalidInput(f"status must be one of {', '.join(writes.SESSION_STATUSES)}")
            changes["status"] = status
        if ended_at is not None:
            changes["ended_at"] = to_utc(ended_at)
        if off_record is not None:
            changes["off_record"] = bool(off_record)
        if title is not None:
            changes["title"] = title
        with self._write() as conn:
            if changes:
                result = conn.execute(update(_sessions).where(_sessions.c.id == session_id).values(**changes))
                if result.rowcount == 0:
                    raise NotFound(f"no session {session_id!r}")
            return reads.get_session(conn, session_id)

    @translate_errors
    def get_session(self, session_id: str) -> SessionRecord:
        with self._read() as conn:
            return reads.get_session(conn, session_id)

    @translate_errors
    def list_sessions(self, *, limit: int = 50, offset: int = 0, status: str | None = None) -> list[SessionRecord]:
        with self._read() as conn:
            return reads.list_sessions(conn, limit=limit, offset=offset, status=status)

    @translate_errors
    def delete_session(self, session_id: str) -> None:
        with self._write() as conn:
            writes.delete_session(conn, session_id)

    @translate_errors
    def mark_interrupted(self) -> list[str]:
        """Sessions still "live" at start-up become "interrupted"; returns their ids."""
        with self._write() as conn:
            ids = list(conn.execute(select(_sessions.c.id).where(_sessions.c.status == "live")).scalars())
            if ids:
                conn.execute(update(_sessions).where(_sessions.c.id.in_(ids)).values(status="interrupted"))
            return ids

    # live writes (one transaction per call; idempotent on segment id / (segment id, lang))
    @translate_errors
    def write_batch(self, segments: list[SegmentIn], translations: list[TranslationIn]) -> None:
        if not segments and not translations:
            return
        with self._write() as conn:
            writes.write_batch(conn, self._search, list(segments), list(translations))

    # segments
    @translate_errors
    def get_segment(self, segment_id: str) -> SegmentRecord:
        with self._read() as conn:
            return reads.get_segment(conn, segment_id)

    @translate_errors
    def segments_after(self, session_id: str, seq: int, *, limit: int = 1000) -> list[SegmentRecord]:
        with self._read() as conn:
            return reads.segments_after(conn, session_id, seq, limit=limit)

    @translate_errors
    def captions_after(self, session_id: str, seq: int, *, before: int | None = None,
                       limit: int = 5000) -> list[CaptionRecord]:
        """Stored caption events (segments as spoken, translations) with ``seq < event seq < before``."""
        with self._read() as conn:
            return replay.captions_after(conn, session_id, seq, before=before, limit=limit)

    @translate_errors
    def session_progress(self, session_id: str) -> SessionProgress:
        """The last stored seq and, per channel, the last segment number and end time."""
        with self._read() as conn:
            return replay.session_progress(conn, session_id)

    @translate_errors
    def edit_segment(self, segment_id: str, *, editor: str, text: str | None = None,
                     speaker: str | None = None) -> SegmentRecord:
        """A new revision (unless nothing changes). A text change makes the translations stale; a speaker
        change alone keeps them current. ``speaker=""`` clears the speaker."""
        with self._write() as conn:
            writes.edit_segment(conn, self._search, segment_id, editor=editor, text_=text, speaker=speaker)
            return reads.get_segment(conn, segment_id)

    @translate_errors
    def revisions(self, segment_id: str) -> list[RevisionRecord]:
        with self._read() as conn:
            return reads.revisions(conn, segment_id)

    @translate_errors
    def stale_translations(self, segment_id: str) -> list[str]:
        """Languages whose translation was made from an earlier revision of the segment."""
        with self._read() as conn:
            return reads.stale_translations(conn, segment_id)

    # reading
    @translate_errors
    def transcript(self, session_id: str, *, lang: str | None = None,
                   channels: list[str] | None = None) -> TranscriptDoc:
        with self._read() as conn:
            return reads.transcript(conn, session_id, lang=lang, channels=channels)

    @translate_errors
    def search(self, q: str, *, lang: str | None = None, session_id: str | None = None,
               date_from: datetime | None = None, date_to: datetime | None = None,
               limit: int = 20, cursor: str | None = None) -> SearchPage:
        """Newest first (latest session, latest segment); ``next_cursor`` continues after this page."""
        with self._read() as conn:
            return run_search(conn, self._search, q, lang=lang, session_id=session_id, date_from=date_from,
                              date_to=date_to, limit=limit, cursor=cursor)

    # access: tokens (stored as digests) and who may watch a session (see captions_store.tokens_store)
    @translate_errors
    def create_token(self, *, role: str, session_id: str | None = None, label: str = "",
                     expires_at: datetime | None = None) -> IssuedToken:
        """A new token; the returned ``token`` string is the only copy of its secret."""
        with self._write() as conn:
            return tokens_store.insert_token(conn, role=role, session_id=session_id, label=label,
                                             expires_at=expires_at)

    @translate_errors
    def list_tokens(self, *, limit: int = 500, offset: int = 0) -> list[TokenRecord]:
        """Newest first, revoked and expired ones included."""
        with self._read() as conn:
            return tokens_store.list_tokens(conn, limit=limit, offset=offset)

    @translate_errors
    def get_token(self, token_id: str) -> TokenRecord:
        with self._read() as conn:
            return tokens_store.get_token(conn, token_id)

    @translate_errors
    def tokens_by_id(self, token_ids: list[str]) -> dict[str, TokenRecord]:
        """Many tokens at once, by id: how open connections check that their credential still holds."""
        with self._read() as conn:
            return tokens_store.tokens_by_id(conn, token_ids)

    @translate_errors
    def revoke_token(self, token_id: str) -> TokenRecord:
        with self._write() as conn:
            return tokens_store.revoke_token(conn, token_id)

    @translate_errors
    def token_for(self, presented: str) -> TokenRecord | None:
        """The stored token whose secret this is (in whatever state), or None."""
        with self._read() as conn:
            return tokens_store.token_for(conn, presented)

    @translate_errors
    def touch_token(self, token_id: str, at: datetime) -> None:
        with self._write() as conn:
            tokens_store.touch_token(conn, token_id, at)

    @translate_errors
    def session_access(self, session_id: str) -> SessionAccess:
        with self._read() as conn:
            return tokens_store.session_access(conn, session_id)

    # caption outputs: destinations a session's finals are posted to (see captions_store.outputs_store)
    @translate_errors
    def add_output(self, session_id: str, *, kind: str, url: str, language: str, secret: str = "",
                   through_seq: int = 0) -> OutputRecord:
        with self._write() as conn:
            return outputs_store.insert_output(conn, session_id=session_id, kind=kind, url=url, language=language,
                                               secret=secret, through_seq=through_seq)

    @translate_errors
    def list_outputs(self, session_id: str) -> list[OutputRecord]:
        with self._read() as conn:
            return outputs_store.list_outputs(conn, session_id)

    @translate_errors
    def active_outputs(self, session_ids: list[str]) -> list[OutputRecord]:
        with self._read() as conn:
            return outputs_store.active_outputs(conn, list(session_ids))

    @translate_errors
    def stop_output(self, session_id: str, output_id: str) -> OutputRecord:
        with self._write() as conn:
            return outputs_store.stop_output(conn, session_id, output_id)

    @translate_errors
    def save_output_progress(self, output_id: str, progress: OutputProgress) -> None:
        with self._write() as conn:
            outputs_store.save_progress(conn, output_id, progress)
