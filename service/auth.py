"""Bearer-token check shared by HTTP routes and websockets (admin token until roles land)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket, status

__all__ = ["token_ok", "require_token", "Authorized", "websocket_token"]


def token_ok(presented: str | None, expected: str) -> bool:
    return bool(presented) and hmac.compare_digest(presented.encode(), expected.encode())


def _bearer(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def require_token(request: Request) -> None:
    expected = request.app.state.settings.admin_token
    if not token_ok(_bearer(request.headers.get("authorization")), expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


Authorized = Annotated[None, Depends(require_token)]


def websocket_token(websocket: WebSocket) -> bool:
    """Websocket clients may send the header or, from a browser, ``?token=``."""
    expected = websocket.app.state.settings.admin_token
    presented = _bearer(websocket.headers.get("authorization")) or websocket.query_params.get("token")
    return token_ok(presented, expected)
