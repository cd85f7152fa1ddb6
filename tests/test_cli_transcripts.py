"""``floorcast transcripts``: the stored record from a terminal, on a real SQLite store."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
import webvtt

from captions_store.records import SegmentIn, SessionRecord, TranslationIn
from captions_store.store import Store
from support import REPO_ROOT


@pytest.fixture
def data_dir(tmp_path):
    store = Store.open(None, tmp_path)
    store.create_session(SessionRecord(id="plen1", title="Plenary", room="Popov Room",
                                       started_at=datetime(2026, 11, 29, 9, tzinfo=timezone.utc),
                                       languages=("en", "fr"), channels=({"name": "floor", "language": None},)))
    store.write_batch(
        [SegmentIn(id="plen1.floor.1", session_id="plen1", seq=1, channel="floor", start_s=0.5, end_s=3.0, lang="en",
                   text="The meeting is open.", speaker="Chair"),
         SegmentIn(id="plen1.floor.2", session_id="plen1", seq=2, channel="floor", start_s=3.5, end_s=7.0, lang="en",
                   text="Member States adopted the resolution.", speaker="Chair")],
        [TranslationIn(segment_id="plen1.floor.2", lang="fr", text="Les États membres ont adopté la résolution.",
                       engine="test", seq=3)])
    store.close()
    return tmp_path


def _run(data_dir, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLOORCAST_DATA_DIR": str(data_dir), "FLOORCAST_ADMIN_TOKEN": "x" * 24}
    env.pop("FLOORCAST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "service.cli", "transcripts", *args], cwd=data_dir, env=env,
                          capture_output=True, text=True, timeout=120)


def test_list_show_export_search_delete(data_dir):
    listed = _run(data_dir, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(s["id"], s["title"], s["segments"]) for s in json.loads(listed.stdout)] == [("plen1", "Plenary", 2)]

    shown = _run(data_dir, "show", "plen1", "--lang", "fr")
    assert shown.returncode == 0 and "Les États membres ont adopté la résolution." in shown.stdout
    assert "The meeting is open." in shown.stdout  # no French for it: the original, marked untranslated

    exported = _run(data_dir, "export", "plen1", "--format", "vtt", "-o", str(data_dir / "plen1.vtt"))
    assert exported.returncode == 0, exported.stderr
    cues = webvtt.from_buffer(io.StringIO((data_dir / "plen1.vtt").read_text(encoding="utf-8")))
    assert " ".join(c.text for c in cues).split() == "The meeting is open. Member States adopted the resolution.".split()

    found = _run(data_dir, "search", "résolution", "--lang", "fr", "--json")
    assert [(h["segment_id"], h["lang"]) for h in json.loads(found.stdout)] == [("plen1.floor.2", "fr")]
    everywhere = _run(data_dir, "search", "résolution", "--json")  # accents folded: the English line too
    assert sorted(h["lang"] for h in json.loads(everywhere.stdout)) == ["en", "fr"]

    assert _run(data_dir, "export", "plen1", "--format", "pdf").returncode == 2
    missing = _run(data_dir, "show", "nope")
    assert missing.returncode == 1 and "nope" in missing.stderr
    assert _run(data_dir, "delete", "plen1", "--yes").returncode == 0
    assert json.loads(_run(data_dir, "list", "--json").stdout) == []
