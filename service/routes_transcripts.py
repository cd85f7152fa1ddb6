"""Routes over the record: a session's transcript in any language and format, and search.

The transcript is for whoever may watch the session (as its captions websocket: a public session,
its join code as ``?code=``, a viewer or captioner token of it, staff): participants read back and
save the meeting so far. Search across sessions is for staff.

``GET /v1/sessions/{id}/transcript?lang=fr&format=vtt`` picks the channel the
way a viewer would: the French interpretation booth where the session has one
(human interpretation beats machine translation), else the floor, translated.
``source=floor`` or ``source=interpretation`` forces one or the other.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from captions_store.exports import FORMATS, UnknownFormat, export
from captions_store.records import SessionRecord
from captions_store.store import Store
from service.auth import Principal, Requires, SessionWatcher, take_or_429
from service.errors import ErrorBody
from service.records_public import SearchPagePublic
from service.settings import UN_LANGUAGES

__all__ = ["router", "transcript_channels"]

router = APIRouter(tags=["transcripts"])
Staff = Annotated[Principal, Depends(Requires("staff"))]
LANG_PATTERN = r"^[a-z]{2,3}$"


def _store(request: Request) -> Store:
    return request.app.state.store


def transcript_channels(record: SessionRecord, lang: str | None, source: str) -> list[str]:
    """Which channels a transcript in ``lang`` is read from."""
    floor = [c["name"] for c in record.channels if not c.get("language")] or [c["name"] for c in record.channels]
    booths = [c["name"] for c in record.channels if lang and c.get("language") == lang]
    if source == "interpretation":
        if not booths:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                                f"session has no interpretation channel in {lang or 'that language'!r}")
        return booths
    if source == "auto" and booths:
        return booths
    return floor


@router.get("/v1/sessions/{session_id}/transcript", response_class=Response,
            responses={200: {"content": {"application/json": {}, "text/plain": {}, "text/vtt": {},
                                         "application/x-subrip": {}, "application/ttml+xml": {}}}})
async def transcript(session_id: str, request: Request, _: SessionWatcher,
                     lang: str | None = Query(None, pattern=LANG_PATTERN, description="Default: as spoken"),
                     format: str = Query("json", description=f"One of {', '.join(FORMATS)}"),
                     source: Literal["auto", "floor", "interpretation"] = "auto") -> Response:
    store = _store(request)
    record = await asyncio.to_thread(store.get_session, session_id)
    if lang is not None and lang not in UN_LANGUAGES and lang not in record.languages:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            f"unknown language {lang!r}; choose one of {', '.join(UN_LANGUAGES)}")
    if format not in FORMATS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    channels = transcript_channels(record, lang, source)
    doc = await asyncio.to_thread(store.transcript, session_id, lang=lang, channels=channels)
    try:
        exported = await asyncio.to_thread(export, doc, format)
    except UnknownFormat as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    disposition = "inline" if format in ("json", "txt") else "attachment"
    return Response(exported.body, media_type=exported.media_type,
                    headers={"content-disposition": exported.content_disposition(disposition)})


def _day_bound(value: date | None, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value, time.max if end else time.min, tzinfo=timezone.utc)


@router.get("/v1/search", response_model=SearchPagePublic,
            responses={429: {"model": ErrorBody, "description": "Too many searches with this token; see Retry-After"}})
async def search(request: Request, principal: Staff,
                 q: str = Query(..., min_length=1, max_length=256, description="Words, \"a phrase\", prefix*"),
                 lang: str | None = Query(None, pattern=LANG_PATTERN),
                 session: str | None = Query(None, max_length=64),
                 date_from: datetime | date | None = Query(None, alias="from", description="Sessions started on or after"),
                 date_to: datetime | date | None = Query(None, alias="to", description="Sessions started on or before"),
                 limit: int = Query(20, ge=1, le=100),
                 cursor: str | None = Query(None, max_length=200)) -> SearchPagePublic:
    take_or_429(request.app.state.rate_limits.search, principal.key)
    page = await asyncio.to_thread(_store(request).search, q, lang=lang, session_id=session,
                                   date_from=_day_bound(date_from, False), date_to=_day_bound(date_to, True),
                                   limit=limit, cursor=cursor)
    return SearchPagePublic.of(page)
