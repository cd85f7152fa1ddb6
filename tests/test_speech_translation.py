"""English from the audio for a floor no text engine translates (issue 16, item 1): the real server,
Whisper base, ``FLOORCAST_SPEECH_TRANSLATION=on``.

A Russian floor: nothing here translates Russian text into English, so each Russian final is decoded
again with ``task="translate"`` and its English line goes to English viewers (engine
``whisper-translate``), and on from English to Spanish with Apertium. The Russian final goes out
first; the English line is scored against the clip's English reference (the NTREX sentences of the
espeak-ng clips are parallel across the six languages).
"""

from __future__ import annotations

import asyncio
import shutil

import pytest
import sacrebleu

from support import CaptionViewer, ServerProcess, load_audio, pcm16, stream_pcm

pytestmark = [pytest.mark.model]

RUSSIAN = "synthetic/espeak_ru_ntrex3.wav"
ENGLISH_REFERENCE = "synthetic/espeak_en_ntrex3.txt"


@pytest.fixture(scope="module")
def speech_server(base_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("speech-translation")
    with ServerProcess(root / "data", root / "server.log", env={"FLOORCAST_SPEECH_TRANSLATION": "on"}) as process:
        yield process.live


def _finals(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "final" and e["text"]]


@pytest.fixture(scope="module")
def russian_floor(speech_server, clip):
    session = speech_server.create_session(title="Russian floor", allowed_languages=["ru"],
                                           translation_languages=["ru", "en", "es", "zh"])

    async def run() -> dict[str, list[dict]]:
        viewers = {lang: CaptionViewer(speech_server, session["id"]) for lang in ("ru", "en", "es", "zh")}
        for lang, viewer in viewers.items():
            viewer.query = f"lang={lang}"
            await viewer.__aenter__()
        try:
            await stream_pcm(speech_server, session["id"], pcm16(load_audio(clip(RUSSIAN))))
            return {lang: list(await viewer.catch_up()) for lang, viewer in viewers.items()}
        finally:
            for viewer in viewers.values():
                await viewer.__aexit__(None, None, None)

    return session["id"], asyncio.run(run())


def test_english_viewers_get_english_decoded_from_the_speech(russian_floor, clip):
    _, events = russian_floor
    spoken = [e for e in _finals(events["ru"]) if e["lang"] == "ru"]
    english = _finals(events["en"])
    assert spoken, "the Russian clip produced no Russian final"
    assert [e["segment_id"] for e in english] == [e["segment_id"] for e in spoken]
    assert all(e["engine"] == "whisper-translate" and e["translated"] is True and e["source_lang"] == "ru"
               for e in english), english
    said = " ".join(e["text"] for e in english)
    assert not any("\u0400" <= ch <= "\u04ff" for ch in said), said  # English, not Cyrillic
    reference = clip(ENGLISH_REFERENCE).read_text(encoding="utf-8").strip()
    original = " ".join(e["text"] for e in spoken)
    chrf_english = sacrebleu.corpus_chrf([said], [[reference]]).score
    chrf_original = sacrebleu.corpus_chrf([original], [[reference]]).score
    assert chrf_english > chrf_original + 10, (said, chrf_english, chrf_original)
    # the Russian line went out before its English one: a viewer of the floor never waits for the second decode
    first_english = min(e["seq"] for e in english)
    assert min(e["seq"] for e in spoken) < first_english


@pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium is not installed (apt-get install apertium "
                                                             "apertium-eng-spa)")
def test_spanish_comes_from_the_english_line_and_chinese_stays_marked(russian_floor):
    _, events = russian_floor
    english = {e["segment_id"]: e for e in _finals(events["en"])}
    spanish = _finals(events["es"])
    assert spanish and all(e["engine"] == "whisper-translate+apertium" and e["translated"] for e in spanish)
    assert all(e["text"] != english[e["segment_id"]]["text"] for e in spanish)
    chinese = _finals(events["zh"])  # no engine from English to Chinese here either: the original, marked
    assert chinese and all(not e["translated"] for e in chinese)


def test_the_record_keeps_the_english_line(speech_server, russian_floor):
    session_id, events = russian_floor
    with speech_server.http() as client:
        lines = client.get(f"/v1/sessions/{session_id}/transcript", params={"lang": "en"}).json()["lines"]
    assert [(line["text"], line["translated"]) for line in lines] == [(e["text"], True) for e in _finals(events["en"])]
