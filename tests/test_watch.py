"""``floorcast watch``: a session's captions in a terminal, run as a user runs it (the installed entry point)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess

import pytest

from service.terminal.watch import PlainPrinter
from support import REPO_ROOT, CaptionViewer, floorcast_command, load_audio, pcm16, stream_pcm

JFK = "asr/en/whisper_jfk/jfk.flac"
FLEURS_FR = "asr/fr/fleurs/fleurs-fr-001.ogg"


def watcher(server, session_id: str, *options: str) -> subprocess.Popen:
    env = {**os.environ, "FLOORCAST_ADMIN_TOKEN": server.token, "COLUMNS": "200"}
    return subprocess.Popen([*floorcast_command(), "watch", session_id, "--server", server.base_url, *options],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_plain_output_names_each_speaker_once_per_turn_and_says_what_happened():
    out = io.StringIO()
    printer = PlainPrinter(out)
    events = [
        {"type": "final", "text": "Good morning.", "lang": "en", "speaker": "Chair"},
        {"type": "final", "text": "", "lang": "en", "speaker": "Chair"},
        {"type": "partial", "text": "The floor", "stable": 3, "lang": "en"},
        {"type": "final", "text": "The floor is yours.", "lang": "en", "speaker": "Chair"},
        {"type": "final", "text": "Thank you.", "lang": "en", "speaker": "Delegate of Peru"},
        {"type": "record", "off_record": True},
        {"type": "final", "text": "Gracias.", "lang": "fr", "source_lang": "es", "translated": False, "speaker": None},
        {"type": "final", "text": "De nada.", "lang": "fr", "source_lang": "es", "translated": False, "speaker": None},
        {"type": "record", "off_record": False},
        {"type": "correction", "text": "The floor is now yours.", "lang": "en"},
        {"type": "session_ended"},
    ]
    for event in events:
        printer.show(event)
    assert out.getvalue().splitlines() == [
        "Chair: Good morning.", "The floor is yours.", "Delegate of Peru: Thank you.", "-- off the record --",
        "-- no translation model for fr from es; showing the original --", "Gracias.", "De nada.",
        "-- back on the record --", "-- corrected: The floor is now yours. --", "-- session ended --"]


@pytest.mark.model
def test_watch_prints_the_finals_of_a_streamed_session_until_it_ends(server, clip):
    english = pcm16(load_audio(clip(JFK)))
    french = pcm16(load_audio(clip(FLEURS_FR)))
    session_id = server.create_session(title="Watch", channels=[{"name": "floor"}, {"name": "booth-fr", "language": "fr"}])["id"]
    watchers = {"spoken": watcher(server, session_id), "fr": watcher(server, session_id, "--lang", "fr"),
                "live": watcher(server, session_id, "--live")}

    async def run() -> list[dict]:
        async with CaptionViewer(server, session_id) as viewer:
            await asyncio.gather(stream_pcm(server, session_id, english),
                                 stream_pcm(server, session_id, french, channel="booth-fr"))
            events = await viewer.catch_up()
        with server.http() as client:
            assert client.post(f"/v1/sessions/{session_id}/end").status_code == 200
        return [e for e in events if e["type"] == "final" and e["text"]]

    try:
        finals = asyncio.run(run())
        outputs = {name: process.communicate(timeout=60) for name, process in watchers.items()}
    finally:
        for process in watchers.values():
            process.kill()
    for name, process in watchers.items():
        assert process.returncode == 0, (name, outputs[name][1])

    spoken, _ = outputs["spoken"]
    assert spoken.splitlines() == [f["text"] for f in finals] + ["-- session ended --"]
    assert "\x1b" not in spoken, "plain output has no terminal escapes"
    french_lines = outputs["fr"][0].splitlines()
    assert french_lines == [f["text"] for f in finals if f["channel"] == "booth-fr"] + ["-- session ended --"]
    live = outputs["live"][0]
    # The live view wraps a line longer than the terminal (COLUMNS) at a space, as a terminal shows it.
    unwrapped = " ".join(live.split())
    assert all(" ".join(f["text"].split()) in unwrapped for f in finals), live


@pytest.mark.model
def test_watch_of_an_unknown_session_says_so(server):
    process = watcher(server, "nosuchsession")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == ""
    assert "no live session with that id (close code 4404)" in err
