"""PostgreSQL: ``search_docs`` partitioned by index group (SQLite: nothing to do).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

One table's statistics cannot tell the planner that "secretary" is common in
English and absent from Russian: a search asking the Russian documents for
it was planned as "walk the primary key backwards until 20 match" and read
every Russian row. A partition per index group has statistics of its own, a
GIN index of its own, and is what ``search_postgres`` asks, one branch per
group. The rows are copied across; ``tsv`` is generated again on the way.
"""

from __future__ import annotations

from alembic import op

__all__: list[str] = []

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GROUPS = ("en", "fr", "es", "ru", "ar", "zh", "xx")
PG_CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic"}
COLUMNS = "id, segment_id, session_id, kind, lang, ix, search_text"
_TSV = ("tsv tsvector GENERATED ALWAYS AS (to_tsvector(CASE ix "
        + " ".join(f"WHEN '{group}' THEN '{config}'::regconfig" for group, config in PG_CONFIGS.items())
        + " ELSE 'simple'::regconfig END, search_text)) STORED")
_STATISTICS = "ALTER TABLE search_docs ALTER COLUMN tsv SET STATISTICS 1000"


def _set_aside(old: str) -> None:
    """Rename the current table and the names its indexes hold, so the new one can take them."""
    op.execute(f"ALTER TABLE search_docs RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT uq_search_docs_segment_kind_lang TO uq_{old}_segment")
    op.execute(f"ALTER INDEX ix_search_docs_tsv RENAME TO ix_{old}_tsv")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _set_aside("search_docs_single")
    op.execute(f"""
        CREATE TABLE search_docs (
            id BIGINT NOT NULL,
            segment_id VARCHAR(200) NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
            session_id VARCHAR(128) NOT NULL,
            kind SMALLINT NOT NULL,
            lang VARCHAR(16) NOT NULL,
            ix VARCHAR(8) NOT NULL,
            search_text TEXT NOT NULL,
            {_TSV},
            CONSTRAINT pk_search_docs PRIMARY KEY (id, ix),
            CONSTRAINT uq_search_docs_segment_kind_lang UNIQUE (segment_id, kind, lang, ix)
        ) PARTITION BY LIST (ix)""")
    for group in GROUPS:
        op.execute(f"CREATE TABLE search_docs_{group} PARTITION OF search_docs FOR VALUES IN ('{group}')")
    op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")
    op.execute(_STATISTICS)
    op.execute(f"INSERT INTO search_docs ({COLUMNS}) SELECT {COLUMNS} FROM search_docs_single")
    op.execute("DROP TABLE search_docs_single")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _set_aside("search_docs_parted")
    op.execute(f"""
        CREATE TABLE search_docs (
            id BIGINT NOT NULL PRIMARY KEY,
            segment_id VARCHAR(200) NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
            session_id VARCHAR(128) NOT NULL,
            kind SMALLINT NOT NULL,
            lang VARCHAR(16) NOT NULL,
            ix VARCHAR(8) NOT NULL,
            search_text TEXT NOT NULL,
            {_TSV},
            CONSTRAINT uq_search_docs_segment_kind_lang UNIQUE (segment_id, kind, lang)
        )""")
    op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")
    op.execute(_STATISTICS)
    op.execute(f"INSERT INTO search_docs ({COLUMNS}) SELECT {COLUMNS} FROM search_docs_parted")
    op.execute("DROP TABLE search_docs_parted")
