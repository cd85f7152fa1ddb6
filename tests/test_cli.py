"""The ``floorcast`` command line, run as a user runs it (a subprocess of the installed entry point)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO_ROOT

pytestmark = pytest.mark.model


def floorcast_command() -> list[str]:
    script = Path(sys.executable).with_name("floorcast")
    if script.is_file():
        return [str(script)]
    found = shutil.which("floorcast")
    if found is None:
        pytest.skip("the floorcast entry point is not installed (pip install -e .)")
    return [found]


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
