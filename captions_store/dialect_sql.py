"""The one statement that differs between SQLite and PostgreSQL here: ``INSERT ... ON CONFLICT``."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_for"]


def insert_for(conn: Connection, table: Table):
    """An insert with ``on_conflict_do_update`` / ``on_conflict_do_nothing`` for the connection's database."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
