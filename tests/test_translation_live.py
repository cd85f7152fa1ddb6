"""Every caption in the viewer's language, live and stored: the real server with real engines.

Engines: Apertium (Debian) for en<->es and en->fr through es, and two argos
packages built by the test (en->ru and fr->en: tiny real CTranslate2 models,
meaningless output by design) installed with ``floorcast models
install-translation``, so fr->ru goes through argostranslate's pivot via
English. Arabic has no engine: its viewers get the original, marked untranslated.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from argos_package import build_argosmodel
from support import REPO_ROOT, CaptionViewer, ServerProcess, assert_caption_invariants, load_audio, pcm16, stream_pcm

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
FLEURS_FR = "asr/fr/fleurs/fleurs-fr-001.ogg"


@pytest.fixture(scope="module")
def translating_server(base_model, tmp_path_factory, eval_dir):
    if shutil.which("apertium") is None:
        pytest.skip("apertium is not installed (apt-get install apertium apertium-eng-spa apertium-fr-es)")
    root = tmp_path_factory.mktemp("translating")
    corpus = eval_dir / "mt" / "un_v1.0"
    archives = [build_argosmodel("en", "ru", root / "pkgs", corpus_dir=corpus),
                build_argosmodel("fr", "en", root / "pkgs", corpus_dir=corpus, seed=1)]
    data_dir = root / "data"
    installed = subprocess.run([sys.executable, "-m", "service.cli", "models", "install-translation",
                                *map(str, archives)], cwd=REPO_ROOT, capture_output=True, text=True,
                               env={"FLOORCAST_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin",
                                    "FLOORCAST_ADMIN_TOKEN": "x" * 24})
    assert installed.returncode == 0, installed.stdout + installed.stderr
    with ServerProcess(data_dir, root / "server.log") as process:
        yield process.live


def _get(server, path: str, **params) -> httpx.Response:
    with server.http() as client:
        return client.get(path, params=params)


async def _watch(server, session_id: str, pcm: bytes, views: dict[str, str], channel: str = "floor") -> dict:
    """Viewers opened with the given query strings; stream; return each viewer's events."""
    viewers = {name: CaptionViewer(server, session_id) for name in views}
    for name, query in views.items():
        viewers[name].query = query
    for viewer in viewers.values():
        await viewer.__aenter__()
    try:
        await stream_pcm(server, session_id, pcm, channel=channel)
        return {name: list(await viewer.catch_up()) for name, viewer in viewers.items()}
    finally:
        for viewer in viewers.values():
            await viewer.__aexit__(None, None, None)


def _finals(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "final" and e["text"]]


def test_status_lists_direct_pivot_and_missing_directions(translating_server):
    status = _get(translating_server, "/v1/translation/status").json()
    rows = {row["direction"]: row for row in status["directions"]}
    assert len(rows) == 30
    assert (rows["en-es"]["engine"], rows["en-es"]["route"]) == ("apertium", "direct")
    assert (rows["en-fr"]["engine"], rows["en-fr"]["route"], rows["en-fr"]["via"]) == ("apertium", "pivot", "es")
    assert (rows["en-ru"]["engine"], rows["en-ru"]["route"]) == ("argos", "direct")
    assert (rows["fr-ru"]["engine"], rows["fr-ru"]["route"], rows["fr-ru"]["via"]) == ("argos", "pivot", "en")
    assert rows["en-ar"]["route"] == "none" and "en-ar" in status["missing"]
    session = translating_server.create_session(title="coverage")
    assert "en-ar" in session["missing_directions"] and "en-es" not in session["missing_directions"]


@pytest.fixture(scope="module")
def english_floor(translating_server, clip):
    session = translating_server.create_session(title="plenary")
    views = {"spoken": "", "es": "lang=es", "fr": "lang=fr", "ru": "lang=ru", "ar": "lang=ar"}
    events = asyncio.run(_watch(translating_server, session["id"], pcm16(load_audio(clip(JFK))), views))
    return session["id"], events


def test_viewers_get_translated_finals_with_the_source_segment_id(english_floor):
    _, events = english_floor
    spoken = _finals(events["spoken"])
    assert spoken and all(e["lang"] == "en" and "source_lang" not in e for e in spoken)
    for lang, engine in (("es", "apertium"), ("fr", "apertium"), ("ru", "argos")):
        assert_caption_invariants(events[lang])
        finals = _finals(events[lang])
        assert [e["segment_id"] for e in finals] == [e["segment_id"] for e in spoken], lang
        assert all(e["lang"] == lang and e["source_lang"] == "en" and e["translated"] is True
                   and e["engine"] == engine for e in finals), (lang, finals)
        assert all(t["text"] != s["text"] for t, s in zip(finals, spoken)), lang
    assert "país" in " ".join(e["text"] for e in _finals(events["es"])).lower()  # "your country" in Spanish


def test_direction_without_a_model_is_marked_untranslated(english_floor):
    _, events = english_floor
    spoken, arabic = _finals(events["spoken"]), _finals(events["ar"])
    assert [(e["segment_id"], e["text"], e["translated"]) for e in arabic] == [
        (e["segment_id"], e["text"], False) for e in spoken]


def test_stored_transcript_in_each_language_matches_what_viewers_saw(translating_server, english_floor):
    session_id, events = english_floor
    for lang in ("es", "fr", "ru"):
        lines = _get(translating_server, f"/v1/sessions/{session_id}/transcript", lang=lang).json()["lines"]
        assert [(line["segment_id"], line["text"], line["translated"]) for line in lines] == [
            (e["segment_id"], e["text"], True) for e in _finals(events[lang])], lang
    arabic = _get(translating_server, f"/v1/sessions/{session_id}/transcript", lang="ar").json()["lines"]
    assert arabic and not any(line["available"] for line in arabic)
    hits = _get(translating_server, "/v1/search", q="país", lang="es", session=session_id).json()["hits"]
    assert hits and hits[0]["lang"] == "es"


def test_edit_is_translated_again(translating_server, english_floor):
    session_id, events = english_floor
    segment_id = _finals(events["spoken"])[0]["segment_id"]
    with translating_server.http() as client:
        edited = client.patch(f"/v1/segments/{segment_id}", json={"text": "The meeting is open."}).json()
        assert edited["revision"] == 1
        deadline = time.monotonic() + 30
        while True:
            segment = client.get(f"/v1/segments/{segment_id}").json()
            spanish = {t["lang"]: t for t in segment["translations"]}.get("es")
            if spanish and not spanish["stale"]:
                break
            assert time.monotonic() < deadline, segment
            time.sleep(0.2)
    assert spanish["source_revision"] == 1 and "reunión" in spanish["text"].lower()


def test_french_floor_reaches_russian_viewers_through_the_argos_pivot(translating_server, clip):
    session = translating_server.create_session(title="pivot")
    views = {"spoken": "", "ru": "lang=ru", "en": "lang=en"}
    events = asyncio.run(_watch(translating_server, session["id"], pcm16(load_audio(clip(FLEURS_FR))), views))
    spoken = [e for e in _finals(events["spoken"]) if e["lang"] == "fr"]
    assert spoken, "the French clip produced no French final"
    russian = {e["segment_id"]: e for e in _finals(events["ru"])}
    for source in spoken:
        assert russian[source["segment_id"]]["engine"] == "argos" and russian[source["segment_id"]]["translated"]


def test_interpretation_first_with_machine_translation_on_request(translating_server, clip):
    session = translating_server.create_session(
        title="with a French booth", channels=[{"name": "floor"}, {"name": "booth-fr", "language": "fr"}])
    sid = session["id"]

    async def run() -> dict:
        viewers = {"auto": CaptionViewer(translating_server, sid), "machine": CaptionViewer(translating_server, sid)}
        viewers["auto"].query, viewers["machine"].query = "lang=fr", "lang=fr&source=machine"
        for viewer in viewers.values():
            await viewer.__aenter__()
        try:
            await stream_pcm(translating_server, sid, pcm16(load_audio(clip(JFK))), channel="floor")
            await stream_pcm(translating_server, sid, pcm16(load_audio(clip(FLEURS_FR))), channel="booth-fr")
            return {name: list(await viewer.catch_up()) for name, viewer in viewers.items()}
        finally:
            for viewer in viewers.values():
                await viewer.__aexit__(None, None, None)

    events = asyncio.run(run())
    auto, machine = _finals(events["auto"]), _finals(events["machine"])
    assert auto and all(e["channel"] == "booth-fr" and "source_lang" not in e for e in auto)
    assert machine and all(e["channel"] == "floor" and e["source_lang"] == "en" for e in machine)


def test_unknown_viewer_language_is_refused_with_a_reason(translating_server):
    async def run():
        import websockets

        session = translating_server.create_session(title="bad lang")
        url = translating_server.captions_url(session["id"]) + "&lang=xx"
        async with websockets.connect(url) as ws:
            await ws.wait_closed()
            return ws.close_code, ws.close_reason

    code, reason = asyncio.run(run())
    assert code == 4400 and "xx" in reason
