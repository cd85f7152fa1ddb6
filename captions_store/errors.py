"""The store's exceptions, the only ones that leave :mod:`captions_store`.

    StoreError            the database failed or refused a write (HTTP 500/503)
    ├── NotFound          unknown session or segment id (404)
    ├── QueryError        a search query that cannot be run: empty after sanitising, too long (422)
    │   └── InvalidInput  a record the store will not write: empty edit text, seq out of range (422)
    └── Conflict          a write that contradicts the record, e.g. a session id that exists (409)

SQLAlchemy and driver exceptions are translated into these once, by
:func:`translate_errors`, at the public methods of :class:`captions_store.store.Store`.
"""

from __future__ import annotations

import functools
from typing import Callable, ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc

__all__ = ["StoreError", "NotFound", "QueryError", "InvalidInput", "Conflict", "translate_errors"]

P = ParamSpec("P")
R = TypeVar("R")


class StoreError(Exception):
    """Base of everything the store raises."""


class NotFound(StoreError):
    """Unknown session or segment id (HTTP 404)."""


class QueryError(StoreError):
    """A search query that cannot be run: empty after sanitising, too long (HTTP 422)."""


class InvalidInput(QueryError):
    """A record the store will not write, e.g. an edit to empty text (HTTP 422)."""


class Conflict(StoreError):
    """A write that contradicts the record, e.g. a session id that exists (HTTP 409)."""


def translate_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Let the store's own errors through; turn SQLAlchemy's (and the drivers') into StoreError."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except StoreError:
            raise
        except sa_exc.IntegrityError as exc:
            raise Conflict(f"the write contradicts the record: {_reason(exc)}") from exc
        except sa_exc.SQLAlchemyError as exc:
            raise StoreError(f"database error in {method.__name__}: {_reason(exc)}") from exc

    return wrapper


def _reason(exc: sa_exc.SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    return str(original if original is not None else exc).strip().splitlines()[0][:300]
