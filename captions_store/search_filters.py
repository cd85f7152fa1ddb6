"""Search filters turned into what both engines answer fast: one id range, plus rare exceptions.

A session is one range of document ids, and so is a range of session start
dates (see :mod:`captions_store.doc_keys`); a language is an index group.
What a range cannot say exactly (a session whose search key was bumped out of
start-date order, a language without a group of its own) is checked row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, not_, select

from captions_store.doc_keys import MAX_SEARCH_KEY, decode_cursor, key_range, session_range
from captions_store.errors import NotFound, QueryError
from captions_store.languages import index_group
from captions_store.tables import SessionRow
from captions_store.timeutil import to_utc

__all__ = ["DocFilter", "build_filter", "speaker_pattern", "SPEAKER_CONDITION"]

_sessions = SessionRow.__table__
# The segment ``s`` has a speaker label containing the name (bound as ``:speaker``, see speaker_pattern).
SPEAKER_CONDITION = "lower(s.speaker) LIKE :speaker ESCAPE '\\'"


@dataclass(frozen=True)
class DocFilter:
    id_lo: int
    id_hi: int
    group: str | None = None  # index group, when a language was asked for
    exact_lang: str | None = None  # checked per row: languages that share the group "xx"
    exclude_sessions: tuple[str, ...] = ()
    speaker_like: str | None = None  # a LIKE pattern (escape character backslash) for lower(speaker)

    @property
    def empty(self) -> bool:
        return self.id_lo > self.id_hi


def speaker_pattern(name: str) -> str:
    """``name`` anywhere in the label: LIKE's wildcards in it are escaped, so they match themselves."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def build_filter(conn: Connection, *, lang: str | None, session_id: str | None, date_from: datetime | None,
                 date_to: datetime | None, cursor: str | None, speaker: str | None = None) -> DocFilter:
    lo, hi = key_range(0, MAX_SEARCH_KEY)
    excluded: tuple[str, ...] = ()
    if session_id is not None:
        key = conn.execute(select(_sessions.c.search_key).where(_sessions.c.id == session_id)).scalar()
        if key is None:
            raise NotFound(f"no session {session_id!r}")
        s_lo, s_hi = session_range(key)
        lo, hi = max(lo, s_lo), min(hi, s_hi)
    if date_from is not None or date_to is not None:
        (d_lo, d_hi), excluded = _date_range(conn, to_utc(date_from), to_utc(date_to))
        lo, hi = max(lo, d_lo), min(hi, d_hi)
    if cursor is not None:
        hi = min(hi, decode_cursor(cursor) - 1)
    group = exact = None
    if lang is not None:
        if not lang or len(lang) > 16:
            raise QueryError("invalid language code")
        group = index_group(lang)
        exact = lang if group == "xx" else None
    return DocFilter(lo, hi, group, exact, excluded, speaker_pattern(speaker) if speaker else None)


def _date_range(conn: Connection, date_from: datetime | None,
                date_to: datetime | None) -> tuple[tuple[int, int], tuple[str, ...]]:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise QueryError("date_from is after date_to")
    started = _sessions.c.started_at
    in_range = and_(started >= date_from if date_from is not None else True,
                    started <= date_to if date_to is not None else True)
    first, last = conn.execute(select(func.min(_sessions.c.search_key), func.max(_sessions.c.search_key))
                               .where(in_range)).one()
    if first is None:
        return (1, 0), ()
    outside = conn.execute(select(_sessions.c.id).where(_sessions.c.search_key.between(first, last),
                                                        not_(in_range))).scalars().all()
    return key_range(first, last), tuple(outside)
