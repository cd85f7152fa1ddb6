"""Caption outputs: destinations (Zoom, YouTube Live, webhooks) a session's finals are delivered to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

``seq`` is the last sequence number posted to the destination (Zoom and
YouTube require it to grow by one per new caption, never on a retry), and
``through_seq`` the last session event the output has dealt with, so that an
output continues after a restart or a failover without repeating a number or
a caption.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "caption_outputs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("session_id", sa.String(128), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("stopped_at", _utc(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("through_seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("delivered", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
    )
    op.create_index("ix_caption_outputs_session_id", "caption_outputs", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_caption_outputs_session_id", table_name="caption_outputs")
    op.drop_table("caption_outputs")
