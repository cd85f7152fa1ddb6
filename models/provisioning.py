"""Resolve a speech model to a verified CTranslate2 directory.

Sources, in the order ``resolve_model`` tries them for ``auto``:

1. a packaged model from the catalog (PyPI extra ``[models]``): multilingual
   base first, then tiny.en. Split files are joined once into the data dir.
2. a local CTranslate2 directory given by path;
3. a faster-whisper model name (downloaded by faster-whisper; online only).

Every packaged file is checked against its pinned SHA-256 before loading.
Errors are :class:`ModelUnavailable` with a message that says how to fix it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from models.catalog import CATALOG, UN_WHISPER_LANGUAGES, PackagedModel

__all__ = [
    "ModelUnavailable",
    "ModelChecksumError",
    "ResolvedModel",
    "package_dir",
    "packaged_available",
    "prepare_packaged",
    "verify_dir",
    "resolve_model",
    "sha256_file",
]

INSTALL_HINT = "install one with: pip install 'floorcast[models]'"


class ModelUnavailable(RuntimeError):
    """No usable speech model could be found for the requested name."""


class ModelChecksumError(ModelUnavailable):
    """A model file does not match its pinned SHA-256."""


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    path: Path
    source: str  # "packaged" | "directory" | "hub"
    multilingual: bool
    languages: frozenset[str]

    def size_bytes(self) -> int:
        if not self.path.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def package_dir(package: str) -> Path | None:
    """Directory of an installed Python package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _piece_paths(entry: PackagedModel) -> dict[str, list[Path]] | None:
    paths: dict[str, list[Path]] = {}
    for out_name, pieces in entry.parts.items():
        paths[out_name] = []
        for package, rel in pieces:
            root = package_dir(package)
            if root is None or not (root / rel).is_file():
                return None
            paths[out_name].append(root / rel)
    return paths


def packaged_available(name: str) -> bool:
    entry = CATALOG.get(name)
    return entry is not None and _piece_paths(entry) is not None


def verify_dir(entry: PackagedModel, directory: Path) -> None:
    """Raise :class:`ModelChecksumError` unless every file matches its pin."""
    for file_name, expected in entry.sha256.items():
        path = directory / file_name
        if not path.is_file():
            raise ModelChecksumError(f"{entry.name}: {path} is missing; run 'floorcast models prepare'")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelChecksumError(
                f"{entry.name}: {path} has SHA-256 {actual[:16]}…, expected {expected[:16]}…; "
                "reinstall the model packages and run 'floorcast models prepare'"
            )


def prepare_packaged(name: str, data_dir: Path, *, verify: bool = True) -> Path:
    """Return a verified directory for a catalog model, assembling it if needed.

    Models whose files are whole inside one package are used in place; split
    models are joined once into ``data_dir/models/<name>``. Verification
    results are cached in a stamp keyed by file sizes and mtimes, so a restart
    does not re-hash 150 MB.
    """
    entry = CATALOG.get(name)
    if entry is None:
        raise ModelUnavailable(f"unknown packaged model {name!r}; known: {', '.join(CATALOG)}")
    pieces = _piece_paths(entry)
    if pieces is None:
        raise ModelUnavailable(f"packaged model {name!r} is not installed; {INSTALL_HINT}")
    if entry.needs_assembly:
        target = data_dir / "models" / name
        if not _assembled_ok(entry, target):
            _assemble(entry, pieces, target)
    else:
        target = pieces["model.bin"][0].parent
    if verify:
        _verify_cached(entry, target, data_dir)
    return target


def _assembled_ok(entry: PackagedModel, target: Path) -> bool:
    return all((target / f).is_file() for f in entry.sha256)


def _assemble(entry: PackagedModel, pieces: dict[str, list[Path]], target: Path) -> None:
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for out_name, sources in pieces.items():
        with (staging / out_name).open("wb") as out:
            for source in sources:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, out, length=1 << 22)
    verify_dir(entry, staging)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)


def _fingerprint(directory: Path, files: list[str]) -> dict[str, list[int]]:
    out = {}
    for f in files:
        st = (directory / f).stat()
        out[f] = [st.st_size, st.st_mtime_ns]
    return out


def _verify_cached(entry: PackagedModel, directory: Path, data_dir: Path) -> None:
    stamp = data_dir / "models" / f"{entry.name}.verified.json"
    files = sorted(entry.sha256)
    try:
        fingerprint = _fingerprint(directory, files)
    except FileNotFoundError as exc:
        raise ModelChecksumError(f"{entry.name}: {exc.filename} is missing") from exc
    if stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == {"dir": str(directory), "files": fingerprint}:
                return
        except (OSError, ValueError):
            pass
    verify_dir(entry, directory)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"dir": str(directory), "files": fingerprint}))


def _directory_model(path: Path) -> ResolvedModel:
    if not (path / "model.bin").is_file():
        raise ModelUnavailable(f"{path} is not a CTranslate2 model directory (no model.bin)")
    multilingual = True
    config = path / "config.json"
    vocabulary_json, vocabulary_txt = path / "vocabulary.json", path / "vocabulary.txt"
    try:
        # As CTranslate2 decides: English-only Whisper vocabularies have 51864 tokens, multilingual
        # ones 51865 or more. (The converter writes all lang_ids into config.json even for *.en.)
        if vocabulary_json.is_file():
            multilingual = len(json.loads(vocabulary_json.read_text(encoding="utf-8"))) >= 51865
        elif vocabulary_txt.is_file():
            multilingual = len(vocabulary_txt.read_text(encoding="utf-8").rstrip("\n").split("\n")) >= 51865
        elif config.is_file():
            multilingual = len(json.loads(config.read_text()).get("lang_ids", [None, None])) > 1
    except ValueError:
        pass
    languages = UN_WHISPER_LANGUAGES if multilingual else frozenset({"en"})
    return ResolvedModel(path.name, path, "directory", multilingual, languages)


def resolve_model(spec: str, data_dir: Path, *, verify: bool = True) -> ResolvedModel:
    """Turn a model setting into a loadable directory (or hub name)."""
    if spec == "auto":
        for name in ("base", "tiny.en"):
            if packaged_available(name):
                return resolve_model(name, data_dir, verify=verify)
        raise ModelUnavailable(f"no speech model is installed; {INSTALL_HINT}")
    if spec in CATALOG:
        entry = CATALOG[spec]
        path = prepare_packaged(spec, data_dir, verify=verify)
        languages = entry.languages or UN_WHISPER_LANGUAGES
        return ResolvedModel(spec, path, "packaged", entry.multilingual, languages)
    path = Path(spec).expanduser()
    if path.exists():
        return _directory_model(path)
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ModelUnavailable(f"model {spec!r} is not installed and the hub is offline; {INSTALL_HINT}")
    multilingual = not spec.endswith(".en")
    languages = UN_WHISPER_LANGUAGES if multilingual else frozenset({"en"})
    return ResolvedModel(spec, Path(spec), "hub", multilingual, languages)
