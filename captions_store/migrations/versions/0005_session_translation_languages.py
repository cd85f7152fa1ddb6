"""The languages a session is translated into, so that a revived session keeps them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

NULL (every session recorded before this migration) means the default: all
six UN languages; an empty list means no machine translation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (see 0004): batch mode on SQLite would recreate ``sessions`` and cascade to segments.
    op.add_column("sessions", sa.Column("translation_languages", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("sessions", "translation_languages")
