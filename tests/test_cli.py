"""The ``floorcast`` command line, run as a user runs it (a subprocess of the installed entry point)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from support import REPO_ROOT, floorcast_command

pytestmark = pytest.mark.model


def test_models_list_json_shows_base_and_tiny_en_installed(data_dir):
    env = {**os.environ, "FLOORCAST_DATA_DIR": str(data_dir)}
    result = subprocess.run([*floorcast_command(), "models", "list", "--json"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert {"base", "tiny.en"} <= set(rows)
    assert rows["base"]["installed"] and rows["tiny.en"]["installed"]
    assert rows["base"]["multilingual"] and not rows["tiny.en"]["multilingual"]
    assert rows["base"]["size_mb"] > 100 and rows["tiny.en"]["size_mb"] > 50
    assert Path(rows["base"]["path"]) == data_dir.resolve() / "models" / "base"
    assert (Path(rows["tiny.en"]["path"]) / "model" / "model.bin").is_file()


def test_transcribe_writes_an_srt_of_the_clip_with_the_shared_loader(data_dir, clip, tmp_path):
    from support import reference_text, wer

    jfk = clip("asr/en/whisper_jfk/jfk.flac")
    out = tmp_path / "jfk.srt"
    env = {**os.environ, "FLOORCAST_DATA_DIR": str(data_dir)}
    result = subprocess.run([*floorcast_command(), "transcribe", str(jfk), "--model", "tiny.en", "-f", "srt",
                             "-o", str(out)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    srt = out.read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:0") and " --> " in srt
    text = " ".join(line for line in srt.splitlines() if line and not line[0].isdigit())
    assert wer(reference_text(jfk), text) < 0.2


def test_transcribe_refuses_a_model_directory_that_does_not_exist(data_dir, clip, tmp_path):
    env = {**os.environ, "FLOORCAST_DATA_DIR": str(data_dir)}
    result = subprocess.run([*floorcast_command(), "transcribe", str(clip("asr/en/whisper_jfk/jfk.flac")),
                             "--model", str(tmp_path / "nowhere")], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "no such model directory" in result.stderr
