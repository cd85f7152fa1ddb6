"""An operator's hand on a live channel: disconnect the ingest client that holds it.

``POST /v1/sessions/{id}/channels/{channel}/disconnect`` (admin, staff, or a captioner of the session)
closes the channel's ingest websocket with ``4403`` "disconnected by an operator" — which
``floorcast stream`` does not retry — and answers once the channel is free, so another client
(a backup laptop, the console's microphone) may take it at once. The audio it had sent is still
recognised and stored. ``404`` when the session is not live on this instance, has no such
channel, or no client is connected to it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from service.auth import Principal, Requires
from service.protocol import CloseCode
from service.sessions import LiveSession

__all__ = ["router", "Disconnected", "wait_until_not_streaming"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
Operator = Annotated[Principal, Depends(Requires("staff", "captioner"))]


class Disconnected(BaseModel):
    session_id: str
    channel: str
    disconnected: int
    streaming: bool


async def wait_until_not_streaming(session: LiveSession, *, timeout_s: float, channel: str | None = None) -> bool:
    """Wait until no (or ``channel``'s) ingest is streaming; False if one still is after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while any(c.streaming for name, c in session.channels.items() if channel in (None, name)):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


@router.post("/{session_id}/channels/{channel}/disconnect", response_model=Disconnected)
async def disconnect_ingest(session_id: str, channel: str, request: Request, _: Operator) -> Disconnected:
    session: LiveSession | None = request.app.state.registry.get(session_id)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"session {session_id!r} is not live on this instance")
    if channel not in session.channels:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"session has no channel {channel[:40]!r}")
    count = request.app.state.sockets.cut_ingests(session.id, CloseCode.FORBIDDEN, "disconnected by an operator",
                                                  channel=channel)
    if not count:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ingest client is connected to channel {channel!r}")
    freed = await wait_until_not_streaming(session, timeout_s=10.0, channel=channel)
    return Disconnected(session_id=session.id, channel=channel, disconnected=count, streaming=not freed)
