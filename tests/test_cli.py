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
