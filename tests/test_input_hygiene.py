"""Text and numbers at the boundary, against a real server on SQLite and on PostgreSQL.

Control characters (NUL among them: PostgreSQL cannot store it) and bidi
overrides are refused with 422 and a reason wherever a person types text, on
HTTP and on the ingest socket; numbers in paths and queries are bounded (422 or
4400, never 500); the stored captions are intact after every refusal; SRT and
TXT exports carry no markup tags and no ``-->`` inside a line.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest
import websockets

from store_support import PG_ENV, fresh_database
from support import ServerProcess, expect_close, load_audio, pcm16, stream_pcm

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
NUL, RLO, ISOLATE = "\x00", "\u202e", "\u2066"
HOSTILE = [f"Chair{NUL}", f"Delegate of {RLO}ayreK", f"Room{ISOLATE}7", "Bell\x07", "two\nlines", "esc\x1b[31m"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def recorded(request, base_model, data_dir, tmp_path_factory, clip):
    """A server on a fresh database and a session with JFK's speech recorded in it."""
    if request.param == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} is not set (bash .ci/run starts PostgreSQL and sets it)")
    folder = tmp_path_factory.mktemp(f"hygiene-{request.param}")
    with fresh_database(request.param, folder) as database:
        env = {"FLOORCAST_DATABASE_URL": database.url} if database.url else {}
        with ServerProcess(data_dir, folder / "server.log", env=env) as process:
            server = process.live
            sid = server.create_session(title="hygiene", translation_languages=[])["id"]
            asyncio.run(stream_pcm(server, sid, pcm16(load_audio(clip(JFK)))))
            yield server, sid


def _lines(server, sid) -> list[dict]:
    with server.http() as client:
        response = client.get(f"/v1/sessions/{sid}/transcript", params={"format": "json"})
    assert response.status_code == 200, response.text
    return response.json()["lines"]


def _refused(response, what: str) -> None:
    assert response.status_code == 422, (what, response.status_code, response.text)
    body = response.json()
    assert isinstance(body["detail"], list) and body["detail"], body
    assert any("not allowed" in item["msg"] for item in body["detail"]), body


@pytest.mark.parametrize("text", HOSTILE)
def test_titles_rooms_glossary_and_token_labels_refuse_control_and_bidi_characters(recorded, text):
    server, sid = recorded
    before = _lines(server, sid)
    with server.http() as client:
        _refused(client.post("/v1/sessions", json={"title": text}), "title")
        _refused(client.post("/v1/sessions", json={"title": "ok", "room": text}), "room")
        _refused(client.post("/v1/sessions", json={"glossary": [{"term": text}]}), "glossary term")
        _refused(client.post("/v1/sessions", json={"glossary": [{"term": "WHO", "renderings": {"fr": text}}]}),
                 "glossary rendering")
        _refused(client.patch(f"/v1/sessions/{sid}", json={"title": text}), "new title")
        _refused(client.patch(f"/v1/sessions/{sid}", json={"speaker": text}), "speaker")
        _refused(client.post("/v1/tokens", json={"role": "viewer", "label": text}), "token label")
        assert client.get(f"/v1/sessions/{sid}").json()["title"] == "hygiene"
    assert _lines(server, sid) == before


def test_arabic_text_with_direction_marks_is_accepted(recorded):
    server, _ = recorded
    title = "\u200fجلسة عامة\u200f (Plenary)"
    created = server.create_session(title=title, room="Salle XIX")
    assert created["title"] == title


@pytest.mark.parametrize("text", [f"Corrected{NUL} text.", f"Corrected {RLO}text.", "Corrected\x1b text."])
def test_corrections_with_control_or_bidi_characters_are_refused_and_the_caption_is_kept(recorded, text):
    server, sid = recorded
    first = _lines(server, sid)[0]
    with server.http() as client:
        _refused(client.patch(f"/v1/segments/{first['segment_id']}", json={"text": text}), "correction")
        _refused(client.patch(f"/v1/segments/{first['segment_id']}", json={"speaker": f"Chair{NUL}"}), "speaker")
        kept = client.get(f"/v1/segments/{first['segment_id']}").json()
    assert kept["text"] == first["text"]


def test_a_correction_may_keep_its_line_breaks(recorded):
    server, sid = recorded
    last = _lines(server, sid)[-1]
    with server.http() as client:
        response = client.patch(f"/v1/segments/{last['segment_id']}",
                                json={"text": "ask what you can do\tfor your country.\nThank you."})
    assert response.status_code == 200, response.text


def test_a_speaker_label_with_nul_on_the_ingest_socket_is_closed_with_a_reason(recorded):
    server, sid = recorded
    before = _lines(server, sid)

    async def send_label() -> tuple[int | None, str]:
        async with server.ingest(sid) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
            await ws.recv()
            await ws.send(json.dumps({"type": "speaker", "label": f"The Chair{NUL}"}))
            code, reason, _ = await expect_close(ws)
            return code, reason

    code, reason = asyncio.run(send_label())
    assert code == 1007 and "not allowed" in reason, (code, reason)
    assert _lines(server, sid) == before
    assert server.get_session(sid)["status"] == "live"


def test_huge_numbers_in_paths_and_queries_are_refused_not_500(recorded):
    server, sid = recorded
    with server.http() as client:
        for path in (f"/v1/sessions/{sid}/live/en/{10**309}.vtt", f"/v1/sessions/{sid}/live/en/-1.vtt",
                     f"/v1/sessions/{sid}/live/en.m3u8?mpegts={10**309}", f"/v1/sessions?limit={10**40}",
                     f"/v1/sessions?offset={-10**30}", f"/v1/search?q=country&limit={10**309}"):
            response = client.get(path)
            assert response.status_code == 422, (path, response.status_code, response.text[:300])
            assert response.json()["detail"], path
        assert client.get(f"/v1/sessions/{sid}/live/en/0.vtt").status_code == 200

    async def since(value: str) -> int | None:
        async with websockets.connect(server.captions_url(sid) + f"&since={value}", open_timeout=30) as ws:
            code, _, _ = await expect_close(ws, timeout_s=10)
            return code

    assert asyncio.run(since(str(2**63))) == 4400
    assert asyncio.run(since(str(10**309))) == 4400


def test_srt_and_txt_exports_carry_no_markup_and_no_arrow_inside_a_line(recorded):
    server, sid = recorded
    first = _lines(server, sid)[0]
    hostile = 'And so <font color="red">my</font> fellow {\\an8}Americans --> <script>alert(1)</script> ask 3 < 4.'
    with server.http() as client:
        assert client.patch(f"/v1/segments/{first['segment_id']}", json={"text": hostile}).status_code == 200
        srt = client.get(f"/v1/sessions/{sid}/transcript", params={"format": "srt"}).text
        txt = client.get(f"/v1/sessions/{sid}/transcript", params={"format": "txt"}).text
        vtt = client.get(f"/v1/sessions/{sid}/transcript", params={"format": "vtt"}).text
    for name, body in (("srt", srt), ("txt", txt)):
        for tag in ("<font", "</font>", "<script>", "{\\an8}"):
            assert tag not in body, (name, tag, body[:400])
        assert "fellow Americans" in body and "alert(1)" in body and "3 < 4" in body, (name, body[:400])
    timing_lines = [line for line in srt.splitlines() if "-->" in line]
    assert timing_lines and all(line.count(" --> ") == 1 and line[0].isdigit() for line in timing_lines), srt
    assert "-->" not in txt
    assert "&lt;font" in vtt and "<font" not in vtt
