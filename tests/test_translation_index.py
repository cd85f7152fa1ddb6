"""``floorcast models install-translation en-fr`` from an Argos package index (issue 16, item 4).

The index is argospm's own format (``index.json`` whose entries link to ``.argosmodel`` files), served
by a real HTTP server the test starts, pointed at with argostranslate's ``ARGOS_PACKAGE_INDEX``: the same
path a deployment with the internet takes to raw.githubusercontent.com. Each command runs in a process
of its own, as an operator runs it (argostranslate reads its settings once, at import).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import REPO_ROOT

pytest_plugins = ["translation_fixtures"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def package_index(tmp_path_factory, argos_archives):
    """An HTTP server holding index.json: en-fr (a real package), en-es (its link is broken)."""
    root = tmp_path_factory.mktemp("argos-index")
    shutil.copy(argos_archives.en_fr, root / "translate-en_fr-1_0.argosmodel")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    (root / "index.json").write_text(json.dumps([
        {"package_version": "1.0", "argos_version": "1.0", "from_code": "en", "from_name": "English",
         "to_code": "fr", "to_name": "French", "links": [url + "translate-en_fr-1_0.argosmodel"], "type": "translate"},
        {"package_version": "1.0", "argos_version": "1.0", "from_code": "en", "from_name": "English",
         "to_code": "es", "to_name": "Spanish", "links": [url + "gone.argosmodel"], "type": "translate"},
    ]), encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "http.server did not start"
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


def _floorcast(data_dir: Path, index_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLOORCAST_DATA_DIR": str(data_dir), "ARGOS_PACKAGE_INDEX": index_url,
           "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "service.cli", "models", *args], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


def _said(result: subprocess.CompletedProcess) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_a_direction_installs_from_the_package_index(tmp_path, package_index):
    before = json.loads(_floorcast(tmp_path, package_index, "translation-status", "--json").stdout)
    en_fr = next(row for row in before if row["direction"] == "en-fr")
    assert en_fr["engine"] != "argos" and "install-translation en-fr" in (en_fr["how"] or "")

    done = _floorcast(tmp_path, package_index, "install-translation", "en-fr")
    assert done.returncode == 0, _said(done)
    assert "installed en-fr from the Argos index, version 1.0" in _said(done)

    after = {row["direction"]: row for row in
             json.loads(_floorcast(tmp_path, package_index, "translation-status", "--json").stdout)}
    assert (after["en-fr"]["engine"], after["en-fr"]["route"], after["en-fr"]["how"]) == ("argos", "direct", None)
    assert after["en-ar"]["route"] == "none" and "install-translation en-ar" in after["en-ar"]["how"]
    assert "install-translation ru-en en-zh" in after["ru-zh"]["how"]  # the index pivots through English


def test_each_way_it_cannot_install_says_why(tmp_path, package_index):
    offline = _floorcast(tmp_path, "http://127.0.0.1:9/", "install-translation", "en-fr")
    assert offline.returncode == 1
    assert "could not reach the Argos package index at http://127.0.0.1:9/index.json" in _said(offline)
    assert "Traceback" not in offline.stderr

    result = _floorcast(tmp_path, package_index, "install-translation", "en-ar", "en-es", "no-such.argosmodel")
    said = _said(result)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "en-ar: the Argos package index at " in said and "has no en -> ar package (2 directions offered)" in said
    assert "en-es: could not download en -> es from " in said and "gone.argosmodel" in said
    assert "no-such.argosmodel: no such file, and not a direction such as en-ar" in said
    status = {row["direction"]: row for row in
              json.loads(_floorcast(tmp_path, package_index, "translation-status", "--json").stdout)}
    assert status["en-ar"]["engine"] is None and status["en-es"]["engine"] != "argos"  # nothing half-installed
