"""Which outputs this instance delivers, and the captions it hands them.

The instance that records a session delivers its outputs: it is the one whose
:class:`~service.sessions.LiveSession` releases the events, in ``seq`` order,
after the store has committed each final. A listener on each live session
offers every released event to that session's outputs; corrections are
counted, not re-sent (Zoom and YouTube cannot edit a caption already shown).

Every second the hub reconciles with the store: outputs added on any instance
start here, deleted ones stop, and a session revived here (after a restart or
a failover) picks up its outputs where the store says they were — captions
released in the meantime are read back from the bus or the store and sent
first (at most :data:`CATCH_UP_CAPTIONS`; older ones are counted failed).
When a session ends, its outputs send what they hold (for up to
:data:`FINISH_S`) and stop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any, Callable

import httpx

from captions_store.records import OutputProgress, OutputRecord
from captions_store.store import Store
from service.outputs.delivery import OutputDelivery, RetryPolicy
from service.outputs.destinations import Caption
from service.periodic import Periodic
from service.replay import events_after
from service.session_registry import SessionRegistry
from service.sessions import LiveSession
from service.viewer_filter import ViewerChoice, accepts

__all__ = ["OutputHub", "CATCH_UP_CAPTIONS", "FINISH_S", "choice_for", "spoken_at"]

log = logging.getLogger(__name__)
RECONCILE_EVERY_S = 1.0
CATCH_UP_CAPTIONS = 100
FINISH_S = 30.0


def choice_for(session: LiveSession, language: str) -> ViewerChoice:
    """An output reads like a viewer of its language: the booth where there is one, else floor or translation."""
    booths = frozenset(c.name for c in session.spec.channels if c.language == language)
    return ViewerChoice(language, "auto", booths)


def spoken_at(session: LiveSession, event: dict) -> float:
    """Wall-clock time the caption's speech started (never in the future: audio may come faster than real time)."""
    channel = session.channels.get(event.get("channel", ""))
    base = channel.timeline_wall if channel is not None and channel.timeline_wall else session.created_at
    return min(base + float(event.get("start", 0.0)), time.time())


def _has_text(event: dict) -> bool:
    return bool(str(event.get("text", "")).strip())  # an empty final (noise, rejected speech) shows nothing


class OutputHub:
    def __init__(self, registry: SessionRegistry, store: Store, bus: Any, policy: RetryPolicy, *,
                 on_delivered: Callable[[OutputDelivery, float], None] | None = None) -> None:
        self._registry = registry
        self._store = store
        self._bus = bus
        self._policy = policy
        self._on_delivered = on_delivered
        self._client = httpx.AsyncClient(follow_redirects=False, headers={"User-Agent": "floorcast"})
        self._deliveries: dict[str, OutputDelivery] = {}
        self._sessions: dict[str, LiveSession] = {}  # output id -> its session
        self._listening: set[int] = set()  # id() of the LiveSession objects we listen to
        self._retiring: set[asyncio.Task] = set()
        self._lock = asyncio.Lock()
        self._watch = Periodic("outputs", self.reconcile, every_s=RECONCILE_EVERY_S)

    def start(self) -> "OutputHub":
        self._watch.start()
        return self

    async def stop(self) -> None:
        await self._watch.stop()
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*(d.stop(d.state) for d in self._deliveries.values()), return_exceptions=True)
        self._deliveries.clear()
        await self._client.aclose()

    def get(self, output_id: str) -> OutputDelivery | None:
        return self._deliveries.get(output_id)

    def all(self) -> list[OutputDelivery]:
        return list(self._deliveries.values())

    # -- which outputs run here -------------------------------------------------------------------------
    async def reconcile(self) -> None:
        async with self._lock:
            live = {s.id: s for s in self._registry.all() if s.status == "live"}
            records = await asyncio.to_thread(self._store.active_outputs, list(live))
            wanted = {r.id for r in records}
            for output_id, delivery in list(self._deliveries.items()):
                if output_id not in wanted and delivery.state not in ("ended",) and not self._ending(output_id):
                    await self._drop(output_id, "stopped")  # deleted (perhaps on another instance)
            for record in records:
                session = live.get(record.session_id)
                if record.id not in self._deliveries and session is not None:
                    await self._begin(session, record)

    def _ending(self, output_id: str) -> bool:
        session = self._sessions.get(output_id)
        return session is not None and session.status != "live"

    async def _begin(self, session: LiveSession, record: OutputRecord) -> None:
        self._listen(session)
        delivery = OutputDelivery(record, choice_for(session, record.language), client=self._client,
                                  policy=self._policy, save=self._save, on_delivered=self._on_delivered)
        self._deliveries[record.id] = delivery
        self._sessions[record.id] = session
        delivery.hold()
        try:
            missed = await self._missed(session, delivery)
        except Exception as exc:  # noqa: BLE001 - the store or Redis is away: go on with live captions
            log.warning("output %s: no catch-up (%s)", record.id, exc)
            missed = []
        delivery.release(missed)
        delivery.start()
        log.info("output %s (%s, %s) of session %s delivering from seq %d", record.id, record.kind,
                 record.language, session.id, record.seq + 1)

    async def _missed(self, session: LiveSession, delivery: OutputDelivery) -> list[Caption]:
        """Finals released after the output's last one, before this instance delivered it."""
        events = await events_after(self._bus, self._store, session.id, delivery.through_seq)
        finals = [e for e in events if e.get("type") == "final" and accepts(delivery.choice, e) and _has_text(e)]
        if len(finals) > CATCH_UP_CAPTIONS:
            dropped = len(finals) - CATCH_UP_CAPTIONS
            delivery.failed += dropped
            delivery.last_error = f"{dropped} captions from before a restart not sent (too old)"
            finals = finals[-CATCH_UP_CAPTIONS:]
        return [Caption(e, spoken_at(session, e)) for e in finals]

    async def added(self, session: LiveSession, record: OutputRecord) -> OutputDelivery:
        """An output just created for a session live here: start at once, not at the next reconcile."""
        async with self._lock:
            if record.id not in self._deliveries:
                await self._begin(session, record)
            return self._deliveries[record.id]

    async def removed(self, output_id: str) -> None:
        async with self._lock:
            if output_id in self._deliveries:
                await self._drop(output_id, "stopped")

    async def _drop(self, output_id: str, state: str) -> None:
        delivery = self._deliveries.pop(output_id)
        self._sessions.pop(output_id, None)
        await delivery.stop(state)

    async def _save(self, output_id: str, progress: OutputProgress) -> None:
        await asyncio.to_thread(self._store.save_output_progress, output_id, progress)

    # -- events (event loop) -------------------------------------------------------------------------------
    def _listen(self, session: LiveSession) -> None:
        if id(session) not in self._listening:
            self._listening.add(id(session))
            session.listeners.append(partial(self._on_event, session))

    def _on_event(self, session: LiveSession, event: dict) -> None:
        try:
            self._offer(session, event)
        except Exception:  # noqa: BLE001 - an output's trouble must never reach the session's viewers
            log.exception("outputs of session %s: event %s not offered", session.id, event.get("seq"))

    def _offer(self, session: LiveSession, event: dict) -> None:
        kind = event.get("type")
        for output_id, delivery in list(self._deliveries.items()):
            if self._sessions.get(output_id) is not session:
                continue
            if kind == "final" and accepts(delivery.choice, event) and _has_text(event):
                delivery.offer(Caption(event, spoken_at(session, event)))
            elif kind == "correction" and accepts(delivery.choice, event):
                delivery.skip_correction()
            elif kind == "session_ended":
                delivery.finish()
                task = asyncio.get_running_loop().create_task(self._retire(output_id, delivery))
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)

    async def _retire(self, output_id: str, delivery: OutputDelivery) -> None:
        """After the session's end: what the output held is sent (for up to FINISH_S), then it is let go."""
        try:
            await asyncio.wait_for(delivery.finished(), FINISH_S)
        except asyncio.TimeoutError:
            log.warning("output %s: %d captions not delivered when the session ended", output_id, delivery.queued)
        await delivery.stop("ended")
        if self._deliveries.get(output_id) is delivery:
            del self._deliveries[output_id]
            self._sessions.pop(output_id, None)
