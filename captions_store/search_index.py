"""Keeping ``search_docs`` (and so the engines' full-text indexes) in step with the text.

Called inside the transaction that changes the text. A segment is indexed
as spoken; a translation is indexed while it is current (its
``source_revision`` is the segment's revision) and leaves the index when an
edit makes it stale, until a translation of the new text replaces it.
"""

from __future__ import annotations

from typing import Iterable, Protocol

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from captions_store.doc_keys import MAX_SLOT, doc_id, slot_of
from captions_store.errors import InvalidInput
from captions_store.languages import index_group
from captions_store.tables import SearchDocRow, SegmentRow, SessionRow, TranslationRow

__all__ = ["SearchBackend", "source_doc", "refresh_translation_docs", "reindex_source", "SOURCE", "TRANSLATION"]

SOURCE, TRANSLATION = 0, 1
_docs = SearchDocRow.__table__
_segments = SegmentRow.__table__
_sessions = SessionRow.__table__
_translations = TranslationRow.__table__
_CHUNK = 500


class SearchBackend(Protocol):
    dialect: str

    def index_form(self, text_: str, group: str) -> str: ...


def source_doc(backend: SearchBackend, *, search_key: int, segment_id: str, session_id: str, seq: int,
               lang: str, text_: str) -> dict:
    group = index_group(lang)
    return {"id": doc_id(search_key, seq, 0), "segment_id": segment_id, "session_id": session_id, "kind": SOURCE,
            "lang": lang, "ix": group, "search_text": backend.index_form(text_, group)}


def reindex_source(conn: Connection, backend: SearchBackend, segment_id: str, lang: str, text_: str) -> None:
    conn.execute(update(_docs).where(_docs.c.segment_id == segment_id, _docs.c.kind == SOURCE)
                 .values(search_text=backend.index_form(text_, index_group(lang))))


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def refresh_translation_docs(conn: Connection, backend: SearchBackend, pairs: set[tuple[str, str]]) -> None:
    """Make the translation documents of these (segment id, lang) pairs match the translations table."""
    segment_ids = sorted({segment_id for segment_id, _ in pairs})
    rows, docs = [], []
    for chunk in _chunks(segment_ids):
        rows += conn.execute(
            select(_translations.c.segment_id, _translations.c.lang, _translations.c.text,
                   _translations.c.source_revision, _segments.c.revision, _segments.c.seq, _segments.c.session_id,
                   _sessions.c.search_key)
            .join(_segments, _segments.c.id == _translations.c.segment_id)
            .join(_sessions, _sessions.c.id == _segments.c.session_id)
            .where(_translations.c.segment_id.in_(chunk))
            .with_for_update(of=_segments)).all()  # an edit of the same segment waits, and vice versa
        docs += conn.execute(select(_docs.c.id, _docs.c.segment_id, _docs.c.kind, _docs.c.lang,
                                    _docs.c.search_text).where(_docs.c.segment_id.in_(chunk))).all()
    slots: dict[str, set[int]] = {}
    existing: dict[tuple[str, str], tuple[int, str]] = {}
    for doc in docs:
        slots.setdefault(doc.segment_id, set()).add(slot_of(doc.id))
        if doc.kind == TRANSLATION:
            existing[(doc.segment_id, doc.lang)] = (doc.id, doc.search_text)
    inserts, updates, deletes = [], [], []
    for row in rows:
        pair = (row.segment_id, row.lang)
        if pair not in pairs:
            continue
        current = existing.get(pair)
        if row.source_revision < row.revision:  # stale
            if current is not None:
                deletes.append(current[0])
            continue
        group = index_group(row.lang)
        form = backend.index_form(row.text, group)
        if current is None:
            used = slots.setdefault(row.segment_id, {0})
            slot = next((s for s in range(1, MAX_SLOT + 1) if s not in used), None)
            if slot is None:
                raise InvalidInput(f"segment {row.segment_id!r} has more than {MAX_SLOT} translations")
            used.add(slot)
            inserts.append({"id": doc_id(row.search_key, row.seq, slot), "segment_id": row.segment_id,
                            "session_id": row.session_id, "kind": TRANSLATION, "lang": row.lang, "ix": group,
                            "search_text": form})
        elif current[1] != form:
            updates.append({"doc_id": current[0], "form": form})
    if deletes:
        conn.execute(delete(_docs).where(_docs.c.id.in_(deletes)))
    if updates:
        conn.execute(update(_docs).where(_docs.c.id == bindparam("doc_id")).values(search_text=bindparam("form")),
                     updates)
    if inserts:
        conn.execute(insert(_docs), inserts)
