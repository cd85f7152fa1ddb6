"""``GET /v1/sessions/{id}/qr.svg``: the participant link as a QR code, for the console to put on a projector.

The code is drawn here (segno, pure Python, SVG) from the link the session's API
gives its captioner, made absolute with the address the request came to (behind
a proxy: the forwarded host and scheme uvicorn is told to trust). Only those who
may see the join code get it, since a private session's code is in the link.
"""

from __future__ import annotations

import asyncio
import io
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from service.auth import Principal, Requires
from service.routes_sessions import get_session

__all__ = ["router", "qr_svg"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
Captioner = Annotated[Principal, Depends(Requires("captioner"))]


def qr_svg(url: str, *, title: str) -> bytes:
    """An SVG QR code of ``url`` (error correction M: still reads from a projector with glare)."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=8, border=4, dark="#000", light="#fff", title=title, svgclass="qr",
              xmldecl=False, nl=False)
    return out.getvalue()


@router.get("/{session_id}/qr.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}, "description": "The participant link as a QR code"}})
async def participant_qr(session_id: str, request: Request, principal: Captioner) -> Response:
    session = await get_session(session_id, request, principal)
    if session.participant_link is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the session's captioner may share its link")
    url = str(request.base_url).rstrip("/") + session.participant_link
    svg = await asyncio.to_thread(qr_svg, url, title=f"QR code: {url}")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
