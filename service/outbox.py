"""A session's outgoing events, released to viewers strictly in ``seq`` order.

A final is held until the store has committed it (``pending``); events that
come after it wait behind it, so viewers never see a ``seq`` gap or a caption
that a crash could still lose. Runs on the event loop only.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Callable

__all__ = ["Outbox", "OutboxEntry"]


@dataclass(eq=False)
class OutboxEntry:
    event: dict
    ready: bool


class Outbox:
    def __init__(self, publish: Callable[[dict], None]) -> None:
        self._publish = publish
        self._queue: deque[OutboxEntry] = deque()
        self._drained = asyncio.Event()
        self._drained.set()

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, event: dict, *, pending: bool = False) -> OutboxEntry:
        """Queue ``event``; a ``pending`` one (and all after it) waits for :meth:`release`."""
        entry = OutboxEntry(event, ready=not pending)
        self._queue.append(entry)
        self._drained.clear()
        self._flush()
        return entry

    def release(self, entry: OutboxEntry) -> None:
        entry.ready = True
        self._flush()

    def _flush(self) -> None:
        while self._queue and self._queue[0].ready:
            self._publish(self._queue.popleft().event)
        if not self._queue:
            self._drained.set()

    async def drained(self) -> None:
        """Return once every event put so far has been published."""
        await self._drained.wait()
