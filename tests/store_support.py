"""Fixtures for the captions-store tests: the same tests run on SQLite and on a real PostgreSQL.

PostgreSQL comes from ``FLOORCAST_TEST_DATABASE_URL`` (``bash .ci/start_postgres.sh`` starts
the server and prints it); each test module, and each test that asks for ``empty_database``,
gets a database of its own, created with a random name and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from captions_store.store import Store

__all__ = ["Database", "backend", "module_database", "empty_database", "store", "fresh_database"]

PG_ENV = "FLOORCAST_TEST_DATABASE_URL"


@dataclass(frozen=True)
class Database:
    url: str | None  # None: SQLite in data_dir
    data_dir: Path


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request) -> str:
    if request.param == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} is not set: start PostgreSQL with `bash .ci/start_postgres.sh` and export its URL")
    return request.param


@contextmanager
def fresh_database(backend: str, data_dir: Path) -> Iterator[Database]:
    if backend == "sqlite":
        yield Database(None, data_dir)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(os.environ[PG_ENV])
    name = f"floorcast_test_{secrets.token_hex(6)}"
    # CREATE/DROP DATABASE from the maintenance database, whatever happens to the one in the URL.
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                              "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
        yield Database(url.set(database=name).render_as_string(hide_password=False), data_dir)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin, name: str, attempts: int = 20) -> None:
    """DROP ... WITH (FORCE) ends the test's own connections, but not an autovacuum worker's (a
    superuser's: "must be a member of the role"); that worker finishes in moments, so try again."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            return
        except DBAPIError as exc:
            if attempt == attempts - 1 or getattr(exc.orig, "sqlstate", None) not in ("42501", "55006"):
                raise
            time.sleep(0.25)


@pytest.fixture(scope="module")
def module_database(backend, tmp_path_factory) -> Iterator[Database]:
    with fresh_database(backend, tmp_path_factory.mktemp(f"store-{backend}")) as database:
        yield database


@pytest.fixture
def empty_database(backend, tmp_path) -> Iterator[Database]:
    with fresh_database(backend, tmp_path) as database:
        yield database


@pytest.fixture(scope="module")
def store(module_database) -> Iterator[Store]:
    opened = Store.open(module_database.url, module_database.data_dir)
    yield opened
    opened.close()
