"""The seq of the live event that carried each translation, for ``since=`` replay from the store.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("translations") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
    op.create_index("ix_translations_seq", "translations", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_translations_seq", table_name="translations")
    with op.batch_alter_table("translations") as batch:
        batch.drop_column("seq")
