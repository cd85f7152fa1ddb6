"""Live captions for HLS players: a WebVTT subtitle playlist per language, built from the session's recent finals.

::

    GET /v1/sessions/{id}/live/{lang}.m3u8        media playlist (lang: fr, en, ... or ``spoken``)
    GET /v1/sessions/{id}/live/{lang}/{n}.vtt     segment n: cues of session time [6n, 6n + 6)

Add the playlist to a master playlist as a subtitles rendition
(``#EXT-X-MEDIA:TYPE=SUBTITLES,...,URI="/v1/sessions/ID/live/fr.m3u8?token=..."``).
Players cannot send a Bearer header, so ``?token=`` (or the session's join
code, ``?code=``) is accepted here and carried into the segment URIs; a public
session needs neither. Who may read them: as the captions websocket
(:mod:`service.auth`).

Timing: cue times are seconds of session time (as everywhere in floorcast).
Each segment's ``X-TIMESTAMP-MAP=MPEGTS:<m>,LOCAL:00:00:00.000`` says that
session time 0 is presentation time ``m`` (90 kHz ticks) of the video;
``?mpegts=`` sets ``m`` (default 0).

A segment is listed once the recogniser of every streaming channel has heard
:data:`HOLD_S` past its end, so the finals that fall into it have been
published and it does not change afterwards (short of a correction). A cue
that crosses a segment boundary is repeated in each segment, with the same id
and times, as HLS asks. The playlist keeps the last :data:`WINDOW_SEGMENTS`
segments (a sliding live window) and gets ``#EXT-X-ENDLIST`` when the session
has ended. Cues come from the session's in-memory recent finals (the last 200)
with the same language and source selection as the captions websocket.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from captions_store.exports.lines import segment_cues
from captions_store.exports.pieces import TimedWord
from captions_store.exports.vtt import cue_block
from service.auth import PlayerWatcher
from service.settings import UN_LANGUAGES
from service.viewer_filter import ViewerChoice, accepts

__all__ = ["router", "SEGMENT_S", "WINDOW_SEGMENTS", "HOLD_S", "listed_segments", "playlist_text", "segment_text",
           "MAX_MPEGTS", "MAX_SEGMENT"]

router = APIRouter(prefix="/v1/sessions/{session_id}/live", tags=["live captions"])

SEGMENT_S = 6.0
WINDOW_SEGMENTS = 10
HOLD_S = 10.0  # longer than an utterance may last (8 s) plus the time to decode it
MAX_MPEGTS = 2**33 - 1
MAX_SEGMENT = 10**8  # 19 years of 6 s segments: a larger number is refused with 422, not multiplied into a float
SPOKEN = "spoken"
_LANG = re.compile(r"^[a-z]{2,3}$")
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
VTT_TYPE = "text/vtt; charset=utf-8"


# -- pure logic --------------------------------------------------------------------------
def listed_segments(heard_s: float, *, streaming: bool, ended: bool) -> range:
    """Segment numbers the playlist lists now: complete and settled ones, the last minute of them."""
    if ended:
        count = math.ceil(round(heard_s / SEGMENT_S, 6))
    else:
        settled_s = heard_s - HOLD_S if streaming else heard_s
        count = max(0, math.floor(round(settled_s / SEGMENT_S, 6)))
    return range(max(0, count - WINDOW_SEGMENTS), count)


def playlist_text(segments: range, *, lang: str, heard_s: float, ended: bool, query: dict[str, str]) -> str:
    """An HLS media playlist (version 3) of WebVTT segments ``{lang}/{n}.vtt``."""
    suffix = f"?{urlencode(query)}" if query else ""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{math.ceil(SEGMENT_S)}",
             f"#EXT-X-MEDIA-SEQUENCE:{segments.start}"]
    for n in segments:
        duration = min(SEGMENT_S, heard_s - n * SEGMENT_S) if ended else SEGMENT_S
        lines += [f"#EXTINF:{max(duration, 0.001):.3f},", f"{lang}/{n}.vtt{suffix}"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _words(final: dict) -> tuple[TimedWord, ...]:
    if final.get("source_lang") is not None:  # a translation: the word timings belong to the source text
        return ()
    out = []
    for w in final.get("words") or ():
        try:
            out.append(TimedWord(str(w["word"]), float(w["start"]), float(w["end"])))
        except (KeyError, TypeError, ValueError):
            return ()
    return tuple(out)


def _text_lang(final: dict) -> str:
    return final["source_lang"] if final.get("translated") is False and final.get("source_lang") else final["lang"]


def segment_text(finals: Iterable[dict], n: int, *, mpegts: int = 0) -> str:
    """WebVTT segment ``n``: every cue of these finals that overlaps ``[n * SEGMENT_S, (n + 1) * SEGMENT_S)``."""
    start_s, end_s = n * SEGMENT_S, (n + 1) * SEGMENT_S
    blocks = []
    for final in finals:
        if not final.get("text", "").strip() or final["end"] <= start_s or final["start"] >= end_s:
            continue
        cues = segment_cues(final["text"], lang=_text_lang(final), start_s=final["start"], end_s=final["end"],
                            words=_words(final))
        for number, cue in enumerate(cues, 1):
            if cue.end_s > start_s and cue.start_s < end_s:
                blocks.append((cue.start_s, cue_block(cue, cue_id=f"{final['segment_id']}-{number}",
                                                      voice=final.get("speaker"))))
    blocks.sort(key=lambda item: item[0])
    header = f"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000\n\n"
    return header + "".join(block + "\n\n" for _, block in blocks)


# -- routes ------------------------------------------------------------------------------
def _live_session(request: Request, session_id: str):
    session = request.app.state.registry.get(session_id)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no live session {session_id!r}; a past session's captions are in its transcript")
    return session


def _choice(session, lang: str, source: str) -> ViewerChoice:
    if lang == SPOKEN:
        return ViewerChoice()
    if not _LANG.fullmatch(lang) or (lang not in UN_LANGUAGES and lang not in session.allowed_languages):
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no live captions in {lang[:20]!r}; use {SPOKEN} or one of {', '.join(UN_LANGUAGES)}")
    booths = frozenset(c.spec.name for c in session.channels.values() if c.spec.language == lang)
    return ViewerChoice(lang, source, booths)  # type: ignore[arg-type]


def _heard(session) -> tuple[float, bool]:
    """How far into the session time the recognisers have heard, and whether any channel is streaming."""
    heard_s, streaming = 0.0, False
    for channel in session.channels.values():
        if channel.worker is not None:
            streaming = True
            heard_s = max(heard_s, channel.offset_s + channel.worker.decoded_s)
        else:
            heard_s = max(heard_s, channel.end_s)
    return heard_s, streaming


Source = Literal["auto", "machine", "interpretation"]


@router.get("/{lang}.m3u8", response_class=Response, responses={200: {"content": {PLAYLIST_TYPE: {}}}})
async def live_playlist(session_id: str, lang: str, request: Request, _: PlayerWatcher,
                        source: Source = "auto", mpegts: int = Query(0, ge=0, le=MAX_MPEGTS)) -> Response:
    session = _live_session(request, session_id)
    _choice(session, lang, source)
    heard_s, streaming = _heard(session)
    ended = session.status != "live"
    credentials = {key: request.query_params.get(key) for key in ("token", "code")}  # players carry them along
    query = {k: v for k, v in {**credentials, "source": source if source != "auto" else None,
                               "mpegts": str(mpegts) if mpegts else None}.items() if v}
    body = playlist_text(listed_segments(heard_s, streaming=streaming, ended=ended), lang=lang, heard_s=heard_s,
                         ended=ended, query=query)
    return Response(body, media_type=PLAYLIST_TYPE, headers={"Cache-Control": "no-cache"})


@router.get("/{lang}/{number}.vtt", response_class=Response, responses={200: {"content": {"text/vtt": {}}}})
async def live_segment(session_id: str, lang: str, request: Request, _: PlayerWatcher,
                       number: int = Path(ge=0, le=MAX_SEGMENT, description="Segment n: session time [6n, 6n + 6)"),
                       source: Source = "auto", mpegts: int = Query(0, ge=0, le=MAX_MPEGTS)) -> Response:
    session = _live_session(request, session_id)
    choice = _choice(session, lang, source)
    finals = [e for e in request.app.state.broker.delivered(session_id).finals() if accepts(choice, e)]
    return Response(segment_text(finals, number, mpegts=mpegts), media_type=VTT_TYPE,
                    headers={"Cache-Control": "no-cache"})
