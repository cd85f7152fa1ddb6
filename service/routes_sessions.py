"""HTTP routes for sessions: create, list, read, end."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from service.auth import Authorized
from service.protocol import SessionCreate, SessionPublic
from service.sessions import LiveSession, SessionError, SessionRegistry

__all__ = ["router"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


def _registry(request: Request) -> SessionRegistry:
    return request.app.state.registry


def _session(request: Request, session_id: str) -> LiveSession:
    session = _registry(request).get(session_id)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown session {session_id!r}")
    return session


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SessionPublic)
async def create_session(spec: SessionCreate, request: Request, _: Authorized) -> SessionPublic:
    try:
        return _registry(request).create(spec).public()
    except SessionError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc


@router.get("", response_model=list[SessionPublic])
async def list_sessions(request: Request, _: Authorized) -> list[SessionPublic]:
    return [s.public() for s in _registry(request).all()]


@router.get("/{session_id}", response_model=SessionPublic)
async def get_session(session_id: str, request: Request, _: Authorized) -> SessionPublic:
    return _session(request, session_id).public()


@router.post("/{session_id}/end", response_model=SessionPublic)
async def end_session(session_id: str, request: Request, _: Authorized) -> SessionPublic:
    session = _session(request, session_id)
    session.end()
    return session.public()
