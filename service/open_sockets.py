"""Every websocket this process has open, with the credential it was opened with, closed when that changes.

A websocket is checked once, when it opens; this keeps checking, every
:data:`CHECK_EVERY_S`, for as long as it stays open:

* its token was revoked, expired, deleted, or now has another role or session → close ``4401``
  ("token revoked" / "token expired" / "token deleted" / "token changed");
* an ingest socket that sent no audio for ``FLOORCAST_INGEST_IDLE_TIMEOUT_S`` → close ``4408``
  and the channel is free for another client;
* the session ended or was deleted → its ingest sockets are closed at once with ``4409``
  (viewers get ``session_ended`` from the session itself);
* an operator disconnected the channel's ingest (``POST .../channels/{channel}/disconnect``)
  → ``4403`` "disconnected by an operator" (not retried by ``floorcast stream``).

Across instances no message is needed: each instance checks its own sockets'
tokens against the shared store, so a revocation made on one takes effect on
every instance within :data:`CHECK_EVERY_S`. Audio an ingest sent before it was
cut is still recognised and stored; nothing it could send afterwards arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from fastapi import WebSocket

from service.auth import Principal, client_address
from service.periodic import Periodic
from service.protocol import CloseCode
from service.ws_common import close

__all__ = ["OpenSocket", "OpenSockets", "CHECK_EVERY_S"]

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0


@dataclass(eq=False)
class OpenSocket:
    websocket: WebSocket
    principal: Principal
    session_id: str
    kind: Literal["audio", "captions"]
    channel: str | None = None
    last_audio: float = field(default_factory=time.monotonic)
    cut_reason: str | None = None  # set once this registry has closed it

    @property
    def address(self) -> str:
        return client_address(self.websocket)


class OpenSockets:
    def __init__(self, *, ingest_idle_timeout_s: float) -> None:
        self.ingest_idle_timeout_s = ingest_idle_timeout_s
        self._open: set[OpenSocket] = set()
        self._watch: Periodic | None = None

    def open_from(self, address: str) -> int:
        """How many websockets are open from this client address (the cap per client)."""
        return sum(1 for entry in self._open if entry.address == address)

    # -- registration -------------------------------------------------------------------------
    @contextlib.contextmanager
    def track(self, websocket: WebSocket, principal: Principal, session_id: str,
              kind: Literal["audio", "captions"], channel: str | None = None) -> Iterator[OpenSocket]:
        entry = OpenSocket(websocket, principal, session_id, kind, channel)
        self._open.add(entry)
        try:
            yield entry
        finally:
            self._open.discard(entry)

    def __len__(self) -> int:
        return len(self._open)

    # -- closing ------------------------------------------------------------------------------
    def cut(self, entry: OpenSocket, code: int, reason: str) -> None:
        if entry.cut_reason is not None:
            return
        entry.cut_reason = reason
        log.info("closing %s socket of session %s with %d: %s", entry.kind, entry.session_id, code, reason)
        asyncio.ensure_future(close(entry.websocket, code, reason))

    def cut_where(self, wanted: Callable[[OpenSocket], bool], code: int, reason: str) -> int:
        chosen = [entry for entry in self._open if entry.cut_reason is None and wanted(entry)]
        for entry in chosen:
            self.cut(entry, code, reason)
        return len(chosen)

    def cut_ingests(self, session_id: str, code: int, reason: str, channel: str | None = None) -> int:
        return self.cut_where(lambda e: e.kind == "audio" and e.session_id == session_id
                              and (channel is None or e.channel == channel), code, reason)

    def cut_token(self, token_id: str, reason: str) -> int:
        return self.cut_where(lambda e: e.principal.token_id == token_id, CloseCode.UNAUTHORIZED, reason)

    # -- the checks ---------------------------------------------------------------------------
    async def check_credentials(self, store) -> int:
        held = [entry for entry in self._open if entry.principal.token_id and entry.cut_reason is None]
        if not held:
            return 0
        records = await asyncio.to_thread(store.tokens_by_id, [entry.principal.token_id for entry in held])
        now, cut = datetime.now(timezone.utc), 0
        for entry in held:
            record = records.get(entry.principal.token_id or "")
            state = "deleted" if record is None else record.state(now)
            if state == "active" and (record.role, record.session_id) != (entry.principal.role,
                                                                          entry.principal.session_id):
                state = "changed"
            if state != "active":
                self.cut(entry, CloseCode.UNAUTHORIZED, f"token {state}")
                cut += 1
        return cut

    def check_idle_ingests(self, now: float) -> int:
        limit = self.ingest_idle_timeout_s
        return self.cut_where(lambda e: e.kind == "audio" and now - e.last_audio >= limit, CloseCode.IDLE,
                              f"no audio for {limit:g} s; the channel is free again")

    # -- the watch ----------------------------------------------------------------------------
    def start(self, store) -> "OpenSockets":
        async def round_() -> None:
            self.check_idle_ingests(time.monotonic())
            await self.check_credentials(store)  # the store is down: keep what is open, try next round
        self._watch = Periodic("open-sockets", round_, every_s=CHECK_EVERY_S)
        self._watch.start()
        return self

    async def stop(self) -> None:
        if self._watch is not None:
            await self._watch.stop()
