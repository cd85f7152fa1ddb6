"""Captions websocket: any number of viewers per session, each with its own bounded queue.

On connect a viewer receives either every event after the last one it saw
(``?since=<seq>``, see :mod:`service.replay`) or the session's recent finals
(``?recent=N``, so a reloaded page is not blank; an ended session's whole
record), then live partials and
finals in ``seq`` order, in the language and from the source it asked for
(``?lang=fr&source=auto``, see :mod:`service.viewer_filter`), and with
``?clock=1`` the session's audio clock every 2 s (:mod:`service.session_clock`). The session may
be recorded on this instance or another one (events then come through the
bus); an ended session is replayed, then the socket closes with 1000.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from service import wire_events
from service.delivered import Delivered
from service.fanout import Broker, Outgoing, Viewer
from service.logging_setup import set_log_context
from service.settings import UN_LANGUAGES
from service.viewer_filter import ViewerChoice, accepts
from service.replay import events_after
from service.session_access import SessionView, view_for_viewer
from service.session_errors import SessionError, close_code
from service.session_clock import send_clock
from service.ws_common import accept_for, close
from service.protocol import CloseCode

__all__ = ["router", "MAX_SEQ"]

MAX_SEQ = 2**63 - 1  # the largest seq a database integer column holds; a larger ?since= is refused (4400)

log = logging.getLogger(__name__)
router = APIRouter()


async def _send_loop(websocket: WebSocket, viewer: Viewer, after_seq: int) -> None:
    while True:
        outgoing: Outgoing = await viewer.queue.get()
        event = outgoing.event
        if event.get("seq", after_seq + 1) <= after_seq and event.get("type") not in ("pong", "clock"):
            continue  # already sent in the replay
        await websocket.send_text(outgoing.text)
        if event.get("type") == "session_ended":
            await close(websocket, CloseCode.NORMAL, "session ended")
            return


async def _receive_loop(websocket: WebSocket, view: SessionView, viewer: Viewer) -> None:
    """Clients may send ``{"type": "ping"}``; the answer ``pong`` carries the seq of the last event
    published and queues behind every event before it, so the client then knows it is caught up.
    Anything else a client sends is ignored."""
    broker: Broker = websocket.app.state.broker
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text and len(text) < 256 and _is_ping(text):
                pong = wire_events.pong(broker.delivered(view.id).last_seq)
                with contextlib.suppress(asyncio.QueueFull):
                    viewer.queue.put_nowait(Outgoing.of(wire_events.wire(pong)))


def _status(view: SessionView) -> str:
    return view.live.status if view.live is not None else view.status


def _is_ping(text: str) -> bool:
    try:
        return json.loads(text) == {"type": "ping"}
    except ValueError:
        return False


async def _backlog(websocket: WebSocket, view: SessionView, choice: ViewerChoice, since: int | None,
                   recent: int) -> list[dict]:
    app = websocket.app
    if since is None and _status(view) == "ended":  # the whole record, read as a transcript
        return [e for e in await events_after(app.state.bus, app.state.store, view.id, 0)
                if e.get("type") in ("final", "correction") and accepts(choice, e)]
    if since is not None:  # session_ended is sent after the replay, once
        return [e for e in await events_after(app.state.bus, app.state.store, view.id, since)
                if accepts(choice, e) and e.get("type") != "session_ended"]
    if recent <= 0:
        return []
    delivered = app.state.broker.delivered(view.id)
    if view.live is None and not delivered.last_seq:  # recorded elsewhere, nothing came through here yet
        delivered = Delivered.of((await app.state.bus.replay(view.id, 0))[0])
    finals = [e for e in delivered.finals() if accepts(choice, e)]
    return finals[-min(recent, 200):]


@router.websocket("/v1/sessions/{session_id}/captions")
async def captions(websocket: WebSocket, session_id: str, recent: int = 50, lang: str | None = None,
                   source: str = "auto", since: int | None = None, clock: bool = False) -> None:
    principal = await accept_for(websocket, session_id, "captions")
    if principal is None:
        return
    try:
        view = await view_for_viewer(websocket.app, session_id)
    except SessionError as exc:  # unknown: 4404
        await close(websocket, close_code(exc), str(exc))
        return
    set_log_context(session_id=view.id)
    if lang is not None and lang not in UN_LANGUAGES and lang not in view.allowed_languages:
        await close(websocket, CloseCode.BAD_REQUEST, f"unknown language {lang[:20]!r}; one of {', '.join(UN_LANGUAGES)}")
        return
    if source not in ("auto", "machine", "interpretation"):
        await close(websocket, CloseCode.BAD_REQUEST, "source must be auto, machine or interpretation")
        return
    if since is not None and not 0 <= since <= MAX_SEQ:
        await close(websocket, CloseCode.BAD_REQUEST, "since must be a seq (0 or more)")
        return
    booths = frozenset(name for name, language in view.channels.items() if lang and language == lang)
    choice = ViewerChoice(lang, source, booths)  # type: ignore[arg-type]
    broker: Broker = websocket.app.state.broker
    with websocket.app.state.sockets.track(websocket, principal, session_id, "captions"):
        viewer = broker.subscribe(session_id, choice)
        log.info("viewer joined: lang=%s source=%s since=%s", lang, source, since)
        tasks: list[asyncio.Task] = []
        try:
            backlog = await _backlog(websocket, view, choice, since, recent)
            for event in backlog:
                await websocket.send_json(event)
            sent = max([since or 0] + [e["seq"] for e in backlog])
            if _status(view) == "ended":
                seq = view.live.last_seq if view.live is not None else sent
                ended_at = view.live.ended_at if view.live is not None else view.ended_at
                await websocket.send_json(wire_events.wire(
                    wire_events.session_ended(seq=seq, session_id=view.id, ended_at=ended_at)))
                await close(websocket, CloseCode.NORMAL, "session ended")
                return
            tasks = [asyncio.create_task(_send_loop(websocket, viewer, sent)),
                     asyncio.create_task(_receive_loop(websocket, view, viewer)),
                     asyncio.create_task(viewer.closed.wait())]
            if clock and view.live is not None:
                tasks.append(asyncio.create_task(send_clock(view.live, viewer, broker)))
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
