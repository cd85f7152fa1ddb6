"""Alembic environment: migrations run on the connection the store hands over.

``Store.open`` passes its own connection in ``config.attributes["connection"]``.
By hand, with the repository's ``alembic.ini``::

    alembic -x url=sqlite:///.data/floorcast.db upgrade head
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

__all__: list[str] = []


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("the captions store migrations run online only (they differ per database)")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


main()
