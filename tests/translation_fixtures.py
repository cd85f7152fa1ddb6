"""Fixtures for the translation tests (loaded with ``pytest_plugins = ["translation_fixtures"]``).

Argos packages are built once per session by :mod:`argos_package` (tiny real CTranslate2 models);
Apertium is the Debian package, skipped with a reason where it is not installed.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import REPO_ROOT

__all__ = ["ArgosFixtures", "un_corpus_dir", "argos_archives", "argos_data_dir", "apertium_installed",
           "require_apertium"]


@dataclass(frozen=True)
class ArgosFixtures:
    en_fr: Path  # .argosmodel archives
    fr_en: Path
    en_es: Path
    en_de: Path  # a language outside the six
    en_fr_folder: Path  # the unpacked folder of en_fr


@pytest.fixture(scope="session")
def apertium_installed() -> bool:
    return shutil.which("apertium") is not None


@pytest.fixture()
def require_apertium(apertium_installed) -> None:
    """Use with ``pytest.mark.usefixtures("require_apertium")``: skips where Apertium is not installed."""
    if not apertium_installed:
        pytest.skip("the apertium command is not on PATH (apt-get install apertium apertium-eng-spa apertium-fr-es)")


def _eval_dir() -> Path:
    from service.settings import Settings

    path = Settings(admin_token=secrets.token_urlsafe(24)).eval_dir.expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


@pytest.fixture(scope="session")
def un_corpus_dir() -> Path | None:
    """The UN Parallel Corpus dev set, or None (the package builder then uses inline sentences)."""
    path = _eval_dir() / "mt" / "un_v1.0"
    return path if (path / "UNv1.0.devset.en").is_file() else None


@pytest.fixture(scope="session")
def argos_archives(tmp_path_factory, un_corpus_dir) -> ArgosFixtures:
    pytest.importorskip("argostranslate", reason="argostranslate is not installed (pip install '.[translation]')")
    from argos_package import build_argosmodel

    root = tmp_path_factory.mktemp("argos-packages")
    built = {pair: build_argosmodel(*pair, root / f"{pair[0]}_{pair[1]}", corpus_dir=un_corpus_dir, seed=i)
             for i, pair in enumerate([("en", "fr"), ("fr", "en"), ("en", "es"), ("en", "de")])}
    return ArgosFixtures(en_fr=built[("en", "fr")], fr_en=built[("fr", "en")], en_es=built[("en", "es")],
                         en_de=built[("en", "de")],
                         en_fr_folder=next((root / "en_fr" / "unpacked").iterdir()))


@pytest.fixture(scope="session")
def argos_data_dir(tmp_path_factory, argos_archives) -> Path:
    """A data dir with en->fr, fr->en and en->es installed (so fr->es is a pivot through English)."""
    from models.translation.argos import ArgosEngine

    data_dir = tmp_path_factory.mktemp("argos-data")
    engine = ArgosEngine(data_dir)
    for archive in (argos_archives.en_fr, argos_archives.fr_en, argos_archives.en_es):
        engine.install(archive)
    return data_dir
