"""Full-text search on PostgreSQL: ``search_docs`` is partitioned by index group, each partition
with a generated ``tsvector`` (its language's configuration), a GIN index and its own statistics.

The tsquery text is made of normalised tokens (letters, digits, marks, none
of tsquery's operator characters) joined by ``&``, ``<->`` and ``:*`` here,
and passed as a bound parameter. A search asks each partition in question
for its newest ``limit`` matches, with that partition's configuration
(``UNION ALL`` of one branch per group when no language is given), so a
Spanish stem only matches Spanish documents and the planner judges each
branch by its own partition's statistics: walk the primary key backwards
for a word common there, ask the GIN index for a rare one. Server-side
prepared statements are off (see :mod:`captions_store.engine`): a generic
plan cannot tell a common word from a rare one.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, bindparam, text

from captions_store.languages import INDEX_GROUPS, pg_config
from captions_store.query import ParsedQuery
from captions_store.search_filters import SPEAKER_CONDITION, DocFilter
from captions_store.search_tokens import search_form

__all__ = ["PostgresSearch", "tsquery_text"]

_TSQUERY_SYNTAX = re.compile(r"[&|!():*<>'\\\s]")
_GROUP_CONFIGS = {group: pg_config(group) for group in INDEX_GROUPS}


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
        """Ids of matching documents, newest first, at most ``limit``."""
        conditions = ["id BETWEEN :lo AND :hi"]
        params: dict = {"q": tsquery_text(query), "lo": where.id_lo, "hi": where.id_hi, "limit": limit}
        if where.exact_lang:
            conditions.append("lang = :lang")
            params["lang"] = where.exact_lang
        if where.exclude_sessions:
            conditions.append("session_id NOT IN :excluded")
            params["excluded"] = list(where.exclude_sessions)
        if where.speaker_like:
            conditions.append(f"segment_id IN (SELECT s.id FROM segments s WHERE {SPEAKER_CONDITION})")
            params["speaker"] = where.speaker_like
        groups = (where.group,) if where.group else INDEX_GROUPS
        branches = [_branch(group, conditions) for group in groups]
        sql = text(branches[0] if len(branches) == 1 else
                   f"SELECT id FROM ({' UNION ALL '.join(f'({b})' for b in branches)}) AS hits "
                   f"ORDER BY id DESC LIMIT :limit")
        if where.exclude_sessions:
            sql = sql.bindparams(bindparam("excluded", expanding=True))
        return [row[0] for row in conn.execute(sql, params)]


def _branch(group: str, conditions: list[str]) -> str:
    # Group and configuration names are constants (INDEX_GROUPS), so the partition is pruned at planning.
    match = f"ix = '{group}' AND tsv @@ to_tsquery('{_GROUP_CONFIGS[group]}'::regconfig, :q)"
    return f"SELECT id FROM search_docs WHERE {match} AND {' AND '.join(conditions)} ORDER BY id DESC LIMIT :limit"
