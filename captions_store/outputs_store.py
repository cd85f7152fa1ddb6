"""Caption outputs as stored: added by staff, their delivery progress saved after each post, stopped.

The functions run inside the caller's transaction (see :class:`captions_store.store.Store`).
A stopped output stays in the table, so the session page can still show what it delivered.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from captions_store.errors import NotFound
from captions_store.records import OutputProgress, OutputRecord
from captions_store.tables import OutputRow, SessionRow
from captions_store.timeutil import from_db, utc_now

__all__ = ["insert_output", "list_outputs", "active_outputs", "stop_output", "save_progress", "new_output_id"]

_outputs = OutputRow.__table__
_sessions = SessionRow.__table__
_ERROR_MAX = 500


def new_output_id() -> str:
    return f"out_{secrets.token_hex(6)}"


def _record(row) -> OutputRecord:
    m = row._mapping
    return OutputRecord(id=m["id"], session_id=m["session_id"], kind=m["kind"], url=m["url"], language=m["language"],
                        created_at=from_db(m["created_at"]), secret=m["secret"], stopped_at=from_db(m["stopped_at"]),
                        seq=m["seq"], through_seq=m["through_seq"], delivered=m["delivered"], failed=m["failed"],
                        last_error=m["last_error"])


def insert_output(conn: Connection, *, session_id: str, kind: str, url: str, language: str, secret: str = "",
                  through_seq: int = 0) -> OutputRecord:
    if conn.execute(select(_sessions.c.id).where(_sessions.c.id == session_id)).first() is None:
        raise NotFound(f"no session {session_id!r}")
    output_id = new_output_id()
    conn.execute(insert(_outputs).values(id=output_id, session_id=session_id, kind=kind, url=url, language=language,
                                         secret=secret, created_at=utc_now(), through_seq=through_seq))
    return _get(conn, session_id, output_id)


def _get(conn: Connection, session_id: str, output_id: str) -> OutputRecord:
    row = conn.execute(select(_outputs).where(_outputs.c.id == output_id, _outputs.c.session_id == session_id)).first()
    if row is None:
        raise NotFound(f"session {session_id!r} has no output {output_id[:40]!r}")
    return _record(row)


def list_outputs(conn: Connection, session_id: str) -> list[OutputRecord]:
    rows = conn.execute(select(_outputs).where(_outputs.c.session_id == session_id)
                        .order_by(_outputs.c.created_at, _outputs.c.id))
    return [_record(row) for row in rows]


def active_outputs(conn: Connection, session_ids: list[str]) -> list[OutputRecord]:
    """The outputs not stopped of these sessions (what an instance recording them must deliver)."""
    if not session_ids:
        return []
    rows = conn.execute(select(_outputs).where(_outputs.c.session_id.in_(session_ids), _outputs.c.stopped_at.is_(None))
                        .order_by(_outputs.c.created_at, _outputs.c.id))
    return [_record(row) for row in rows]


def stop_output(conn: Connection, session_id: str, output_id: str, at: datetime | None = None) -> OutputRecord:
    current = _get(conn, session_id, output_id)
    if current.stopped_at is None:
        conn.execute(update(_outputs).where(_outputs.c.id == output_id).values(stopped_at=at or utc_now()))
    return _get(conn, session_id, output_id)


def save_progress(conn: Connection, output_id: str, progress: OutputProgress) -> None:
    """Never moves ``seq`` or ``through_seq`` back (a late save from an instance that lost the session)."""
    row = conn.execute(select(_outputs.c.seq, _outputs.c.through_seq).where(_outputs.c.id == output_id)).first()
    if row is None:
        return  # the session (and its outputs) was deleted meanwhile
    conn.execute(update(_outputs).where(_outputs.c.id == output_id).values(
        seq=max(row.seq, progress.seq), through_seq=max(row.through_seq, progress.through_seq),
        delivered=progress.delivered, failed=progress.failed, last_error=progress.last_error[:_ERROR_MAX]))
