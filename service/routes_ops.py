"""Operations: liveness, readiness and Prometheus metrics.

``/healthz`` answers as long as the process does. ``/readyz`` answers 200
only when the model is loaded, the store answers a trivial query within
:data:`STORE_TIMEOUT_S` and the store writer's thread is alive; otherwise 503
with what is not ready. Neither needs a token nor says more than that.
``/metrics`` asks for the Bearer token ``FLOORCAST_METRICS_TOKEN``; with none
set, it answers loopback clients only (a Prometheus on the same host) and 403
to everyone else — behind a proxy, the client is the one the trusted proxy saw.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from service.auth import client_address, token_ok

__all__ = ["router", "Health", "Readiness", "STORE_TIMEOUT_S"]

router = APIRouter(tags=["operations"])
STORE_TIMEOUT_S = 2.0


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    model: str


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(description="model, store, store_writer: 'ok' or what is wrong",
                                   examples=[{"model": "ok", "store": "no answer within 2.0 s", "store_writer": "ok"}])


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> Health:
    return Health(model=request.app.state.decoder.name)


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness, "description": "Not ready"}})
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks = {"model": "ok" if getattr(state, "decoder", None) is not None else "not loaded",
              "store": await _store_check(getattr(state, "store", None)),
              "store_writer": "ok" if getattr(state, "writer", None) is not None and state.writer.alive else "stopped"}
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=status.HTTP_200_OK if ready else 503)


async def _store_check(store) -> str:
    if store is None:
        return "not open"
    try:
        await asyncio.wait_for(asyncio.to_thread(store.list_sessions, limit=1), STORE_TIMEOUT_S)
    except asyncio.TimeoutError:
        return f"no answer within {STORE_TIMEOUT_S} s"
    except Exception as exc:  # any failure means not ready; the kind is enough, details may hold a URL
        return f"failed: {type(exc).__name__}"
    return "ok"


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}, "application/openmetrics-text": {}},
                             "description": "Prometheus text format, or OpenMetrics if asked for"},
                       401: {"description": "FLOORCAST_METRICS_TOKEN is set and was not given"},
                       403: {"description": "No FLOORCAST_METRICS_TOKEN is set and the client is not on loopback"}})
async def metrics(request: Request) -> Response:
    expected = request.app.state.settings.metrics_token
    if not expected and not _loopback(client_address(request)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "metrics are served to loopback clients only; set "
                                                       "FLOORCAST_METRICS_TOKEN to scrape from elsewhere")
    if expected:
        header = request.headers.get("authorization") or ""
        presented = header[7:].strip() if header[:7].lower() == "bearer " else None
        if not token_ok(presented, expected):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
    body, content_type = request.app.state.metrics.render(request.headers.get("accept"))
    return Response(body, headers={"content-type": content_type})


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # "unknown" or a unix socket's peer
        return False
