"""What both websockets do first and last: accept, check the token and session, close with a reason."""

from __future__ import annotations

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from service.auth import websocket_token
from service.protocol import CloseCode
from service.sessions import LiveSession

__all__ = ["close", "accept_for_session"]


def _reason(text: str) -> str:
    """Close reasons are limited to 123 bytes of UTF-8."""
    return text.encode()[:123].decode(errors="ignore")


async def close(websocket: WebSocket, code: int, reason: str) -> None:
    try:
        await websocket.close(code, _reason(reason))
    except (RuntimeError, WebSocketDisconnect):  # already closed, or the client has gone
        pass


async def accept_for_session(websocket: WebSocket, session_id: str) -> LiveSession | None:
    """Accept, then close with 4401/4404 and return None unless the token and session are good.

    Accepting first lets the client read the close code and reason; a refusal
    during the handshake would only show an HTTP 403.
    """
    await websocket.accept()
    if not websocket_token(websocket):
        await close(websocket, CloseCode.UNAUTHORIZED, "missing or wrong token")
        return None
    session = websocket.app.state.registry.get(session_id)
    if session is None:
        await close(websocket, CloseCode.NOT_FOUND, f"unknown session {session_id!r}")
    return session
