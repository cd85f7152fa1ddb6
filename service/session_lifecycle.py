"""When a live session ends: on request, when its last ingest has stopped, or when no audio comes.

* ``POST /v1/sessions/{id}/end`` (reason ``stopped``) and ``DELETE`` (``deleted``) end it at once.
* Its last ingest client stopped or left and none came back within
  ``FLOORCAST_SESSION_END_GRACE_S`` (reason ``ingest_stopped``): a client that
  reconnects inside the grace period (``floorcast stream --retry-for``) continues
  the same session.
* No ingest client connected and no audio for ``FLOORCAST_SESSION_IDLE_TIMEOUT_S``
  (reason ``idle``): a session created and never streamed. A connected ingest
  client keeps its session live (the websocket's pings drop a dead one).

Ending publishes ``session_ended`` (with the reason) after every caption already
emitted, stores ``status="ended"`` and ``ended_at``, and lets go of the session's
lease. The captions stay readable at the session's link. With several instances,
only the instance that records the session (holds its lease) ends it; a copy
whose audio went to another instance is dropped from this registry, not ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Literal

from fastapi import FastAPI

from service.periodic import Periodic
from service.protocol import CloseCode
from service.session_access import release_if_idle
from service.sessions import LiveSession

__all__ = ["EndReason", "LifecycleWatch", "end_session", "due_reason"]

log = logging.getLogger(__name__)
EndReason = Literal["stopped", "deleted", "ingest_stopped", "idle"]
CHECK_EVERY_S = 1.0


async def end_session(app: FastAPI, session: LiveSession, reason: EndReason) -> None:
    """End a live session recorded here: viewers told, the record updated, the lease released."""
    if session.status == "ended":
        return
    session.end(reason)
    app.state.sockets.cut_ingests(session.id, CloseCode.CONFLICT, f"session ended ({reason})")
    ended_at = datetime.fromtimestamp(session.ended_at or time.time(), timezone.utc)
    await asyncio.to_thread(app.state.store.update_session, session.id, status="ended", ended_at=ended_at)
    await release_if_idle(app, session)
    log.info("session %s ended (%s)", session.id, reason)


def due_reason(session: LiveSession, now: float, *, grace_s: float, idle_timeout_s: float) -> EndReason | None:
    """Why this live session should end now, or None. Pure: the clock is passed in (monotonic seconds)."""
    if session.status != "live" or session.ingests:  # a connected ingest is alive (websocket pings tell)
        return None
    left = session.idle_since
    if left is not None and now - left >= grace_s:
        return "ingest_stopped"
    if now - max(session.audio_at, left or 0.0) >= idle_timeout_s:
        return "idle"
    return None


class LifecycleWatch:
    """One task per process: every second, end the sessions that are due."""

    def __init__(self, app: FastAPI, *, grace_s: float, idle_timeout_s: float) -> None:
        self._app = app
        self._grace_s = grace_s
        self._idle_timeout_s = idle_timeout_s
        self._watch = Periodic("session-lifecycle", self._end_due_sessions, every_s=CHECK_EVERY_S)

    def start(self) -> "LifecycleWatch":
        self._watch.start()
        return self

    async def stop(self) -> None:
        await self._watch.stop()

    async def _end_due_sessions(self) -> None:
        for session in self._app.state.registry.all():
            reason = due_reason(session, time.monotonic(), grace_s=self._grace_s,
                                idle_timeout_s=self._idle_timeout_s)
            if reason is None:
                continue
            try:
                if await self._recorded_here(session):
                    await end_session(self._app, session, reason)
            except Exception:  # the store or Redis is down: try again on the next round
                log.exception("could not end session %s (%s); retrying", session.id, reason)

    async def _recorded_here(self, session: LiveSession) -> bool:
        app = self._app
        leases = app.state.leases
        if leases is None:
            return True
        held_before = leases.holds(session.id)
        if await leases.claim(session.id) is None:
            app.state.registry.forget(session.id)  # its audio went to another instance: that one ends it
            return False
        if not held_before and await app.state.bus.last_seq(session.id) > session.last_seq:
            await leases.release(session.id)  # recorded elsewhere meanwhile: this copy is stale
            app.state.registry.forget(session.id)
            return False
        return True
