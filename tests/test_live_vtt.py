"""Live WebVTT for HLS players: the playlist's window and the segments' cues, then a real session read back."""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin

import httpx
import pytest
import webvtt

from service.routes_live_vtt import HOLD_S, SEGMENT_S, WINDOW_SEGMENTS, listed_segments, playlist_text, segment_text
from support import CaptionViewer, load_audio, normalise, pcm16, stream_pcm

JFK = "asr/en/whisper_jfk/jfk.flac"


def parse_playlist(text: str) -> dict:
    lines = text.strip().splitlines()
    assert lines[0] == "#EXTM3U"
    tags = dict(line[1:].split(":", 1) for line in lines if line.startswith("#EXT-X-") and ":" in line)
    durations = [float(line.split(":", 1)[1].rstrip(",")) for line in lines if line.startswith("#EXTINF:")]
    uris = [line for line in lines if line and not line.startswith("#")]
    assert len(durations) == len(uris)
    return {"tags": tags, "durations": durations, "uris": uris, "ended": "#EXT-X-ENDLIST" in lines}


def final(segment_id: str, text: str, start: float, end: float, *, words: bool = True, speaker=None, **extra) -> dict:
    tokens = text.split()
    step = (end - start) / max(1, len(tokens))
    timed = [{"word": " " + w, "start": start + n * step, "end": start + (n + 1) * step, "probability": 0.9}
             for n, w in enumerate(tokens)] if words else []
    return {"type": "final", "segment_id": segment_id, "channel": "floor", "lang": "en", "text": text,
            "start": start, "end": end, "words": timed, "speaker": speaker, **extra}


# -- the playlist window -------------------------------------------------------------------
def test_segments_are_listed_once_settled_and_the_window_slides():
    assert listed_segments(0.0, streaming=True, ended=False) == range(0, 0)
    assert listed_segments(HOLD_S + 2 * SEGMENT_S + 1, streaming=True, ended=False) == range(0, 2)
    assert listed_segments(11.0, streaming=False, ended=False) == range(0, 1), "an unfinished segment may still grow"
    assert listed_segments(11.0, streaming=False, ended=True) == range(0, 2), "the session's last, short segment"
    assert listed_segments(12.0, streaming=False, ended=True) == range(0, 2)
    late = listed_segments(HOLD_S + 30 * SEGMENT_S, streaming=True, ended=False)
    assert late == range(30 - WINDOW_SEGMENTS, 30)


def test_playlist_lists_webvtt_segments_with_their_durations():
    playlist = parse_playlist(playlist_text(range(3, 5), lang="fr", heard_s=29.5, ended=True,
                                            query={"token": "t k", "mpegts": "900000"}))
    assert playlist["tags"]["EXT-X-VERSION"] == "3" and playlist["tags"]["EXT-X-TARGETDURATION"] == "6"
    assert playlist["tags"]["EXT-X-MEDIA-SEQUENCE"] == "3"
    assert playlist["uris"] == ["fr/3.vtt?token=t+k&mpegts=900000", "fr/4.vtt?token=t+k&mpegts=900000"]
    assert playlist["durations"] == [6.0, 5.5] and playlist["ended"]
    live = parse_playlist(playlist_text(range(0, 2), lang="spoken", heard_s=40, ended=False, query={}))
    assert live["uris"] == ["spoken/0.vtt", "spoken/1.vtt"] and live["durations"] == [6.0, 6.0]
    assert not live["ended"]


# -- segment contents ------------------------------------------------------------------------
def test_a_cue_crossing_a_segment_boundary_is_in_both_segments():
    finals = [final("s.floor.1", "Good morning distinguished delegates", 4.0, 8.0, speaker="Chair"),
              final("s.floor.2", "The meeting is called to order", 9.0, 11.0)]
    first, second = (segment_text(finals, n, mpegts=900000) for n in (0, 1))
    assert first.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n")
    cues0, cues1 = webvtt.from_string(first).captions, webvtt.from_string(second).captions
    assert [(c.identifier, c.start, c.end) for c in cues0] == [("s.floor.1-1", "00:00:04.000", "00:00:08.000")]
    assert cues0[0].voice == "Chair" and cues0[0].text == "Good morning distinguished delegates"
    assert [c.identifier for c in cues1] == ["s.floor.1-1", "s.floor.2-1"], "repeated, same id and times"
    assert (cues1[0].start, cues1[0].end) == (cues0[0].start, cues0[0].end)
    assert webvtt.from_string(segment_text(finals, 2)).captions == []


def test_segment_text_escapes_markup_and_times_translations_without_words():
    finals = [final("s.floor.1", "R&D <b>budget</b>", 1.0, 3.0),
              final("s.floor.2", "Le budget de la recherche est adopté", 3.0, 5.0, words=False, lang="fr",
                    source_lang="en", translated=True),
              final("s.floor.3", "", 5.0, 5.5)]
    text = segment_text(finals, 0)
    assert "R&amp;D &lt;b&gt;budget&lt;/b&gt;" in text and "<b>" not in text
    cues = webvtt.from_string(text).captions
    assert [c.identifier for c in cues] == ["s.floor.1-1", "s.floor.2-1"]
    assert (cues[1].start_in_seconds, cues[1].end_in_seconds) == (3.0, 5.0)


# -- a real session --------------------------------------------------------------------------
@pytest.mark.model
def test_live_playlist_of_a_streamed_clip_parses_and_ends_with_the_session(server, clip):
    pcm = pcm16(load_audio(clip(JFK)))

    async def run() -> tuple[str, list[dict]]:
        session_id = server.create_session(title="Live WebVTT")["id"]
        async with CaptionViewer(server, session_id) as viewer:
            await stream_pcm(server, session_id, pcm)
            events = await viewer.catch_up()
        return session_id, [e for e in events if e["type"] == "final" and e["text"]]

    session_id, finals = asyncio.run(run())
    playlist_url = f"{server.base_url}/v1/sessions/{session_id}/live/en.m3u8"
    with httpx.Client(timeout=30) as client:  # no Authorization header: players send ?token=
        assert client.get(playlist_url).status_code == 401
        assert client.get(f"{server.base_url}/v1/sessions/{session_id}/live/xx.m3u8",
                          params={"token": server.token}).status_code == 404
        assert client.get(f"{server.base_url}/v1/sessions/nosuchid/live/en.m3u8",
                          params={"token": server.token}).status_code == 404

        live = client.get(playlist_url, params={"token": server.token})
        assert live.status_code == 200 and live.headers["content-type"] == "application/vnd.apple.mpegurl"
        live_playlist = parse_playlist(live.text)
        assert len(live_playlist["uris"]) == 1 and not live_playlist["ended"], "11 s said: one whole segment"

        assert client.post(f"{server.base_url}/v1/sessions/{session_id}/end", headers=server.headers).is_success
        ended = parse_playlist(client.get(playlist_url, params={"token": server.token}).text)
        assert ended["ended"] and len(ended["uris"]) == 2 and ended["durations"][0] == 6.0
        assert ended["durations"][1] == pytest.approx(11.0 - 6.0, abs=0.2)

        cues: dict[str, webvtt.Caption] = {}
        for n, uri in enumerate(ended["uris"]):
            response = client.get(urljoin(playlist_url, uri))
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/vtt")
            assert response.text.splitlines()[1] == "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"
            for cue in webvtt.from_string(response.text).captions:
                assert cue.end_in_seconds > n * SEGMENT_S and cue.start_in_seconds < (n + 1) * SEGMENT_S
                cues.setdefault(cue.identifier, cue)
    ordered = sorted(cues.values(), key=lambda c: c.start_in_seconds)
    assert normalise(" ".join(c.text for c in ordered)) == normalise(" ".join(f["text"] for f in finals))
