"""The two statements that differ between SQLite and PostgreSQL: insert-or-ignore and upsert."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_ignore", "insert_for"]


def insert_for(conn: Connection, table: Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignore(conn: Connection, table: Table, rows: list[dict]) -> None:
    if rows:
        conn.execute(insert_for(conn, table).on_conflict_do_nothing(), rows)
