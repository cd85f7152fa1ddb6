"""HTTP routes for a session's caption outputs: add one, list them with their delivery, stop one.

``POST /v1/sessions/{id}/outputs`` (staff, admin) stores the output with the
session; the instance recording the session starts delivering at once if it
is this one, else within a second (see :mod:`service.outputs.hub`).
Captioners of the session may list them (the console shows their state).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from captions_store.records import OutputRecord
from service.auth import Principal, Requires
from service.outputs.delivery import OutputDelivery
from service.outputs.destinations import check_url, masked
from service.outputs.hub import OutputHub
from service.outputs.models import OutputCreate, OutputPublic
from service.session_conversions import offered_languages

__all__ = ["router", "output_public"]

router = APIRouter(prefix="/v1/sessions", tags=["outputs"])
Staff = Annotated[Principal, Depends(Requires("staff"))]
Watcher = Annotated[Principal, Depends(Requires("staff", "captioner"))]


def _hub(request: Request) -> OutputHub:
    return request.app.state.outputs


def output_public(record: OutputRecord, delivery: OutputDelivery | None, session_live: bool) -> OutputPublic:
    state = "stopped" if record.stopped_at else ("idle" if session_live else "ended")
    numbers = dict(seq=record.seq, delivered=record.delivered, failed=record.failed, last_error=record.last_error)
    extra: dict = {}
    if delivery is not None:
        state = delivery.state
        numbers = dict(seq=delivery.seq, delivered=delivery.delivered, failed=delivery.failed,
                       last_error=delivery.last_error)
        extra = dict(retries=delivery.retries, corrections_skipped=delivery.corrections_skipped,
                     queued=delivery.queued, lag_s=delivery.lag_s)
    return OutputPublic(id=record.id, session_id=record.session_id, kind=record.kind, language=record.language,
                        url=masked(record.url), status=state, created_at=record.created_at.timestamp(),
                        stopped_at=record.stopped_at.timestamp() if record.stopped_at else None,
                        **numbers, **extra)


@router.post("/{session_id}/outputs", status_code=status.HTTP_201_CREATED, response_model=OutputPublic,
             response_model_exclude_none=True)
async def add_output(session_id: str, body: OutputCreate, request: Request, _: Staff) -> OutputPublic:
    store = request.app.state.store
    record = await asyncio.to_thread(store.get_session, session_id)  # 404 if unknown
    if record.status != "live":
        raise HTTPException(status.HTTP_409_CONFLICT, f"session {session_id!r} is {record.status}: outputs are "
                                                      f"for live sessions")
    try:
        url = check_url(body.url)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"url: {exc}") from exc
    offered = offered_languages(record)
    if body.language not in offered:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            f"language {body.language!r} is not one this session has; it has {', '.join(offered)}")
    live = request.app.state.registry.get(session_id)
    since = request.app.state.broker.delivered(session_id).last_seq if live is not None else \
        await request.app.state.bus.last_seq(session_id)
    secret = secrets.token_urlsafe(32) if body.kind == "webhook" else ""
    stored = await asyncio.to_thread(store.add_output, session_id, kind=body.kind, url=url, language=body.language,
                                     secret=secret, through_seq=since)
    delivery = await _hub(request).added(live, stored) if live is not None and live.status == "live" else None
    shown = output_public(stored, delivery, True)
    return shown.model_copy(update={"secret": secret or None})


@router.get("/{session_id}/outputs", response_model=list[OutputPublic], response_model_exclude_none=True)
async def list_outputs(session_id: str, request: Request, _: Watcher) -> list[OutputPublic]:
    store = request.app.state.store
    record = await asyncio.to_thread(store.get_session, session_id)  # 404 if unknown
    outputs = await asyncio.to_thread(store.list_outputs, session_id)
    hub = _hub(request)
    return [output_public(o, hub.get(o.id), record.status == "live") for o in outputs]


@router.delete("/{session_id}/outputs/{output_id}", response_model=OutputPublic, response_model_exclude_none=True)
async def stop_output(session_id: str, output_id: str, request: Request, _: Staff) -> OutputPublic:
    """Stops delivery (here at once; on another instance within a second); the output stays listed, stopped."""
    store = request.app.state.store
    hub = _hub(request)
    delivery = hub.get(output_id)
    stopped = await asyncio.to_thread(store.stop_output, session_id, output_id)  # 404 if unknown
    if delivery is not None:
        await hub.removed(output_id)
        stopped = await asyncio.to_thread(store.stop_output, session_id, output_id)  # with the final counts
    return output_public(stopped, delivery, True)
