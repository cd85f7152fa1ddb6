"""The Argos Translate engine: installed packages, their coverage of the 30 directions, batched translation.

A direction is ``direct`` when a package translates it, ``pivot`` when two packages chain through an
intermediate language (English first), else ``none``. Translation objects are argostranslate's own:
one ``PackageTranslation`` per installed package, and a ``CompositeTranslation`` of two of them for a
pivot. They are built once per engine and keep their CTranslate2 ``Translator``, so each model is loaded
once per process.

Why not ``argostranslate.translate.get_installed_languages()``: it caches translations in a module-global
list keyed by "from-to" only (not by package folder or version) and reads the process-wide package
directory, so two data dirs, or a package replaced by a newer version, would silently share the old model.

Segments arrive whole (the recogniser cut them at sentence ends), so argostranslate's sentence splitter is
replaced by :class:`WholeSegment` and never loads (MiniSBD and Stanza would download a model on first use).
argostranslate translates one text per call; :meth:`ArgosEngine.translate_batch` sends every text of a
direction (each paragraph, as argostranslate splits them) through one ``Translator.translate_batch`` call,
with the package's argostranslate tokenizer and the decoding options argostranslate uses, so a batch gives
what ``translation.translate(text)`` gives text by text.
"""

from __future__ import annotations

import importlib.metadata
import threading
from pathlib import Path
from typing import Any

from models.translation.argos_packages import (ArgosHome, InstalledPackage, argos_installed, import_argostranslate,
                                               install_from_index, install_package, list_packages)
from models.translation.cache import TranslationCache, translate_with_cache
from models.translation.engine import NO_COVERAGE, Coverage, EngineFailure, UnsupportedDirection

__all__ = ["ArgosEngine", "WholeSegment", "PIVOT_PREFERENCE"]

PIVOT_PREFERENCE: tuple[str, ...] = ("en", "fr", "es", "ru", "ar", "zh")


class WholeSegment:
    """argostranslate sentencizer that keeps the text whole (no model, no download)."""

    def __init__(self, pkg: Any) -> None:
        self.pkg = pkg

    def split_sentences(self, text: str) -> list[str]:
        return [text]

    def __str__(self) -> str:
        return "WholeSegment"


def _legs(translation: Any) -> list[Any]:
    """The PackageTranslations a (possibly composite or cached) argostranslate translation runs, in order."""
    if hasattr(translation, "t1") and hasattr(translation, "t2"):
        return _legs(translation.t1) + _legs(translation.t2)
    if hasattr(translation, "underlying"):
        return _legs(translation.underlying)
    return [translation]


class ArgosEngine:
    name = "argos"

    def __init__(self, data_dir: Path, *, cpu_threads: int = 1, cache_entries: int = 4096) -> None:
        self.home = ArgosHome(Path(data_dir))
        self.cpu_threads = cpu_threads
        self.cache = TranslationCache(cache_entries)
        self.models_loaded = 0
        self._lock = threading.RLock()
        self._packages: dict[tuple[str, str], InstalledPackage] | None = None
        self._package_translations: dict[tuple[str, str], Any] = {}
        self._translations: dict[tuple[str, str], Any] = {}

    @property
    def version(self) -> str:
        try:
            return f"argostranslate {importlib.metadata.version('argostranslate')}"
        except importlib.metadata.PackageNotFoundError:
            return "argostranslate (not installed)"

    # packages

    def packages(self) -> list[InstalledPackage]:
        return list(self._by_direction().values())

    def _by_direction(self) -> dict[tuple[str, str], InstalledPackage]:
        with self._lock:
            if self._packages is None:
                self._packages = {p.direction: p for p in list_packages(self.home)}
            return self._packages

    def refresh(self) -> None:
        """Forget what was scanned and loaded (after packages changed on disk)."""
        with self._lock:
            self._packages = None
            self._package_translations.clear()
            self._translations.clear()
            self.cache.clear()

    def install(self, source: Path) -> InstalledPackage:
        installed = install_package(self.home, source)
        self.refresh()
        return installed

    def install_from_index(self, src: str, tgt: str) -> InstalledPackage:
        """Download from the Argos package index (internet needed); only when an operator asks."""
        installed = install_from_index(self.home, src, tgt)
        self.refresh()
        return installed

    # coverage

    def coverage(self, src: str, tgt: str) -> Coverage:
        if not argos_installed():
            return NO_COVERAGE
        packages = self._by_direction()
        if src == tgt:
            return Coverage("identity")
        if (src, tgt) in packages:
            return Coverage("direct", model_version=self._version_of(packages[(src, tgt)]))
        for via in PIVOT_PREFERENCE:
            first, second = packages.get((src, via)), packages.get((via, tgt))
            if first is not None and second is not None:
                return Coverage("pivot", via=via,
                                model_version=f"{self._version_of(first)}+{self._version_of(second)}")
        return NO_COVERAGE

    def covers(self, src: str, tgt: str) -> bool:
        return self.coverage(src, tgt).covered

    @staticmethod
    def _version_of(package: InstalledPackage) -> str:
        return f"argos:{package.from_code}-{package.to_code}@{package.package_version or '?'}"

    # argostranslate objects

    def translation(self, src: str, tgt: str) -> Any:
        """argostranslate's translation object for the direction (PackageTranslation or CompositeTranslation)."""
        coverage = self.coverage(src, tgt)
        if coverage.route not in ("direct", "pivot"):
            raise UnsupportedDirection(src, tgt, self.name)
        with self._lock:
            found = self._translations.get((src, tgt))
            if found is None:
                argos = import_argostranslate(self.home)
                if coverage.route == "direct":
                    found = self._package_translation(src, tgt)
                else:
                    found = argos.translate.CompositeTranslation(self._package_translation(src, coverage.via),
                                                                 self._package_translation(coverage.via, tgt))
                self._translations[(src, tgt)] = found
            return found

    def _package_translation(self, src: str, tgt: str) -> Any:
        found = self._package_translations.get((src, tgt))
        if found is None:
            argos = import_argostranslate(self.home)
            installed = self._by_direction()[(src, tgt)]
            pkg = argos.package.Package(installed.path)
            found = argos.translate.PackageTranslation(argos.translate.Language(src, installed.from_name or src),
                                                       argos.translate.Language(tgt, installed.to_name or tgt), pkg)
            found.sentencizer = WholeSegment(pkg)
            self._package_translations[(src, tgt)] = found
        return found

    def _translator(self, leg: Any) -> Any:
        """The leg's CTranslate2 Translator, loaded on first use and kept on the leg (argostranslate reuses it)."""
        with self._lock:
            if leg.translator is None:
                import ctranslate2

                settings = import_argostranslate(self.home).settings
                try:
                    leg.translator = ctranslate2.Translator(
                        str(leg.pkg.package_path / "model"), device=settings.device,
                        inter_threads=settings.inter_threads, intra_threads=self.cpu_threads,
                        compute_type=settings.compute_type)
                except (RuntimeError, ValueError, OSError) as exc:
                    raise EngineFailure(f"argos {leg.pkg.from_code}-{leg.pkg.to_code}: model does not load "
                                        f"({exc})") from None
                self.models_loaded += 1
            return leg.translator

    # translation

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        coverage = self.coverage(src, tgt)
        if not coverage.covered:
            raise UnsupportedDirection(src, tgt, self.name)
        if coverage.route == "identity":
            return list(texts)
        return translate_with_cache(self.cache, list(texts), src, tgt,
                                    lambda missing: self._translate_uncached(missing, src, tgt))

    def _translate_uncached(self, texts: list[str], src: str, tgt: str) -> list[str]:
        outputs = list(texts)
        for leg in _legs(self.translation(src, tgt)):
            outputs = self._apply_leg(leg, outputs)
        return outputs

    def _apply_leg(self, leg: Any, texts: list[str]) -> list[str]:
        """One CTranslate2 call for every non-blank paragraph of every text; paragraphs rejoined per text."""
        translator = self._translator(leg)
        settings = import_argostranslate(self.home).settings
        pkg = leg.pkg
        paragraphs = [text.split("\n") for text in texts]
        todo = [p for ps in paragraphs for p in ps if p.strip()]
        if not todo:
            return list(texts)
        try:
            tokenized = [pkg.tokenizer.encode(p) for p in todo]
            prefix = [[pkg.target_prefix]] * len(tokenized) if pkg.target_prefix else None
            results = translator.translate_batch(
                tokenized, target_prefix=prefix, replace_unknowns=True, max_batch_size=settings.batch_size,
                batch_type="tokens", beam_size=max(1, settings.beam_size), num_hypotheses=1, length_penalty=0.2,
                return_scores=True)
            decoded = iter([self._decode(pkg, result.hypotheses[0]) for result in results])
        except (RuntimeError, ValueError, OSError) as exc:
            raise EngineFailure(f"argos {pkg.from_code}-{pkg.to_code}: translation failed ({exc})") from None
        return ["\n".join(next(decoded) if p.strip() else p for p in ps) for ps in paragraphs]

    @staticmethod
    def _decode(pkg: Any, tokens: list[str]) -> str:
        value = pkg.tokenizer.decode(tokens)
        if pkg.target_prefix and value.startswith(pkg.target_prefix):
            value = value[len(pkg.target_prefix):]
        return value[1:] if value.startswith(" ") else value
