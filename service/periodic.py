"""A background task that runs one coroutine function every few seconds for the app's lifetime.

A round that raises (the store or Redis is down) is logged and the next round
runs as usual: what the task watches over is checked again a moment later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

__all__ = ["Periodic"]

log = logging.getLogger(__name__)


class Periodic:
    """``round_`` every ``every_s`` seconds, from :meth:`start` until :meth:`stop`."""

    def __init__(self, name: str, round_: Callable[[], Awaitable[object]], *, every_s: float) -> None:
        self.name = name
        self._round = round_
        self._every_s = every_s
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self._round()
            except Exception:  # noqa: BLE001 - a failed round is retried on the next one
                log.exception("%s: round failed; retrying in %g s", self.name, self._every_s)
