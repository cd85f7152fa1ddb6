"""``floorcast stream``, run as a captioner runs it: a file into a new session, captions printed as they come;
the server killed mid-stream and restarted on the same port, and the stream goes on by itself."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from support import REPO_ROOT, ServerProcess, floorcast_command, load_audio, normalise, pcm16, reference_text, wer

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
LONG = ("asr/en/whisper_jfk/jfk.flac", "asr/en/fleurs/fleurs-en-000.ogg", "asr/en/fleurs/fleurs-en-001.ogg",
        "asr/en/fleurs/fleurs-en-002.ogg", "asr/en/fleurs/fleurs-en-003.ogg")


def _streamer(base_url: str, token: str, source: Path, *options: str) -> subprocess.Popen:
    env = {**os.environ, "FLOORCAST_ADMIN_TOKEN": token, "COLUMNS": "200"}
    return subprocess.Popen([*floorcast_command(), "stream", str(source), "--server", base_url, "--json", *options],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finals(lines: list[str]) -> list[dict]:
    return [e for e in map(json.loads, lines) if e["type"] == "final" and e["text"]]


def _stored(server, session_id: str) -> dict[str, str]:
    with server.http() as client:
        lines = client.get(f"/v1/sessions/{session_id}/transcript").json()["lines"]
    return {line["segment_id"]: line["text"] for line in lines if line["text"]}


def test_a_file_streamed_into_a_new_session_prints_its_captions_and_they_are_the_record(server, clip):
    process = _streamer(server.base_url, server.token, clip(JFK), "--speed", "0")
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    finals = _finals(out.splitlines())
    assert finals and len({f["session_id"] for f in finals}) == 1
    session_id = finals[0]["session_id"]
    assert session_id in err.split(), "--json: the new session's id on stderr, events on stdout"
    assert wer(reference_text(clip(JFK)), " ".join(f["text"] for f in finals)) < 0.15
    assert _stored(server, session_id) == {f["segment_id"]: f["text"] for f in finals}


def test_a_wrong_token_fails_at_once_with_the_reason(server, clip):
    started = time.monotonic()
    process = _streamer(server.base_url, "wrong-token", clip(JFK), "--retry-for", "60")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == ""
    assert "401" in err and "reconnect" not in err, err
    assert time.monotonic() - started < 30, "a refused token is not worth retrying"


def test_the_stream_survives_a_server_killed_and_restarted_mid_session(base_model, clip, tmp_path):
    source = tmp_path / "meeting.wav"
    with wave.open(str(source), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(pcm16(np.concatenate([load_audio(clip(c)) for c in LONG])))
    process = ServerProcess(tmp_path / "data", tmp_path / "server.log")
    with process:
        streamer = _streamer(process.live.base_url, process.token, source, "--speed", "2", "--retry-for", "60")
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(streamer.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        while len(_finals(list(lines))) < 2:
            assert streamer.poll() is None and time.monotonic() < deadline, streamer.stderr.read()
            time.sleep(0.1)
        before = _finals(list(lines))
        process.kill()
        time.sleep(1.0)
        process.start()  # same port and record; the session is "interrupted" until its audio comes back
        err = streamer.stderr.read()
        assert streamer.wait(timeout=240) == 0, err
        reader.join(10)
        finals = _finals(lines)
        stored = _stored(process.live, finals[0]["session_id"])

    assert "reconnecting" in err and "reconnected" in err, err
    seqs = [f["seq"] for f in finals]
    assert seqs == sorted(set(seqs)), "no final repeated or out of order across the reconnect"
    after = [f for f in finals if f["seq"] > before[-1]["seq"]]
    assert after, "the session went on after the restart"
    assert min(f["start"] for f in after) >= before[-1]["end"], "the timeline continues, it does not restart"
    assert stored == {f["segment_id"]: f["text"] for f in finals}, "the record holds exactly the finals printed"
    reference = " ".join(reference_text(clip(c)) for c in LONG)
    assert wer(reference, " ".join(f["text"] for f in finals)) < 0.5, normalise(" ".join(f["text"] for f in finals))


def test_a_negative_retry_window_is_refused_before_anything_is_sent(server, clip):
    process = _streamer(server.base_url, server.token, clip(JFK), "--retry-for", "-1")
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out) == (2, "")
    assert "--retry-for must be 0 or more seconds" in err


def test_language_options_set_what_may_be_spoken_in_the_session_created(server, clip):
    process = _streamer(server.base_url, server.token, clip(JFK), "--speed", "0", "--language", "en")
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    session_id = err.split()[0]
    assert f"participants: {server.base_url}/s/{session_id}?code=" in err
    with server.http() as client:
        assert client.get(f"/v1/sessions/{session_id}").json()["allowed_languages"] == ["en"]
    assert {f["lang"] for f in _finals(out.splitlines())} == {"en"}


@pytest.mark.parametrize("options, message", [
    (("--language", "en", "--languages", "en,fr"), "not both"),
    (("--languages", "en", "--session", "ABCDEFGH"), "the session it creates"),
])
def test_conflicting_language_options_are_refused_before_anything_is_sent(server, clip, options, message):
    process = _streamer(server.base_url, server.token, clip(JFK), *options)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2 and out == "" and message in err, err


def test_a_language_the_model_cannot_recognise_is_refused_with_the_reason(server, clip):
    process = _streamer(server.base_url, server.token, clip(JFK), "--languages", "en,xx")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == "", err
    assert "xx" in err, err
