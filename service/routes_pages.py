"""The web client's pages: viewer, captioner console, staff pages and the webcast overlay.

Each route returns one HTML file from :data:`web_client.STATIC_DIR`; the pages
load their scripts and styles from ``/static`` and talk to the ``/v1`` API
with the token they were opened with (``?token=``, kept in sessionStorage).
The pages themselves hold no data, so they need no token.

Every page is sent with a Content-Security-Policy that allows only this
origin's scripts, styles and connections (no inline script, nothing from a
CDN) and ``Referrer-Policy: no-referrer``, because a page's URL may carry the
token.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from web_client import STATIC_DIR

__all__ = ["router", "PAGE_HEADERS", "page"]

router = APIRouter(include_in_schema=False)

PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
# The console needs the microphone; no page needs the camera or anything else.
_PERMISSIONS = {"console.html": "microphone=(self), camera=()"}


def page(name: str) -> FileResponse:
    path: Path = STATIC_DIR / name
    headers = {**PAGE_HEADERS, "Permissions-Policy": _PERMISSIONS.get(name, "microphone=(), camera=()")}
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/")
async def viewer_home() -> FileResponse:
    """The viewer, with a form to join a session by its code."""
    return page("index.html")


@router.get("/s/{session_id}")
async def viewer(session_id: str) -> FileResponse:
    """The viewer of one session (``?lang=fr`` picks the language)."""
    return page("index.html")


@router.get("/console")
async def console() -> FileResponse:
    return page("console.html")


@router.get("/staff")
async def staff() -> FileResponse:
    return page("staff.html")


@router.get("/staff/sessions/{session_id}")
async def staff_session(session_id: str) -> FileResponse:
    return page("staff_session.html")


@router.get("/overlay/{session_id}")
async def overlay(session_id: str) -> FileResponse:
    """Captions alone on a transparent background, for a browser source in OBS (``?lang=fr``)."""
    return page("overlay.html")
