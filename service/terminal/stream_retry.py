"""Keeping a client stream going across a lost connection.

``floorcast stream`` feeds a room's audio for hours; a server restart, a proxy
failing over or a network blip must not end the session's captions. After a
failure that reconnecting may cure (:func:`service.terminal.stream_errors.worth_retrying`)
the stream reopens its websocket with back-off (0.2 s doubling to 5 s) for up
to ``window_s`` from the failure; the server continues the session's timeline
and the captions side asks for every event after the last one it saw
(``since=``). A wrong token, an unknown or ended session, or a window that
runs out ends the stream with the last error.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, TypeVar

from service.terminal.stream_errors import StreamError, worth_retrying

__all__ = ["Reconnect"]

T = TypeVar("T")
FIRST_DELAY_S, MAX_DELAY_S = 0.2, 5.0


@dataclass
class Reconnect:
    window_s: float = 0.0  # 0: never reconnect
    on_notice: Callable[[str], None] | None = None  # one line for a human, e.g. "ingest: ... reconnecting"
    count: int = 0  # successful reconnections, both websockets

    async def again(self, error: StreamError, reopen: Callable[[], Awaitable[T]],
                    before_each: Callable[[], Awaitable[None]] | None = None) -> T:
        """After ``error``, call ``reopen`` until it succeeds; raise when that is hopeless or the window ends.

        ``before_each`` runs before every attempt and may raise a :class:`StreamError` to give up (an ended
        session); if it fails in a way worth retrying (server still down), the attempt is skipped.
        """
        if self.window_s <= 0 or not worth_retrying(error):
            raise error
        deadline = time.monotonic() + self.window_s
        delay = FIRST_DELAY_S
        self._say(f"{error}; reconnecting (for up to {self.window_s:g} s)")
        while True:
            if time.monotonic() + delay > deadline:
                raise error
            await asyncio.sleep(delay)
            delay = min(2 * delay, MAX_DELAY_S)
            try:
                if before_each is not None:
                    await before_each()
                result = await reopen()
            except StreamError as exc:
                if not worth_retrying(exc):
                    raise
                error = exc
                continue
            self.count += 1
            self._say("reconnected")
            return result

    def _say(self, message: str) -> None:
        if self.on_notice is not None:
            self.on_notice(message)
