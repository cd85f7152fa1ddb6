"""The record of a live session, through the real server: stored before shown, exported, searched, edited.

One English clip is streamed into one session (module fixture); the tests then
read that session back through the staff routes. Exports are parsed with real
parsers (webvtt-py, srt, python-docx).
"""

from __future__ import annotations

import asyncio
import io
import json

import httpx
import pytest
import srt
import webvtt
import websockets
from docx import Document

from support import CaptionViewer, assert_caption_invariants, load_audio, normalise, pcm16, stream_pcm

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"


async def _stream_checking_store(server, session_id: str, pcm: bytes) -> tuple[list[dict], list[int]]:
    """Stream; each time the viewer receives a final, ask the store for it at once.

    Returns the viewer's events and the HTTP status of each immediate lookup:
    a final shown to a viewer must already be committed (200), never 404.
    """
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers, timeout=30) as http:
        async with CaptionViewer(server, session_id) as viewer:
            seen = 0

            async def check_finals() -> None:
                nonlocal seen
                while True:
                    for event in viewer.events[seen:]:
                        if event["type"] == "final" and event["text"]:
                            statuses.append((await http.get(f"/v1/segments/{event['segment_id']}")).status_code)
                    seen = len(viewer.events)
                    await asyncio.sleep(0.005)

            checker = asyncio.create_task(check_finals())
            try:
                async with server.ingest(session_id) as ws:
                    await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
                    await ws.recv()
                    await ws.send(json.dumps({"type": "speaker", "label": "Chair"}))
                    for i in range(0, len(pcm), 3200):
                        await ws.send(pcm[i:i + 3200])
                        await asyncio.sleep(0.025)
                    await ws.send(json.dumps({"type": "stop"}))
                    await ws.recv()
                events = list(await viewer.catch_up())
                await asyncio.sleep(0.3)
            finally:
                checker.cancel()
    return events, statuses


@pytest.fixture(scope="module")
def recorded(server, clip):
    session = server.create_session(title="Plenary <b>& co</b>", room="Popov Room")
    events, statuses = asyncio.run(_stream_checking_store(server, session["id"], pcm16(load_audio(clip(JFK)))))
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    return {"session": session, "events": events, "finals": finals, "statuses": statuses}


def _get(server, path: str, **params) -> httpx.Response:
    with server.http() as client:
        return client.get(path, params=params)


def test_every_final_a_viewer_saw_was_already_stored(recorded):
    assert recorded["finals"], "the clip produced no final"
    assert_caption_invariants(recorded["events"])
    assert recorded["statuses"] and set(recorded["statuses"]) == {200}, recorded["statuses"]


def test_json_transcript_is_what_viewers_saw(server, recorded):
    response = _get(server, f"/v1/sessions/{recorded['session']['id']}/transcript", format="json")
    assert response.status_code == 200, response.text
    body = response.json()
    lines = body["lines"]
    assert [line["segment_id"] for line in lines] == [e["segment_id"] for e in recorded["finals"]]
    assert [line["text"] for line in lines] == [e["text"] for e in recorded["finals"]]
    assert all(line["speaker"] == "Chair" for line in lines)
    assert "country" in normalise(" ".join(line["text"] for line in lines))


def test_vtt_and_srt_exports_parse_and_keep_the_words(server, recorded):
    sid = recorded["session"]["id"]
    spoken = normalise(" ".join(e["text"] for e in recorded["finals"]))
    vtt = _get(server, f"/v1/sessions/{sid}/transcript", format="vtt")
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    assert "attachment" in vtt.headers["content-disposition"]
    captions = webvtt.from_buffer(io.StringIO(vtt.text))
    assert captions and normalise(" ".join(c.text for c in captions)) == spoken
    starts = [c.start_in_seconds for c in captions]
    assert starts == sorted(starts)
    subtitles = list(srt.parse(_get(server, f"/v1/sessions/{sid}/transcript", format="srt").text))
    assert len(subtitles) == len(captions)
    assert all(len(line) <= 42 for s in subtitles for line in s.content.splitlines())
    assert all(len(s.content.splitlines()) <= 2 for s in subtitles)


def test_docx_export_opens_with_title_and_speaker(server, recorded):
    response = _get(server, f"/v1/sessions/{recorded['session']['id']}/transcript", format="docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Plenary <b>& co</b>" in text and "Chair" in text and "country" in text.lower()


@pytest.mark.parametrize("params", [{"format": "pdf"}, {"lang": "xx"}, {"lang": "EN"}, {"lang": "de"},
                                    {"source": "interpretation", "lang": "fr"}])
def test_bad_transcript_requests_are_4xx_json(server, recorded, params):
    response = _get(server, f"/v1/sessions/{recorded['session']['id']}/transcript", **params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_unknown_session_and_segment_are_404_json(server):
    for path in ("/v1/sessions/nope/transcript", "/v1/segments/nope.floor.1", "/v1/segments/nope.floor.1/revisions"):
        response = _get(server, path)
        assert response.status_code == 404 and "detail" in response.json(), (path, response.text)
    with server.http() as client:
        response = client.patch("/v1/segments/nope.floor.1", json={"text": "x"})
    assert response.status_code == 404 and "detail" in response.json()


def test_search_finds_the_spoken_words_with_a_highlighted_snippet(server, recorded):
    sid = recorded["session"]["id"]
    response = _get(server, "/v1/search", q="country", session=sid)
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert hits and all(h["session_id"] == sid for h in hits)
    hit = hits[0]
    assert "<mark>" in hit["snippet"] and "country" in hit["snippet"].lower()
    assert hit["session_title"] == "Plenary <b>& co</b>" and hit["lang"] == "en"
    assert hit["url"].startswith(f"/staff/sessions/{sid}") and hit["segment_id"] in {e["segment_id"] for e in recorded["finals"]}
    assert _get(server, "/v1/search", q="country", session=sid, lang="fr").json()["hits"] == []


@pytest.mark.parametrize("q", ['"', 'NEAR(country', "*", ")(", "country AND OR NOT", "'; DROP TABLE segments; --",
                               "country*", "\x00\x01", "a" * 256, "\"ask not\"", "国家", "^country", "col:country"])
def test_hostile_search_queries_never_500(server, recorded, q):
    response = _get(server, "/v1/search", q=q)
    assert response.status_code in (200, 422), (q, response.status_code, response.text)
    assert isinstance(response.json(), dict)
    if response.status_code == 422:
        assert response.json()["detail"]


def test_oversized_search_query_is_422(server):
    response = _get(server, "/v1/search", q="country " * 1250)
    assert response.status_code == 422 and response.json()["detail"]


def test_edit_makes_a_revision_reaches_live_viewers_and_exports(server, recorded, tmp_path):
    sid = recorded["session"]["id"]
    first = recorded["finals"][0]

    async def edit_while_watching() -> tuple[httpx.Response, list[dict]]:
        async with CaptionViewer(server, sid) as viewer:
            async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers) as http:
                response = await http.patch(f"/v1/segments/{first['segment_id']}",
                                            json={"text": "And so, my fellow delegates.", "editor": "captioner-1"})
            await asyncio.sleep(0.5)
        return response, viewer.events

    response, seen = asyncio.run(edit_while_watching())
    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 1 and response.json()["text"] == "And so, my fellow delegates."
    corrections = [e for e in seen if e["type"] == "correction"]
    assert [c["segment_id"] for c in corrections] == [first["segment_id"]]
    assert corrections[0]["text"] == "And so, my fellow delegates." and corrections[0]["revision"] == 1
    history = _get(server, f"/v1/segments/{first['segment_id']}/revisions").json()
    assert [(h["number"], h["editor"], h["text_before"]) for h in history] == [(1, "captioner-1", first["text"])]
    txt = _get(server, f"/v1/sessions/{sid}/transcript", format="txt").text
    assert "my fellow delegates" in txt and first["text"] not in txt
    assert _get(server, "/v1/search", q="delegates", session=sid).json()["hits"]
    with server.http() as client:
        assert client.patch(f"/v1/segments/{first['segment_id']}", json={}).status_code == 422
        assert client.patch(f"/v1/segments/{first['segment_id']}", json={"text": "  "}).status_code == 422
        assert client.patch(f"/v1/segments/{first['segment_id']}", json={"text": "x", "bogus": 1}).status_code == 422


def test_off_the_record_keeps_captions_flowing_but_stores_nothing(server, clip):
    session = server.create_session(title="in camera")
    sid = session["id"]
    with server.http() as client:
        assert client.patch(f"/v1/sessions/{sid}", json={"off_record": True}).json()["off_record"] is True

    async def run() -> list[dict]:
        async with CaptionViewer(server, sid) as viewer:
            await stream_pcm(server, sid, pcm16(load_audio(clip(JFK))))
            return list(await viewer.catch_up())

    events = asyncio.run(run())
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    assert finals, "viewers must still receive captions off the record"
    lines = _get(server, f"/v1/sessions/{sid}/transcript").json()["lines"]
    assert lines == []
    assert _get(server, "/v1/search", q="country", session=sid).json()["hits"] == []
    for final in finals:
        assert _get(server, f"/v1/segments/{final['segment_id']}").status_code == 404


def test_delete_removes_the_session_and_everything_recorded(server, clip):
    session = server.create_session(title="to be deleted")
    sid = session["id"]
    asyncio.run(stream_pcm(server, sid, pcm16(load_audio(clip(JFK)))))
    assert _get(server, "/v1/search", q="country", session=sid).json()["hits"]
    with server.http() as client:
        assert client.delete(f"/v1/sessions/{sid}").status_code == 204
        assert client.delete(f"/v1/sessions/{sid}").status_code == 404
    assert _get(server, f"/v1/sessions/{sid}").status_code == 404
    assert _get(server, f"/v1/sessions/{sid}/transcript").status_code == 404
    assert _get(server, "/v1/search", q="country", session=sid).status_code == 404  # no such session any more
    hits = _get(server, "/v1/search", q="country", limit=100).json()["hits"]
    assert sid not in {h["session_id"] for h in hits}
