"""What both websockets do first and last: accept, check who is asking, close with a reason."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from service.auth import (AccessDenied, Forbidden, Principal, Unauthorized, bearer, client_address, identify,
                          watch_access)
from service.protocol import CloseCode

__all__ = ["close", "accept_for", "origin_allowed"]


def _reason(text: str) -> str:
    """Close reasons are limited to 123 bytes of UTF-8."""
    return text.encode()[:123].decode(errors="ignore")


async def close(websocket: WebSocket, code: int, reason: str) -> None:
    try:
        await websocket.close(code, _reason(reason))
    except (RuntimeError, WebSocketDisconnect):  # already closed, or the client has gone
        pass


def origin_allowed(websocket: WebSocket) -> bool:
    """No ``Origin`` (not a browser), this server's own host, or one of ``FLOORCAST_ALLOWED_ORIGINS``."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    allowed = websocket.app.state.settings.allowed_origins
    if "*" in allowed or origin.rstrip("/") in allowed:
        return True
    host = (websocket.headers.get("host") or "").lower()
    return bool(host) and urlsplit(origin).netloc.lower() == host


async def _principal(websocket: WebSocket, session_id: str, action: Literal["audio", "captions"]) -> Principal:
    app, client = websocket.app, client_address(websocket)
    presented = bearer(websocket.headers.get("authorization")) or websocket.query_params.get("token")
    principal = await identify(app, presented, client)
    if action == "captions":
        return await watch_access(app, principal, session_id, websocket.query_params.get("code"), client)
    if principal is None:
        raise Unauthorized("sending audio needs a captioner token")
    if not (principal.may("captioner") and principal.covers(session_id)):
        raise Forbidden(f"a {principal.role} token may not send audio to this session")
    return principal


async def accept_for(websocket: WebSocket, session_id: str, action: Literal["audio", "captions"]) -> Principal | None:
    """Accept, then return who is asking, or close and return None: 4403 origin or role, 1013 too many
    websockets from this address (``FLOORCAST_MAX_SOCKETS_PER_CLIENT``), 4401 credential, 4429.

    Accepting first lets the client read the close code and reason; a refusal
    during the handshake would only show an HTTP 403.
    """
    await websocket.accept()
    if not origin_allowed(websocket):
        await close(websocket, CloseCode.FORBIDDEN, "this page's origin may not open floorcast websockets")
        return None
    cap, address = websocket.app.state.settings.max_sockets_per_client, client_address(websocket)
    if websocket.app.state.sockets.open_from(address) >= cap:
        await close(websocket, CloseCode.TRY_AGAIN_LATER,
                    f"{cap} websockets are open from this address already; close one or retry later")
        return None
    try:
        return await _principal(websocket, session_id, action)
    except AccessDenied as exc:
        await close(websocket, exc.close_code, exc.detail)
        return None
