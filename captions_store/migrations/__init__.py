"""Alembic migrations of the captions store (run by :func:`captions_store.engine.migrate`)."""

__all__: list[str] = []
