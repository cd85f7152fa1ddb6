"""One place where the store's exceptions become HTTP responses with a JSON body.

    NotFound   -> 404    unknown session or segment
    QueryError -> 422    search query that cannot be run
    Conflict   -> 409    write that contradicts the record
    StoreError -> 503    the database is unavailable
    SessionError         as :mod:`service.session_errors` says (unknown session 404, ended 409, ...)

Routes document their 422 as :class:`ErrorBody` (``ERROR_RESPONSES``): ``detail`` is a sentence when a
route refuses a request, FastAPI's list of errors when the request does not parse.

A websocket query parameter of the wrong type (``?recent=abc``) is accepted and closed with 4400 and
the reason, like every other refusal on the websockets (a refused handshake would only show HTTP 403).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from captions_store.store import Conflict, NotFound, QueryError, StoreError
from service.protocol import CloseCode
from service.session_errors import SessionError, http_status
from service.ws_common import close

__all__ = ["install_error_handlers", "ErrorBody", "ERROR_RESPONSES"]

log = logging.getLogger(__name__)
_STATUS = ((NotFound, 404), (QueryError, 422), (Conflict, 409))


class ErrorBody(BaseModel):
    detail: str | list[dict[str, Any]] = Field(description="Why: a sentence, or the list of validation errors")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody, "description": "Invalid request"}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        for kind, code in _STATUS:
            if isinstance(exc, kind):
                return JSONResponse({"detail": str(exc)}, status_code=code)
        log.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": "the captions store is unavailable; try again"}, status_code=503)

    @app.exception_handler(SessionError)
    async def session_error(request: Request, exc: SessionError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=http_status(exc))

    @app.exception_handler(WebSocketRequestValidationError)
    async def websocket_bad_request(websocket: WebSocket, exc: WebSocketRequestValidationError) -> None:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "request"  # loc: ("query", "recent")
        await websocket.accept()
        await close(websocket, CloseCode.BAD_REQUEST, f"invalid {where}: {first['msg']}")
