"""HTTP routes for sessions: create, list, read, change, end, delete (which also closes its ingest clients).

A session lives in memory while it is live (:class:`SessionRegistry`) and in
the store from its creation on; ended and interrupted sessions are read from
the store.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from captions_store.records import SessionRecord
from captions_store.store import NotFound, Store
from service.auth import SEES_JOIN_CODE, Principal, Requires, SessionWatcher
from service.ingest_control import wait_until_not_streaming
from service.protocol import CloseCode, SessionCreate, SessionPublic, SessionUpdate
from service.session_access import live_for_ingest
from service.session_conversions import stored_public
from service.session_lifecycle import end_session as end_live_session
from service.session_registry import SessionRegistry
from service.sessions import LiveSession

__all__ = ["router"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
Captioner = Annotated[Principal, Depends(Requires("captioner"))]
SessionMaker = Annotated[Principal, Depends(Requires("captioner", every_session=True))]
SessionLister = Annotated[Principal, Depends(Requires("captioner", "staff"))]
Admin = Annotated[Principal, Depends(Requires())]


def _registry(request: Request) -> SessionRegistry:
    return request.app.state.registry


def _store(request: Request) -> Store:
    return request.app.state.store


def shown(session: SessionPublic, principal: Principal) -> SessionPublic:
    """The join code (and the participant link that carries it) only for those who run the session."""
    link = f"/s/{quote(session.id)}"
    if principal.role in SEES_JOIN_CODE and principal.via in ("token", "admin_token"):
        private = not session.public and session.join_code
        return session.model_copy(update={"participant_link": f"{link}?code={session.join_code}" if private else link})
    return session.model_copy(update={"join_code": None, "participant_link": link if session.public else None})


def _one_session(store: Store, session_id: str) -> list[SessionRecord]:
    try:
        return [store.get_session(session_id)]
    except NotFound:
        return []


def _live(request: Request, session_id: str) -> LiveSession:
    session = _registry(request).get(session_id)
    if session is None or session.status != "live":
        raise HTTPException(status.HTTP_409_CONFLICT, f"session {session_id!r} is not live")
    return session


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SessionPublic)
async def create_session(spec: SessionCreate, request: Request, principal: SessionMaker) -> SessionPublic:
    cap = request.app.state.settings.max_live_sessions_per_token  # captioners' tokens; admins are not capped
    running = sum(1 for s in _registry(request).all() if s.created_by == principal.key and s.status == "live")
    if principal.role != "admin" and running >= cap:
        raise HTTPException(status.HTTP_409_CONFLICT, f"this token runs {running} live sessions, the most it may "
                                                      f"(FLOORCAST_MAX_LIVE_SESSIONS_PER_TOKEN); end one first")
    session = _registry(request).create(spec)  # SessionError: answered by service.errors
    session.created_by = principal.key
    try:
        await asyncio.to_thread(_store(request).create_session, session.record())
    except Exception:
        _registry(request).forget(session.id)
        raise
    return shown(session.public(), principal)


@router.get("", response_model=list[SessionPublic])
async def list_sessions(request: Request, principal: SessionLister, limit: int = Query(50, ge=1, le=500),
                        offset: int = Query(0, ge=0, le=1_000_000),
                        state: Literal["live", "ended", "interrupted"] | None = Query(
                            None, alias="status", description="Only sessions in this state (live: the ones to watch now)"),
                        ) -> list[SessionPublic]:
    if principal.session_id is not None:  # a token for one session lists that one (if it still exists)
        records = [] if offset else await asyncio.to_thread(_one_session, _store(request), principal.session_id)
        records = [r for r in records if state is None or r.status == state]
    else:
        records = await asyncio.to_thread(_store(request).list_sessions, limit=limit, offset=offset, status=state)
    registry = _registry(request)
    listed = []
    for record in records:
        live = registry.get(record.id)
        listed.append(shown(live.public() if live is not None else stored_public(record), principal))
    return listed


@router.get("/{session_id}", response_model=SessionPublic)
async def get_session(session_id: str, request: Request, principal: SessionWatcher) -> SessionPublic:
    """Admins, captioners, staff, the session's viewers; anyone with ``?code=`` or when it is public."""
    live = _registry(request).get(session_id)
    if live is not None:
        return shown(live.public(), principal)
    return shown(stored_public(await asyncio.to_thread(_store(request).get_session, session_id)), principal)


@router.patch("/{session_id}", response_model=SessionPublic)
async def update_session(session_id: str, change: SessionUpdate, request: Request,
                         principal: Captioner) -> SessionPublic:
    store = _store(request)
    if change.off_record is not None or change.speaker is not None:
        live = _live(request, session_id)
        if change.speaker is not None:
            live.set_speaker(change.channel, change.speaker)  # UnknownChannel: 422
        if change.off_record is not None:
            live.set_off_record(change.off_record)
    if change.title is not None or change.off_record is not None:
        await asyncio.to_thread(store.update_session, session_id, title=change.title, off_record=change.off_record)
        live = _registry(request).get(session_id)
        if live is not None and change.title is not None:
            live.spec = live.spec.model_copy(update={"title": change.title})
    return await get_session(session_id, request, principal)


@router.post("/{session_id}/end", response_model=SessionPublic)
async def end_session(session_id: str, request: Request, principal: Captioner) -> SessionPublic:
    session = _registry(request).get(session_id)
    if session is None:
        record = await asyncio.to_thread(_store(request).get_session, session_id)  # 404 if unknown
        if record.status == "ended":
            return shown(stored_public(record), principal)
        # interrupted, or its recording instance let go: take it here to end it in seq order (elsewhere: 409)
        session = await live_for_ingest(request.app, session_id)
    await end_live_session(request.app, session, "stopped")
    return shown(session.public(), principal)


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(session_id: str, request: Request, _: Admin) -> Response:
    """Delete a session and everything recorded of it (segments, translations, revisions, search index)."""
    registry = _registry(request)
    session = registry.get(session_id)
    if session is not None:
        session.end("deleted")
        request.app.state.sockets.cut_ingests(session.id, CloseCode.CONFLICT, "session deleted")
        await wait_until_not_streaming(session, timeout_s=30.0)  # their last finals are written before the delete
        await asyncio.to_thread(request.app.state.writer.wait_idle, 30.0)
        registry.forget(session_id)
    await asyncio.to_thread(_store(request).delete_session, session_id)
    request.app.state.bus.forget(session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
