"""Argos Translate packages under floorcast's data dir: import argostranslate there, install, list, download.

Everything argostranslate writes lives under ``<data_dir>/translation/argos/``::

    packages/   one unpacked package per direction: translate-en_es/{metadata.json, model/, sentencepiece.model}
    staging/    where a package is unpacked and checked before it is moved into packages/
    home/       argostranslate's own data, config and cache dirs (XDG_*_HOME while it is imported)

``argostranslate.settings`` reads its directories once, when it is imported, and creates them (by default
under ~/.local and ~/.config). :func:`import_argostranslate` imports it with those variables pointed here,
with ``ARGOS_CHUNK_TYPE=MINISBD`` (its sentencizer is built lazily, so constructing a translation downloads
nothing; ``NONE`` is not usable in argostranslate 1.11, where it makes every package be skipped, and
``SPACY`` downloads a model at import time), then restores the environment.

We do not use ``argostranslate.package.install_from_path``: it unzips straight into the live packages
directory with no checks, so a truncated archive leaves half a package behind. :func:`install_package`
unpacks into ``staging/``, checks the package (metadata, languages, tokenizer, CTranslate2 model loading
and one decode step) and only then moves it into place.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

from models.translation.engine import PackageError, TranslationError
from models.translation.languages import UN_CODES, is_un_language

__all__ = ["ArgosHome", "InstalledPackage", "ArgosUnavailable", "import_argostranslate", "argos_installed",
           "list_packages", "install_package", "install_from_index"]

_IMPORT_LOCK = threading.Lock()
_INSTALL_LOCK = threading.Lock()


class ArgosUnavailable(TranslationError):
    def __init__(self) -> None:
        super().__init__("argostranslate is not installed: pip install torch, then pip install 'floorcast[translation]'")


@dataclass(frozen=True)
class ArgosHome:
    """The directories argostranslate and floorcast's Argos packages use, all under ``data_dir``."""

    data_dir: Path

    @property
    def root(self) -> Path:
        return self.data_dir / "translation" / "argos"

    @property
    def packages_dir(self) -> Path:
        return self.root / "packages"

    @property
    def staging_dir(self) -> Path:
        return self.root / "staging"

    @property
    def library_home(self) -> Path:
        return self.root / "home"


@dataclass(frozen=True)
class InstalledPackage:
    path: Path
    from_code: str
    to_code: str
    package_version: str
    argos_version: str
    from_name: str = ""
    to_name: str = ""

    @property
    def direction(self) -> tuple[str, str]:
        return self.from_code, self.to_code


def argos_installed() -> bool:
    return importlib.util.find_spec("argostranslate") is not None


def import_argostranslate(home: ArgosHome) -> SimpleNamespace:
    """``settings``, ``package``, ``translate``: argostranslate imported with its directories under ``home``.

    The first import in the process decides where argostranslate's own directories are; floorcast never
    relies on them afterwards (packages are listed and installed with explicit paths), so a second data dir
    in the same process works too.
    """
    if not argos_installed():
        raise ArgosUnavailable()
    with _IMPORT_LOCK:
        if "argostranslate.translate" not in sys.modules:
            library = home.library_home
            overrides = {
                "ARGOS_PACKAGES_DIR": str(home.packages_dir),
                "ARGOS_CHUNK_TYPE": "MINISBD",
                "XDG_DATA_HOME": str(library / "data"),
                "XDG_CONFIG_HOME": str(library / "config"),
                "XDG_CACHE_HOME": str(library / "cache"),
            }
            saved = {key: os.environ.get(key) for key in overrides}
            os.environ.update(overrides)
            try:
                importlib.import_module("argostranslate.translate")
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
    return SimpleNamespace(settings=sys.modules["argostranslate.settings"],
                           package=sys.modules["argostranslate.package"],
                           translate=sys.modules["argostranslate.translate"])


def _read_metadata(package_dir: Path) -> dict:
    path = package_dir / "metadata.json"
    if not path.is_file():
        raise PackageError(f"{package_dir.name}: no metadata.json, so this is not an Argos Translate package")
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{package_dir.name}: metadata.json is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise PackageError(f"{package_dir.name}: metadata.json does not hold an object")
    return metadata


def _described(package_dir: Path) -> InstalledPackage:
    """The package's metadata, checked: a translate package between two different UN languages."""
    metadata = _read_metadata(package_dir)
    kind = metadata.get("type", "translate")
    if kind != "translate":
        raise PackageError(f"{package_dir.name}: a {kind!r} package; floorcast installs translate packages only")
    src, tgt = metadata.get("from_code"), metadata.get("to_code")
    if not isinstance(src, str) or not isinstance(tgt, str):
        raise PackageError(f"{package_dir.name}: metadata.json has no from_code/to_code")
    outside = [code for code in (src, tgt) if not is_un_language(code)]
    if outside:
        raise PackageError(f"{package_dir.name}: translates {src} -> {tgt}, but {', '.join(outside)} is not one of "
                           f"the UN languages floorcast serves ({', '.join(UN_CODES)})")
    if src == tgt:
        raise PackageError(f"{package_dir.name}: translates {src} into itself")
    return InstalledPackage(path=package_dir, from_code=src, to_code=tgt,
                            package_version=str(metadata.get("package_version", "")),
                            argos_version=str(metadata.get("argos_version", "")),
                            from_name=str(metadata.get("from_name", "")), to_name=str(metadata.get("to_name", "")))


def list_packages(home: ArgosHome) -> list[InstalledPackage]:
    """Installed packages, by direction. Folders that are not valid packages are left out."""
    if not home.packages_dir.is_dir():
        return []
    found = []
    for child in sorted(home.packages_dir.iterdir()):
        if child.is_dir():
            try:
                found.append(_described(child))
            except PackageError:
                continue
    return found


def _check_loads(package_dir: Path, described: InstalledPackage, home: ArgosHome) -> None:
    """Load the package the way the engine will: argostranslate's tokenizer, CTranslate2's translator."""
    argos = import_argostranslate(home)
    import ctranslate2

    model_dir = package_dir / "model"
    if not (model_dir / "model.bin").is_file():
        raise PackageError(f"{described.from_code}-{described.to_code}: the package has no model/model.bin")
    if not ((package_dir / "sentencepiece.model").is_file() or (package_dir / "bpe.model").is_file()):
        raise PackageError(f"{described.from_code}-{described.to_code}: the package has no sentencepiece.model "
                           f"or bpe.model")
    try:
        pkg = argos.package.Package(package_dir)
        tokens = pkg.tokenizer.encode("The meeting is open.")
        translator = ctranslate2.Translator(str(model_dir), device="cpu", intra_threads=1)
        translator.translate_batch([tokens], beam_size=1, max_decoding_length=2)
    except Exception as exc:  # foreign failures (sentencepiece, CTranslate2, json) become one clear error
        raise PackageError(f"{described.from_code}-{described.to_code}: the package does not load "
                           f"({type(exc).__name__}: {exc})") from None


def _unpack(archive: Path, staging: Path) -> Path:
    """Unzip a .argosmodel into ``staging``; the package folder inside. Corrupt archives raise PackageError."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            damaged = zipped.testzip()
            if damaged is not None:
                raise PackageError(f"{archive.name}: {damaged} is damaged (CRC mismatch); download it again")
            tops = {name.split("/", 1)[0] for name in zipped.namelist() if name.strip("/")}
            zipped.extractall(staging)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise PackageError(f"{archive.name}: not a readable .argosmodel archive, possibly truncated "
                           f"({type(exc).__name__}: {exc})") from None
    if len(tops) != 1 or not (staging / next(iter(tops))).is_dir():
        raise PackageError(f"{archive.name}: an .argosmodel holds one package folder; found {sorted(tops)}")
    return staging / next(iter(tops))


def install_package(home: ArgosHome, source: Path) -> InstalledPackage:
    """Install an ``.argosmodel`` file or an unpacked package folder; replaces the package for its direction.

    Nothing is left in ``packages/`` unless the package unpacked, described itself as a UN direction and
    loaded. Raises :class:`PackageError` with the reason otherwise.
    """
    source = Path(source).expanduser()
    if not source.exists():
        raise PackageError(f"{source}: no such file or folder")
    home.staging_dir.mkdir(parents=True, exist_ok=True)
    home.packages_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=home.staging_dir))
    try:
        if source.is_dir():
            staged = staging / "package"
            shutil.copytree(source, staged)
        elif zipfile.is_zipfile(source):
            staged = _unpack(source, staging)
        else:
            raise PackageError(f"{source.name}: not a zip archive, so not an .argosmodel (truncated download?)")
        described = _described(staged)
        _check_loads(staged, described, home)
        final = home.packages_dir / f"translate-{described.from_code}_{described.to_code}"
        with _INSTALL_LOCK:
            replaced = staging / "replaced"
            if final.exists():
                final.rename(replaced)
            try:
                staged.rename(final)
            except OSError as exc:
                if replaced.exists():
                    replaced.rename(final)  # the previous package stays installed
                raise PackageError(f"{described.from_code}-{described.to_code}: could not move the package "
                                   f"into place ({exc})") from None
        return replace(described, path=final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_from_index(home: ArgosHome, src: str, tgt: str) -> InstalledPackage:
    """Download ``src -> tgt`` from the Argos package index and install it: argospm's own path (the index
    at ``ARGOS_PACKAGE_INDEX``, argostranslate's default otherwise). Needs the network; on request only."""
    argos = import_argostranslate(home)
    index_url = argos.settings.remote_package_index
    local_index = Path(argos.settings.local_package_index)
    local_index.unlink(missing_ok=True)  # a copy from an earlier run would hide that the index is out of reach
    argos.package.update_package_index()  # logs and returns on a network error
    if not local_index.is_file():
        raise TranslationError(f"could not reach the Argos package index at {index_url} (no network here?): "
                               f"download the {src}-{tgt} .argosmodel elsewhere and install that file")
    try:
        available = argos.package.get_available_packages()
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise PackageError(f"the Argos package index at {index_url} is not readable: {exc}") from None
    candidates = [p for p in available if (p.from_code, p.to_code) == (src, tgt)]
    if not candidates:
        offered = sorted({f"{p.from_code}-{p.to_code}" for p in available})
        raise PackageError(f"the Argos package index at {index_url} has no {src} -> {tgt} package "
                           f"({len(offered)} directions offered)")
    try:
        download = Path(candidates[0].download())
    except Exception as exc:  # argostranslate raises a bare Exception when every link fails
        raise PackageError(f"could not download {src} -> {tgt} from {', '.join(candidates[0].links)}: {exc}") from None
    try:
        return install_package(home, download)
    finally:
        download.unlink(missing_ok=True)
