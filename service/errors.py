"""One place where the store's exceptions become HTTP responses with a JSON body.

    NotFound   -> 404    unknown session or segment
    QueryError -> 422    search query that cannot be run
    Conflict   -> 409    write that contradicts the record
    StoreError -> 503    the database is unavailable
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from captions_store.store import Conflict, NotFound, QueryError, StoreError

__all__ = ["install_error_handlers"]

log = logging.getLogger(__name__)
_STATUS = ((NotFound, 404), (QueryError, 422), (Conflict, 409))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        for kind, code in _STATUS:
            if isinstance(exc, kind):
                return JSONResponse({"detail": str(exc)}, status_code=code)
        log.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": "the captions store is unavailable; try again"}, status_code=503)
