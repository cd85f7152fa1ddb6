"""Post-session (and live) editing of segments, with the revision history.

An edit is stored as a revision; the segment's translations become stale and
are translated again when a translator is running; viewers of a live session
receive a ``correction`` event for the line they already show.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from captions_store.store import Store
from service.auth import Principal, Requires
from service.records_public import RevisionPublic, SegmentEdit, SegmentPublic
from service.retranslate import retranslate

__all__ = ["router"]

router = APIRouter(prefix="/v1/segments", tags=["transcripts"])
Staff = Annotated[Principal, Depends(Requires("staff"))]
Editor = Annotated[Principal, Depends(Requires("staff", "captioner"))]  # captioners correct their sessions live


def _store(request: Request) -> Store:
    return request.app.state.store


@router.get("/{segment_id}", response_model=SegmentPublic)
async def get_segment(segment_id: str, request: Request, _: Staff) -> SegmentPublic:
    return SegmentPublic.of(await asyncio.to_thread(_store(request).get_segment, segment_id))


@router.patch("/{segment_id}", response_model=SegmentPublic)
async def edit_segment(segment_id: str, edit: SegmentEdit, request: Request, principal: Editor) -> SegmentPublic:
    if edit.text is None and edit.speaker is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "nothing to change: give text and/or speaker")
    if edit.text is not None and not edit.text.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "text must not be empty")
    store = _store(request)
    if principal.session_id is not None:
        session_id = (await asyncio.to_thread(store.get_segment, segment_id)).session_id
        if not principal.covers(session_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this token is for another session")
    await asyncio.to_thread(request.app.state.writer.wait_idle, 10.0)  # a final still being written is editable
    record = await asyncio.to_thread(store.edit_segment, segment_id, editor=edit.editor,
                                     text=edit.text.strip() if edit.text is not None else None,
                                     speaker=edit.speaker)
    if edit.text is not None:
        await retranslate(request.app, record)
    live = request.app.state.registry.get(record.session_id)
    if live is not None and live.status == "live":
        live.publish_correction(record.id, record.text, record.speaker, record.revision, record.lang)
    return SegmentPublic.of(record)


@router.get("/{segment_id}/revisions", response_model=list[RevisionPublic])
async def revisions(segment_id: str, request: Request, _: Staff) -> list[RevisionPublic]:
    return [RevisionPublic.of(r) for r in await asyncio.to_thread(_store(request).revisions, segment_id)]
