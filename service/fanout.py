"""In-process fan-out of caption events to the viewers of a session.

Each viewer has a bounded queue. A slow viewer loses partial updates first
(the next partial supersedes them anyway); if its queue is still full when a
final arrives, it is marked ``lagging`` and its websocket is closed with 1013,
so one slow phone never slows the others or the recogniser.

An event is encoded to JSON once, when it is published, and the same text is
queued for every viewer of the session, rather than once per viewer.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from service.delivered import Delivered
from service.viewer_filter import ViewerChoice, accepts

__all__ = ["Bus", "Viewer", "Broker", "Outgoing", "encode"]


class Bus(Protocol):
    """What a live session publishes to: :class:`service.event_bus.LocalBus` or ``RedisBus``."""

    def publish(self, session_id: str, event: dict) -> None: ...


def encode(event: dict) -> str:
    """The text a viewer receives: compact, UTF-8 as is (what Starlette's ``send_json`` sends)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One event in a viewer's queue, with its encoded text (shared by every viewer)."""

    event: dict
    text: str

    @classmethod
    def of(cls, event: dict) -> "Outgoing":
        return cls(event, encode(event))


@dataclass(eq=False)
class Viewer:
    session_id: str
    queue: asyncio.Queue
    choice: ViewerChoice = ViewerChoice()
    dropped_partials: int = 0
    lagging: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class Broker:
    def __init__(self, queue_events: int = 512) -> None:
        self._queue_events = queue_events
        self._viewers: dict[str, set[Viewer]] = defaultdict(set)
        self.published: Counter[str] = Counter()  # events published, by type (for /metrics)
        self.dropped_partials = 0  # partials not queued for a full viewer, every viewer so far
        self._delivered: dict[str, Delivered] = defaultdict(Delivered)

    def subscribe(self, session_id: str, choice: ViewerChoice = ViewerChoice()) -> Viewer:
        viewer = Viewer(session_id, asyncio.Queue(maxsize=self._queue_events), choice)
        self._viewers[session_id].add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        viewers = self._viewers.get(viewer.session_id)
        if viewers is not None:
            viewers.discard(viewer)
            if not viewers:
                del self._viewers[viewer.session_id]

    def viewer_count(self, session_id: str) -> int:
        return len(self._viewers.get(session_id, ()))

    def viewers(self) -> list[Viewer]:
        return [viewer for viewers in self._viewers.values() for viewer in viewers]

    def delivered(self, session_id: str) -> Delivered:
        """The last seq and the recent finals this instance has delivered of the session (empty: none yet)."""
        return self._delivered.get(session_id) or Delivered(0)

    def forget(self, session_id: str) -> None:
        self._delivered.pop(session_id, None)

    def publish(self, session_id: str, event: dict) -> None:
        """Called on the event loop; never blocks."""
        self.published[event.get("type", "")] += 1
        self._delivered[session_id].add(event)
        viewers = self._viewers.get(session_id)
        if not viewers:
            return
        outgoing = Outgoing.of(event)
        for viewer in list(viewers):
            if viewer.lagging or not accepts(viewer.choice, event):
                continue
            try:
                viewer.queue.put_nowait(outgoing)
            except asyncio.QueueFull:
                if event.get("type") == "partial":
                    viewer.dropped_partials += 1
                    self.dropped_partials += 1
                else:
                    viewer.lagging = True
                    viewer.closed.set()
