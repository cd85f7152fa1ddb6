"""Search: parse the query, turn filters into id ranges, ask the engine for one page of ids,
then read the hits and make their snippets."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, func, select

from captions_store.doc_keys import encode_cursor
from captions_store.errors import QueryError
from captions_store.query import ParsedQuery, parse_query
from captions_store.records import SearchHit, SearchPage
from captions_store.search_filters import DocFilter, build_filter
from captions_store.search_index import SOURCE, TRANSLATION
from captions_store.snippets import snippet
from captions_store.tables import SearchDocRow, SegmentRow, SessionRow, TranslationRow
from captions_store.timeutil import from_db

__all__ = ["SearchEngine", "search", "MAX_PAGE"]

MAX_PAGE = 200
_docs = SearchDocRow.__table__
_segments = SegmentRow.__table__
_sessions = SessionRow.__table__
_translations = TranslationRow.__table__


class SearchEngine(Protocol):
    def find(self, conn: Connection, query: ParsedQuery, where: DocFilter, limit: int) -> list[int]: ...


def search(conn: Connection, engine: SearchEngine, q: str, *, lang: str | None, session_id: str | None,
           date_from: datetime | None, date_to: datetime | None, limit: int, cursor: str | None) -> SearchPage:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit must be between 1 and {MAX_PAGE}")
    query = parse_query(q)
    where = build_filter(conn, lang=lang, session_id=session_id, date_from=date_from, date_to=date_to,
                         cursor=cursor, speaker=query.speaker)
    if where.empty:
        return SearchPage(hits=(), next_cursor=None)
    ids = engine.find(conn, query, where, limit + 1) if query.clauses else _by_speaker(conn, where, limit + 1)
    page = ids[:limit]
    hits = _hits(conn, page, query)
    return SearchPage(hits=hits, next_cursor=encode_cursor(page[-1]) if len(ids) > limit else None)


def _by_speaker(conn: Connection, where: DocFilter, limit: int) -> list[int]:
    """A query that is a speaker alone: that speaker's lines, newest first (as spoken, unless a language
    is asked for), without the full-text index."""
    sql = (select(_docs.c.id).join(_segments, _segments.c.id == _docs.c.segment_id)
           .where(_docs.c.id.between(where.id_lo, where.id_hi),
                  func.lower(_segments.c.speaker).like(where.speaker_like, escape="\\")))
    if where.group is None:
        sql = sql.where(_docs.c.kind == SOURCE)
    else:
        sql = sql.where(_docs.c.ix == where.group)
    if where.exact_lang:
        sql = sql.where(_docs.c.lang == where.exact_lang)
    if where.exclude_sessions:
        sql = sql.where(_docs.c.session_id.not_in(where.exclude_sessions))
    return list(conn.execute(sql.order_by(_docs.c.id.desc()).limit(limit)).scalars())


def _hits(conn: Connection, ids: list[int], query: ParsedQuery) -> tuple[SearchHit, ...]:
    if not ids:
        return ()
    rows = conn.execute(
        select(_docs.c.id, _docs.c.kind, _docs.c.lang.label("doc_lang"), _segments.c.id.label("segment_id"),
               _segments.c.session_id, _segments.c.channel, _segments.c.start_s, _segments.c.end_s,
               _segments.c.speaker, _segments.c.text, _sessions.c.title, _sessions.c.started_at,
               _translations.c.text.label("translation"))
        .join(_segments, _segments.c.id == _docs.c.segment_id)
        .join(_sessions, _sessions.c.id == _segments.c.session_id)
        .outerjoin(_translations, (_translations.c.segment_id == _docs.c.segment_id)
                   & (_translations.c.lang == _docs.c.lang) & (_docs.c.kind == TRANSLATION))
        .where(_docs.c.id.in_(ids))).all()
    by_id = {row.id: row for row in rows}
    hits = []
    for doc in ids:
        row = by_id.get(doc)
        if row is None:  # deleted between the two statements (PostgreSQL read committed)
            continue
        text = row.translation if row.kind == TRANSLATION else row.text
        if text is None:
            continue
        hits.append(SearchHit(segment_id=row.segment_id, session_id=row.session_id, session_title=row.title,
                              channel=row.channel, lang=row.doc_lang, start_s=row.start_s, end_s=row.end_s,
                              speaker=row.speaker, text=text, snippet=snippet(text, row.doc_lang, query),
                              session_started_at=from_db(row.started_at)))
    return tuple(hits)
