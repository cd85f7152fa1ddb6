"""Full-text search on SQLite: FTS5, one table per index group, documents stemmed in Python.

The MATCH expression is built from a :class:`~captions_store.query.ParsedQuery`
only: every clause is a double-quoted FTS5 string of normalised tokens
(letters, digits, marks), so no user character can reach FTS5's syntax.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, text

from captions_store.languages import INDEX_GROUPS
from captions_store.query import ParsedQuery
from captions_store.search_filters import SPEAKER_CONDITION, DocFilter
from captions_store.search_tokens import STEMMED_LANGUAGES, search_form, stem

__all__ = ["SqliteSearch", "match_expression"]


def match_expression(query: ParsedQuery, group: str) -> str:
    stem_lang = group if group in STEMMED_LANGUAGES else None
    parts = []
    for clause in query.clauses:
        words = [stem(word, stem_lang) if stem_lang else word for word in clause.words]
        quoted = '"' + " ".join(words).replace('"', '""') + '"'
        parts.append(quoted + " *" if clause.prefix else quoted)
    return " AND ".join(parts)


class SqliteSearch:
    dialect = "sqlite"

    @staticmethod
    def index_form(text_: str, group: str) -> str:
        return search_form(text_, stem_lang=group if group in STEMMED_LANGUAGES else None)

    def find(self, conn: Connection, query: ParsedQuery, where: DocFilter, limit: int) -> list[int]:
        """Ids of matching documents, newest first, at most ``limit``."""
        groups = (where.group,) if where.group else INDEX_GROUPS
        found: list[int] = []
        for group in groups:
            found += self._find_in(conn, group, match_expression(query, group), where, limit)
        return sorted(found, reverse=True)[:limit]

    @staticmethod
    def _find_in(conn: Connection, group: str, match: str, where: DocFilter, limit: int) -> list[int]:
        fts = f"fts_{group}"  # from INDEX_GROUPS, never from input
        joins, conditions = "", [f"{fts} MATCH :match", "f.rowid BETWEEN :lo AND :hi"]
        params: dict = {"match": match, "lo": where.id_lo, "hi": where.id_hi, "limit": limit}
        if where.exact_lang or where.exclude_sessions or where.speaker_like:
            joins = "JOIN search_docs d ON d.id = f.rowid"
        if where.speaker_like:
            joins += " JOIN segments s ON s.id = d.segment_id"
            conditions.append(SPEAKER_CONDITION)
            params["speaker"] = where.speaker_like
        if where.exact_lang:
            conditions.append("d.lang = :lang")
            params["lang"] = where.exact_lang
        if where.exclude_sessions:
            conditions.append("d.session_id NOT IN :excluded")
            params["excluded"] = list(where.exclude_sessions)
        sql = text(f"SELECT f.rowid FROM {fts} f {joins} WHERE {' AND '.join(conditions)} "
                   f"ORDER BY f.rowid DESC LIMIT :limit")
        if where.exclude_sessions:
            sql = sql.bindparams(bindparam("excluded", expanding=True))
        return [row[0] for row in conn.execute(sql, params)]
