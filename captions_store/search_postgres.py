"""Full-text search on PostgreSQL: a generated ``tsvector`` per document with its language's
configuration, one GIN index, and ``to_tsquery`` built from parsed tokens.

The tsquery text is made of normalised tokens (letters, digits, marks, none
of tsquery's operator characters) joined by ``&``, ``<->`` and ``:*`` here,
and passed as a bound parameter. Without a language filter the query is
the OR of its rendering in every configuration, since each document was
stemmed with its own.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, bindparam, text

from captions_store.languages import PG_CONFIGS, pg_config
from captions_store.query import ParsedQuery
from captions_store.search_filters import DocFilter
from captions_store.tokens import search_form

__all__ = ["PostgresSearch", "tsquery_text"]

_TSQUERY_SYNTAX = re.compile(r"[&|!():*<>'\\\s]")
_ALL_CONFIGS = (*PG_CONFIGS.values(), "simple")


def tsquery_text(query: ParsedQuery) -> str:
    clauses = []
    for clause in query.clauses:
        words = [_TSQUERY_SYNTAX.sub("", word) for word in clause.words]
        words = [word for word in words if word]
        if not words:
            continue
        rendered = " <-> ".join(words) + (":*" if clause.prefix else "")
        clauses.append(f"({rendered})")
    return " & ".join(clauses)


class PostgresSearch:
    dialect = "postgresql"

    @staticmethod
    def index_form(text_: str, group: str) -> str:
        return search_form(text_)  # PostgreSQL stems with the group's configuration

    def find(self, conn: Connection, query: ParsedQuery, where: DocFilter, limit: int) -> list[int]:
        configs = (pg_config(where.group),) if where.group else _ALL_CONFIGS
        tsquery = " || ".join(f"to_tsquery('{config}'::regconfig, :q)" for config in configs)
        conditions = [f"tsv @@ ({tsquery})", "id BETWEEN :lo AND :hi"]
        params: dict = {"q": tsquery_text(query), "lo": where.id_lo, "hi": where.id_hi, "limit": limit}
        if where.group:
            conditions.append("ix = :group")
            params["group"] = where.group
        if where.exact_lang:
            conditions.append("lang = :lang")
            params["lang"] = where.exact_lang
        if where.exclude_sessions:
            conditions.append("session_id NOT IN :excluded")
            params["excluded"] = list(where.exclude_sessions)
        sql = text(f"SELECT id FROM search_docs WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT :limit")
        if where.exclude_sessions:
            sql = sql.bindparams(bindparam("excluded", expanding=True))
        return [row[0] for row in conn.execute(sql, params)]
