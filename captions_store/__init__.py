"""Captions store: the durable record of sessions, captions, translations and edits, and its search.

Callers use :class:`captions_store.store.Store` and the records in
:mod:`captions_store.records`; everything else in this package is its inside:
``tables`` (SQLModel) and ``migrations`` (alembic) for the schema, ``engine``
for SQLite/PostgreSQL set-up, ``writes``/``reads`` for the repository
functions, ``query``/``tokens``/``snippets`` for search text,
``search_sqlite``/``search_postgres`` for each engine's full-text search, and
``exports`` for transcripts as SRT, WebVTT, TXT, JSON and DOCX.
"""

__all__: list[str] = []
