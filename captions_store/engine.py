"""Engines for the two databases and the migrations that shape them.

SQLite (the default, a file in the data directory): WAL journal with
``synchronous=NORMAL`` (a committed transaction survives the process being
killed; a power cut may lose the last few but never corrupts the file),
foreign keys on, a busy timeout, and explicit ``BEGIN`` / ``BEGIN IMMEDIATE``
so that a write transaction takes the write lock up front instead of failing
half-way when another connection writes.

PostgreSQL (``postgresql+psycopg://...``): the database must be UTF-8, since
the text-search parser classifies letters by it.

:func:`migrate` runs alembic programmatically against ``migrations/`` in this
package; no ``alembic.ini`` is needed at run time.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from captions_store.errors import StoreError

__all__ = ["make_engine", "migrate", "alembic_config", "WRITE", "SQLITE_FILE"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "floorcast.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE = {"floorcast_write": True}  # execution option: a write transaction (BEGIN IMMEDIATE on SQLite)


def make_engine(url: str | None, data_dir: Path) -> Engine:
    if url is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # No server-side prepared statements: a generic plan cannot see how common the searched words are.
    engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10,
                           connect_args={"prepare_threshold": None})
    with engine.connect() as conn:
        encoding = conn.execute(text("SHOW server_encoding")).scalar_one()
    if encoding.upper() not in ("UTF8", "UTF-8"):
        engine.dispose()
        raise StoreError(f"the PostgreSQL database must be UTF8, not {encoding}")
    return engine


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                       f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("floorcast_write") else "BEGIN")

    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


MIGRATION_LOCK_KEY = 0x666C6F6F72  # "floor": any constant shared by every floorcast instance


def migrate(engine: Engine, revision: str = "head", *, downgrade: bool = False) -> None:
    """``upgrade`` to ``revision`` (or ``downgrade`` to it) in one transaction."""
    config = alembic_config()
    with engine.execution_options(**WRITE).begin() as conn:
        if conn.dialect.name == "postgresql":  # instances starting together: one migrates, the others wait
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(config, revision)
