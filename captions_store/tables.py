"""SQLModel tables. Only :mod:`captions_store` sees them; callers get :mod:`captions_store.records`.

The schema itself is made by the alembic migrations in ``migrations/versions``;
these classes describe the same tables for queries. ``search_docs`` holds one
row per searchable text (a segment as spoken, and each current translation of
it) in the engine's search form; the full-text structures on top of it
(SQLite FTS5 tables kept by triggers, PostgreSQL's generated ``tsv`` column and
GIN index) exist only in the migrations.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, SmallInteger, String, \
    UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["SessionRow", "SegmentRow", "TranslationRow", "RevisionRow", "SearchDocRow", "TokenRow", "OutputRow", "metadata"]

metadata = SQLModel.metadata


def _utc_column(nullable: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"

    id: str = Field(sa_column=Column(String(128), primary_key=True))
    title: str = Field(sa_column=Column(String(500), nullable=False))
    room: str = Field(sa_column=Column(String(200), nullable=False, default=""))
    status: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    started_at: datetime = Field(sa_column=_utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    languages: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    channels: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    glossary: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    off_record: bool = Field(default=False, nullable=False)
    # Orders sessions by start time for search: the high bits of every search_docs id (see doc_keys).
    search_key: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    public: bool = Field(default=False, nullable=False)
    join_code: str = Field(default="", sa_column=Column(String(16), nullable=False, default=""))
    translation_languages: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SegmentRow(SQLModel, table=True):
    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_session_seq", "session_id", "seq"),)

    id: str = Field(sa_column=Column(String(200), primary_key=True))
    session_id: str = Field(sa_column=Column(String(128), ForeignKey("sessions.id", ondelete="CASCADE"),
                                             nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    channel: str = Field(sa_column=Column(String(100), nullable=False))
    start_s: float
    end_s: float
    lang: str = Field(sa_column=Column(String(16), nullable=False))
    text: str = Field(sa_column=Column(String, nullable=False))
    words: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    speaker: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    revision: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class TranslationRow(SQLModel, table=True):
    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("segment_id", "lang", name="uq_translations_segment_lang"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    segment_id: str = Field(sa_column=Column(String(200), ForeignKey("segments.id", ondelete="CASCADE"),
                                             nullable=False))
    lang: str = Field(sa_column=Column(String(16), nullable=False))
    text: str = Field(sa_column=Column(String, nullable=False))
    engine: str = Field(sa_column=Column(String(100), nullable=False))
    model_version: str = Field(sa_column=Column(String(200), nullable=False, default=""))
    source_revision: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, index=True))


class RevisionRow(SQLModel, table=True):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("segment_id", "number", name="uq_revisions_segment_number"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    segment_id: str = Field(sa_column=Column(String(200), ForeignKey("segments.id", ondelete="CASCADE"),
                                             nullable=False))
    number: int
    editor: str = Field(sa_column=Column(String(200), nullable=False))
    at: datetime = Field(sa_column=_utc_column())
    text_before: str = Field(sa_column=Column(String, nullable=False))
    text_after: str = Field(sa_column=Column(String, nullable=False))
    speaker_before: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    speaker_after: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))


class SearchDocRow(SQLModel, table=True):
    __tablename__ = "search_docs"
    __table_args__ = (UniqueConstraint("segment_id", "kind", "lang", name="uq_search_docs_segment_kind_lang"),)

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))  # doc_keys.doc_id
    segment_id: str = Field(sa_column=Column(String(200), ForeignKey("segments.id", ondelete="CASCADE"),
                                             nullable=False))
    session_id: str = Field(sa_column=Column(String(128), nullable=False))
    kind: int = Field(sa_column=Column(SmallInteger, nullable=False))  # 0 the segment as spoken, 1 a translation
    lang: str = Field(sa_column=Column(String(16), nullable=False))
    ix: str = Field(sa_column=Column(String(8), nullable=False))  # index group: languages.index_group(lang)
    search_text: str = Field(sa_column=Column(String, nullable=False))


class TokenRow(SQLModel, table=True):
    """An access token: its secret is kept only as a SHA-256 digest (see :mod:`captions_store.tokens_store`)."""

    __tablename__ = "access_tokens"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    secret_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    session_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True, index=True))
    label: str = Field(sa_column=Column(String(200), nullable=False, default=""))
    created_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class OutputRow(SQLModel, table=True):
    """A destination a session's finals in one language are posted to (see :mod:`captions_store.outputs_store`)."""

    __tablename__ = "caption_outputs"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    session_id: str = Field(sa_column=Column(String(128), ForeignKey("sessions.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    url: str = Field(sa_column=Column(String(2048), nullable=False))
    language: str = Field(sa_column=Column(String(16), nullable=False))
    secret: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    created_at: datetime = Field(sa_column=_utc_column())
    stopped_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    through_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    delivered: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    failed: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_error: str = Field(default="", sa_column=Column(String(500), nullable=False, default=""))
