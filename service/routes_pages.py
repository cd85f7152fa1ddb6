"""The web client's pages: viewer, captioner console, staff pages and the webcast overlay.

Each route returns one HTML file from :data:`web_client.STATIC_DIR`; the pages
load their scripts and styles from ``/static`` and talk to the ``/v1`` API
with the token they were opened with (``?token=``, kept in sessionStorage).
The pages themselves hold no data, so they need no token.

Every page is sent with a Content-Security-Policy that allows only this
origin's scripts, styles and connections (no inline script, nothing from a
CDN) and ``Referrer-Policy: no-referrer``, because a page's URL may carry the
token. No page may be framed (``frame-ancestors 'none'``, ``X-Frame-Options:
DENY``: a framed console or staff page could be clickjacked) except the
overlay, which webcast pages embed: who may frame it is
``FLOORCAST_OVERLAY_FRAME_ANCESTORS``. ``/docs`` is the API's Swagger UI,
served from the ``fastapi-offline`` package's copy rather than a CDN.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from web_client import STATIC_DIR

__all__ = ["router", "PAGE_HEADERS", "PAGE_CSP", "page", "API_DOCS_ASSETS"]

router = APIRouter(include_in_schema=False)

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'")
API_DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))  # swagger-ui-bundle.js, swagger-ui.css
PAGE_HEADERS = {
    "Content-Security-Policy": f"{PAGE_CSP}; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
# The console needs the microphone; no page needs the camera or anything else.
_PERMISSIONS = {"console.html": "microphone=(self), camera=()"}


def page(name: str, *, frame_ancestors: Iterable[str] = ("'none'",)) -> FileResponse:
    path: Path = STATIC_DIR / name
    headers = {**PAGE_HEADERS, "Permissions-Policy": _PERMISSIONS.get(name, "microphone=(), camera=()")}
    ancestors = " ".join(frame_ancestors)
    if ancestors != "'none'":
        headers["Content-Security-Policy"] = f"{PAGE_CSP}; frame-ancestors {ancestors}"
        del headers["X-Frame-Options"]
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
async def overlay(session_id: str, request: Request) -> FileResponse:
    """Captions alone on a transparent background, for a browser source in OBS (``?lang=fr``)."""
    return page("overlay.html", frame_ancestors=request.app.state.settings.overlay_frame_ancestors)


@router.get("/docs")
async def api_docs() -> FileResponse:
    """The API's Swagger UI (``/openapi.json``), with no script from a CDN."""
    return page("api_docs.html")
