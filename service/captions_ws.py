"""Captions websocket: any number of viewers per session, each with its own bounded queue.

On connect a viewer receives the session's recent finals (``?recent=N``, so a
reloaded page is not blank), then live partials and finals in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from service.fanout import Broker, Viewer
from service.ws_common import accept_for_session, close
from service.protocol import CloseCode

__all__ = ["router"]

router = APIRouter()


async def _send_loop(websocket: WebSocket, viewer: Viewer) -> None:
    while True:
        event = await viewer.queue.get()
        await websocket.send_json(event)
        if event.get("type") == "session_ended":
            await close(websocket, CloseCode.NORMAL, "session ended")
            return


async def _receive_loop(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


@router.websocket("/v1/sessions/{session_id}/captions")
async def captions(websocket: WebSocket, session_id: str, recent: int = 50) -> None:
    session = await accept_for_session(websocket, session_id)
    if session is None:
        return
    broker: Broker = websocket.app.state.broker
    viewer = broker.subscribe(session_id)
    backlog = list(session.recent_finals)[-max(0, min(recent, 200)):] if recent > 0 else []
    tasks: list[asyncio.Task] = []
    try:
        for event in backlog:
            await websocket.send_json(event)
        if session.status == "ended":
            await websocket.send_json({"type": "session_ended", "seq": session.last_seq, "session_id": session.id})
            await close(websocket, CloseCode.NORMAL, "session ended")
            return
        tasks = [asyncio.create_task(_send_loop(websocket, viewer)), asyncio.create_task(_receive_loop(websocket)),
                 asyncio.create_task(viewer.closed.wait())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if viewer.lagging:
            await close(websocket, CloseCode.TRY_AGAIN_LATER, "viewer fell too far behind; reconnect")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        broker.unsubscribe(viewer)
