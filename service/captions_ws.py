"""Captions websocket: any number of viewers per session, each with its own bounded queue.

On connect a viewer receives the session's recent finals (``?recent=N``, so a
reloaded page is not blank), then live partials and finals in ``seq`` order,
in the language and from the source it asked for (``?lang=fr&source=auto``,
see :mod:`service.viewer_filter`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from service.fanout import Broker, Viewer
from service.logging_setup import set_log_context
from service.settings import UN_LANGUAGES
from service.viewer_filter import ViewerChoice, accepts
from service.ws_common import accept_for_session, close
from service.protocol import CloseCode

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter()


async def _send_loop(websocket: WebSocket, viewer: Viewer) -> None:
    while True:
        event = await viewer.queue.get()
        await websocket.send_json(event)
        if event.get("type") == "session_ended":
            await close(websocket, CloseCode.NORMAL, "session ended")
            return


async def _receive_loop(websocket: WebSocket, session, viewer: Viewer) -> None:
    """Clients may send ``{"type": "ping"}``; the answer ``pong`` carries the seq of the last event
    published and queues behind every event before it, so the client then knows it is caught up.
    Anything else a client sends is ignored."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text and len(text) < 256 and _is_ping(text):
                with contextlib.suppress(asyncio.QueueFull):
                    viewer.queue.put_nowait({"type": "pong", "seq": session.published_seq})


def _is_ping(text: str) -> bool:
    try:
        return json.loads(text) == {"type": "ping"}
    except ValueError:
        return False


@router.websocket("/v1/sessions/{session_id}/captions")
async def captions(websocket: WebSocket, session_id: str, recent: int = 50, lang: str | None = None,
                   source: str = "auto") -> None:
    session = await accept_for_session(websocket, session_id)
    if session is None:
        return
    set_log_context(session_id=session.id)
    if lang is not None and lang not in UN_LANGUAGES and lang not in session.allowed_languages:
        await close(websocket, CloseCode.BAD_REQUEST, f"unknown language {lang[:20]!r}; one of {', '.join(UN_LANGUAGES)}")
        return
    if source not in ("auto", "machine", "interpretation"):
        await close(websocket, CloseCode.BAD_REQUEST, "source must be auto, machine or interpretation")
        return
    booths = frozenset(c.spec.name for c in session.channels.values() if lang and c.spec.language == lang)
    choice = ViewerChoice(lang, source, booths)  # type: ignore[arg-type]
    broker: Broker = websocket.app.state.broker
    viewer = broker.subscribe(session_id, choice)
    log.info("viewer joined: lang=%s source=%s", lang, source)
    mine = [e for e in session.recent_finals if accepts(choice, e)]
    backlog = mine[-max(0, min(recent, 200)):] if recent > 0 else []
    tasks: list[asyncio.Task] = []
    try:
        for event in backlog:
            await websocket.send_json(event)
        if session.status == "ended":
            await websocket.send_json({"type": "session_ended", "seq": session.last_seq, "session_id": session.id})
            await close(websocket, CloseCode.NORMAL, "session ended")
            return
        tasks = [asyncio.create_task(_send_loop(websocket, viewer)), asyncio.create_task(_receive_loop(websocket, session, viewer)),
                 asyncio.create_task(viewer.closed.wait())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if viewer.lagging:
            log.warning("viewer fell behind (%d partials dropped); closing with 1013", viewer.dropped_partials)
            await close(websocket, CloseCode.TRY_AGAIN_LATER, "viewer fell too far behind; reconnect")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        broker.unsubscribe(viewer)
        log.info("viewer left")
