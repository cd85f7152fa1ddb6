"""Finding the session a websocket asks for: live here, revived here, or only in the record.

* A viewer may watch any session the store knows: one live on this instance,
  one live on another instance (its events arrive through the bus), one
  waiting for its audio to come back, or an ended one (replayed, then closed).
* Audio goes only to a session live on this instance. A session whose
  recording instance stopped (``interrupted``, or ``live`` on an instance whose
  lease expired) is revived here: its ``seq`` continues above anything a
  viewer may have seen (``SEQ_RESTART_GAP``), each channel's segment numbers
  and timeline continue after the record. With Redis, the session's lease
  must be ours first.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi import FastAPI

from captions_store.store import NotFound
from service.session_conversions import booth_languages
from service.session_errors import SessionElsewhere, SessionEnded, UnknownSession
from service.sessions import LiveSession

__all__ = ["SessionView", "view_for_viewer", "live_for_ingest", "release_if_idle", "SEQ_RESTART_GAP"]

log = logging.getLogger(__name__)
SEQ_RESTART_GAP = 1000  # partials are not stored: a viewer may have seen seqs a little above the record
_revive_lock = asyncio.Lock()


@dataclass(frozen=True)
class SessionView:
    id: str
    channels: dict[str, str | None]  # name -> fixed language (booths)
    allowed_languages: tuple[str, ...]
    status: str
    live: LiveSession | None  # this instance records it
    ended_at: float | None = None


async def view_for_viewer(app: FastAPI, session_id: str) -> SessionView:
    live = app.state.registry.get(session_id)
    if live is not None:
        return SessionView(live.id, booth_languages(live.spec.channels), tuple(live.allowed_languages), live.status,
                           live)
    try:
        record = await asyncio.to_thread(app.state.store.get_session, session_id)
    except NotFound:
        raise UnknownSession(session_id) from None
    return SessionView(record.id, booth_languages(record.channels), record.languages,
                       record.status, None, record.ended_at.timestamp() if record.ended_at else None)


async def live_for_ingest(app: FastAPI, session_id: str) -> LiveSession:
    registry, leases = app.state.registry, app.state.leases
    async with _revive_lock:  # two channels reconnecting at once revive one session
        session = registry.get(session_id)
        if session is not None and session.status != "live":
            raise SessionEnded()
        newly_claimed = False
        if leases is not None:
            held_before = leases.holds(session_id)
            if await leases.claim(session_id) is None:
                raise SessionElsewhere(session_id)
            newly_claimed = not held_before
        if session is not None and newly_claimed and await app.state.bus.last_seq(session_id) > session.last_seq:
            registry.forget(session_id)  # another instance recorded it meanwhile: this copy is stale
            session = None
        if session is not None:
            return session
        try:
            record = await asyncio.to_thread(app.state.store.get_session, session_id)
        except NotFound:
            raise UnknownSession(session_id) from None
        if record.status == "ended":
            raise SessionEnded()
        progress = await asyncio.to_thread(app.state.store.session_progress, session_id)
        seq = max(progress.last_seq, await app.state.bus.last_seq(session_id))
        seq += SEQ_RESTART_GAP if seq else 0  # nothing published yet: nothing a viewer could have seen
        session = registry.revive(record, progress, seq=seq)
        if record.status != "live":
            await asyncio.to_thread(app.state.store.update_session, session_id, status="live")
        log.warning("session %s revived here at seq %d", session_id, seq)
        return session


async def release_if_idle(app: FastAPI, session: LiveSession) -> None:
    """No channel streams any more: let another instance record the session if its audio goes there.
    The session stays in this registry; if its audio comes back here first, it goes on without a jump."""
    leases = app.state.leases
    if leases is not None and not any(c.streaming for c in session.channels.values()):
        await leases.release(session.id)
