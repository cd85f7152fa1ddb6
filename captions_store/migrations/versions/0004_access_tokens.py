"""Access tokens (stored hashed), and who may watch a session: ``public`` and a join code.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Sessions recorded before this migration stay private and get a join code
each, so their viewers have a way in that is not an access token.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copy of captions_store.tokens_store's alphabet and length: a migration does not follow later changes.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=True),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=True),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.Column("last_used_at", _utc(), nullable=True),
    )
    op.create_index("ix_access_tokens_session_id", "access_tokens", ["session_id"])
    # Plain ALTER TABLE on both databases: SQLite's batch mode would copy ``sessions`` into a new table and
    # drop the old one, and dropping it would cascade to every segment. '0' is false to both databases.
    op.add_column("sessions", sa.Column("public", sa.Boolean(), nullable=False, server_default="0"))
    op.add_column("sessions", sa.Column("join_code", sa.String(16), nullable=False, server_default=""))
    sessions = sa.table("sessions", sa.column("id", sa.String), sa.column("join_code", sa.String))
    conn = op.get_bind()
    for (session_id,) in conn.execute(sa.select(sessions.c.id)).all():
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        conn.execute(sa.update(sessions).where(sessions.c.id == session_id).values(join_code=code))


def downgrade() -> None:
    op.drop_column("sessions", "join_code")  # SQLite 3.35+ drops a column in place (see upgrade)
    op.drop_column("sessions", "public")
    op.drop_index("ix_access_tokens_session_id", table_name="access_tokens")
    op.drop_table("access_tokens")
