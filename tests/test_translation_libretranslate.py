"""The LibreTranslate engine against a real LibreTranslate server (issue 16, item 3).

The server is the PyPI package, started by the tests (see ``libretranslate_server``) with the stand-in
argos packages en->fr and fr->en (meaningless output by design), so what is checked is the engine's
contract: the server's directions, batches in one request, the API key, timeouts and retries, what
translation-status says, and a live session translating through it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import pytest

from argos_package import build_argosmodel
from libretranslate_server import LIBRETRANSLATE_PYTHON, LibreTranslateServer
from models.translation.engine import EngineFailure, UnsupportedDirection
from models.translation.libretranslate import LibreTranslateEngine
from models.translation.translator import Translator
from support import REPO_ROOT, CaptionViewer, ServerProcess, load_audio, pcm16, stream_pcm

needs_server = pytest.mark.skipif(not LIBRETRANSLATE_PYTHON.is_file(), reason=(
    f"LibreTranslate is not installed at {LIBRETRANSLATE_PYTHON.parent.parent} (.ci/run creates it: python3 -m venv "
    ".venv-libretranslate && .venv-libretranslate/bin/pip install libretranslate==1.9.6)"))

KEY = "floorcast-test-key"
JFK = "asr/en/whisper_jfk/jfk.flac"


@pytest.fixture(scope="module")
def archives(tmp_path_factory, un_corpus_dir):
    root = tmp_path_factory.mktemp("lt-packages")
    return [build_argosmodel("en", "fr", root, corpus_dir=un_corpus_dir),
            build_argosmodel("fr", "en", root, corpus_dir=un_corpus_dir, seed=1),
            build_argosmodel("en", "zh", root, corpus_dir=un_corpus_dir, seed=2)]


pytest_plugins = ["translation_fixtures"]


@pytest.fixture(scope="module")
def libretranslate(tmp_path_factory, archives):
    with LibreTranslateServer(tmp_path_factory.mktemp("libretranslate"), archives, api_key=KEY,
                              languages="en,fr,zh") as server:
        yield server


@needs_server
def test_the_servers_directions_and_a_batch_in_one_request(libretranslate):
    engine = LibreTranslateEngine(libretranslate.url, api_key=KEY)
    # its "zh-Hans" is the UN's zh; fr -> zh is LibreTranslate's own pivot through English
    assert engine.directions() == {("en", "fr"), ("fr", "en"), ("en", "zh"), ("fr", "zh")}
    assert engine.translate_batch(["The meeting is open."], "en", "zh")[0]
    assert engine.coverage("en", "fr").route == "direct" and not engine.covers("en", "es")
    texts = ["The meeting is open.", "Member States shall vote on the draft resolution.", "The meeting is open."]
    before = engine.requests
    out = engine.translate_batch(texts, "en", "fr")
    assert engine.requests == before + 1, "one request for the batch"
    assert len(out) == 3 and out[0] == out[2] and out[0] != out[1] and all(out)
    with pytest.raises(UnsupportedDirection):
        engine.translate_batch(["Hola"], "es", "en")


@needs_server
def test_a_wrong_api_key_is_refused_with_the_servers_reason_and_not_retried(libretranslate):
    engine = LibreTranslateEngine(libretranslate.url, api_key="not-the-key", retries=3)
    with pytest.raises(EngineFailure, match="403 Invalid API key"):
        engine.translate_batch(["The meeting is open."], "en", "fr")
    assert engine.retried == 0
    facade = Translator(REPO_ROOT / ".data-unused", engines=[engine])  # the facade passes the original on
    result = facade.translate("The meeting is open.", "en", ["fr"])["fr"]
    assert (result.text, result.translated, result.engine) == ("The meeting is open.", False, "libretranslate")
    assert "Invalid API key" in result.error


@needs_server
def test_a_server_that_stops_answering_is_retried_then_reported_and_found_again(tmp_path, archives):
    server = LibreTranslateServer(tmp_path, archives).start()
    engine = LibreTranslateEngine(server.url, timeout_s=2, retries=2, backoff_s=0.05)
    assert engine.translate_batch(["Good morning."], "en", "fr")
    server.stop()
    with pytest.raises(EngineFailure, match=r"did not answer: ConnectError.*\(after 3 tries\)"):
        engine.translate_batch(["Good morning."], "en", "fr")
    assert engine.retried == 2
    engine.refresh()
    assert engine.directions() == frozenset() and engine.server_status()["answers"] is False
    server.start()  # the same port
    engine.refresh()
    assert engine.translate_batch(["Good morning."], "en", "fr") and engine.server_status()["answers"]
    server.stop()


@needs_server
def test_translation_status_shows_the_server_and_its_languages(tmp_path, libretranslate):
    env = {**os.environ, "FLOORCAST_DATA_DIR": str(tmp_path), "FLOORCAST_LIBRETRANSLATE_URL": libretranslate.url,
           "FLOORCAST_LIBRETRANSLATE_API_KEY": KEY, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200",
           "FLOORCAST_TRANSLATION_ENGINES": json.dumps({"en-fr": "libretranslate"})}
    table = subprocess.run([sys.executable, "-m", "service.cli", "models", "translation-status"], env=env,
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    said = " ".join(table.stdout.split())
    assert table.returncode == 0, table.stdout + table.stderr
    assert f"LibreTranslate at {libretranslate.url} answers: 4 UN directions (en-fr, en-zh, fr-en, fr-zh)" in said
    rows = json.loads(subprocess.run([sys.executable, "-m", "service.cli", "models", "translation-status", "--json"],
                                     env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120).stdout)
    en_fr = next(row for row in rows if row["direction"] == "en-fr")
    assert (en_fr["engine"], en_fr["route"], en_fr["chosen_by"]) == ("libretranslate", "direct", "setting")


@needs_server
def test_a_live_session_translates_through_libretranslate(base_model, tmp_path, libretranslate, clip):
    env = {"FLOORCAST_LIBRETRANSLATE_URL": libretranslate.url, "FLOORCAST_LIBRETRANSLATE_API_KEY": KEY,
           "FLOORCAST_TRANSLATION_ENGINES": json.dumps({"en-fr": "libretranslate"})}
    with ServerProcess(tmp_path / "data", tmp_path / "server.log", env=env) as process:
        server = process.live
        with server.http() as client:
            status = client.get("/v1/translation/status").json()
        assert status["libretranslate"] == {"url": libretranslate.url, "answers": True,
                                            "directions": ["en-fr", "en-zh", "fr-en", "fr-zh"], "error": None,
                                            "resting_s": 0.0}
        session = server.create_session(title="through LibreTranslate", translation_languages=["en", "fr"])

        async def run() -> list[dict]:
            viewer = CaptionViewer(server, session["id"])
            viewer.query = "lang=fr"
            async with viewer:
                await stream_pcm(server, session["id"], pcm16(load_audio(clip(JFK))))
                return list(await viewer.catch_up())

        finals = [e for e in asyncio.run(run()) if e["type"] == "final" and e["text"]]
    assert finals and all(e["lang"] == "fr" and e["engine"] == "libretranslate" and e["translated"] for e in finals)


@pytest.mark.parametrize("url", ["ftp://translate.example", "libretranslate:5000", "http://host name"])
def test_a_url_that_is_not_http_is_refused_at_start(url):
    from pydantic import ValidationError

    from service.settings import Settings

    with pytest.raises(ValidationError, match="FLOORCAST_LIBRETRANSLATE_URL must be an http"):
        Settings(admin_token="x" * 24, libretranslate_url=url)


@needs_server
def test_a_hung_server_times_out_then_rests_so_captions_do_not_wait_for_it(tmp_path, archives):
    server = LibreTranslateServer(tmp_path, archives).start()
    engine = LibreTranslateEngine(server.url, timeout_s=1, retries=1, backoff_s=0.05, rest_s=2.0)
    try:
        assert engine.translate_batch(["Good morning."], "en", "fr")
        server.freeze()
        try:
            with pytest.raises(EngineFailure, match=r"did not answer: (Read|Connect)Timeout.*\(after 2 tries\)"):
                engine.translate_batch(["The meeting is open."], "en", "fr")
            asked = engine.requests
            facade = Translator(REPO_ROOT / ".data-unused", engines=[engine])
            result = facade.translate("The meeting is open.", "en", ["fr"])["fr"]
            assert (result.text, result.translated) == ("The meeting is open.", False)  # the original, at once
            assert "not asked again for" in result.error and "Timeout" in result.error
            assert engine.requests == asked, "a resting server is not asked"
            status = engine.server_status()
            assert status["answers"] is False and status["resting_s"] > 0 and "Timeout" in status["error"]
        finally:
            server.thaw()
        deadline = time.monotonic() + 10
        while engine.server_status()["resting_s"] > 0:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert engine.translate_batch(["Good morning."], "en", "fr") and engine.server_status()["answers"]
    finally:
        server.stop()


@needs_server
def test_a_rate_limited_server_answers_429_and_is_rested_not_hammered(tmp_path, archives):
    server = LibreTranslateServer(tmp_path, archives, options=("--req-limit", "6")).start()  # per minute
    engine = LibreTranslateEngine(server.url, timeout_s=5, retries=2, backoff_s=0.05, rest_s=60.0)
    try:
        failure = None
        for _ in range(8):  # the start-up probes count against the limit too
            try:
                assert engine.translate_batch(["Good morning."], "en", "fr")
            except EngineFailure as exc:
                failure = str(exc)
                break
        assert failure is not None and "429" in failure and "Slowdown" in failure and "(after 3 tries)" in failure
        asked = engine.requests
        with pytest.raises(EngineFailure, match="429.*not asked again for (59|60) s"):
            engine.translate_batch(["Good morning."], "en", "fr")
        assert engine.requests == asked
    finally:
        server.stop()
