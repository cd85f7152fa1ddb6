"""The Argos Translate engine with real (tiny, meaningless) packages built for the session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from support import REPO_ROOT

pytest_plugins = ["translation_fixtures"]
pytest.importorskip("argostranslate", reason="argostranslate is not installed (pip install '.[translation]')")

from models.translation.argos import ArgosEngine  # noqa: E402
from models.translation.engine import PackageError, UnsupportedDirection  # noqa: E402

SENTENCES = ["The meeting is open.", "Member States shall vote on the draft resolution.",
             "I give the floor to the representative of France.", "The Commission adopted its report.",
             "The General Assembly elected the members of the Council."]


@pytest.fixture()
def engine(argos_data_dir) -> ArgosEngine:
    return ArgosEngine(argos_data_dir)


def installed_names(data_dir: Path) -> list[str]:
    packages = data_dir / "translation" / "argos" / "packages"
    return sorted(p.name for p in packages.iterdir()) if packages.is_dir() else []


def test_install_from_archive_and_from_folder(tmp_path, argos_archives):
    engine = ArgosEngine(tmp_path)
    from_file = engine.install(argos_archives.en_es)
    assert (from_file.from_code, from_file.to_code, from_file.package_version) == ("en", "es", "1.0")
    from_folder = engine.install(argos_archives.en_fr_folder)
    assert from_folder.direction == ("en", "fr")
    assert installed_names(tmp_path) == ["translate-en_es", "translate-en_fr"]
    assert (from_folder.path / "model" / "model.bin").is_file()
    assert {p.direction for p in ArgosEngine(tmp_path).packages()} == {("en", "es"), ("en", "fr")}
    assert not any((tmp_path / "translation" / "argos" / "staging").iterdir())  # nothing left half-done


def test_coverage_direct_pivot_and_none(engine):
    assert engine.coverage("en", "fr").route == "direct"
    assert engine.coverage("en", "fr").model_version == "argos:en-fr@1.0"
    pivot = engine.coverage("fr", "es")
    assert (pivot.route, pivot.via) == ("pivot", "en")
    assert pivot.model_version == "argos:fr-en@1.0+argos:en-es@1.0"
    for src, tgt in [("es", "en"), ("es", "fr"), ("en", "ru"), ("ar", "zh"), ("ru", "fr")]:
        assert not engine.covers(src, tgt), (src, tgt)
    with pytest.raises(UnsupportedDirection, match="es -> en"):
        engine.translate_batch(["Hola"], "es", "en")


def test_pivot_is_argostranslates_composite_of_the_two_packages(engine):
    from argostranslate.translate import CompositeTranslation

    composite = engine.translation("fr", "es")
    assert isinstance(composite, CompositeTranslation)
    assert (composite.t1.pkg.from_code, composite.t1.pkg.to_code) == ("fr", "en")
    assert (composite.t2.pkg.from_code, composite.t2.pkg.to_code) == ("en", "es")
    text = "La séance est ouverte."
    via_english = engine.translate_batch(engine.translate_batch([text], "fr", "en"), "en", "es")
    assert engine.translate_batch([text], "fr", "es") == via_english


def test_batch_is_one_ctranslate2_call_and_matches_argostranslate_text_by_text(engine):
    translator = engine._translator(engine.translation("en", "fr"))
    calls = []
    original = type(translator).translate_batch

    class Counting:  # wraps the real Translator to count calls; every call still runs the model
        def __init__(self, inner):
            self.inner = inner

        def translate_batch(self, *args, **kwargs):
            calls.append(len(args[0]))
            return original(self.inner, *args, **kwargs)

    leg = engine.translation("en", "fr")
    leg.translator = Counting(translator)
    try:
        batch = engine.translate_batch(SENTENCES, "en", "fr")
    finally:
        leg.translator = translator
    assert calls == [len(SENTENCES)]
    one_by_one = [leg.translate(text) for text in SENTENCES]  # argostranslate's own path, one text per call
    assert batch == one_by_one
    assert len(set(batch)) > 1 and all(out.strip() for out in batch)


def test_outputs_stay_aligned_with_inputs_in_any_order(engine):
    forward = engine.translate_batch(SENTENCES, "en", "fr")
    engine.cache.clear()
    backward = engine.translate_batch(list(reversed(SENTENCES)), "en", "fr")
    assert backward == list(reversed(forward))
    assert len(set(forward)) >= 3  # the test model gives different inputs different outputs


def test_paragraphs_in_one_text_are_translated_as_argostranslate_does(engine):
    text = "The meeting is open.\nThe Commission adopted its report."
    [out] = engine.translate_batch([text], "en", "fr")
    assert out.count("\n") == 1
    assert out == engine.translation("en", "fr").translate(text)


def test_cache_hit_skips_the_model(engine):
    engine.translate_batch(["The Security Council met today."], "en", "es")
    hits = engine.cache.hits
    leg = engine.translation("en", "es")
    translator, leg.translator = leg.translator, None  # a cache miss would now have to reload the model
    loaded = engine.models_loaded
    assert engine.translate_batch(["The Security Council met today."], "en", "es")
    assert engine.cache.hits == hits + 1
    assert leg.translator is None and engine.models_loaded == loaded
    leg.translator = translator


def test_each_model_loads_once_per_engine(engine):
    for _ in range(3):
        engine.translate_batch(["The meeting is open."], "en", "fr")
        engine.translate_batch(["La séance est ouverte.", "Merci."], "fr", "es")
        engine.cache.clear()
    assert engine.models_loaded == 3  # en-fr, fr-en, en-es
    assert engine.translation("en", "fr") is engine.translation("en", "fr")
    assert engine.translation("fr", "es").t2 is engine.translation("en", "es")


def test_corrupt_archive_is_rejected_and_leaves_nothing(tmp_path, argos_archives):
    engine = ArgosEngine(tmp_path / "data")
    truncated = tmp_path / "truncated.argosmodel"
    data = argos_archives.en_fr.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(PackageError, match="not a zip archive|truncated"):
        engine.install(truncated)
    damaged = tmp_path / "damaged.argosmodel"
    flipped = bytearray(data)
    with zipfile.ZipFile(argos_archives.en_fr) as zipped:
        info = zipped.getinfo(next(n for n in zipped.namelist() if n.endswith("model.bin")))
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    flipped[middle] ^= 0xFF
    damaged.write_bytes(bytes(flipped))
    with pytest.raises(PackageError, match="damaged|not a readable"):
        engine.install(damaged)
    assert installed_names(tmp_path / "data") == []
    assert not any((tmp_path / "data" / "translation" / "argos" / "staging").iterdir())
    assert not engine.covers("en", "fr")


def test_package_with_a_broken_model_is_rejected(tmp_path, argos_archives):
    folder = tmp_path / "broken"
    shutil.copytree(argos_archives.en_fr_folder, folder)
    model = folder / "model" / "model.bin"
    model.write_bytes(model.read_bytes()[:1000])
    with pytest.raises(PackageError, match="does not load"):
        ArgosEngine(tmp_path / "data").install(folder)
    assert installed_names(tmp_path / "data") == []


def test_package_outside_the_six_languages_is_rejected(tmp_path, argos_archives):
    engine = ArgosEngine(tmp_path)
    with pytest.raises(PackageError, match=r"en -> de.*de is not one of the UN languages"):
        engine.install(argos_archives.en_de)
    assert installed_names(tmp_path) == []


def test_not_an_argos_package(tmp_path):
    stray = tmp_path / "notes.argosmodel"
    stray.write_text("hello")
    with pytest.raises(PackageError, match="not a zip archive"):
        ArgosEngine(tmp_path / "data").install(stray)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "metadata.json").write_text("{not json")
    with pytest.raises(PackageError, match="not valid JSON"):
        ArgosEngine(tmp_path / "data").install(folder)
    with pytest.raises(PackageError, match="no such file"):
        ArgosEngine(tmp_path / "data").install(tmp_path / "absent.argosmodel")


def test_reinstalling_replaces_the_package_and_reloads(tmp_path, argos_archives):
    engine = ArgosEngine(tmp_path)
    engine.install(argos_archives.en_fr)
    engine.translate_batch(["The meeting is open."], "en", "fr")
    metadata_path = argos_archives.en_fr_folder / "metadata.json"
    newer = tmp_path / "newer"
    shutil.copytree(argos_archives.en_fr_folder, newer)
    metadata = json.loads(metadata_path.read_text())
    (newer / "metadata.json").write_text(json.dumps({**metadata, "package_version": "1.1"}))
    engine.install(newer)
    assert engine.coverage("en", "fr").model_version == "argos:en-fr@1.1"
    assert installed_names(tmp_path) == ["translate-en_fr"]
    engine.translate_batch(["The meeting is open."], "en", "fr")
    assert engine.models_loaded == 2


NO_NETWORK_SCRIPT = textwrap.dedent("""
    import socket, sys
    from pathlib import Path

    attempts = []

    def refuse_network(event, args):
        if event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
            attempts.append(event)
            raise OSError(f"network access attempted: {event} {args!r:.80}")

    sys.addaudithook(refuse_network)
    from models.translation.argos import ArgosEngine

    data_dir, package = Path(sys.argv[1]), Path(sys.argv[2])
    engine = ArgosEngine(data_dir)
    engine.install(package)
    out = engine.translate_batch(["The meeting is open. The Commission adopted its report! Thank you."], "en", "fr")
    out += [engine.translation("en", "fr").translate("First sentence. Second sentence.")]
    assert all(text.strip() for text in out), out
    assert not attempts, attempts
    print("translated", out)
""")


def test_no_download_no_stanza_no_home_writes(tmp_path, argos_archives):
    """argostranslate is imported and run with every network call refused, in a fresh process."""
    home, stanza_dir = tmp_path / "home", tmp_path / "stanza_resources"
    home.mkdir()
    stanza_dir.mkdir()
    env = {**os.environ, "HOME": str(home), "STANZA_RESOURCES_DIR": str(stanza_dir)}
    for key in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "ARGOS_PACKAGES_DIR", "ARGOS_CHUNK_TYPE"):
        env.pop(key, None)
    done = subprocess.run([sys.executable, "-c", NO_NETWORK_SCRIPT, str(tmp_path / "data"),
                           str(argos_archives.en_fr)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "translated" in done.stdout
    assert list(stanza_dir.iterdir()) == []
    leaked = [p for p in home.rglob("*") if "argos" in p.name.lower() or "minisbd" in p.name.lower()]
    assert leaked == []
    library_home = tmp_path / "data" / "translation" / "argos" / "home"
    assert (library_home / "data" / "argos-translate").is_dir()
    assert not list(library_home.rglob("*.onnx"))  # no MiniSBD model fetched either
